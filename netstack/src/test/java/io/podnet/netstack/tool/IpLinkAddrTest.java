package io.podnet.netstack.tool;

import static io.podnet.netstack.Lab.ip;
import static io.podnet.netstack.Lab.ok;
import static io.podnet.netstack.Lab.stripped;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.Lab;
import org.junit.jupiter.api.Test;

class IpLinkAddrTest {
  @Test
  void linkShow() {
    HostStack router = Lab.router();
    ok(router, "link set eth2 down");
    assertEquals("""
        1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
            link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
        2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000
            link/ether 08:00:27:6b:69:c9 brd ff:ff:ff:ff:ff:ff
            altname enp0s3
        3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000
            link/ether 08:00:27:ac:72:9f brd ff:ff:ff:ff:ff:ff
            altname enp0s8
        4: eth2: <BROADCAST,MULTICAST> mtu 1500 qdisc fq_codel state DOWN mode DEFAULT group default qlen 1000
            link/ether 08:00:27:1d:3e:50 brd ff:ff:ff:ff:ff:ff
            altname enp0s9
        5: loop1: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
            link/ether e2:1a:4f:00:11:01 brd ff:ff:ff:ff:ff:ff
        6: loop2: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000
            link/ether e2:1a:4f:00:11:02 brd ff:ff:ff:ff:ff:ff
        """, stripped(ip(router, "link").stdout()));
  }

  @Test
  void inet4OnlyOmitsTheLinkLineAndIpv6() {
    HostStack router = Lab.router();
    assertEquals("""
        1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
            inet 127.0.0.1/8 scope host lo
               valid_lft forever preferred_lft forever
        2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
            altname enp0s3
            inet 10.0.2.15/24 metric 100 brd 10.0.2.255 scope global eth0
               valid_lft forever preferred_lft forever
        """, stripped(ip(router, "-4 addr").stdout()).lines().limit(7).reduce("", (x, y) -> x + y + "\n"));
  }

  @Test
  void addrShowLoopback() {
    HostStack h = HostStack.withLoopback();
    assertEquals(new CommandResult("""
        1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
            link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
            inet 127.0.0.1/8 scope host lo
               valid_lft forever preferred_lft forever
            inet6 ::1/128 scope host noprefixroute\s
               valid_lft forever preferred_lft forever
        """, "", 0), ip(h, "a"));
  }
}
