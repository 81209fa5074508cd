package io.podnet.netstack.tool;

import static io.podnet.netstack.Lab.stripped;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.Lab;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.netstack.neigh.NeighbourFormat;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ip address add|del|flush} and {@code ip neigh} on k8s-ctr: output, messages, exit codes. */
class IpAddrNeighTranscriptTest {
  private final HostCore ctr = new HostCore(Lab.k8sCtr(), new TimerQueue(0), new SplittableRandom(1), (d, f) -> { });

  private CommandResult ip(String args) {
    return new IpCommand(ctr, 0).run(Arrays.asList(args.split(" +")));
  }

  private void ok(String args) {
    assertEquals(new CommandResult("", "", 0), ip(args), "ip " + args);
  }

  private String eth1Inet() {
    return stripped(ip("-4 addr show dev eth1").stdout());
  }

  @Test
  void addASecondaryThenTheSameAgain() {
    ok("addr add 192.168.10.50/24 dev eth1");
    assertEquals("""
        3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
            altname enp0s9
            inet 192.168.10.100/24 brd 192.168.10.255 scope global eth1
               valid_lft forever preferred_lft forever
            inet 192.168.10.50/24 scope global secondary eth1
               valid_lft forever preferred_lft forever
        """, eth1Inet());
    assertTrue(ip("route show table local").stdout().contains(
        "local 192.168.10.50 dev eth1 proto kernel scope host src 192.168.10.100 \n"));
    assertEquals(new CommandResult("", "Error: ipv4: Address already assigned.\n", 2),
        ip("addr add 192.168.10.50/24 dev eth1"));
    // the same address with another prefix length is another address
    ok("a a 192.168.10.50/16 dev eth1");
    assertTrue(eth1Inet().contains("inet 192.168.10.50/16 scope global eth1\n"), eth1Inet());
  }

  @Test
  void brdPlusLabelScopeAndKernelRoutes() {
    ok("addr add 10.9.0.1/24 brd + dev eth1 label eth1:9");
    assertTrue(eth1Inet().contains("inet 10.9.0.1/24 brd 10.9.0.255 scope global eth1:9\n"), eth1Inet());
    String main = ip("route").stdout();
    assertTrue(main.contains("10.9.0.0/24 dev eth1 proto kernel scope link src 10.9.0.1 \n"), main);
    String local = ip("route show table local").stdout();
    assertTrue(local.contains("local 10.9.0.1 dev eth1 proto kernel scope host src 10.9.0.1 \n"), local);
    assertTrue(local.contains("broadcast 10.9.0.255 dev eth1 proto kernel scope link src 10.9.0.1 \n"), local);
    // brd - : iproute2 clears the host bits
    ok("addr add 10.7.0.1/24 brd - dev eth1");
    assertTrue(eth1Inet().contains("inet 10.7.0.1/24 brd 10.7.0.0 scope global eth1\n"), eth1Inet());
    // no /len is /32, brd + does nothing for /31 and /32; scope host
    ok("addr add 10.6.0.1 brd + dev eth1 scope host");
    assertTrue(eth1Inet().contains("inet 10.6.0.1/32 scope host eth1\n"), eth1Inet());
    assertFalse(ip("route").stdout().contains("10.6.0.1"));
  }

  @Test
  void noprefixrouteAndReplaceMovesTheMetric() {
    ok("addr add 10.8.0.1/24 dev eth1 noprefixroute");
    assertTrue(eth1Inet().contains("inet 10.8.0.1/24 scope global noprefixroute eth1\n"), eth1Inet());
    assertFalse(ip("route").stdout().contains("10.8.0.0/24"));
    ok("addr add 10.9.0.1/24 dev eth1");
    ok("addr replace 10.9.0.1/24 dev eth1 metric 50");
    assertEquals("10.9.0.0/24 dev eth1 proto kernel scope link src 10.9.0.1 metric 50 \n",
        ip("route show 10.9.0.0/24").stdout());
    assertTrue(eth1Inet().contains("inet 10.9.0.1/24 metric 50 scope global eth1\n"), eth1Inet());
    // change of a missing IPv4 address creates it (inet_rtm_newaddr does not look at NLM_F_CREATE)
    ok("addr change 10.5.0.1/24 dev eth1");
    assertTrue(eth1Inet().contains("inet 10.5.0.1/24 scope global eth1\n"));
  }

