package io.podnet.node.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.node.cilium.hubble.Flow;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.TcpHeader;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** {@code hubble observe} over the agent's flow ring, against the transcript's lines. */
class HubbleToolTest {
  static final long T = Instant.parse("2025-08-08T15:05:43.118Z").toEpochMilli() * 1000;
  static final Ipv4Address CURL = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address WEB = Ipv4Address.parse("172.20.2.54");
  static final String CURL_POD = "default/curl-pod";
  static final String WEB_POD = "default/webpod-697b545f57-9c7vb";

  final FakeAgent agent;

  HubbleToolTest() throws Exception {
    agent = new FakeAgent();
  }

  Run run(String line) {
    return new Run(NodeTools.standard(agent), line);
  }

  static Flow tcp(long t, Ipv4Address s, int sp, Ipv4Address d, int dp, int flags, String point, Boolean reply) {
    boolean fromCurl = s.equals(CURL);
    return new Flow(t, "k8s-ctr", s, d, 6, sp, dp, flags, -1, 0, fromCurl ? 29101 : 11761, fromCurl ? 11761 : 29101,
        fromCurl ? CURL_POD : WEB_POD, fromCurl ? WEB_POD : CURL_POD, Flow.Kind.TRACE, Flow.Verdict.FORWARDED, point,
        reply);
  }

  static Flow udp(long t) {
    return new Flow(t, "k8s-ctr", CURL, Ipv4Address.parse("10.96.0.10"), 17, 40000, 53, 0, -1, 0, 29101, 2, CURL_POD,
        null, Flow.Kind.TRACE, Flow.Verdict.FORWARDED, "to-stack", false);
  }

  static final String SYN = "Aug  8 15:05:43.118: default/curl-pod:36548 (ID:29101) -> "
      + "default/webpod-697b545f57-9c7vb:80 (ID:11761) to-endpoint FORWARDED (TCP Flags: SYN)\n";
  static final String SYN_ACK = "Aug  8 15:05:43.118: default/curl-pod:36548 (ID:29101) <- "
      + "default/webpod-697b545f57-9c7vb:80 (ID:11761) to-overlay FORWARDED (TCP Flags: SYN, ACK)\n";
  static final String ACK = "Aug  8 15:05:43.119: default/curl-pod:36548 (ID:29101) -> "
      + "default/webpod-697b545f57-9c7vb:80 (ID:11761) to-endpoint FORWARDED (TCP Flags: ACK)\n";

  @Test
  void followPrintsMatchingFlowsAsTheyComeUntilCtrlC() {
    agent.ring.add(tcp(T - 5_000_000, CURL, 1111, WEB, 80, TcpHeader.SYN, "to-endpoint", false));
    Run r = run("hubble observe -f --protocol tcp --pod curl-pod");
    // -f without --last shows nothing of the past
    assertEquals("", r.out.toString());
    assertTrue(r.running());
    agent.ring.add(tcp(T, CURL, 36548, WEB, 80, TcpHeader.SYN, "to-endpoint", false));
    agent.ring.add(udp(T + 100));
    agent.ring.add(tcp(T + 200, WEB, 80, CURL, 36548, TcpHeader.SYN | TcpHeader.ACK, "to-overlay", true));
    agent.ring.add(tcp(T + 1000, CURL, 36548, WEB, 80, TcpHeader.ACK, "to-endpoint", false));
    assertEquals(SYN + SYN_ACK + ACK, r.out.toString());
    assertTrue(r.running());
    // hubble observes under signal.NotifyContext(os.Interrupt): Ctrl-C ends it without error
    r.signal("INT");
    assertEquals(0, r.exit);
    assertEquals("", r.err.toString());
    agent.ring.add(tcp(T + 2000, CURL, 36548, WEB, 80, TcpHeader.ACK, "to-endpoint", false));
    assertEquals(SYN + SYN_ACK + ACK, r.out.toString());
  }

