package io.podnet.netstack.route;

import static io.podnet.netstack.Lab.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.Lab;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The prefix lengths a table holds (which longest-prefix lookups skip) and its copy-free leaf view. */
class RouteTableTest {
  static Ipv4Prefix p(String s) {
    return Ipv4Prefix.parse(s);
  }

  static Route unicast(String dst, long metric) {
    return new Route(p(dst), RouteType.UNICAST, RouteTable.MAIN, Ipv4Address.parse("10.0.0.1"), 2, null, metric, 0,
        Scope.GLOBAL, Protocol.STATIC, Scope.LINK);
  }

  @Test
  void lengthsFollowInsertRemoveAndRemoveIf() {
    RouteTable t = new RouteTable(RouteTable.MAIN);
    for (int len = 0; len <= 32; len++) {
      assertFalse(t.hasLength(len), "empty table, /" + len);
    }
    Route a = unicast("10.1.0.0/24", 0);
    Route b = unicast("10.1.0.0/24", 100);
    Route c = unicast("10.2.0.0/24", 0);
    Route d = unicast("10.0.0.0/8", 0);
    t.insert(a, true);
    t.insert(b, true);
    t.insert(c, true);
    t.insert(d, true);
    assertTrue(t.hasLength(24));
    assertTrue(t.hasLength(8));
    assertFalse(t.hasLength(16));
    // One alias of two gone: the leaf and its length stay.
    t.remove(a);
    assertTrue(t.hasLength(24));
    t.remove(b);
    assertTrue(t.hasLength(24), "10.2.0.0/24 is still there");
    t.remove(c);
    assertFalse(t.hasLength(24));
    assertEquals(List.of(), t.leafView(p("10.2.0.0/24")));
    assertEquals(List.of(), t.leaf(p("10.1.0.0/24")));
    // Removing a route that is not there changes nothing.
    t.remove(c);
    assertFalse(t.hasLength(24));
    assertTrue(t.hasLength(8));
    t.insert(a, true);
    assertEquals(2, t.removeIf(r -> true));
    assertFalse(t.hasLength(24));
    assertFalse(t.hasLength(8));
    assertEquals(List.of(), t.routes());
    assertEquals(List.of(), t.leafView(p("10.1.0.0/24")));
    assertEquals(List.of(), t.leafView(p("10.0.0.0/8")));
    // A leaf emptied and filled again is one leaf, seen the same by ordered and exact reads.
    t.insert(b, true);
    t.insert(a, true);
    assertEquals(List.of(a, b), t.leafView(p("10.1.0.0/24")));
    assertEquals(List.of(a, b), t.routes());
  }

  @Test
  void leafViewIsTheLeafInAliasOrderAndReadOnly() {
    RouteTable t = new RouteTable(RouteTable.MAIN);
    Route high = unicast("10.1.0.0/24", 300);
    Route low = unicast("10.1.0.0/24", 50);
    t.insert(high, true);
    t.insert(low, true);
    assertEquals(List.of(low, high), t.leafView(p("10.1.0.0/24")));
    assertEquals(t.leaf(p("10.1.0.0/24")), t.leafView(p("10.1.0.0/24")));
    assertEquals(List.of(), t.leafView(p("10.1.0.0/25")));
    assertThrows(UnsupportedOperationException.class, () -> t.leafView(p("10.1.0.0/24")).clear());
  }

  @Test
  void lookupsFallBackWhenTheLastRouteOfALengthGoesAndComeBackWhenItReturns() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    Ipv4Address dst = Ipv4Address.parse("8.8.8.8");
    ok(w0, "route add 8.8.0.0/16 via 10.0.2.2");
    ok(w0, "route add 8.8.8.0/27 via 192.168.20.200");
    assertEquals("8.8.8.0/27", w0.fibLookup(dst, 0, Scope.GLOBAL).route().dst().toString());
    ok(w0, "route del 8.8.8.0/27");
    assertEquals("8.8.0.0/16", w0.fibLookup(dst, 0, Scope.GLOBAL).route().dst().toString());
    ok(w0, "route del 8.8.0.0/16");
    assertEquals("default", w0.fibLookup(dst, 0, Scope.GLOBAL).route().dst().toString());
    ok(w0, "route add 8.8.8.0/27 via 192.168.20.200");
    assertEquals("8.8.8.0/27", w0.fibLookup(dst, 0, Scope.GLOBAL).route().dst().toString());
  }

  @Test
  void ownAddressesFollowAddressChanges() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    Ipv4Address extra = Ipv4Address.parse("10.77.0.5");
    assertFalse(w0.isLocalAddress(extra));
    w0.addAddress("eth1", IfAddress.of(p("10.77.0.5/20"), "eth1"));
    assertTrue(w0.isLocalAddress(extra));
    assertFalse(w0.isLocalAddress(Ipv4Address.parse("10.77.0.6")));
    w0.deleteAddress("eth1", extra, 20);
    assertFalse(w0.isLocalAddress(extra));
    assertTrue(w0.isLocalAddress(Ipv4Address.parse("192.168.20.100")));
  }
}
