package io.podnet.bench;

import io.podnet.deploy.control.CommandRequest;
import io.podnet.deploy.control.Output;
import io.podnet.deploy.lab.Lab;
import io.podnet.deploy.lab.LabPlan;
import io.podnet.deploy.topology.TopologyLoader;
import io.podnet.netstack.core.PingSocket;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * End-to-end ICMP in a running lab: host a -> router -> host b and back, through the segment,
 * router and host actors in one JVM. Two measurements:
 *
 * <ul>
 *   <li>latency: {@code ping -c N -i 0.01 -q} from a to b, its rtt line (the ping tool's own
 *       figures on the lab clock);
 *   <li>throughput: a burst tool on a sends W echo requests at once and keeps W in flight until N
 *       replies are back; round trips per second, and frame-hops per second where a round trip is
 *       8 actor hops (segment, router, segment, host b; and back).
 * </ul>
 *
 * Run: {@code java -cp bench/target/benchmarks.jar io.podnet.bench.LabPingHarness [N] [W]}
 */
public final class LabPingHarness {
  static final String LAB = """
      name: bench-ping
      seed: 1
      segments: {left: {}, right: {}}
      hosts:
        gw:
          kind: router
          interfaces:
            lan1: {segment: left, address: 10.1.0.1/24}
            lan2: {segment: right, address: 10.2.0.1/24}
        a:
          interfaces:
            nic0: {segment: left, address: 10.1.0.10/24}
          routes: [default via 10.1.0.1]
        b:
          interfaces:
            nic0: {segment: right, address: 10.2.0.20/24}
          routes: [default via 10.2.0.1]
      """;

  /** burst N W DST: keeps W echo requests in flight until N replies; prints "N elapsed_us". */
  static final ToolFactory BURST = (ctx, args) -> new Tool() {
    @Override
    public void start() {
      int total = Integer.parseInt(args.get(0));
      int window = Integer.parseInt(args.get(1));
      Ipv4Address dst = Ipv4Address.parse(args.get(2));
      PingSocket s = ctx.core().openPing(7000);
      ctx.onExit(s::close);
      long start = ctx.nowMicros();
      int[] sent = {0};
      int[] got = {0};
      byte[] data = new byte[56];
      s.setListener(ev -> {
        if (ev instanceof PingSocket.EchoReply) {
          got[0]++;
          if (got[0] == total) {
            ctx.out(total + " " + (ctx.nowMicros() - start) + "\n");
            ctx.exit(0);
          } else if (sent[0] < total) {
            s.send(dst, ++sent[0] & 0xffff, data);
          }
        }
      });
      for (int i = 0; i < window && sent[0] < total; i++) {
        s.send(dst, ++sent[0] & 0xffff, data);
      }
    }
  };

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int w = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    LabPlan plan = LabPlan.of(TopologyLoader.parse("bench-ping", LAB));
    try (Lab lab = Lab.start(plan, Lab.defaultConfig(), Map.of("burst", BURST))) {
      System.out.println("warm-up: " + run(lab, "a", "burst", "50000", Integer.toString(w), "10.2.0.20").strip());
      for (int round = 1; round <= 3; round++) {
        String[] r = run(lab, "a", "burst", Integer.toString(n), Integer.toString(w), "10.2.0.20").strip().split(" ");
        double secs = Long.parseLong(r[1]) / 1e6;
        double rtps = n / secs;
        System.out.printf("round %d: %d round trips in %.3f s: %.0f round trips/s, %.0f frame-hops/s%n", round, n,
            secs, rtps, rtps * 8);
      }
      String ping = run(lab, "a", "ping", "-c", "200", "-i", "0.01", "-q", "10.2.0.20");
      System.out.println("latency (ping -c 200 -i 0.01 -q):");
      System.out.print(ping);
    }
  }

  static String run(Lab lab, String host, String... argv) throws Exception {
    StringBuilder out = new StringBuilder();
    CompletableFuture<String> never = new CompletableFuture<>();
    lab.runner().run(new CommandRequest(host, "/", List.of(argv)), never)
        .runWith(Sink.foreach(o -> {
          if (o instanceof Output.Out t) {
            out.append(t.text());
          } else if (o instanceof Output.Err t) {
            out.append(t.text());
          }
        }), lab.system()).toCompletableFuture().get(10, TimeUnit.MINUTES);
    return out.toString();
  }
}
