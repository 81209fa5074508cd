package io.podnet.netstack.tool;

import static io.podnet.netstack.Lab.ip;
import static io.podnet.netstack.Lab.ok;
import static io.podnet.netstack.Lab.stripped;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.Lab;
import org.junit.jupiter.api.Test;

/** {@code ip route}, {@code ip route get} and {@code ip addr} against the reference transcript. */
class IpRouteTranscriptTest {
  @Test
  void routerBeforeAndAfterAddingPodRoutes() {
    HostStack router = Lab.router();
    CommandResult before = ip(router, "route");
    assertEquals(0, before.exitCode());
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.10.1.0/24 dev loop1 proto kernel scope link src 10.10.1.200
        10.10.2.0/24 dev loop2 proto kernel scope link src 10.10.2.200
        192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.200
        192.168.20.0/24 dev eth2 proto kernel scope link src 192.168.20.200
        """, stripped(before.stdout()));

    ok(router, "route add 172.20.1.0/24 via 192.168.10.101");
    ok(router, "route add 172.20.0.0/24 via 192.168.10.100");
    ok(router, "route add 172.20.2.0/24 via 192.168.20.100");
    CommandResult after = ip(router, "-c route");
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.10.1.0/24 dev loop1 proto kernel scope link src 10.10.1.200
        10.10.2.0/24 dev loop2 proto kernel scope link src 10.10.2.200
        172.20.0.0/24 via 192.168.10.100 dev eth1
        172.20.1.0/24 via 192.168.10.101 dev eth1
        172.20.2.0/24 via 192.168.20.100 dev eth2
        192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.200
        192.168.20.0/24 dev eth2 proto kernel scope link src 192.168.20.200
        """, stripped(after.stdout()));
    assertEquals("", after.stderr());
  }

  @Test
  void iproute2LeavesABlankAfterEveryField() {
    HostStack router = Lab.router();
    ok(router, "route add 172.20.1.0/24 via 192.168.10.101");
    String out = ip(router, "route show").stdout();
    assertTrue(out.startsWith("default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100 \n"), out);
    assertTrue(out.contains("\n172.20.1.0/24 via 192.168.10.101 dev eth1 \n"), out);
  }

  @Test
  void k8sW0OrdersSamePrefixAddressLongestFirst() {
    HostStack w0 = Lab.k8sW0();
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.10.0.0/16 via 192.168.20.200 dev eth1 proto static
        172.20.0.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.0.0/16 via 192.168.20.200 dev eth1 proto static
        172.20.1.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.2.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204
        172.20.2.204 dev cilium_host proto kernel scope link
        192.168.10.0/24 via 192.168.20.200 dev eth1 proto static
        192.168.20.0/24 dev eth1 proto kernel scope link src 192.168.20.100
        """, stripped(ip(w0, "-c route").stdout()));
  }

  @Test
  void routeGetThroughCiliumHostReportsTheMtuAndNoGateway() {
    HostStack ctr = Lab.k8sCtr();
    CommandResult r = ip(ctr, "route get 172.20.1.10");
    assertEquals(new CommandResult("172.20.1.10 dev cilium_host src 172.20.0.74 uid 0 \n    cache mtu 1450 \n", "", 0), r);
    assertEquals("172.20.2.10 dev cilium_host src 172.20.0.74 uid 0\n    cache mtu 1450\n",
        stripped(ip(ctr, "route get 172.20.2.10").stdout()));
  }

  @Test
  void routeGetViaAGatewayOnALink() {
    HostStack ctr = Lab.k8sCtr();
    assertEquals(new CommandResult("192.168.20.100 via 192.168.10.200 dev eth1 src 192.168.10.100 uid 0 \n    cache \n",
        "", 0), ip(ctr, "route get 192.168.20.100"));
  }

  @Test
  void routeGetConnectedDefaultAndLocal() {
    HostStack ctr = Lab.k8sCtr();
    assertEquals("192.168.10.101 dev eth1 src 192.168.10.100 uid 0\n    cache\n",
        stripped(ip(ctr, "route get 192.168.10.101").stdout()));
    assertEquals("8.8.8.8 via 10.0.2.2 dev eth0 src 10.0.2.15 uid 0\n    cache\n",
        stripped(ip(ctr, "route get 8.8.8.8").stdout()));
    assertEquals("local 192.168.10.100 dev lo table local src 192.168.10.100 uid 0\n    cache <local>\n",
        stripped(ip(ctr, "route get 192.168.10.100").stdout()));
    assertEquals("broadcast 192.168.10.255 dev eth1 table local src 192.168.10.100 uid 0\n    cache <local,brd>\n",
        stripped(ip(ctr, "route get 192.168.10.255").stdout()));
  }

  @Test
  void routeGetWithoutARoute() {
    HostStack ctr = Lab.k8sCtr();
    ok(ctr, "route del default");
    assertEquals(new CommandResult("", "RTNETLINK answers: Network is unreachable\n", 2), ip(ctr, "route get 8.8.8.8"));
    ok(ctr, "route add unreachable 8.8.0.0/16");
    ok(ctr, "route add prohibit 8.9.0.0/16");
    ok(ctr, "route add blackhole 8.10.0.0/16");
    assertEquals(new CommandResult("", "RTNETLINK answers: No route to host\n", 2), ip(ctr, "route get 8.8.8.8"));
    assertEquals(new CommandResult("", "RTNETLINK answers: Permission denied\n", 2), ip(ctr, "route get 8.9.8.8"));
    assertEquals(new CommandResult("", "RTNETLINK answers: Invalid argument\n", 2), ip(ctr, "route get 8.10.8.8"));
    assertTrue(ip(ctr, "route").stdout().contains("unreachable 8.8.0.0/16 \nprohibit 8.9.0.0/16 \nblackhole 8.10.0.0/16 \n"));
  }

  @Test
  void addrShowDevEth1() {
    HostStack ctr = Lab.k8sCtr();
    assertEquals(new CommandResult("""
        3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
            link/ether 08:00:27:04:d1:9c brd ff:ff:ff:ff:ff:ff
            altname enp0s9
            inet 192.168.10.100/24 brd 192.168.10.255 scope global eth1
               valid_lft forever preferred_lft forever
            inet6 fe80::a00:27ff:fe04:d19c/64 scope link\s
               valid_lft forever preferred_lft forever
        """, "", 0), ip(ctr, "addr show dev eth1"));
  }

  @Test
  void addrShowCiliumHost() {
    HostStack ctr = Lab.k8sCtr();
    assertEquals("""
        5: cilium_host@cilium_net: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000
            link/ether aa:71:74:33:f7:d6 brd ff:ff:ff:ff:ff:ff
            inet 172.20.0.74/32 scope global cilium_host
               valid_lft forever preferred_lft forever
            inet6 fe80::a871:74ff:fe33:f7d6/64 scope link
               valid_lft forever preferred_lft forever
        """, stripped(ip(ctr, "addr show cilium_host").stdout()));
  }
}