  @Test
  void delWithoutLengthWarnsAndDeletesTheFirstMatch() {
    ok("addr add 10.9.0.1/24 dev eth1");
    CommandResult r = ip("addr del 10.9.0.1 dev eth1");
    assertEquals(new CommandResult("", """
        Warning: Executing wildcard deletion to stay compatible with old scripts.
                 Explicitly specify the prefix length (10.9.0.1/32) to avoid this warning.
                 This special behaviour is likely to disappear in further releases,
                 fix your scripts!
        """, 0), r);
    assertFalse(eth1Inet().contains("10.9.0.1"));
    assertFalse(ip("route show table all").stdout().contains("10.9.0."));
    assertEquals(new CommandResult("", "Error: ipv4: Address not found.\n", 2), ip("addr del 10.9.0.1/24 dev eth1"));
    // the prefix length must match
    assertEquals(new CommandResult("", "Error: ipv4: Address not found.\n", 2),
        ip("addr del 192.168.10.100/16 dev eth1"));
  }

  @Test
  void withoutPromotionDeletingAPrimaryTakesItsSecondaries() {
    ctr.stack().setPromoteSecondaries(false);
    ok("addr add 192.168.10.50/24 dev eth1");
    ok("addr del 192.168.10.100/24 dev eth1");
    assertFalse(eth1Inet().contains("inet "), eth1Inet());
    assertFalse(ip("route show table all").stdout().contains("192.168.10."));
  }

  @Test
  void flush() {
    ok("addr add 10.9.0.1/24 dev eth1");
    ok("addr flush dev eth1 to 10.9.0.0/16");
    assertFalse(eth1Inet().contains("10.9.0.1"));
    assertTrue(eth1Inet().contains("192.168.10.100"));
    assertEquals(new CommandResult("Nothing to flush.\n", "", 0), ip("-s addr flush dev eth1 scope host"));
    assertEquals(new CommandResult("\n*** Round 1, deleting 1 addresses ***\n*** Flush is complete after 1 round ***\n",
        "", 0), ip("-s -4 addr flush dev eth1"));
    assertFalse(eth1Inet().contains("inet "));
    assertFalse(ip("route show table all").stdout().contains("192.168.10."));
    // a label pattern over every device
    ok("addr add 10.9.0.1/24 dev eth1 label eth1:a");
    ok("addr add 10.9.1.1/24 dev eth1 label eth1:b");
    ok("addr flush label eth1:[a-z]");
    assertFalse(eth1Inet().contains("inet "));
    assertTrue(ip("addr show lo").stdout().contains("127.0.0.1/8"));
  }

  @Test
  void withoutPromotionFlushOfAPrimaryWithSecondariesReportsTheSecondariesGoneFirst() {
    // promote_secondaries=0: the primary's deletion takes the secondary, whose own deletion then fails
    ctr.stack().setPromoteSecondaries(false);
    ok("addr add 192.168.10.50/24 dev eth1");
    assertEquals(new CommandResult("", "Failed to send flush request: Cannot assign requested address\n", 255),
        ip("addr flush dev eth1"));
    assertFalse(eth1Inet().contains("inet "));
    // primary only: one round, secondaries would go with their primaries anyway
    ok("addr add 192.168.10.100/24 dev eth1");
    ok("addr add 10.1.0.1/24 dev eth1");
    ok("addr flush dev eth1 primary");
    assertFalse(eth1Inet().contains("inet "));
  }

