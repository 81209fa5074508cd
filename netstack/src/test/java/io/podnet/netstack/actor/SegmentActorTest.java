package io.podnet.netstack.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.v1.Frame;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SegmentActorTest {
  static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.serialize-messages = on
      pekko.loglevel = WARNING
      """).withFallback(ConfigFactory.load()));

  static final MacAddress A = MacAddress.parse("08:00:27:00:00:0a");
  static final MacAddress B = MacAddress.parse("08:00:27:00:00:0b");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static Frame frame(String host, String iface, MacAddress dst, MacAddress src) {
    byte[] b = new byte[60];
    dst.write(b, 0);
    src.write(b, 6);
    b[12] = 0x08;
    return Frame.newBuilder().setData(ByteString.copyFrom(b)).setSrcHost(host).setSrcInterface(iface).build();
  }

  static ActorRef<Frame> attach(ActorRef<SegmentActor.Command> seg, String host, String iface, TestProbe<Frame> port) {
    TestProbe<SegmentActor.Attached> reply = testKit.createTestProbe();
    seg.tell(new SegmentActor.Attach(host, iface, port.getRef(), reply.getRef()));
    return reply.receiveMessage().inbox();
  }

  @Test
  void floodsThenSwitchesByLearnedMac() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan"));
    TestProbe<Frame> a = testKit.createTestProbe();
    TestProbe<Frame> b = testKit.createTestProbe();
    TestProbe<Frame> c = testKit.createTestProbe();
    ActorRef<Frame> in = attach(seg, "ha", "eth1", a);
    attach(seg, "hb", "eth1", b);
    attach(seg, "hc", "eth2", c);

    in.tell(frame("ha", "eth1", MacAddress.BROADCAST, A));
    Frame got = b.receiveMessage();
    assertEquals("lan", got.getSegment());
    assertEquals("eth1", got.getDstInterface());
    assertEquals("eth2", c.receiveMessage().getDstInterface());
    a.expectNoMessage(Duration.ofMillis(50));

    in.tell(frame("hb", "eth1", A, B));
    a.receiveMessage();
    c.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void stoppedPortsAreForgotten() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan2"));
    TestProbe<Frame> a = testKit.createTestProbe();
    TestProbe<Frame> b = testKit.createTestProbe();
    attach(seg, "ha", "eth1", a);
    attach(seg, "hb", "eth1", b);
    b.stop();
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    stats.awaitAssert(() -> {
      seg.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(List.of("ha/eth1"), stats.receiveMessage().ports());
      return null;
    });
  }

  @Test
  void natGatewayAnswersArpOnTheUplink() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.nat("uplink-h",
        List.of(Ipv4Address.parse("10.0.2.2"), Ipv4Address.parse("10.0.2.3"))));
    TestProbe<Frame> h = testKit.createTestProbe();
    ActorRef<Frame> in = attach(seg, "h", "eth0", h);
    byte[] req = ArpPacket.request(A, Ipv4Address.parse("10.0.2.15"), Ipv4Address.parse("10.0.2.2")).toFrame();
    in.tell(Frame.newBuilder().setData(ByteString.copyFrom(req)).setSrcHost("h").setSrcInterface("eth0").build());
    Frame reply = h.receiveMessage();
    byte[] d = reply.getData().toByteArray();
    ArpPacket arp = ArpPacket.decode(d, 14, d.length - 14);
    assertEquals("52:55:0a:00:02:02", arp.senderMac().toString());
    assertEquals("eth0", reply.getDstInterface());
  }

  @Test
  void runtsAndFramesFromUnattachedPortsAreDroppedAndCounted() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan3"));
    TestProbe<Frame> a = testKit.createTestProbe();
    TestProbe<Frame> b = testKit.createTestProbe();
    ActorRef<Frame> in = attach(seg, "ha", "eth1", a);
    attach(seg, "hb", "eth1", b);
    // 13 bytes: one short of an Ethernet header.
    in.tell(Frame.newBuilder().setData(ByteString.copyFrom(new byte[13])).setSrcHost("ha").setSrcInterface("eth1")
        .build());
    // A host/interface pair that never attached (same host, other interface).
    in.tell(frame("ha", "eth9", MacAddress.BROADCAST, A));
    b.expectNoMessage(Duration.ofMillis(50));
    // Then a good frame goes through: the port key still finds "ha"/"eth1".
    in.tell(frame("ha", "eth1", B, A));
    assertEquals("eth1", b.receiveMessage().getDstInterface());
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    seg.tell(new SegmentActor.GetStats(stats.getRef()));
    SegmentActor.Stats st = stats.receiveMessage();
    assertEquals(java.util.Map.of("runt frame", 1L, "frame from an unattached port", 1L), st.drops());
    assertEquals(3, st.frames());
    assertEquals(1, st.flooded());
  }
}
