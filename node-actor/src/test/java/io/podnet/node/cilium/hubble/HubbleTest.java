package io.podnet.node.cilium.hubble;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.TcpHeader;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HubbleTest {
  static final long T = Instant.parse("2025-08-08T15:05:43.118Z").toEpochMilli() * 1000;
  static final Ipv4Address CURL = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address WEB = Ipv4Address.parse("172.20.2.54");

  static Flow tcp(Ipv4Address s, int sp, Ipv4Address d, int dp, int flags, String point, Boolean reply) {
    return new Flow(T, "k8s-ctr", s, d, 6, sp, dp, flags, -1, 0, s.equals(CURL) ? 29101 : 11761,
        d.equals(CURL) ? 29101 : 11761, s.equals(CURL) ? "default/curl-pod" : "default/webpod-697b545f57-9c7vb",
        d.equals(CURL) ? "default/curl-pod" : "default/webpod-697b545f57-9c7vb", Flow.Kind.TRACE,
        Flow.Verdict.FORWARDED, point, reply);
  }

  @Test
  void compactLinesAsTheReferenceShowsThem() {
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    assertEquals("Aug  8 15:05:43.118: default/curl-pod:36548 (ID:29101) -> default/webpod-697b545f57-9c7vb:80 "
        + "(ID:11761) to-endpoint FORWARDED (TCP Flags: SYN)\n",
        p.line(tcp(CURL, 36548, WEB, 80, TcpHeader.SYN, "to-endpoint", false)));
    assertEquals("Aug  8 15:05:43.118: default/curl-pod:36548 (ID:29101) <- default/webpod-697b545f57-9c7vb:80 "
        + "(ID:11761) to-overlay FORWARDED (TCP Flags: SYN, ACK)\n",
        p.line(tcp(WEB, 80, CURL, 36548, TcpHeader.SYN | TcpHeader.ACK, "to-overlay", true)));
    assertEquals("Aug  8 15:05:43.118: default/curl-pod:36548 (ID:29101) -> default/webpod-697b545f57-9c7vb:80 "
        + "(ID:11761) to-endpoint FORWARDED (TCP Flags: ACK, PSH)\n",
        p.line(tcp(CURL, 36548, WEB, 80, TcpHeader.PSH | TcpHeader.ACK, "to-endpoint", false)));
    Flow fwd = new Flow(T + 3000, "k8s-ctr", CURL, Ipv4Address.parse("10.96.107.144"), 6, 0, 80, 0, -1, 0, 29101, 2,
        "default/curl-pod", null, Flow.Kind.TRACE_SOCK, Flow.Verdict.TRACED, "pre-xlate-fwd", null);
    assertEquals("Aug  8 15:05:43.121: default/curl-pod (ID:29101) <> 10.96.107.144:80 (world) pre-xlate-fwd TRACED "
        + "(TCP)\n", p.line(fwd));
    Flow drop = new Flow(T, "k8s-w0", Ipv4Address.parse("172.20.0.74"), WEB, 1, 0, 0, 0, 8, 0, 1, 11761, null,
        "default/webpod-697b545f57-9c7vb", Flow.Kind.DROP, Flow.Verdict.DROPPED, "Stale or unroutable IP", null);
    assertEquals("Aug  8 15:05:43.118: 172.20.0.74 (host) <> default/webpod-697b545f57-9c7vb (ID:11761) "
        + "Stale or unroutable IP DROPPED (ICMPv4 EchoRequest)\n", p.line(drop));
  }

  @Test
  void observeFiltersAndLast() throws Exception {
    List<Flow> flows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      flows.add(tcp(CURL, 40000 + i, WEB, 80, TcpHeader.SYN, "to-overlay", false));
    }
    Flow other = new Flow(T, "k8s-ctr", WEB, Ipv4Address.parse("10.0.0.1"), 17, 1, 2, 0, -1, 0, 11761, 2,
        "default/webpod-697b545f57-9c7vb", null, Flow.Kind.TRACE, Flow.Verdict.FORWARDED, "to-stack", false);
    flows.add(other);
    assertEquals(20, ObserveOptions.parse(List.of()).select(flows).size());
    assertEquals(3, ObserveOptions.parse(List.of("--last", "3", "--pod", "curl-pod")).select(flows).size());
    assertEquals(List.of(other), ObserveOptions.parse(List.of("--protocol", "udp")).select(flows));
    assertEquals(List.of(other), ObserveOptions.parse(List.of("--from-pod", "default/webpod")).select(flows));
    assertEquals(0, ObserveOptions.parse(List.of("--pod", "kube-system/curl-pod")).select(flows).size());
    assertEquals(0, ObserveOptions.parse(List.of("--type", "drop")).select(flows).size());
    ObserveOptions f = ObserveOptions.parse(List.of("-f", "--protocol", "tcp", "--pod", "curl-pod", "-o", "compact"));
    assertEquals(true, f.follow());
    assertEquals(0, f.last());
    assertEquals("unknown flag: --bogus",
        assertThrows(ObserveOptions.UsageException.class, () -> ObserveOptions.parse(List.of("--bogus"))).getMessage());
    assertEquals("invalid protocol filter: sctp2", assertThrows(ObserveOptions.UsageException.class,
        () -> ObserveOptions.parse(List.of("--protocol", "sctp2"))).getMessage());
  }

  @Test
  void ringKeepsTheNewestAndFeedsFollowers() {
    FlowRing r = new FlowRing(2);
    List<Flow> followed = new ArrayList<>();
    Runnable stop = r.follow(followed::add);
    Flow a = tcp(CURL, 1, WEB, 80, TcpHeader.SYN, "to-overlay", false);
    Flow b = tcp(CURL, 2, WEB, 80, TcpHeader.SYN, "to-overlay", false);
    Flow c = tcp(CURL, 3, WEB, 80, TcpHeader.SYN, "to-overlay", false);
    r.add(a);
    r.add(b);
    stop.run();
    r.add(c);
    assertEquals(List.of(b, c), r.flows());
    assertEquals(List.of(a, b), followed);
    assertEquals(3, r.seen());
  }
}
