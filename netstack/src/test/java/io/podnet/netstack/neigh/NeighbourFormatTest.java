package io.podnet.netstack.neigh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.neigh.NeighbourTable.Snapshot;
import io.podnet.netstack.neigh.NeighbourTable.State;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NeighbourFormatTest {
  static Snapshot s(String ip, String dev, String mac, State st) {
    return new Snapshot(Ipv4Address.parse(ip), dev, mac == null ? null : MacAddress.parse(mac), st, false, false,
        false);
  }

  /** The router's table in the reference walkthrough, after the L2 announcement. */
  static final List<Snapshot> ROUTER = List.of(
      s("192.168.10.101", "eth1", "08:00:27:af:e6:df", State.REACHABLE),
      s("192.168.20.100", "eth2", "08:00:27:3a:be:fa", State.STALE),
      s("192.168.10.100", "eth1", "08:00:27:04:d1:9c", State.REACHABLE),
      s("192.168.10.211", "eth1", "08:00:27:af:e6:df", State.STALE),
      s("10.0.2.3", "eth0", "52:55:0a:00:02:03", State.STALE),
      s("10.0.2.2", "eth0", "52:55:0a:00:02:02", State.REACHABLE));

  @Test
  void arpAllAsTheWalkthroughShowsIt() {
    Map<String, String> names = Map.of("10.0.2.2", "_gateway");
    assertEquals("""
        ? (192.168.10.101) at 08:00:27:af:e6:df [ether] on eth1
        ? (192.168.20.100) at 08:00:27:3a:be:fa [ether] on eth2
        ? (192.168.10.100) at 08:00:27:04:d1:9c [ether] on eth1
        ? (192.168.10.211) at 08:00:27:af:e6:df [ether] on eth1
        ? (10.0.2.3) at 52:55:0a:00:02:03 [ether] on eth0
        _gateway (10.0.2.2) at 52:55:0a:00:02:02 [ether] on eth0
        """, NeighbourFormat.arpAll(ROUTER, ip -> names.get(ip.toString())));
  }

  @Test
  void incompletePermanentAndNoarp() {
    List<Snapshot> t = List.of(s("10.0.2.9", "eth0", null, State.INCOMPLETE), s("10.0.2.8", "eth0", null, State.FAILED),
        s("10.0.2.7", "eth0", "52:55:0a:00:02:07", State.PERMANENT), s("10.0.2.6", "eth0", "52:55:0a:00:02:06",
            State.NOARP));
    assertEquals("""
        ? (10.0.2.9) at <incomplete> on eth0
        ? (10.0.2.8) at <incomplete> on eth0
        ? (10.0.2.7) at 52:55:0a:00:02:07 [ether] PERM on eth0
        """, NeighbourFormat.arpAll(t, ip -> null));
    assertEquals("""
        Address                  HWtype  HWaddress           Flags Mask            Iface
        10.0.2.9                         (incomplete)                              eth0
        10.0.2.8                         (incomplete)                              eth0
        10.0.2.7                 ether   52:55:0a:00:02:07   CM                    eth0
        """, NeighbourFormat.arpTable(t, ip -> null));
    assertEquals("10.0.2.9 dev eth0 INCOMPLETE \n10.0.2.8 dev eth0 FAILED \n"
        + "10.0.2.7 dev eth0 lladdr 52:55:0a:00:02:07 PERMANENT \n"
        + "10.0.2.6 dev eth0 lladdr 52:55:0a:00:02:06 NOARP \n", NeighbourFormat.ipNeigh(t, null));
  }

  @Test
  void ipNeighWithFlagsAndDevFilter() {
    Snapshot managed = new Snapshot(Ipv4Address.parse("192.168.10.101"), "eth1", MacAddress.parse("08:00:27:af:e6:df"),
        State.REACHABLE, true, true, false);
    assertEquals("192.168.10.101 dev eth1 lladdr 08:00:27:af:e6:df managed extern_learn REACHABLE \n",
        NeighbourFormat.ipNeigh(List.of(managed), null));
    assertEquals("192.168.10.101 lladdr 08:00:27:af:e6:df managed extern_learn REACHABLE \n",
        NeighbourFormat.ipNeigh(List.of(managed, s("10.0.2.2", "eth0", "52:55:0a:00:02:02", State.STALE)), "eth1"));
  }
}