  @Test
  void deletingAPrimaryPromotesItsFirstSecondary() {
    // promote_secondaries=1, as on the lab's hosts
    ok("addr add 192.168.10.50/24 dev eth1");
    ok("addr add 192.168.10.60/24 dev eth1");
    ok("addr del 192.168.10.100/24 dev eth1");
    assertEquals("""
        3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000
            altname enp0s9
            inet 192.168.10.50/24 scope global eth1
               valid_lft forever preferred_lft forever
            inet 192.168.10.60/24 scope global secondary eth1
               valid_lft forever preferred_lft forever
        """, eth1Inet());
    assertEquals("192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.50\n",
        stripped(ip("route show dev eth1 scope link").stdout()));
    assertEquals("""
        local 192.168.10.50 dev eth1 proto kernel scope host src 192.168.10.50
        local 192.168.10.60 dev eth1 proto kernel scope host src 192.168.10.50
        broadcast 192.168.10.255 dev eth1 proto kernel scope link src 192.168.10.50
        """, stripped(ip("route show table local dev eth1").stdout()));
    assertEquals("""
        192.168.10.101 dev eth1 src 192.168.10.50 uid 0
            cache
        """, stripped(ip("route get 192.168.10.101").stdout()));
    // the secondary is deleted alone
    ok("addr del 192.168.10.60/24 dev eth1");
    assertFalse(ip("route show table all").stdout().contains("192.168.10.60"));
    assertTrue(eth1Inet().contains("inet 192.168.10.50/24 scope global eth1\n"), eth1Inet());
  }

  @Test
  void flushOfAPrimaryWithSecondariesSucceedsWithPromotion() {
    ok("addr add 192.168.10.50/24 dev eth1");
    ok("addr add 192.168.10.60/24 dev eth1");
    // the primary goes, .50 is promoted, then .50 and .60 go in the same round
    assertEquals(new CommandResult("\n*** Round 1, deleting 3 addresses ***\n*** Flush is complete after 1 round ***\n",
        "", 0), ip("-s addr flush dev eth1"));
    assertFalse(eth1Inet().contains("inet "), eth1Inet());
    assertFalse(ip("route show table all").stdout().contains("192.168.10."));
    ok("addr add 192.168.10.100/24 dev eth1");
    ok("addr add 192.168.10.50/24 dev eth1");
    ok("addr flush dev eth1");
    assertFalse(eth1Inet().contains("inet "), eth1Inet());
    // primary only: one round; the promoted secondary stays, primary now
    ok("addr add 192.168.10.100/24 dev eth1");
    ok("addr add 192.168.10.50/24 dev eth1");
    ok("addr flush dev eth1 primary");
    assertTrue(eth1Inet().endsWith("""
            inet 192.168.10.50/24 scope global eth1
               valid_lft forever preferred_lft forever
        """), eth1Inet());
    assertEquals("192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.50\n",
        stripped(ip("route show dev eth1 scope link").stdout()));
  }

