package io.podnet.netstack.tool;

import static io.podnet.netstack.Lab.ip;
import static io.podnet.netstack.Lab.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.Lab;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every refusal: iproute2's or the kernel's message, and ip's exit code. */
class IpErrorsTest {
  @ParameterizedTest(name = "ip {0}")
  @CsvSource(delimiter = '|', textBlock = """
      route add 192.168.10.0/24 dev eth1                 | RTNETLINK answers: File exists                                  | 2
      route add default via 10.0.2.2 metric 100          | RTNETLINK answers: File exists                                  | 2
      route del 172.31.0.0/16                             | RTNETLINK answers: No such process                              | 2
      route del default via 10.0.2.9                      | RTNETLINK answers: No such process                              | 2
      route add 172.21.0.0/16 via 192.168.30.1            | Error: Nexthop has invalid gateway.                             | 2
      route add 172.21.0.0/16 via 192.168.10.1 dev eth0   | Error: Nexthop has invalid gateway.                             | 2
      route add 172.21.0.0/16 via 192.168.10.255          | Error: Nexthop has invalid gateway.                             | 2
      route add 172.21.0.0/16 via 10.0.2.2 scope link     | Error: Nexthop has invalid gateway.                             | 2
      route add 172.21.0.0/16 via 192.168.10.1 dev eth9   | Cannot find device "eth9"                                       | 1
      route add 172.21.0.0/16                             | RTNETLINK answers: No such device                               | 2
      route add 172.21.0.1/16 via 192.168.10.1            | Error: Invalid prefix for given prefix length.                  | 2
      route add 172.21.0.0/16 via 192.168.10.1 src 1.2.3.4 | Error: Invalid prefsrc address.                                | 2
      route add blackhole 172.21.0.0/16 dev eth1          | Error: Gateway, device and multipath can not be specified for this route type. | 2
      route add 172.21.0.0/16 dev eth1 scope host via 192.168.10.1 | Error: Route with host scope can not have a gateway.  | 2
      route change 172.31.0.0/16 via 192.168.10.1         | RTNETLINK answers: No such file or directory                    | 2
      route add foo                                       | Error: any valid prefix is expected rather than "foo".          | 1
      -4 route add foo                                    | Error: inet prefix is expected rather than "foo".               | 1
      route add 10.1.0.0/16 via bar                       | Error: inet address is expected rather than "bar".              | 1
      route get foo                                       | Error: any valid prefix is expected rather than "foo".          | 1
      route get                                           | need at least a destination address                             | 1
      route add 10.1.0.0/16 via 192.168.10.1 metric x     | Error: argument "x" is wrong: "metric" value is invalid\\n      | 255
      route add 10.1.0.0/16 via 192.168.10.1 scope x      | Error: argument "x" is wrong: invalid "scope" value\\n          | 255
      route add 10.1.0.0/16 via 192.168.10.1 proto x      | Error: argument "x" is wrong: "protocol" value is invalid\\n    | 255
      route add 10.1.0.0/16 via                           | Command line is not complete. Try option "help"                 | 255
      route add 10.1.0.0/16 10.2.0.0/16                   | Error: either "to" is duplicate, or "10.2.0.0/16" is a garbage. | 255
      route foo                                           | Command "foo" is unknown, try "ip route help".                  | 255
      foo                                                 | Object "foo" is unknown, try "ip help".                         | 1
      -z route                                            | Option "-z" is unknown, try "ip -help".                         | 255
      addr show dev eth9                                  | Device "eth9" does not exist.                                   | 1
      link show eth9                                      | Device "eth9" does not exist.                                   | 1
      link set eth9 down                                  | Cannot find device "eth9"                                       | 1
      route show dev eth9                                 | Cannot find device "eth9"                                       | 1
      """)
  void refused(String args, String stderr, int exit) {
    HostStack ctr = Lab.k8sCtr();
    String before = ip(ctr, "route show table all").stdout();
    CommandResult r = ip(ctr, args);
    assertEquals(new CommandResult("", stderr.replace("\\n", "\n") + "\n", exit), r);
    assertEquals(before, ip(ctr, "route show table all").stdout(), "tables unchanged");
  }

  @ParameterizedTest(name = "ip {0}")
  @CsvSource(delimiter = '|', textBlock = """
      route a 172.21.0.0/16 via 192.168.10.1              | 172.21.0.0/16 via 192.168.10.1 dev eth1
      r add 172.21.0.0/16 via 192.168.10.1 dev eth1 metric 5 mtu 1400 | 172.21.0.0/16 via 192.168.10.1 dev eth1 metric 5 mtu 1400
      route add 172.21.0.0/16 dev eth1                    | 172.21.0.0/16 dev eth1 scope link
      route add 172.21.0.0/16 dev eth1 proto static src 192.168.10.100 | 172.21.0.0/16 dev eth1 proto static scope link src 192.168.10.100
      route add to 172.21.0.0/16 via 192.168.10.1 proto boot scope global | 172.21.0.0/16 via 192.168.10.1 dev eth1
      route add unreachable 172.21.0.0/16 metric 7        | unreachable 172.21.0.0/16 metric 7
      route add 172.21.0.0/16 via 172.20.0.74             | 172.21.0.0/16 via 172.20.0.74 dev cilium_host
      """)
  void accepted(String args, String shown) {
    HostStack ctr = Lab.k8sCtr();
    ok(ctr, args);
    assertEquals(shown + " \n", ip(ctr, "route show 172.21.0.0/16").stdout());
  }
}
