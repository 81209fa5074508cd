package io.podnet.netstack.route;

import static io.podnet.netstack.Lab.ip;
import static io.podnet.netstack.Lab.ok;
import static io.podnet.netstack.Lab.stripped;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.Lab;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.proto.packet.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostStackTest {
  static Ipv4Address a(String s) {
    return Ipv4Address.parse(s);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    // longest prefix wins over shorter ones, whatever their metrics
    "172.20.0.5, 172.20.0.0/24",
    "172.20.9.5, 172.20.0.0/16",
    "10.10.1.1, 10.10.0.0/16",
    "192.168.10.7, 192.168.10.0/24",
    "192.168.20.7, 192.168.20.0/24",
    "10.0.2.2, 10.0.2.2",
    "10.0.2.99, 10.0.2.0/24",
    "1.1.1.1, default",
    "172.20.2.204, 172.20.2.204",
  })
  void longestPrefixMatch(String dst, String prefix) throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    HostStack.Hit hit = w0.fibLookup(a(dst), 0, Scope.GLOBAL);
    assertEquals(prefix, hit.route().dst().toString());
  }

  @Test
  void localTableWinsForOwnAddresses() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    HostStack.Hit hit = w0.fibLookup(a("192.168.20.100"), 0, Scope.GLOBAL);
    assertEquals(RouteType.LOCAL, hit.route().type());
    assertEquals(RouteTable.LOCAL, hit.table());
  }

  @Test
  void lowestMetricWinsAmongEqualPrefixes() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    ok(w0, "route add 8.8.0.0/16 via 10.0.2.2 metric 300");
    ok(w0, "route add 8.8.0.0/16 via 192.168.20.200 metric 50");
    ok(w0, "route add 8.8.0.0/16 via 10.0.2.3 metric 200");
    assertEquals(a("192.168.20.200"), w0.fibLookup(a("8.8.8.8"), 0, Scope.GLOBAL).route().gateway());
    assertEquals("""
        8.8.0.0/16 via 192.168.20.200 dev eth1 metric 50
        8.8.0.0/16 via 10.0.2.3 dev eth0 metric 200
        8.8.0.0/16 via 10.0.2.2 dev eth0 metric 300
        """, stripped(ip(w0, "route show 8.8.0.0/16").stdout()));
    // del without a metric removes the first alias (lowest metric); then the next one wins
    ok(w0, "route del 8.8.0.0/16");
    assertEquals(a("10.0.2.3"), w0.fibLookup(a("8.8.8.8"), 0, Scope.GLOBAL).route().gateway());
    ok(w0, "route del 8.8.0.0/16 metric 300");
    assertEquals(a("10.0.2.3"), w0.fibLookup(a("8.8.8.8"), 0, Scope.GLOBAL).route().gateway());
  }

  @Test
  void lookupsFollowEveryChangeOfTheTables() throws NetlinkException {
    // Lookups are memoised between changes: every add, replace, del and address change must show
    // in the very next lookup, for the same destination and for its neighbours in the cache.
    HostStack w0 = Lab.k8sW0();
    ok(w0, "route del default");
    for (int i = 0; i < 3; i++) {
      NetlinkException e = assertThrows(NetlinkException.class, () -> w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL));
      assertEquals(Errno.ENETUNREACH, e.errno());
    }
    ok(w0, "route add 9.9.0.0/16 via 10.0.2.2");
    assertEquals(a("10.0.2.2"), w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL).route().gateway());
    ok(w0, "route replace 9.9.0.0/16 via 192.168.20.200");
    assertEquals(a("192.168.20.200"), w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL).route().gateway());
    ok(w0, "route add blackhole 9.9.9.0/24");
    NetlinkException e = assertThrows(NetlinkException.class, () -> w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL));
    assertEquals(Errno.EINVAL, e.errno());
    ok(w0, "route del blackhole 9.9.9.0/24");
    assertEquals(a("192.168.20.200"), w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL).route().gateway());
    // a thousand other destinations in between (they evict and refill the memo) change nothing
    for (int i = 0; i < 1000; i++) {
      w0.fibLookup(a("9.9." + (i % 250) + "." + (i / 250 + 1)), 0, Scope.GLOBAL);
    }
    assertEquals("9.9.0.0/16", w0.fibLookup(a("9.9.9.9"), 0, Scope.GLOBAL).route().dst().toString());
    assertFalse(w0.isLocalAddress(a("192.168.20.77")));
    w0.addAddress("eth1", io.podnet.netstack.link.IfAddress.of(Ipv4Prefix.parse("192.168.20.77/24"), "eth1"));
    assertTrue(w0.isLocalAddress(a("192.168.20.77")));
    assertEquals(RouteType.LOCAL, w0.fibLookup(a("192.168.20.77"), 0, Scope.GLOBAL).route().type());
    w0.deleteAddress("eth1", a("192.168.20.77"), 24);
    assertFalse(w0.isLocalAddress(a("192.168.20.77")));
    assertEquals(RouteType.UNICAST, w0.fibLookup(a("192.168.20.77"), 0, Scope.GLOBAL).route().type());
  }

  @Test
  void replaceSwapsTheRouteWithTheSameMetric() {
    HostStack w0 = Lab.k8sW0();
    ok(w0, "route replace 10.10.0.0/16 via 10.0.2.2");
    ok(w0, "route replace 10.20.0.0/16 via 10.0.2.2");
    assertEquals("10.10.0.0/16 via 10.0.2.2 dev eth0\n", stripped(ip(w0, "route show 10.10.0.0/16").stdout()));
    assertEquals("10.20.0.0/16 via 10.0.2.2 dev eth0\n", stripped(ip(w0, "route show 10.20.0.0/16").stdout()));
  }

  @Test
  void devInferredFromTheGatewaysConnectedRoute() {
    HostStack router = Lab.router();
    ok(router, "route add 172.20.2.0/24 via 192.168.20.100");
    assertEquals("172.20.2.0/24 via 192.168.20.100 dev eth2\n",
        stripped(ip(router, "route show 172.20.2.0/24").stdout()));
  }

  @Test
  void linkDownFlushesRoutesThroughTheDeviceButKeepsLocalDelivery() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    ok(w0, "link set eth1 down");
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        172.20.0.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.1.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.2.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204
        172.20.2.204 dev cilium_host proto kernel scope link
        """, stripped(ip(w0, "route").stdout()));
    // the address stays local; its broadcast entries go
    assertEquals("""
        local 192.168.20.100 dev eth1 proto kernel scope host src 192.168.20.100
        """, stripped(ip(w0, "route show table local dev eth1").stdout()));
    assertTrue(w0.isLocalAddress(a("192.168.20.100")));
    // the subnet now goes out the default route
    assertEquals("192.168.20.7 via 10.0.2.2 dev eth0 src 10.0.2.15 uid 0\n    cache\n",
        stripped(ip(w0, "route get 192.168.20.7").stdout()));
    // routes cannot be added through a down device; the gateway no longer resolves
    assertEquals(new CommandResult2("Error: Device for nexthop is not up.\n", 2).of(),
        ip(w0, "route add 10.99.0.0/16 dev eth1"));
    assertEquals("Error: Nexthop has invalid gateway.\n", ip(w0, "route add 10.99.0.0/16 via 192.168.20.200").stderr());
    // up again: connected route and broadcasts come back, static routes do not
    ok(w0, "link set dev eth1 up");
    String main = stripped(ip(w0, "route").stdout());
    assertTrue(main.contains("192.168.20.0/24 dev eth1 proto kernel scope link src 192.168.20.100\n"), main);
    assertFalse(main.contains("proto static"), main);
    assertEquals("""
        local 192.168.20.100 dev eth1 proto kernel scope host src 192.168.20.100
        broadcast 192.168.20.255 dev eth1 proto kernel scope link src 192.168.20.100
        """, stripped(ip(w0, "route show table local dev eth1").stdout()));
  }

  /** Small adapter so the expectations above read as one line. */
  record CommandResult2(String stderr, int exit) {
    io.podnet.netstack.tool.CommandResult of() {
      return new io.podnet.netstack.tool.CommandResult("", stderr, exit);
    }
  }

  @Test
  void removingAnAddressRemovesItsRoutesAndThoseUsingItAsSource() throws NetlinkException {
    HostStack w0 = Lab.k8sW0();
    w0.deleteAddress("eth0", a("10.0.2.15"), 24);
    String main = stripped(ip(w0, "route").stdout());
    assertFalse(main.contains("10.0.2."), main);
    assertFalse(main.startsWith("default"), main);
    assertEquals("", ip(w0, "route show table local dev eth0").stdout());
    NetlinkException e = assertThrows(NetlinkException.class, () -> w0.deleteAddress("eth0", a("10.0.2.15"), 24));
    assertEquals(Errno.EADDRNOTAVAIL, e.errno());
  }

  @Test
  void addressesMakeKernelRoutesOnlyWhenUp() throws NetlinkException {
    HostStack h = HostStack.withLoopback();
    h.addLink("eth1", io.podnet.netstack.link.LinkKind.ETHERNET, io.podnet.proto.packet.MacAddress.parse("08:00:27:00:00:01"));
    var addr = io.podnet.netstack.link.IfAddress.of(Ipv4Prefix.parse("192.168.50.10/24"), "eth1")
        .withBroadcast(a("192.168.50.255"));
    h.addAddress("eth1", addr);
    assertEquals("", ip(h, "route").stdout());
    assertEquals("local 192.168.50.10 dev eth1 proto kernel scope host src 192.168.50.10 \n",
        ip(h, "route show table local dev eth1").stdout());
    h.setUp("eth1", true);
    assertEquals("192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.10 \n", ip(h, "route").stdout());
    // a second address in the subnet is secondary: no second prefix route
    h.addAddress("eth1", io.podnet.netstack.link.IfAddress.of(Ipv4Prefix.parse("192.168.50.11/24"), "eth1"));
    assertEquals("192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.10 \n", ip(h, "route").stdout());
    assertTrue(ip(h, "-4 addr show eth1").stdout().contains("    inet 192.168.50.11/24 scope global secondary eth1\n"));
    NetlinkException dup = assertThrows(NetlinkException.class,
        () -> h.addAddress("eth1", io.podnet.netstack.link.IfAddress.of(Ipv4Prefix.parse("192.168.50.10/24"), "eth1")));
    assertEquals("RTNETLINK answers: File exists", dup.iproute2Line());
    // deleting the primary takes the secondary with it (promote_secondaries=0)
    h.setPromoteSecondaries(false);
    h.deleteAddress("eth1", a("192.168.50.10"), 24);
    assertEquals("", ip(h, "route").stdout());
    assertEquals("", ip(h, "route show table local dev eth1").stdout());
  }

  /**
   * eth1 with 192.168.50.10/24 (brd) primary, 10.1.0.1/24 another subnet's primary, then .11 (brd)
   * and .12 secondaries, a route with src .10 and one with src .11.
   */
  private static HostStack withSecondaries() throws NetlinkException {
    HostStack h = HostStack.withLoopback();
    h.addLink("eth1", io.podnet.netstack.link.LinkKind.ETHERNET, io.podnet.proto.packet.MacAddress.parse("08:00:27:00:00:01"));
    h.setUp("eth1", true);
    ok(h, "addr add 192.168.50.10/24 brd + dev eth1");
    ok(h, "addr add 192.168.50.11/24 brd + dev eth1");
    ok(h, "addr add 10.1.0.1/24 brd + dev eth1");
    ok(h, "addr add 192.168.50.12/24 dev eth1");
    ok(h, "route add 203.0.113.0/24 dev eth1 src 192.168.50.10");
    ok(h, "route add 198.51.100.0/24 dev eth1 src 192.168.50.11");
    assertEquals("""
        10.1.0.0/24 dev eth1 proto kernel scope link src 10.1.0.1
        192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.10
        198.51.100.0/24 dev eth1 scope link src 192.168.50.11
        203.0.113.0/24 dev eth1 scope link src 192.168.50.10
        """, stripped(ip(h, "route").stdout()));
    assertEquals("""
        local 10.1.0.1 dev eth1 proto kernel scope host src 10.1.0.1
        broadcast 10.1.0.255 dev eth1 proto kernel scope link src 10.1.0.1
        local 192.168.50.10 dev eth1 proto kernel scope host src 192.168.50.10
        local 192.168.50.11 dev eth1 proto kernel scope host src 192.168.50.10
        local 192.168.50.12 dev eth1 proto kernel scope host src 192.168.50.10
        broadcast 192.168.50.255 dev eth1 proto kernel scope link src 192.168.50.10
        """, stripped(ip(h, "route show table local dev eth1").stdout()));
    assertEquals("""
        inet 192.168.50.10/24 brd 192.168.50.255 scope global eth1
        inet 10.1.0.1/24 brd 10.1.0.255 scope global eth1
        inet 192.168.50.11/24 brd 192.168.50.255 scope global secondary eth1
        inet 192.168.50.12/24 scope global secondary eth1
        """, inetLines(h));
    return h;
  }

  private static String inetLines(HostStack h) {
    StringBuilder sb = new StringBuilder();
    for (String line : ip(h, "-4 addr show dev eth1").stdout().split("\n")) {
      if (line.strip().startsWith("inet ")) {
        sb.append(line.strip()).append('\n');
      }
    }
    return sb.toString();
  }

  @Test
  void promoteSecondariesIsOnByDefault() {
    HostStack h = HostStack.withLoopback();
    assertTrue(h.promoteSecondaries());
    h.setPromoteSecondaries(false);
    assertFalse(h.promoteSecondaries());
  }

  @Test
  void deletingAPrimaryPromotesTheFirstSecondaryOfItsSubnet() throws NetlinkException {
    HostStack h = withSecondaries();
    h.deleteAddress("eth1", a("192.168.50.10"), 24);
    // .11 is primary now, placed after the primary that stood between (10.1.0.1); .12 stays secondary
    assertEquals("""
        inet 10.1.0.1/24 brd 10.1.0.255 scope global eth1
        inet 192.168.50.11/24 brd 192.168.50.255 scope global eth1
        inet 192.168.50.12/24 scope global secondary eth1
        """, inetLines(h));
    // the prefix route has the promoted address as prefsrc; the route with src .10 went, the one
    // with src .11 stayed
    assertEquals("""
        10.1.0.0/24 dev eth1 proto kernel scope link src 10.1.0.1
        192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.11
        198.51.100.0/24 dev eth1 scope link src 192.168.50.11
        """, stripped(ip(h, "route").stdout()));
    // the subnet's local and broadcast entries use .11; the other subnet's are untouched
    assertEquals("""
        local 10.1.0.1 dev eth1 proto kernel scope host src 10.1.0.1
        broadcast 10.1.0.255 dev eth1 proto kernel scope link src 10.1.0.1
        local 192.168.50.11 dev eth1 proto kernel scope host src 192.168.50.11
        local 192.168.50.12 dev eth1 proto kernel scope host src 192.168.50.11
        broadcast 192.168.50.255 dev eth1 proto kernel scope link src 192.168.50.11
        """, stripped(ip(h, "route show table local dev eth1").stdout()));
    assertFalse(h.isLocalAddress(a("192.168.50.10")));
    assertTrue(h.isLocalAddress(a("192.168.50.12")));
    assertEquals(a("192.168.50.11"), h.routeGet(a("192.168.50.99"), 0).src());

    // once more: .12 (no broadcast of its own) takes over, and the route with src .11 goes
    h.deleteAddress("eth1", a("192.168.50.11"), 24);
    assertEquals("""
        inet 10.1.0.1/24 brd 10.1.0.255 scope global eth1
        inet 192.168.50.12/24 scope global eth1
        """, inetLines(h));
    assertEquals("""
        10.1.0.0/24 dev eth1 proto kernel scope link src 10.1.0.1
        192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.12
        """, stripped(ip(h, "route").stdout()));
    assertEquals("""
        local 10.1.0.1 dev eth1 proto kernel scope host src 10.1.0.1
        broadcast 10.1.0.255 dev eth1 proto kernel scope link src 10.1.0.1
        local 192.168.50.12 dev eth1 proto kernel scope host src 192.168.50.12
        broadcast 192.168.50.255 dev eth1 proto kernel scope link src 192.168.50.12
        """, stripped(ip(h, "route show table local dev eth1").stdout()));
  }

  @Test
  void thePromotedAddressTakesThePrimarysPlaceWhenNoOtherPrimaryStandsBetween() throws NetlinkException {
    HostStack h = withSecondaries();
    ok(h, "addr add 10.2.0.1/24 dev eth1");
    h.deleteAddress("eth1", a("10.1.0.1"), 24); // no secondaries: nothing promoted, nothing moved
    assertEquals("""
        inet 192.168.50.10/24 brd 192.168.50.255 scope global eth1
        inet 10.2.0.1/24 scope global eth1
        inet 192.168.50.11/24 brd 192.168.50.255 scope global secondary eth1
        inet 192.168.50.12/24 scope global secondary eth1
        """, inetLines(h));
    // 10.2.0.1 stands between .10 and .11: .11 goes after it
    ok(h, "addr del 10.2.0.1/24 dev eth1");
    h.deleteAddress("eth1", a("192.168.50.10"), 24);
    assertEquals("""
        inet 192.168.50.11/24 brd 192.168.50.255 scope global eth1
        inet 192.168.50.12/24 scope global secondary eth1
        """, inetLines(h));
  }

  @Test
  void thePromotedGoesAfterTheLastPrimaryOfItsScopeBetween() throws NetlinkException {
    HostStack h = HostStack.withLoopback();
    h.addLink("eth1", io.podnet.netstack.link.LinkKind.ETHERNET, io.podnet.proto.packet.MacAddress.parse("08:00:27:00:00:01"));
    h.setUp("eth1", true);
    ok(h, "addr add 192.168.50.10/24 dev eth1 scope link");
    ok(h, "addr add 10.3.0.1/24 dev eth1 scope link");
    ok(h, "addr add 10.4.0.1/24 dev eth1");
    ok(h, "addr add 192.168.50.11/24 dev eth1 scope link");
    assertEquals("""
        inet 192.168.50.10/24 scope link eth1
        inet 10.3.0.1/24 scope link eth1
        inet 10.4.0.1/24 scope global eth1
        inet 192.168.50.11/24 scope link secondary eth1
        """, inetLines(h));
    // 10.3.0.1 has the deleted one's scope: .11 goes after it; 10.4.0.1 is narrower (global): before it
    h.deleteAddress("eth1", a("192.168.50.10"), 24);
    assertEquals("""
        inet 10.3.0.1/24 scope link eth1
        inet 192.168.50.11/24 scope link eth1
        inet 10.4.0.1/24 scope global eth1
        """, inetLines(h));
    assertEquals("192.168.50.0/24 dev eth1 proto kernel scope link src 192.168.50.11\n",
        stripped(ip(h, "route show 192.168.50.0/24").stdout()));
  }

  @Test
  void withPromotionOffAPrimarysSecondariesAndTheirRoutesGoWithIt() throws NetlinkException {
    HostStack h = withSecondaries();
    h.setPromoteSecondaries(false);
    h.deleteAddress("eth1", a("192.168.50.10"), 24);
    assertEquals("inet 10.1.0.1/24 brd 10.1.0.255 scope global eth1\n", inetLines(h));
    assertEquals("10.1.0.0/24 dev eth1 proto kernel scope link src 10.1.0.1\n", stripped(ip(h, "route").stdout()));
    assertEquals("""
        local 10.1.0.1 dev eth1 proto kernel scope host src 10.1.0.1
        broadcast 10.1.0.255 dev eth1 proto kernel scope link src 10.1.0.1
        """, stripped(ip(h, "route show table local dev eth1").stdout()));
  }

  @Test
  void deletingASecondaryPromotesNothing() throws NetlinkException {
    HostStack h = withSecondaries();
    h.deleteAddress("eth1", a("192.168.50.11"), 24);
    assertEquals("""
        inet 192.168.50.10/24 brd 192.168.50.255 scope global eth1
        inet 10.1.0.1/24 brd 10.1.0.255 scope global eth1
        inet 192.168.50.12/24 scope global secondary eth1
        """, inetLines(h));
    // the broadcast entry stays for the primary; the route with src .11 goes
    assertEquals("""
        local 10.1.0.1 dev eth1 proto kernel scope host src 10.1.0.1
        broadcast 10.1.0.255 dev eth1 proto kernel scope link src 10.1.0.1
        local 192.168.50.10 dev eth1 proto kernel scope host src 192.168.50.10
        local 192.168.50.12 dev eth1 proto kernel scope host src 192.168.50.10
        broadcast 192.168.50.255 dev eth1 proto kernel scope link src 192.168.50.10
        """, stripped(ip(h, "route show table local dev eth1").stdout()));
    assertFalse(ip(h, "route").stdout().contains("198.51.100.0"));
  }

  @Test
  void loopbackLocalTable() {
    HostStack h = HostStack.withLoopback();
    assertEquals("""
        local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1
        local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1
        broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1
        """, stripped(ip(h, "route show table local").stdout()));
    assertEquals("local 127.0.0.5 dev lo table local src 127.0.0.1 uid 0\n    cache <local>\n",
        stripped(ip(h, "route get 127.0.0.5").stdout()));
  }
}