  @ParameterizedTest(name = "ip {0}")
  @CsvSource(delimiter = '|', textBlock = """
      addr add 10.1.1.1/24                          | Not enough information: "dev" argument is required.        | 1
      addr add 10.1.1.1/24 dev eth9                 | Cannot find device "eth9"                                  | 1
      addr del 10.1.1.1/24 dev eth9                 | Cannot find device "eth9"                                  | 1
      addr add foo dev eth1                         | Error: any valid prefix is expected rather than "foo".     | 1
      addr add 10.1.1.1/24 dev eth1 scope x         | Error: argument "x" is wrong: invalid scope value.         | 255
      addr add 10.1.1.1/24 dev eth1 metric x        | Error: argument "x" is wrong: "metric" value is invalid\\n | 255
      addr add 10.1.1.1/24 10.1.1.2/24 dev eth1     | Error: either "local" is duplicate, or "10.1.1.2/24" is a garbage. | 255
      addr add 10.1.1.1/24 brd + brd - dev eth1     | Error: duplicate "broadcast": "-" is the second value.    | 255
      addr add 10.1.1.1/24 dev eth1 label eth2:x    | "label" (eth2:x) must match "dev" (eth1) or be prefixed by "dev" with a colon. | 1
      addr add 10.1.1.1/24 dev                      | Command line is not complete. Try option "help"           | 255
      addr add 192.168.10.100/24 dev eth1           | Error: ipv4: Address already assigned.                     | 2
      addr add 192.168.10.7/24 dev eth1 scope host  | Error: ipv4: Invalid scope value.                          | 2
      addr add dev eth1                             | RTNETLINK answers: Operation not supported                 | 2
      -4 addr add dev eth1                          | Error: ipv4: Local address is not supplied.                | 2
      addr del 10.1.1.1/24 dev eth1                 | Error: ipv4: Address not found.                            | 2
      addr flush                                    | Flush requires arguments.                                  | 1
      -0 addr flush dev eth1                        | Cannot flush link addresses.                               | 1
      addr flush dev eth9                           | Device "eth9" does not exist.                              | 1
      addr flush dev eth1 scope x                   | Error: argument "x" is wrong: invalid "scope"\\n           | 255
      addr foo                                      | Command "foo" is unknown, try "ip address help".           | 255
      neigh add 192.168.10.7 dev eth1               | Error: No link layer address given.                        | 2
      neigh add 192.168.10.7 lladdr zz dev eth1     | "zz" is invalid lladdr.                                    | 1
      neigh add 192.168.10.7 lladdr 02:00:00:00:00:07 | Device and destination are required arguments.           | 255
      neigh add 192.168.10.7 lladdr 02:00:00:00:00:07 dev eth9 | Cannot find device "eth9"                       | 1
      neigh add 192.168.10.7 lladdr 02:00:00:00:00:07 dev eth1 nud x | Error: argument "x" is wrong: nud state is bad | 255
      neigh add 192.168.10.7 lladdr 1.2.3.4 dev eth1 | Error: Invalid link address.                              | 2
      neigh del 192.168.10.7 dev eth1               | RTNETLINK answers: No such file or directory               | 2
      neigh change 192.168.10.7 lladdr 02:00:00:00:00:07 dev eth1 | RTNETLINK answers: No such file or directory | 2
      neigh flush                                   | Flush requires arguments.                                  | 1
      neigh show dev eth9                           | Cannot find device "eth9"                                  | 1
      neigh foo                                     | Command "foo" is unknown, try "ip neigh help".             | 255
      """)
  void refused(String args, String stderr, int exit) {
    String before = ip("addr").stdout() + ip("route show table all").stdout() + ip("neigh show nud all").stdout();
    assertEquals(new CommandResult("", stderr.replace("\\n", "\n") + "\n", exit), ip(args));
    assertEquals(before, ip("addr").stdout() + ip("route show table all").stdout() + ip("neigh show nud all").stdout(),
        "nothing changed");
  }

  @Test
  void neighAddReplaceDelAndShow() {
    ok("neigh add 192.168.10.7 lladdr 08:00:27:00:00:07 dev eth1");
    assertEquals(new CommandResult("192.168.10.7 dev eth1 lladdr 08:00:27:00:00:07 PERMANENT \n", "", 0), ip("neigh"));
    assertEquals(new CommandResult("", "RTNETLINK answers: File exists\n", 2),
        ip("neigh add 192.168.10.7 lladdr 08:00:27:00:00:08 dev eth1"));
    assertEquals("Address                  HWtype  HWaddress           Flags Mask            Iface\n"
        + "192.168.10.7             ether   08:00:27:00:00:07   CM                    eth1\n",
        NeighbourFormat.arpTable(ctr.neighbours().list(), a -> null));
    ok("neigh replace 192.168.10.7 lladdr 08:00:27:00:00:08 dev eth1 nud stale");
    assertEquals("192.168.10.7 lladdr 08:00:27:00:00:08 STALE \n", ip("neigh show dev eth1").stdout());
    // change without lladdr keeps the address it has
    ok("neigh change 192.168.10.7 dev eth1 nud reachable");
    assertEquals("192.168.10.7 dev eth1 lladdr 08:00:27:00:00:08 REACHABLE \n", ip("n s").stdout());
    ok("neigh del 192.168.10.7 dev eth1");
    assertEquals("", ip("neigh").stdout());
  }

