package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.link.LinkKind;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.Decapsulated;
import io.podnet.proto.packet.FlowHash;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.TunnelKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatapathProgramTest {
  final TestNet net = new TestNet();

  static Ipv4Address a(String s) {
    return Ipv4Address.parse(s);
  }

  @Test
  void ingressDropIsCountedAfterTheTapSawTheFrame() {
    net.nic("A", "eth1", "08:00:27:04:d1:9c", "192.168.10.100/24", "lan");
    net.nic("B", "eth1", "08:00:27:af:e6:df", "192.168.10.101/24", "lan");
    List<String> seen = HostCoreTest.record(net.host("B"), "eth1");
    net.host("B").attach("eth1", DatapathProgram.Hook.INGRESS, p -> DatapathProgram.drop("Policy denied"));
    PingSocket s = net.host("A").openPing(7);
    s.send(a("192.168.10.101"), 1, new byte[56]);
    net.runFor(5_000_000);
    assertTrue(net.host("B").drops("Policy denied") >= 1, net.host("B").drops().toString());
    assertTrue(seen.get(0).startsWith("eth1 In ARP"), seen.toString());
    assertEquals(0, net.host("B").counters("eth1").txPackets(), "B never answered");
  }

  @Test
  void egressProgramSeesFramesBeforeTheTapsAndCanRedirect() {
    net.nic("A", "eth1", "08:00:27:04:d1:9c", "192.168.10.100/24", "lan");
    net.nic("A", "eth2", "08:00:27:ac:72:9f", null, "other");
    net.nic("B", "eth1", "08:00:27:af:e6:df", "192.168.10.101/24", "lan");
    net.nic("C", "eth1", "08:00:27:3a:be:fa", null, "other");
    List<String> eth1 = HostCoreTest.record(net.host("A"), "eth1");
    List<byte[]> atC = new ArrayList<>();
    net.host("C").addTap("eth1", true, (d, dir, t, us, f) -> atC.add(f));
    net.host("A").attach("eth1", DatapathProgram.Hook.EGRESS, p -> DatapathProgram.transmit("eth2", p.frame()));
    net.host("A").openPing(7).send(a("192.168.10.101"), 1, new byte[56]);
    net.runFor(10_000);
    assertEquals(List.of(), eth1, "nothing left through eth1");
    assertTrue(!atC.isEmpty() && HostCoreTest.describe(atC.get(0)).startsWith("ARP"), "the ARP request went to eth2");
  }

  @Test
  void redirectNeighResolvesTheNextHopAndRunsTheEgressProgram() {
    net.nic("A", "eth1", "08:00:27:04:d1:9c", "192.168.10.100/24", "lan");
    net.nic("A", "in0", "0a:00:00:00:00:01", "172.20.0.1/24", "pod");
    net.nic("P", "eth0", "0a:00:00:00:00:02", "172.20.0.10/24", "pod");
    net.nic("B", "eth1", "08:00:27:af:e6:df", "192.168.10.101/24", "lan");
    net.ip("P", "route add default via 172.20.0.1 dev eth0");
    net.host("A").attach("in0", DatapathProgram.Hook.INGRESS, p -> HostCoreTest.describe(p.frame()).startsWith("ARP")
        ? DatapathProgram.PASS : DatapathProgram.redirectNeigh("eth1", p.frame(), a("192.168.10.101")));
    List<String> egress = new ArrayList<>();
    net.host("A").attach("eth1", DatapathProgram.Hook.EGRESS, p -> {
      egress.add(HostCoreTest.describe(p.frame()));
      return DatapathProgram.PASS;
    });
    List<byte[]> atB = new ArrayList<>();
    net.host("B").addTap("eth1", false, (d, dir, t, us, f) -> {
      if (dir == HostCore.Direction.IN) {
        atB.add(f);
      }
    });
    net.host("P").openPing(37).send(a("10.10.0.1"), 1, new byte[56]);
    net.runFor(1_000_000);
    assertTrue(HostCoreTest.describe(atB.get(0)).startsWith("ARP"), "A resolved the next hop first");
    byte[] echo = atB.get(1);
    assertEquals(MacAddress.parse("08:00:27:af:e6:df").value(), io.podnet.proto.packet.Bytes.u48(echo, 0));
    assertEquals(MacAddress.parse("08:00:27:04:d1:9c").value(), io.podnet.proto.packet.Bytes.u48(echo, 6));
    assertTrue(HostCoreTest.describe(echo).startsWith("IP 172.20.0.10 > 10.10.0.1 ttl 64: "), HostCoreTest.describe(echo));
    assertTrue(egress.stream().anyMatch(x -> x.startsWith("IP 172.20.0.10 > 10.10.0.1")), egress.toString());
    assertEquals(2, net.host("A").counters("in0").rxPackets(), "the ARP request and the redirected echo");
    // over the device's MTU: dropped, not fragmented
    net.ip("A", "link set eth1 mtu 1400");
    net.host("P").openPing(38).send(a("10.10.0.1"), 1, new byte[1420]);
    net.runFor(1_000_000);
    assertEquals(1, net.host("A").drops("redirect_neigh: over the MTU"), "1448 bytes over eth1's 1400");
    assertEquals(1, net.host("A").counters("eth1").txDropped());
    assertEquals(2, atB.size());
  }

  @Test
  void collectMetadataGeneveTunnelEncapsulatesAndDecapsulates() {
    net.nic("A", "eth1", "08:00:27:04:d1:9c", "192.168.10.100/24", "lan");
    net.nic("B", "eth1", "08:00:27:af:e6:df", "192.168.10.101/24", "lan");
    net.nic("A", "in0", "0a:00:00:00:00:01", "172.20.0.1/24", "pod");
    net.nic("P", "eth0", "0a:00:00:00:00:02", "172.20.0.10/24", "pod");
    for (String h : List.of("A", "B")) {
      net.host(h).stack().addLink("gnv0", LinkKind.TUNNEL, MacAddress.parse("0e:73:b0:50:47:a6"));
      net.host(h).stack().setUp("gnv0", true);
      net.host(h).addTunnelDevice("gnv0", TunnelKind.GENEVE, 6081, 0, 0, h.hashCode());
    }
    DatapathProgram.TunnelKey key = new DatapathProgram.TunnelKey(a("192.168.10.101"), 0x71ad);
    net.host("A").attach("in0", DatapathProgram.Hook.INGRESS, p -> HostCoreTest.describe(p.frame()).startsWith("ARP")
        ? DatapathProgram.PASS : DatapathProgram.encapsulate("gnv0", p.frame(), key));
    List<DatapathProgram.Packet> got = new ArrayList<>();
    net.host("B").attach("gnv0", DatapathProgram.Hook.INGRESS, p -> {
      got.add(p);
      return DatapathProgram.drop("test: taken");
    });
    net.ip("P", "route add default via 172.20.0.1 dev eth0");
    net.host("P").openPing(37).send(a("172.20.2.54"), 1, new byte[56]);
    net.runFor(5_000_000);
    // A resolved B first (ARP), then sent the Geneve datagram
    TestNet.Sent g = net.sentBy("A", "eth1").stream().filter(s -> s.frame().length > 60).findFirst().orElseThrow();
    Decapsulated d = Encapsulation.decapsulate(g.frame(), 0, g.frame().length);
    assertEquals(0x71ad, d.vni());
    assertEquals(6081, d.destinationPort());
    assertEquals(64, d.outerTtl());
    Ipv4Header outer = HostCoreTest.ipOf(g.frame());
    assertEquals(false, outer.dontFragment());
    assertEquals(a("192.168.10.100"), outer.source());
    byte[] inner = Arrays.copyOfRange(g.frame(), d.innerOffset(), d.innerOffset() + d.innerLength());
    assertEquals(FlowHash.geneveSourcePort(inner, 0, inner.length, "A".hashCode()), d.sourcePort());
    IcmpMessage echo = IcmpMessage.decode(inner, 34, inner.length - 34);
    assertEquals(IcmpMessage.ECHO_REQUEST, echo.type());
    assertEquals(1, got.size());
    assertEquals(key.vni(), got.get(0).tunnel().vni());
    assertEquals(a("192.168.10.100"), got.get(0).tunnel().remote());
    assertNotNull(got.get(0).frame());
  }

  @Test
  void aTunnelDeviceWithoutMetadataDropsWhatTheStackRoutesToIt() {
    net.nic("A", "eth1", "08:00:27:04:d1:9c", "192.168.10.100/24", "lan");
    net.host("A").stack().addLink("gnv0", LinkKind.TUNNEL, MacAddress.parse("0e:73:b0:50:47:a6"));
    net.host("A").stack().setUp("gnv0", true);
    net.host("A").addTunnelDevice("gnv0", TunnelKind.GENEVE, 6081, 0, 0, 1);
    net.ip("A", "route add 10.9.9.0/24 dev gnv0");
    net.host("A").openPing(1).send(a("10.9.9.9"), 1, new byte[8]);
    net.runFor(10_000);
    // the ARP request for 10.9.9.9 is what the stack tries to send through it
    assertTrue(net.host("A").drops("tunnel: no tunnel metadata") >= 1, net.host("A").drops().toString());
    assertEquals(net.host("A").drops("tunnel: no tunnel metadata"), net.host("A").counters("gnv0").txErrors());
    assertEquals(0, net.host("A").counters("gnv0").txPackets());
  }
}
