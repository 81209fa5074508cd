package io.podnet.bench;

import com.google.protobuf.Struct;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.lab.LabPlan;
import io.podnet.deploy.lab.LabSession;
import io.podnet.deploy.topology.TopologyLoader;
import io.podnet.node.api.KubeResource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 5, datapath: pod-to-pod ICMP across nodes and through the router in Geneve mode, in one
 * JVM, on the reference lab (deploy/labs/cilium-seed). The lab starts with native routing; the
 * harness switches it to Geneve with the walkthrough's {@code helm upgrade}, waits until every
 * agent reports {@code Tunnel [geneve]}, checks with one ping that the reply comes back with
 * ttl=63 and that the router carries it as Geneve (tcpdump on the router), then measures.
 *
 * <p>Traffic: K concurrent {@code ping -i 0 -q -c N TARGET} in curl-pod (on k8s-ctr, 192.168.10.0/24)
 * to the webpod on k8s-w0 (192.168.20.0/24, behind the router). {@code -i 0} is ping's flood
 * pacing: each ping sends its next probe as soon as its last one is answered, so K probes are in
 * flight. The path of one echo request, one actor per hop (a frame handed to an actor's mailbox):
 *
 * <pre>
 *   curl-pod host -> veth segment -> k8s-ctr host (encap) -> net-192-168-10 segment -> router
 *     -> net-192-168-20 segment -> k8s-w0 host (decap) -> veth segment -> webpod host      8 hops
 * </pre>
 *
 * and the echo reply the same way back: 16 frame-hops per round trip. Rates: frame-hops per second
 * of wall time, and per second of CPU time (the whole process: actors, GC, JIT; and the dispatcher
 * threads alone), which is frame-hops per second per core.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.podnet.bench.DatapathHarness [K] [N] [rounds] [lab]}
 */
public final class DatapathHarness {
  static final int HOPS_PER_ROUND_TRIP = 16;
  static final Pattern STATS = Pattern.compile("(\\d+) packets transmitted, (\\d+) received");

  public static void main(String[] args) throws Exception {
    int k = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Path labDir = Path.of(args.length > 3 ? args[3] : "deploy/labs/cilium-seed");
    LabBench.tempHome("podnet-bench-");
    LabPlan plan = LabPlan.of(TopologyLoader.load(labDir.resolve("lab.yaml")));
    try (LabSession s = LabSession.start(plan, LabDir.forLab(plan.spec().name()), "127.0.0.1", true)) {
      var lab = s.lab();
      System.out.println("lab " + plan.spec().name() + " ready after " + s.readyAfter().toMillis() + " ms");
      LabBench.Result up = LabBench.run(lab, "k8s-ctr", "helm", "upgrade", "cilium", "cilium/cilium", "--namespace",
          "kube-system", "--version", "1.18.0", "--reuse-values", "--set", "routingMode=tunnel", "--set",
          "tunnelProtocol=geneve", "--set", "autoDirectNodeRoutes=false", "--set",
          "installNoConntrackIptablesRules=false");
      if (up.code() != 0) {
        throw new IllegalStateException("helm upgrade: " + up.text());
      }
      for (String node : List.of("k8s-ctr", "k8s-w1", "k8s-w0")) {
        LabBench.await(node + " in Geneve mode", Duration.ofSeconds(60), () -> {
          String st = LabBench.run(lab, node, "cilium-dbg", "status").text();
          return st.contains("Tunnel [geneve]") ? "" : st;
        });
      }
      List<Struct> pods = LabBench.list(lab.system(), KubeResource.PODS, "default", "app=webpod",
          "spec.nodeName=k8s-w0");
      String target = LabBench.str(pods.get(0), "status", "podIP");
      String client = "default/curl-pod";
      // One probe: ttl=63 (the router's hop is inside the tunnel), carried as Geneve by the router.
      LabBench.await("a Geneve round trip", Duration.ofSeconds(60), () -> {
        CompletableFuture<LabBench.Result> dump = LabBench.start(lab, "router", "tcpdump", "-i", "any", "-nn", "-c",
            "4", "udp", "port", "6081");
        LabBench.Result ping = LabBench.run(lab, client, "ping", "-c", "1", "-W", "1", target);
        if (!ping.text().contains("ttl=63")) {
          dump.cancel(true);
          return ping.text();
        }
        LabBench.Result d = dump.get(10, TimeUnit.SECONDS);
        return d.text().contains("Geneve") && d.text().contains("ICMP echo reply") ? "" : d.text();
      });
      System.out.printf("path: %s -> %s (webpod on k8s-w0), Geneve through the router; %d frame-hops per round"
          + " trip%n", client, target, HOPS_PER_ROUND_TRIP);
      System.out.println("warm-up: " + round(lab, client, target, k, n));
      for (int r = 1; r <= rounds; r++) {
        System.out.println("round " + r + ": " + round(lab, client, target, k, n));
      }
    }
  }

  static String round(io.podnet.deploy.lab.Lab lab, String client, String target, int k, int n) throws Exception {
    List<CompletableFuture<LabBench.Result>> pings = new ArrayList<>();
    long cpu0 = LabBench.processCpuNanos();
    long disp0 = LabBench.threadsCpuNanos("dispatcher");
    long alloc0 = LabBench.threadsAllocatedBytes("dispatcher");
    long t0 = System.nanoTime();
    for (int i = 0; i < k; i++) {
      pings.add(LabBench.start(lab, client, "ping", "-i", "0", "-q", "-c", Integer.toString(n), target));
    }
    long replies = 0;
    long sent = 0;
    for (CompletableFuture<LabBench.Result> p : pings) {
      LabBench.Result r = p.get(10, TimeUnit.MINUTES);
      Matcher m = STATS.matcher(r.text());
      if (!m.find()) {
        throw new IllegalStateException("no statistics from ping: " + r.text());
      }
      sent += Long.parseLong(m.group(1));
      replies += Long.parseLong(m.group(2));
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (LabBench.processCpuNanos() - cpu0) / 1e9;
    double disp = (LabBench.threadsCpuNanos("dispatcher") - disp0) / 1e9;
    long hops = replies * HOPS_PER_ROUND_TRIP;
    long alloc = LabBench.threadsAllocatedBytes("dispatcher") - alloc0;
    return String.format("%d pings x %d: %d sent, %d replies in %.2f s wall, %.2f s CPU (%.2f s in dispatcher threads)"
            + ": %.0f round trips/s, %.0f frame-hops/s wall, %.0f frame-hops/s per core (process CPU),"
            + " %.0f per core (dispatcher CPU), %.0f bytes allocated per frame-hop (dispatcher threads)", k, n, sent,
        replies, wall, cpu, disp, replies / wall, hops / wall, hops / cpu, hops / disp,
        alloc0 < 0 ? Double.NaN : (double) alloc / Math.max(1, hops));
  }
}