  @Test
  void noarpEntriesAreHiddenUnlessAskedFor() {
    ok("neigh add 192.168.10.8 lladdr 08:00:27:00:00:08 dev eth1 nud noarp");
    assertEquals("", ip("neigh").stdout());
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 NOARP \n", ip("neigh show nud all").stdout());
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 NOARP \n", ip("neigh show nud noarp").stdout());
  }

  @Test
  void neighFlushSkipsPermanentAndNoarpUnlessAsked() {
    ok("neigh add 192.168.10.7 lladdr 08:00:27:00:00:07 dev eth1");
    ok("neigh add 192.168.10.8 lladdr 08:00:27:00:00:08 dev eth1 nud noarp");
    ok("neigh add 192.168.10.9 lladdr 08:00:27:00:00:09 dev eth1 nud stale");
    ok("neigh add 192.168.10.10 lladdr 08:00:27:00:00:0a dev eth1 nud reachable");
    assertEquals(new CommandResult("\n*** Round 1, deleting 2 entries ***\n*** Flush is complete after 1 round ***\n",
        "", 0), ip("-s neigh flush dev eth1"));
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 NOARP \n"
        + "192.168.10.7 dev eth1 lladdr 08:00:27:00:00:07 PERMANENT \n", ip("neigh show nud all").stdout());
    ok("neigh flush all nud all");
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 NOARP \n", ip("neigh show nud all").stdout());
    ok("neigh flush all nud noarp");
    assertEquals("", ip("neigh show nud all").stdout());
    assertEquals(new CommandResult("Nothing to flush.\n", "", 0), ip("-s neigh flush all"));
  }

  @Test
  void managedAndExternLearnFlags() {
    // managed: no address needed, the kernel resolves it (no answer on this lab-less host)
    ok("neigh add 192.168.10.7 dev eth1 managed");
    assertEquals("192.168.10.7 dev eth1 managed INCOMPLETE \n", ip("neigh").stdout());
    // extern_learn (abbreviated as iproute2's matches() allows) with an address and a state
    ok("neigh replace 192.168.10.8 lladdr 08:00:27:00:00:08 dev eth1 nud reachable extern");
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 extern_learn REACHABLE \n",
        ip("neigh show 192.168.10.8").stdout());
    // both, on an existing entry: address and state stay, the flags print in iproute2's order
    ok("neigh replace 192.168.10.8 dev eth1 extern_learn managed");
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 managed extern_learn REACHABLE \n",
        ip("neigh show 192.168.10.8").stdout());
    // an update without them clears them
    ok("neigh change 192.168.10.8 dev eth1 nud stale");
    assertEquals("192.168.10.8 dev eth1 lladdr 08:00:27:00:00:08 STALE \n", ip("neigh show 192.168.10.8").stdout());
    // a new permanent entry cannot be managed ("managed" asks for NUD_NONE; a later nud overrides it)
    assertEquals(new CommandResult("", "Error: Invalid NTF_* flag for permanent entry.\n", 2),
        ip("neigh add 192.168.10.9 dev eth1 managed nud permanent"));
    assertEquals(new CommandResult("", "Error: Invalid NTF_* flag for permanent entry.\n", 2),
        ip("neigh add 192.168.10.9 lladdr 08:00:27:00:00:09 dev eth1 managed nud perm"));
    // nud before managed is overridden by it
    ok("neigh add 192.168.10.9 lladdr 08:00:27:00:00:09 dev eth1 nud permanent managed");
    assertEquals("192.168.10.9 dev eth1 managed INCOMPLETE \n", ip("neigh show 192.168.10.9").stdout());
    // use: resolved once, no flag shown
    ok("neigh add 192.168.10.10 dev eth1 use");
    assertEquals("192.168.10.10 dev eth1 INCOMPLETE \n", ip("neigh show 192.168.10.10").stdout());
    // deletes ignore the flags
    ok("neigh del 192.168.10.7 dev eth1 managed");
    assertEquals("", ip("neigh show 192.168.10.7").stdout());
  }
}