  @Test
  void theNodeHostsHubbleAsksTheRelayAndTheAgentContainersOnlyItsNode() {
    agent.ring.add(udp(T));
    Run host = run("hubble observe");
    assertEquals(0, host.exit);
    assertEquals(Boolean.TRUE, agent.lastObserveCluster);
    Run container = new Run(NodeTools.agentContainer(agent), "hubble observe");
    assertEquals(0, container.exit);
    assertEquals(Boolean.FALSE, agent.lastObserveCluster);
    assertEquals(host.out.toString(), container.out.toString());
    assertTrue(host.out.toString().contains("to-stack FORWARDED (UDP)"), host.out.toString());
  }

  @Test
  void termKillsAFollowingObserve() {
    Run r = run("hubble observe --follow");
    r.signal("TERM");
    assertEquals(143, r.exit);
    agent.ring.add(udp(T));
    assertEquals("", r.out.toString());
  }

  @Test
  void withoutFollowTheLastMatchingFlowsThenExit() {
    for (int i = 0; i < 25; i++) {
      agent.ring.add(tcp(T + i * 1000L, CURL, 36548, WEB, 80, TcpHeader.ACK, "to-endpoint", false));
    }
    agent.ring.add(udp(T + 30_000));
    Run all = run("hubble observe");
    assertEquals(0, all.exit);
    String[] lines = all.out.toString().split("\n");
    assertEquals(20, lines.length);
    assertTrue(lines[0].startsWith("Aug  8 15:05:43.124: "), lines[0]);
    assertTrue(lines[19].endsWith("to-stack FORWARDED (UDP)"), lines[19]);
    Run three = run("hubble observe --last 3 --protocol tcp");
    assertEquals(3, three.out.toString().split("\n").length);
    assertTrue(three.out.toString().startsWith("Aug  8 15:05:43.140: "), three.out.toString());
    // hubble observe flows is the same command; the connection flags change nothing
    assertEquals(three.out.toString(),
        run("hubble --server localhost:4245 observe flows -P --last=3 --protocol=tcp").out.toString());
    Run none = run("hubble observe --pod kube-system/coredns");
    assertEquals("", none.out.toString());
    assertEquals(0, none.exit);
  }

  @Test
  void followWithLastShowsThePastFirst() {
    agent.ring.add(tcp(T, CURL, 36548, WEB, 80, TcpHeader.SYN, "to-endpoint", false));
    Run r = run("hubble observe -f --last 1");
    assertEquals(SYN, r.out.toString());
    agent.ring.add(tcp(T + 200, WEB, 80, CURL, 36548, TcpHeader.SYN | TcpHeader.ACK, "to-overlay", true));
    assertEquals(SYN + SYN_ACK, r.out.toString());
  }

  @Test
  void timesInTheHostsZone() {
    agent.ring.add(tcp(T, CURL, 36548, WEB, 80, TcpHeader.SYN, "to-endpoint", false));
    Run seoul = new Run(NodeTools.standard(agent, ZoneId.of("Asia/Seoul")), "hubble observe");
    assertTrue(seoul.out.toString().startsWith("Aug  9 00:05:43.118: "), seoul.out.toString());
  }

  @Test
  void errorsArePrintedBare() {
    assertFailure(run("hubble observe --bogus"), "unknown flag: --bogus\n");
    assertFailure(run("hubble observe --protocol sctp2"), "invalid protocol filter: sctp2\n");
    assertFailure(run("hubble observe --last"), "flag needs an argument: --last\n");
    assertFailure(run("hubble obsrve"), "unknown command \"obsrve\" for \"hubble\"\n\nDid you mean this?\n\tobserve\n\n");
    assertFailure(run("hubble --server"), "flag needs an argument: --server\n");
    Run status = run("hubble status");
    assertEquals(1, status.exit);
    assertTrue(status.err.toString().startsWith("podnet: hubble status: not emulated"));
  }

  private static void assertFailure(Run r, String err) {
    assertEquals("", r.out.toString());
    assertEquals(err, r.err.toString());
    assertEquals(1, r.exit);
  }

  @Test
  void theFactoriesAreTheFourTools() {
    assertEquals(java.util.Set.of("cilium", "cilium-dbg", "hubble", "helm"), NodeTools.standard(agent).keySet());
  }
}
