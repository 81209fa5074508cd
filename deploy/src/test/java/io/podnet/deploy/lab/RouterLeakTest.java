package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The reference lab's first lesson on a lab of plain hosts: a router without a route for a
 * network sends its packets out of its default route (the NAT uplink), so pings are lost; the
 * router's tcpdump shows them coming In on the LAN side and going Out on the uplink; after
 * {@code ip route add} on the router, pings work and the TTL is one less per router hop.
 */
class RouterLeakTest extends PodnetHomeTest {

  static final String LAB = """
      name: leak-lab
      seed: 3
      segments: {left: {}, right: {}}
      hosts:
        gw:
          kind: router
          interfaces:
            wan: {nat: {}}
            lan1: {segment: left, address: 10.1.0.1/24}
            lan2: {segment: right, address: 10.2.0.1/24}
        a:
          interfaces:
            nic0: {segment: left, address: 10.1.0.10/24}
          routes: [10.0.0.0/8 via 10.1.0.1]
        b:
          interfaces:
            nic0: {segment: right, address: 10.2.0.20/24}
            svc0: {kind: dummy, address: 10.20.0.1/24}
          routes: [default via 10.2.0.1]
      """;

  static final String WALKTHROUGH = """
      gw# tcpdump -i any icmp -nn &
      a# ping -c 1 -W 1 10.20.0.1; echo "exit $?"
      gw# ip route add 10.20.0.0/24 via 10.2.0.20
      a# ping -c 2 10.20.0.1; echo "exit $?"
      b# ping -c 1 10.1.0.10 | grep ttl=
      """;

  @Test
  void pingLeaksToTheUplinkUntilTheRouterGetsARoute() throws Exception {
    Path dir = tmp.resolve("leak-lab");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("lab.yaml"), LAB);
    Files.writeString(dir.resolve("walkthrough.lab"), WALKTHROUGH);
    Run r = podnet("run", dir.toString());
    assertEquals(0, r.code(), r.err());
    String o = r.out();
    List<String> lines = o.lines().toList();

    // Before the route: 100% loss, and the router sends the request out of its NAT uplink.
    int first = lines.indexOf("root@a:~# ping -c 1 -W 1 10.20.0.1; echo \"exit $?\"");
    int fix = lines.indexOf("root@gw:~# ip route add 10.20.0.0/24 via 10.2.0.20");
    List<String> before = lines.subList(first, fix);
    assertTrue(before.contains("1 packets transmitted, 0 received, 100% packet loss, time 0ms"), o);
    assertTrue(before.contains("exit 1"), o);
    assertTrue(matches(before, "\\d\\d:\\d\\d:\\d\\d\\.\\d{6} lan1  In  IP 10\\.1\\.0\\.10 > 10\\.20\\.0\\.1: "
        + "ICMP echo request, id \\d+, seq 1, length 64"), o);
    assertTrue(matches(before, "\\d\\d:\\d\\d:\\d\\d\\.\\d{6} wan   Out IP 10\\.1\\.0\\.10 > 10\\.20\\.0\\.1: "
        + "ICMP echo request, id \\d+, seq 1, length 64"), o);

    // After: replies with ttl 64 - 1, forwarded out of lan2 and back in.
    List<String> after = lines.subList(fix, lines.size());
    assertTrue(matches(after, "64 bytes from 10\\.20\\.0\\.1: icmp_seq=1 ttl=63 time=[0-9.]+ ms"), o);
    assertTrue(matches(after, "64 bytes from 10\\.20\\.0\\.1: icmp_seq=2 ttl=63 time=[0-9.]+ ms"), o);
    assertTrue(after.contains("2 packets transmitted, 2 received, 0% packet loss, time 1000ms"), o);
    assertTrue(after.contains("exit 0"), o);
    assertTrue(matches(after, ".* lan2  Out IP 10\\.1\\.0\\.10 > 10\\.20\\.0\\.1: ICMP echo request, .*"), o);
    assertTrue(matches(after, ".* lan2  In  IP 10\\.20\\.0\\.1 > 10\\.1\\.0\\.10: ICMP echo reply, .*"), o);
    // The other way, b's replies come back through one router too.
    assertTrue(matches(after, "64 bytes from 10\\.1\\.0\\.10: icmp_seq=1 ttl=63 time=[0-9.]+ ms"), o);
    // The background tcpdump is stopped at the end and prints its statistics.
    assertTrue(matches(lines, "\\d+ packets captured"), o);
    assertTrue(lines.contains("0 packets dropped by kernel"), o);
  }

  static boolean matches(List<String> lines, String regex) {
    Pattern p = Pattern.compile(regex);
    return lines.stream().anyMatch(l -> p.matcher(l).matches());
  }
}
