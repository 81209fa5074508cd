package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.UdpHeader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostCoreTest {
  static final String MAC_A = "08:00:27:04:d1:9c";
  static final String MAC_B = "08:00:27:af:e6:df";
  static final String MAC_C = "08:00:27:3a:be:fa";
  static final String MAC_R1 = "08:00:27:ac:72:9f";
  static final String MAC_R2 = "08:00:27:1d:3e:50";
  static final String MAC_R0 = "08:00:27:6b:69:c9";
  static final String MAC_GW = "52:55:0a:00:02:02";
  static final long SECOND = 1_000_000;

  final TestNet net = new TestNet();

  static Ipv4Address a(String s) {
    return Ipv4Address.parse(s);
  }

  static byte[] data(int n) {
    byte[] d = new byte[n];
    for (int i = 0; i < n; i++) {
      d[i] = (byte) i;
    }
    return d;
  }

  /** A (.100) and B (.101) on one segment. */
  void twoHosts() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
  }

  /** A on lan10, C on lan20, router R between (forwarding on), R's eth0 on a NAT segment with GW. */
  void routed() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("C", "eth1", MAC_C, "192.168.20.100/24", "lan20");
    net.nic("R", "eth0", MAC_R0, "10.0.2.15/24", "nat");
    net.nic("R", "eth1", MAC_R1, "192.168.10.200/24", "lan10");
    net.nic("R", "eth2", MAC_R2, "192.168.20.200/24", "lan20");
    net.nic("GW", "eth0", MAC_GW, "10.0.2.2/24", "nat");
    net.ip("R", "route add default via 10.0.2.2 dev eth0");
    net.ip("A", "route add 192.168.20.0/24 via 192.168.10.200 dev eth1");
    net.ip("A", "route add 172.20.0.0/16 via 192.168.10.200 dev eth1");
    net.ip("C", "route add 192.168.10.0/24 via 192.168.20.200 dev eth1");
    net.host("R").setForwarding(true);
  }

  /** Records taps as "dev In|Out summary". */
  static List<String> record(HostCore h, String dev) {
    List<String> out = new ArrayList<>();
    h.addTap(dev, false, (d, dir, type, t, f) -> out.add(d + " " + (dir == HostCore.Direction.IN ? "In" : "Out")
        + " " + describe(f)));
    return out;
  }

  static String describe(byte[] f) {
    EthernetHeader eth = EthernetHeader.decode(f, 0, f.length);
    if (eth.etherType() == EtherType.ARP) {
      return ArpPacket.decode(f, 14, f.length - 14).toString();
    }
    Ipv4Header ip = Ipv4Header.decode(f, 14, f.length - 14);
    String s = "IP " + ip.source() + " > " + ip.destination() + " ttl " + ip.ttl() + ": ";
    if (ip.isFragment() && ip.fragmentOffset() != 0) {
      return s + "frag offset " + ip.fragmentOffset() * 8;
    }
    if (ip.protocol() == IpProtocol.ICMP && !ip.moreFragments()) {
      return s + IcmpMessage.decode(f, 14 + ip.length(), ip.payloadLength());
    }
    return s + "proto " + ip.protocol() + (ip.moreFragments() ? " frag MF" : "");
  }

  static Ipv4Header ipOf(byte[] frame) {
    return Ipv4Header.decode(frame, 14, frame.length - 14);
  }

  /** Checks the IPv4 header checksum and, for an unfragmented ICMP datagram, the ICMP checksum. */
  static void assertChecksums(byte[] frame) {
    Ipv4Header ip = ipOf(frame);
    assertTrue(ip.checksumValid(), "IPv4 header checksum");
    if (ip.protocol() == IpProtocol.ICMP && !ip.isFragment()) {
      assertTrue(Checksum.verify(frame, 14 + ip.length(), ip.payloadLength()), "ICMP checksum");
    }
    if (ip.protocol() == IpProtocol.UDP && !ip.isFragment()) {
      UdpHeader u = UdpHeader.decode(frame, 14 + ip.length(), ip.payloadLength());
      assertTrue(u.checksumValid(ip.source(), ip.destination(), frame, 14 + ip.length()), "UDP checksum");
    }
  }

  static void assertNoInternalErrors(HostCore h) {
    for (String reason : h.drops().keySet()) {
      assertFalse(reason.startsWith("internal"), reason);
    }
  }

  // ------------------------------------------------------------------ ARP and echo

  @Test
  void arpResolutionThenEchoReply() {
    twoHosts();
    PingSocket ping = net.host("A").openPing(0x1234);
    assertEquals(0, ping.send(a("192.168.10.101"), 1, data(56)));
    net.deliverAll();

    List<TestNet.Sent> fromA = net.sentBy("A", "eth1");
    List<TestNet.Sent> fromB = net.sentBy("B", "eth1");
    // 1. A's broadcast request, padded to 60 bytes, target MAC zero.
    byte[] req = fromA.get(0).frame();
    assertEquals(60, req.length);
    assertArrayEquals(ArpPacket.request(MacAddress.parse(MAC_A), a("192.168.10.100"), a("192.168.10.101"))
        .toFrame(MacAddress.BROADCAST), req);
    // 2. B's unicast reply to A.
    byte[] rep = fromB.get(0).frame();
    assertArrayEquals(ArpPacket.reply(MacAddress.parse(MAC_B), a("192.168.10.101"), MacAddress.parse(MAC_A),
        a("192.168.10.100")).toFrame(MacAddress.parse(MAC_A)), rep);
    // B learnt A from the request (STALE), A learnt B from the unicast reply (REACHABLE).
    assertEquals(NeighbourTable.State.REACHABLE,
        net.host("A").neighbours().get("eth1", a("192.168.10.101")).orElseThrow().state());
    var bEntry = net.host("B").neighbours().get("eth1", a("192.168.10.100")).orElseThrow();
    assertEquals(MacAddress.parse(MAC_A), bEntry.mac());
    // 3. the echo request went out after the reply: DF set, TTL 64, to B's MAC.
    byte[] echo = fromA.get(1).frame();
    assertEquals(MacAddress.parse(MAC_B), EthernetHeader.decode(echo, 0, echo.length).destination());
    Ipv4Header eh = ipOf(echo);
    assertTrue(eh.dontFragment());
    assertEquals(64, eh.ttl());
    assertEquals(98, echo.length);
    assertChecksums(echo);
    // 4. B's echo reply: from the address asked, DF clear, TTL 64, payload echoed; B used its STALE entry.
    byte[] reply = fromB.get(1).frame();
    Ipv4Header rh = ipOf(reply);
    assertEquals(a("192.168.10.101"), rh.source());
    assertFalse(rh.dontFragment());
    assertEquals(64, rh.ttl());
    assertChecksums(reply);
    assertEquals(2, fromB.size(), "no ARP from B: the request taught it A's MAC");

    PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(a("192.168.10.101"), r.from());
    assertEquals(1, r.sequence());
    assertEquals(64, r.ttl());
    assertEquals(64, r.icmpLength());
    assertArrayEquals(data(56), r.data());
    assertNull(ping.poll());
    assertEquals(98, net.host("B").counters("eth1").rxBytes() - 60);
  }

  @Test
  void unansweredNeighbourGivesThreeRequestsThenHostUnreachableFromOurselves() {
    twoHosts();
    HostCore a = net.host("A");
    List<Long> requestTimes = new ArrayList<>();
    a.addTap("eth1", false, (d, dir, type, t, f) -> {
      if (dir == HostCore.Direction.OUT && Bytes.u16(f, 12) == EtherType.ARP) {
        requestTimes.add(t);
      }
    });
    List<String> lo = record(a, "lo");
    PingSocket ping = a.openPing(7);
    assertEquals(0, ping.send(a("192.168.10.50"), 1, data(56)));
    net.runUntil(2 * SECOND + 999_999);
    assertEquals(List.of(0L, SECOND, 2 * SECOND), requestTimes);
    assertNull(ping.poll());
    net.runUntil(3 * SECOND);
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(a("192.168.10.100"), e.from(), "Linux: From <own address> ... Destination Host Unreachable");
    assertEquals(1, e.sequence());
    assertEquals(3 * SECOND, e.timeMicros());
    assertEquals("Destination Host Unreachable", e.text());
    assertEquals(List.of(
        "lo Out IP 192.168.10.100 > 192.168.10.100 ttl 64: ICMP host 192.168.10.50 unreachable, length 92",
        "lo In IP 192.168.10.100 > 192.168.10.100 ttl 64: ICMP host 192.168.10.50 unreachable, length 92"), lo);
    assertEquals(NeighbourTable.State.FAILED, a.neighbours().get("eth1", a("192.168.10.50")).orElseThrow().state());
  }

  @Test
  void noRouteIsNetworkUnreachableAtSend() {
    twoHosts();
    PingSocket ping = net.host("A").openPing(1);
    assertEquals(IpSender.ENETUNREACH, ping.send(a("8.8.8.8"), 1, data(56)));
    assertEquals("Network is unreachable", HostCore.strerror(IpSender.ENETUNREACH));
    assertTrue(net.wire.isEmpty());
  }

  @Test
  void pingToOwnAddressGoesThroughLoopback() {
    twoHosts();
    HostCore a = net.host("A");
    List<String> lo = record(a, "lo");
    PingSocket ping = a.openPing(9);
    assertEquals(0, ping.send(a("192.168.10.100"), 3, data(8)));
    PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(a("192.168.10.100"), r.from());
    assertEquals(4, lo.size());
    assertEquals("lo Out IP 192.168.10.100 > 192.168.10.100 ttl 64: ICMP echo request, id 9, seq 3, length 16",
        lo.get(0));
    assertEquals("lo In IP 192.168.10.100 > 192.168.10.100 ttl 64: ICMP echo reply, id 9, seq 3, length 16",
        lo.get(3));
    assertTrue(net.wire.isEmpty());
    assertEquals(2, a.counters("lo").txPackets());
  }

  // ------------------------------------------------------------------ ARP details

  @Test
  void gratuitousArpUpdatesAnExistingEntryButCreatesNone() {
    twoHosts();
    HostCore a = net.host("A");
    a.openPing(1).send(a("192.168.10.101"), 1, data(8));
    net.deliverAll();
    assertEquals(MacAddress.parse(MAC_B), a.neighbours().get("eth1", a("192.168.10.101")).orElseThrow().mac());
    MacAddress moved = MacAddress.parse("08:00:27:99:99:99");
    byte[] garp = ArpPacket.gratuitousRequest(moved, a("192.168.10.101")).toFrame();
    a.receive("eth1", garp, 0, garp.length);
    var e = a.neighbours().get("eth1", a("192.168.10.101")).orElseThrow();
    assertEquals(moved, e.mac());
    assertEquals(NeighbourTable.State.STALE, e.state());
    // arping -A style reply for an address A has no entry for: arp_accept=0 creates nothing.
    byte[] unknown = ArpPacket.gratuitousReply(moved, a("192.168.10.77")).toFrame();
    a.receive("eth1", unknown, 0, unknown.length);
    assertTrue(a.neighbours().get("eth1", a("192.168.10.77")).isEmpty());
  }

  @Test
  void arpIgnoreZeroAnswersForAnAddressOnAnotherInterface() {
    routed();
    HostCore r = net.host("R");
    MacAddress asker = MacAddress.parse(MAC_A);
    byte[] req = ArpPacket.request(asker, a("192.168.10.100"), a("192.168.20.200")).toFrame();
    List<byte[]> out = new ArrayList<>();
    r.addTap("eth1", false, (d, dir, type, t, f) -> {
      if (dir == HostCore.Direction.OUT) {
        out.add(f);
      }
    });
    r.receive("eth1", req, 0, req.length);
    assertEquals(1, out.size());
    assertArrayEquals(ArpPacket.reply(MacAddress.parse(MAC_R1), a("192.168.20.200"), asker, a("192.168.10.100"))
        .toFrame(asker), out.get(0));
    // A request for a non-local address is not answered, and teaches nothing (no entry existed).
    byte[] other = ArpPacket.request(asker, a("192.168.10.100"), a("192.168.10.55")).toFrame();
    r.receive("eth1", new byte[0], 0, 0);
    net.host("R").receive("eth1", other, 0, other.length);
    assertEquals(1, out.size());
  }

  @Test
  void packetSocketSeesArpRepliesWithTheirTime() {
    twoHosts();
    HostCore a = net.host("A");
    PacketSocket ps = a.openPacket("eth1", EtherType.ARP);
    net.runUntil(5 * SECOND);
    byte[] req = ArpPacket.request(MacAddress.parse(MAC_A), a("192.168.10.100"), a("192.168.10.101")).toFrame();
    assertEquals(0, ps.send(req));
    net.deliverAll();
    PacketSocket.Frame f = ps.poll();
    assertEquals(5 * SECOND, f.timeMicros());
    assertEquals(PacketType.HOST, f.type());
    ArpPacket rep = ArpPacket.decode(f.bytes(), 14, f.bytes().length - 14);
    assertTrue(rep.isReply());
    assertEquals(MacAddress.parse(MAC_B), rep.senderMac());
    assertNull(ps.poll());
  }

  // ------------------------------------------------------------------ forwarding

  /**
   * HostActor wraps transmitted arrays in a ByteString without copying: that relies on the core
   * never writing to a frame after it has left, and on receiveShared (here of a copy per receiver)
   * behaving as receive. Pings through the router, one of them fragmented and
   * reassembled, with every frame compared to the copy taken when it was sent.
   */
  @Test
  void transmittedFramesAreNeverWrittenAfterwardsAndOwnedReceiveForwards() {
    routed();
    net.owned = true;
    pingsThroughTheRouterLeaveEveryFrameAsSent();
  }

  /** Two pings A -> B through the router (the second fragmented), every frame as it was sent. */
  private void pingsThroughTheRouterLeaveEveryFrameAsSent() {
    PingSocket ping = net.host("A").openPing(42);
    ping.send(a("192.168.20.100"), 1, data(56));
    ping.send(a("192.168.20.100"), 2, data(3000));
    net.deliverAll();
    for (int seq = 1; seq <= 2; seq++) {
      PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
      assertEquals(63, r.ttl());
      assertEquals(seq, r.sequence());
    }
    assertTrue(net.wire.size() > 8, net.wire.size() + " frames");
    for (TestNet.Sent s : net.wire) {
      assertArrayEquals(s.asSent(), s.frame(), s.host() + " " + s.dev() + " " + describe(s.frame()));
    }
  }

  @Test
  void receivedFramesAreNeverWrittenSoOneArrayServesEveryReceiver() {
    // Host actors in one JVM hand every receiver the sender's array: a flooded ARP request reaches
    // every port, the router forwards (TTL, MACs), fragments and reassembles, the far host answers.
    // Not one of those arrays may change after it was sent.
    routed();
    net.shared = true;
    pingsThroughTheRouterLeaveEveryFrameAsSent();
  }

  @Test
  void routerForwardsWithTtlMinusOne() {
    routed();
    List<String> rTap = record(net.host("R"), HostCore.ANY);
    PingSocket ping = net.host("A").openPing(42);
    ping.send(a("192.168.20.100"), 1, data(56));
    net.deliverAll();
    PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(63, r.ttl());
    assertEquals(a("192.168.20.100"), r.from());
    assertTrue(rTap.contains("eth1 In IP 192.168.10.100 > 192.168.20.100 ttl 64: ICMP echo request, id 42, seq 1, "
        + "length 64"), rTap.toString());
    assertTrue(rTap.contains("eth2 Out IP 192.168.10.100 > 192.168.20.100 ttl 63: ICMP echo request, id 42, seq 1, "
        + "length 64"), rTap.toString());
    for (TestNet.Sent s : net.sentBy("R", "eth2")) {
      if (Bytes.u16(s.frame(), 12) == EtherType.IPV4) {
        assertChecksums(s.frame());
        assertEquals(MacAddress.parse(MAC_R2), EthernetHeader.decode(s.frame(), 0, 60).source());
      }
    }
  }

  @Test
  void ttlOneGivesTimeExceededFromTheRouter() {
    routed();
    PingSocket ping = net.host("A").openPing(42);
    ping.send(a("192.168.20.100"), 5, data(56), 1, null, null);
    net.deliverAll();
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(a("192.168.10.200"), e.from());
    assertEquals("Time to live exceeded", e.text());
    assertEquals(5, e.sequence());
    assertTrue(net.sentBy("R", "eth2").isEmpty());
    byte[] err = net.sentBy("R", "eth1").stream().map(TestNet.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4).findFirst().orElseThrow();
    assertChecksums(err);
    Ipv4Header h = ipOf(err);
    assertEquals(0xc0, h.dscp() << 2 | h.ecn());
    assertFalse(h.dontFragment());
    IcmpMessage m = IcmpMessage.decode(err, 14 + h.length(), h.payloadLength());
    assertEquals(1, m.quotedHeader().ttl(), "the quote is the datagram as it arrived");
    assertEquals(84, m.body().size(), "the whole 84-byte datagram is quoted");
  }

  @Test
  void routeLeakingToTheNatUplinkSendsThePacketOutEth0() {
    routed();
    List<String> rTap = record(net.host("R"), HostCore.ANY);
    PingSocket ping = net.host("A").openPing(3);
    ping.send(a("172.20.2.10"), 1, data(56));
    net.runFor(5 * SECOND);
    assertNull(ping.poll());
    List<String> ip = rTap.stream().filter(s -> s.contains(" IP ")).toList();
    assertEquals(List.of(
        "eth1 In IP 192.168.10.100 > 172.20.2.10 ttl 64: ICMP echo request, id 3, seq 1, length 64",
        "eth0 Out IP 192.168.10.100 > 172.20.2.10 ttl 63: ICMP echo request, id 3, seq 1, length 64"), ip);
    assertTrue(rTap.contains("eth0 Out ARP, Request who-has 10.0.2.2 tell 10.0.2.15, length 28"), rTap.toString());
    assertEquals(1, net.host("GW").drops("not for us"));
  }

  @Test
  void dfAndTooBigGivesFragmentationNeededWithTheNextHopMtu() {
    routed();
    HostCore r = net.host("R");
    r.stack().updateLink(r.stack().links().byName("eth2").orElseThrow().withMtu(1000));
    PingSocket ping = net.host("A").openPing(8);
    assertEquals(0, ping.send(a("192.168.20.100"), 1, data(1200)));
    net.deliverAll();
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(a("192.168.10.200"), e.from());
    assertEquals(1000, e.nextHopMtu());
    assertEquals("Frag needed and DF set (mtu = 1000)", e.text());
    byte[] err = net.sentBy("R", "eth1").stream().map(TestNet.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4).findFirst().orElseThrow();
    assertChecksums(err);
    Ipv4Header h = ipOf(err);
    assertEquals(1000, Bytes.u16(err, 14 + h.length() + 6), "next-hop MTU in bytes 6-7");
    assertEquals(576, h.totalLength(), "quote capped at 576 bytes of error datagram");
    assertEquals(1, r.drops("fragmentation needed"));
    assertEquals(1, e.sequence());
  }

  @Test
  void withoutDfTheRouterFragmentsAndTheHostReassembles() {
    routed();
    HostCore r = net.host("R");
    r.stack().updateLink(r.stack().links().byName("eth2").orElseThrow().withMtu(1000));
    List<String> cTap = record(net.host("C"), "eth1");
    PingSocket ping = net.host("A").openPing(8);
    ping.setPmtuDiscovery(HostCore.Pmtu.DONT);
    assertEquals(0, ping.send(a("192.168.20.100"), 1, data(1200)));
    net.deliverAll();
    PingSocket.EchoReply rep = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertArrayEquals(data(1200), rep.data());
    assertEquals(63, rep.ttl());

    List<byte[]> frags = net.sentBy("R", "eth2").stream().map(TestNet.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4).toList();
    assertEquals(2, frags.size());
    Ipv4Header f1 = ipOf(frags.get(0));
    Ipv4Header f2 = ipOf(frags.get(1));
    assertEquals(996, f1.totalLength(), "20 + (1000 - 20) & ~7");
    assertTrue(f1.moreFragments());
    assertEquals(0, f1.fragmentOffset());
    assertEquals(20 + 1208 - 976, f2.totalLength());
    assertFalse(f2.moreFragments());
    assertEquals(976 / 8, f2.fragmentOffset());
    assertEquals(f1.identification(), f2.identification());
    assertEquals(63, f1.ttl());
    assertTrue(f1.checksumValid() && f2.checksumValid());
    assertEquals(List.of(
        "eth1 In IP 192.168.10.100 > 192.168.20.100 ttl 63: proto 1 frag MF",
        "eth1 In IP 192.168.10.100 > 192.168.20.100 ttl 63: frag offset 976"), cTap.subList(2, 4));
    assertEquals(0, net.host("C").reassemblyQueues());
  }

  @Test
  void localFragmentationOnTheSendingHost() {
    twoHosts();
    PingSocket ping = net.host("A").openPing(8);
    assertEquals(0, ping.send(a("192.168.10.101"), 1, data(3000)), "WANT: too big for DF, so fragmented");
    net.deliverAll();
    List<byte[]> frags = net.sentBy("A", "eth1").stream().map(TestNet.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4).toList();
    assertEquals(3, frags.size());
    int bytes = 0;
    for (byte[] f : frags) {
      Ipv4Header h = ipOf(f);
      assertFalse(h.dontFragment());
      assertTrue(h.checksumValid());
      assertEquals(bytes / 8, h.fragmentOffset());
      bytes += h.payloadLength();
    }
    assertEquals(3008, bytes);
    PingSocket.EchoReply rep = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertArrayEquals(data(3000), rep.data());

    ping.setPmtuDiscovery(HostCore.Pmtu.DO);
    assertEquals(IpSender.EMSGSIZE, ping.send(a("192.168.10.101"), 2, data(3000)));
    assertEquals(1500, net.host("A").routeMtu(a("192.168.10.101")));
  }

  /** An echo request A -> B as one datagram (DF clear), and its fragments for {@code mtu}. */
  static List<byte[]> echoFragments(int id, int size, int mtu) {
    byte[] icmp = IcmpMessage.echoRequest(8, 1, com.google.protobuf.ByteString.copyFrom(data(size))).toBytes();
    Ipv4Header h = Ipv4Header.builder().source(a("192.168.10.100")).destination(a("192.168.10.101"))
        .protocol(IpProtocol.ICMP).identification(id).payloadLength(icmp.length).build();
    byte[] d = new byte[h.totalLength()];
    h.encode(d, 0);
    System.arraycopy(icmp, 0, d, 20, icmp.length);
    List<byte[]> frames = new ArrayList<>();
    for (byte[] f : Fragmenter.fragment(d, mtu)) {
      frames.add(EthernetHeader.of(MacAddress.parse(MAC_B), MacAddress.parse(MAC_A), EtherType.IPV4).frame(f, false));
    }
    return frames;
  }

  @Test
  void fragmentsInReverseOrderAreReassembled() {
    twoHosts();
    HostCore b = net.host("B");
    PingSocket ping = net.host("A").openPing(8);
    List<byte[]> frags = new ArrayList<>(echoFragments(500, 1000, 300));
    assertEquals(4, frags.size());
    java.util.Collections.reverse(frags);
    for (byte[] f : frags) {
      b.receive("eth1", f, 0, f.length);
    }
    net.deliverAll();
    PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertArrayEquals(data(1000), r.data());
    assertEquals(0, b.reassemblyQueues());
  }

  @Test
  void overlappingFragmentsDiscardTheWholeDatagram() {
    twoHosts();
    HostCore b = net.host("B");
    List<byte[]> small = echoFragments(600, 1000, 300);
    List<byte[]> large = echoFragments(600, 1000, 500);
    b.receive("eth1", small.get(0), 0, small.get(0).length);
    b.receive("eth1", small.get(0), 0, small.get(0).length);
    assertEquals(1, b.drops("IPv4 fragment duplicate"));
    b.receive("eth1", large.get(0), 0, large.get(0).length);
    assertEquals(1, b.drops("IPv4 fragment overlap"));
    assertEquals(0, b.reassemblyQueues());
    for (byte[] f : small.subList(1, small.size())) {
      b.receive("eth1", f, 0, f.length);
    }
    net.deliverAll();
    assertTrue(net.sentBy("B", "eth1").isEmpty(), "the first fragment went with the discarded queue");
    assertEquals(1, b.reassemblyQueues());
  }

  @Test
  void incompleteFragmentsTimeOutWithReassemblyTimeExceeded() {
    twoHosts();
    HostCore b = net.host("B");
    // A's first fragment only: B answers nothing yet, and after 30 s sends time exceeded (code 1).
    PingSocket ping = net.host("A").openPing(8);
    net.host("A").openPing(9);
    ping.send(a("192.168.10.101"), 1, data(100)); // resolves ARP both ways
    net.deliverAll();
    ping.poll();
    byte[] dg = new byte[36];
    Ipv4Header.builder().source(a("192.168.10.100")).destination(a("192.168.10.101")).protocol(IpProtocol.ICMP)
        .identification(77).flags(Ipv4Header.FLAG_MF).payloadLength(16).build().encode(dg, 0);
    byte[] icmp = IcmpMessage.echoRequest(8, 2, com.google.protobuf.ByteString.copyFrom(data(24))).toBytes();
    System.arraycopy(icmp, 0, dg, 20, 16);
    byte[] frame = EthernetHeader.of(MacAddress.parse(MAC_B), MacAddress.parse(MAC_A), EtherType.IPV4)
        .frame(dg, false);
    b.receive("eth1", frame, 0, frame.length);
    assertEquals(1, b.reassemblyQueues());
    net.runFor(30 * SECOND);
    assertEquals(0, b.reassemblyQueues());
    assertEquals(1, b.drops("IPv4 reassembly timeout"));
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals("Frag reassembly time exceeded", e.text());
    assertEquals(2, e.sequence());
  }

  @Test
  void errorRouteTypesOnARouter() {
    routed();
    net.ip("R", "route add unreachable 172.30.0.0/16");
    net.ip("R", "route add prohibit 172.31.0.0/16");
    net.ip("R", "route add blackhole 172.29.0.0/16");
    net.ip("A", "route add 172.28.0.0/14 via 192.168.10.200");
    PingSocket ping = net.host("A").openPing(1);
    ping.send(a("172.30.1.1"), 1, data(8));
    ping.send(a("172.31.1.1"), 2, data(8));
    ping.send(a("172.29.1.1"), 3, data(8));
    net.deliverAll();
    PingSocket.Error e1 = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals("Destination Host Unreachable", e1.text());
    assertEquals(1, e1.sequence());
    PingSocket.Error e2 = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(IcmpMessage.CODE_ADMIN_PROHIBITED, e2.code());
    assertNull(ping.poll(), "blackhole: silence");
    assertEquals(1, net.host("R").drops("blackhole route"));
    // And the host's own output on such routes: errno at send.
    assertEquals(IpSender.EHOSTUNREACH, net.host("R").openPing(2).send(a("172.30.1.1"), 1, data(8)));
    assertEquals(IpSender.EACCES, net.host("R").openPing(2).send(a("172.31.1.1"), 1, data(8)));
  }

  @Test
  void noRouteOnARouterGivesNetUnreachable() {
    routed();
    net.ip("R", "route del default");
    PingSocket ping = net.host("A").openPing(1);
    ping.send(a("172.20.1.1"), 1, data(8));
    net.deliverAll();
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals("Destination Net Unreachable", e.text());
    assertEquals(a("192.168.10.200"), e.from());
  }

  @Test
  void hostWithoutForwardingDropsTransitTraffic() {
    routed();
    net.host("R").setForwarding(false);
    PingSocket ping = net.host("A").openPing(1);
    ping.send(a("192.168.20.100"), 1, data(8));
    net.deliverAll();
    assertNull(ping.poll());
    assertEquals(1, net.host("R").drops("not for us"));
  }

  @Test
  void aDummyDeviceSwallowsWhatIsRoutedToIt() {
    routed();
    HostCore r = net.host("R");
    r.stack().addLink("loop1", io.podnet.netstack.link.LinkKind.DUMMY, MacAddress.parse("e2:1a:4f:00:11:01"));
    r.stack().setUp("loop1", true);
    try {
      r.stack().addAddress("loop1", io.podnet.netstack.link.IfAddress.of(
          io.podnet.netstack.ip.Ipv4Prefix.parse("10.10.1.200/24"), "loop1"));
    } catch (io.podnet.netstack.route.NetlinkException e) {
      throw new AssertionError(e);
    }
    List<String> tap = record(r, "loop1");
    PingSocket ping = r.openPing(4);
    assertEquals(0, ping.send(a("10.10.1.5"), 1, data(8)));
    net.runFor(3 * SECOND);
    assertEquals(List.of("loop1 Out IP 10.10.1.200 > 10.10.1.5 ttl 64: ICMP echo request, id 4, seq 1, length 16"),
        tap);
    assertEquals(1, r.counters("loop1").txPackets());
    assertTrue(net.sentBy("R", "loop1").isEmpty());
    assertNull(ping.poll(), "NOARP: no resolution, so no unreachable either");
    // Its address answers from the other side (weak host model).
    PingSocket fromA = net.host("A").openPing(5);
    net.ip("A", "route add 10.10.0.0/16 via 192.168.10.200");
    fromA.send(a("10.10.1.200"), 1, data(8));
    net.deliverAll();
    PingSocket.EchoReply rep = assertInstanceOf(PingSocket.EchoReply.class, fromA.poll());
    assertEquals(a("10.10.1.200"), rep.from());
    assertEquals(64, rep.ttl());
  }

  // ------------------------------------------------------------------ UDP and the TCP seam

  @Test
  void udpDeliveryAndPortUnreachable() {
    twoHosts();
    UdpSocket server = net.host("B").openUdp();
    assertEquals(0, server.bind(null, 5353));
    UdpSocket client = net.host("A").openUdp();
    assertEquals(0, client.sendTo(a("192.168.10.101"), 5353, "hello".getBytes()));
    net.deliverAll();
    UdpSocket.Datagram d = server.poll();
    assertEquals(a("192.168.10.100"), d.source());
    assertEquals(client.localPort(), d.sourcePort());
    assertTrue(client.localPort() >= 32768 && client.localPort() <= 60999);
    assertArrayEquals("hello".getBytes(), d.data());

    UdpSocket c2 = net.host("A").openUdp();
    c2.connect(a("192.168.10.101"), 9999);
    assertEquals(0, c2.send("x".getBytes()));
    net.deliverAll();
    assertEquals(UdpSocket.ECONNREFUSED, c2.takeError());
    assertEquals(0, c2.takeError());
    byte[] err = net.sentBy("B", "eth1").stream().map(TestNet.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4).reduce((x, y) -> y).orElseThrow();
    assertChecksums(err);
    Ipv4Header h = ipOf(err);
    assertEquals(a("192.168.10.101"), h.source());
    IcmpMessage m = IcmpMessage.decode(err, 14 + h.length(), h.payloadLength());
    assertEquals("ICMP 192.168.10.101 udp port 9999 unreachable, length 37", m.toString());
    assertEquals(1, net.host("B").drops("UDP no socket"));
    assertEquals(HostCore.EADDRINUSE, net.host("B").openUdp().bind(null, 5353));
  }

  @Test
  void udpBroadcastReachesBoundSocketsAndNeverAnswersWithAnError() {
    twoHosts();
    UdpSocket server = net.host("B").openUdp();
    server.bind(null, 67);
    UdpSocket client = net.host("A").openUdp();
    assertEquals(0, client.sendTo(a("192.168.10.255"), 67, "d".getBytes()));
    assertEquals(0, client.sendTo(a("192.168.10.255"), 68, "d".getBytes()));
    net.deliverAll();
    List<TestNet.Sent> sent = net.sentBy("A", "eth1");
    assertEquals(2, sent.size(), "no ARP for a broadcast");
    byte[] f0 = sent.get(0).frame();
    assertEquals(MacAddress.BROADCAST, EthernetHeader.decode(f0, 0, f0.length).destination());
    assertChecksums(f0);
    assertEquals(a("192.168.10.255"), server.poll().destination());
    assertTrue(net.sentBy("B", "eth1").isEmpty(), "no port unreachable for a broadcast");
  }

  @Test
  void tcpSeamSendsWithDfAndDeliversToTheHandler() {
    twoHosts();
    List<String> got = new ArrayList<>();
    net.host("B").register(IpProtocol.TCP, new IpProtocolHandler() {
      @Override
      public boolean receive(Ipv4Header ip, byte[] buf, int off, String dev) {
        got.add(ip.source() + " " + ip.payloadLength() + " " + dev + " df=" + ip.dontFragment());
        return true;
      }
    });
    IpSender s = net.host("A").ipSender();
    assertEquals(a("192.168.10.100"), s.sourceFor(a("192.168.10.101")));
    assertEquals(0, s.send(a("192.168.10.100"), a("192.168.10.101"), IpProtocol.TCP, 0, true, new byte[20], 0, 20));
    net.deliverAll();
    assertEquals(List.of("192.168.10.100 20 eth1 df=true"), got);
    assertNull(s.sourceFor(a("8.8.8.8")));
  }

  // ------------------------------------------------------------------ malformed input

  @Test
  void brokenFramesAreCountedWithTheirReasons() {
    twoHosts();
    HostCore b = net.host("B");
    MacAddress mb = MacAddress.parse(MAC_B);
    MacAddress ma = MacAddress.parse(MAC_A);
    byte[] good = io.podnet.proto.packet.Packets.icmpEcho(ma, mb, a("192.168.10.100"), a("192.168.10.101"), true, 1,
        1, data(56), 64, 1);

    byte[] badSum = good.clone();
    badSum[14 + 10] ^= 1;
    b.receive("eth1", badSum, 0, badSum.length);
    assertEquals(1, b.drops("IPv4 header checksum"));

    byte[] shortFrame = java.util.Arrays.copyOf(good, 60);
    b.receive("eth1", shortFrame, 0, shortFrame.length);
    assertEquals(1, b.drops("IPv4 total length"));

    byte[] v6 = good.clone();
    v6[14] = 0x65;
    b.receive("eth1", v6, 0, v6.length);
    assertEquals(1, b.drops("IPv4 version"));

    byte[] arp = ArpPacket.request(ma, a("192.168.10.100"), a("192.168.10.101")).toFrame();
    b.receive("eth1", arp, 0, 14 + 20);
    assertEquals(1, b.drops("ARP packet"));

    byte[] other = good.clone();
    MacAddress.parse("08:00:27:00:00:01").write(other, 0);
    b.receive("eth1", other, 0, other.length);
    assertEquals(1, b.drops("Ethernet destination not ours"));

    byte[] tagged = new byte[good.length + 4];
    System.arraycopy(good, 0, tagged, 0, 12);
    Bytes.put16(tagged, 12, EtherType.VLAN);
    Bytes.put16(tagged, 14, 10);
    System.arraycopy(good, 12, tagged, 16, good.length - 12);
    b.receive("eth1", tagged, 0, tagged.length);
    assertEquals(1, b.drops("802.1Q tagged, no VLAN device"));
    assertEquals(1, b.counters("eth1").rxDropped(), "only the tagged frame: IP errors are MIB counters");

    byte[] badIcmp = good.clone();
    badIcmp[14 + 20 + 8] ^= 1;
    b.receive("eth1", badIcmp, 0, badIcmp.length);
    assertEquals(1, b.drops("ICMP checksum"));
    assertTrue(net.wire.isEmpty(), "nothing answered");

    b.receive("eth1", good, 0, good.length);
    net.deliverAll();
    assertFalse(net.wire.isEmpty(), "the good one is answered");
    assertNoInternalErrors(b);
  }

  @Test
  void garbageNeverEscapesReceive() {
    routed();
    HostCore r = net.host("R");
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
    MacAddress mr = MacAddress.parse(MAC_R1);
    MacAddress ma = MacAddress.parse(MAC_A);
    List<byte[]> seeds = List.of(
        io.podnet.proto.packet.Packets.icmpEcho(ma, mr, a("192.168.10.100"), a("192.168.20.100"), true, 1, 1,
            data(56), 64, 1),
        io.podnet.proto.packet.Packets.udp(ma, mr, a("192.168.10.100"), a("192.168.10.200"), 1000, 53, data(20), 64,
            2),
        ArpPacket.request(ma, a("192.168.10.100"), a("192.168.10.200")).toFrame());
    for (int i = 0; i < 20_000; i++) {
      byte[] f;
      switch (i % 4) {
        case 0 -> {
          f = new byte[rnd.nextInt(0, 120)];
          rnd.nextBytes(f);
          mr.write(f.length >= 6 ? f : new byte[6], 0);
        }
        case 1 -> {
          byte[] s = seeds.get(rnd.nextInt(seeds.size()));
          f = java.util.Arrays.copyOf(s, rnd.nextInt(0, s.length + 1));
        }
        default -> {
          f = seeds.get(rnd.nextInt(seeds.size())).clone();
          int flips = rnd.nextInt(1, 6);
          for (int k = 0; k < flips; k++) {
            int at = rnd.nextInt(6, f.length);
            f[at] = (byte) rnd.nextInt(256);
          }
        }
      }
      r.receive("eth1", f, 0, f.length);
      net.inFlight.clear();
    }
    r.receive("nonexistent", new byte[10], 0, 10);
    assertNoInternalErrors(r);
    assertTrue(r.drops("IPv4 header checksum") > 0);
  }
}
