package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The L2 responder in cil_from_netdev (handle_l2_announcement) and the gratuitous ARP of a new
 * entry, on the reference lab's 192.168.10.0/24: the router asks for the LoadBalancer IP.
 */
class L2ResponderTest {
  static final Ipv4Address LB = Ipv4Address.parse("192.168.10.211");

  static DatapathLab lab() throws Exception {
    return new DatapathLab(CiliumDatapathTest.START).build(CiliumDatapathTest.nativeRouting());
  }

  /** arping -i eth1 192.168.10.211 from the router: who-has 211 tell 200, to broadcast. */
  static final byte[] REQUEST = {
      (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // Ethernet destination: broadcast
      0x08, 0x00, 0x27, (byte) 0xac, 0x72, (byte) 0x9f, // Ethernet source: the router's eth1
      0x08, 0x06, // EtherType ARP
      0x00, 0x01, // hardware type Ethernet
      0x08, 0x00, // protocol type IPv4
      0x06, // hardware size
      0x04, // protocol size
      0x00, 0x01, // opcode request
      0x08, 0x00, 0x27, (byte) 0xac, 0x72, (byte) 0x9f, // sender MAC
      (byte) 192, (byte) 168, 10, (byte) 200, // sender IP
      0, 0, 0, 0, 0, 0, // target MAC (unknown)
      (byte) 192, (byte) 168, 10, (byte) 211, // target IP: the LoadBalancer IP
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // padding to 60 bytes
  };

  /** k8s-w1's answer: the request rewritten in place (arp_respond), 60 bytes as arping counts them. */
  static final byte[] REPLY = {
      0x08, 0x00, 0x27, (byte) 0xac, 0x72, (byte) 0x9f, // Ethernet destination: the asker
      0x08, 0x00, 0x27, (byte) 0xaf, (byte) 0xe6, (byte) 0xdf, // Ethernet source: k8s-w1's eth1
      0x08, 0x06, // EtherType ARP
      0x00, 0x01, // hardware type Ethernet
      0x08, 0x00, // protocol type IPv4
      0x06, // hardware size
      0x04, // protocol size
      0x00, 0x02, // opcode reply
      0x08, 0x00, 0x27, (byte) 0xaf, (byte) 0xe6, (byte) 0xdf, // sender MAC: k8s-w1's eth1
      (byte) 192, (byte) 168, 10, (byte) 211, // sender IP: the LoadBalancer IP
      0x08, 0x00, 0x27, (byte) 0xac, 0x72, (byte) 0x9f, // target MAC: the asker
      (byte) 192, (byte) 168, 10, (byte) 200, // target IP: the asker
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // the request's padding
  };

  /** k8s-ctr's gratuitous ARP after it took over: a reply, SPA = TPA = 211, THA broadcast. */
  static final byte[] GARP = {
      (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // Ethernet destination: broadcast
      0x08, 0x00, 0x27, 0x04, (byte) 0xd1, (byte) 0x9c, // Ethernet source: k8s-ctr's eth1
      0x08, 0x06, // EtherType ARP
      0x00, 0x01, // hardware type Ethernet
      0x08, 0x00, // protocol type IPv4
      0x06, // hardware size
      0x04, // protocol size
      0x00, 0x02, // opcode reply
      0x08, 0x00, 0x27, 0x04, (byte) 0xd1, (byte) 0x9c, // sender MAC: k8s-ctr's eth1
      (byte) 192, (byte) 168, 10, (byte) 211, // sender IP: the LoadBalancer IP
      (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, // target MAC: broadcast
      (byte) 192, (byte) 168, 10, (byte) 211, // target IP: the LoadBalancer IP
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // padding to 60 bytes
  };

  static List<byte[]> answers(DatapathLab lab, String host) {
    return lab.sentBy(host, "eth1").stream().map(DatapathLab.Sent::frame).toList();
  }

  @Test
  void theLeaderAnswersForItsIpOnItsDevice() throws Exception {
    DatapathLab lab = lab();
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of("eth1", Set.of(LB)));
    int before = answers(lab, "k8s-w1").size();
    lab.host("router").transmitNow("eth1", REQUEST.clone());
    lab.deliverAll();
    List<byte[]> sent = answers(lab, "k8s-w1");
    assertEquals(before + 1, sent.size());
    assertArrayEquals(REPLY, sent.get(sent.size() - 1));
    // The other node on the LAN has no entry: silent, and so is its stack (the IP is not its own).
    assertEquals(0, answers(lab, "k8s-ctr").stream().filter(f -> f[21] == 2).count());
  }

  @Test
  void noAnswerForAnotherDeviceOrAnotherIp() throws Exception {
    DatapathLab lab = lab();
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of("eth2", Set.of(LB)));
    lab.host("router").transmitNow("eth1", REQUEST.clone());
    lab.deliverAll();
    assertEquals(0, answers(lab, "k8s-w1").stream().filter(f -> f[21] == 2).count(), "announced on eth2 only");
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of("eth1", Set.of(Ipv4Address.parse("192.168.10.212"))));
    lab.host("router").transmitNow("eth1", REQUEST.clone());
    lab.deliverAll();
    assertEquals(0, answers(lab, "k8s-w1").stream().filter(f -> f[21] == 2).count(), "another IP announced");
    // A reply to the router (not a request) for the announced IP is not answered either.
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of("eth1", Set.of(LB)));
    byte[] reply = REQUEST.clone();
    reply[21] = 2;
    lab.host("router").transmitNow("eth1", reply);
    lab.deliverAll();
    assertEquals(0, answers(lab, "k8s-w1").stream().filter(f -> f[21] == 2).count(), "an ARP reply");
  }

  /** Failover: the router's entry for the LB IP moves to the new leader's MAC with its GARP. */
  @Test
  void gratuitousArpMovesTheRoutersEntry() throws Exception {
    DatapathLab lab = lab();
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of("eth1", Set.of(LB)));
    HostCore router = lab.host("router");
    router.openUdp().sendTo(LB, 80, new byte[1]);
    lab.runFor(CiliumDatapathTest.SECOND);
    NeighbourTable.Snapshot n = router.neighbours().get("eth1", LB).orElseThrow();
    assertEquals(MacAddress.parse("08:00:27:af:e6:df"), n.mac());

    lab.runFor(5 * CiliumDatapathTest.SECOND); // past the entry's locktime (1 s)
    lab.datapaths.get("k8s-w1").setL2Responder(Map.of());
    lab.datapaths.get("k8s-ctr").setL2Responder(Map.of("eth1", Set.of(LB)));
    assertTrue(lab.datapaths.get("k8s-ctr").sendGratuitousArp("eth1", LB));
    lab.deliverAll();
    List<byte[]> ctr = answers(lab, "k8s-ctr");
    assertArrayEquals(GARP, ctr.get(ctr.size() - 1));
    assertEquals(MacAddress.parse("08:00:27:04:d1:9c"), router.neighbours().get("eth1", LB).orElseThrow().mac());
    assertEquals(NeighbourTable.State.STALE, router.neighbours().get("eth1", LB).orElseThrow().state());
  }

  /** arp_accept=0: a host without an entry for the IP learns nothing from the GARP. */
  @Test
  void gratuitousArpCreatesNoEntry() throws Exception {
    DatapathLab lab = lab();
    assertTrue(lab.datapaths.get("k8s-ctr").sendGratuitousArp("eth1", LB));
    lab.deliverAll();
    assertTrue(lab.host("router").neighbours().get("eth1", LB).isEmpty());
    assertTrue(lab.host("k8s-w1").neighbours().get("eth1", LB).isEmpty());
  }
}
