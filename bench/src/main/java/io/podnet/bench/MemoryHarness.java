package io.podnet.bench;

import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.lab.LabPlan;
import io.podnet.deploy.lab.LabSession;
import io.podnet.deploy.topology.TopologyLoader;
import io.podnet.node.api.KubeResource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Issue 5, memory: heap per idle node with 30 pods. A generated lab: N Kubernetes nodes on one
 * segment, Cilium with the reference lab's values (native routing, autoDirectNodeRoutes,
 * cluster-pool IPAM), and a Deployment of idle pods ({@code pause}, no process) with P x N
 * replicas, which the scheduler spreads P per node. Three readings of used heap after full
 * collections, all in one JVM, each once the lab is ready (every pod Running, every datapath
 * knowing every endpoint) and has idled for a few seconds:
 *
 * <ul>
 *   <li>H(nodes): the lab with 0 replicas; H(pods): the lab with P x N replicas;
 *   <li>H(base): after both labs closed (the classes loaded, nothing of a lab left).
 * </ul>
 *
 * H(pre), read before anything of a lab is loaded, gives an upper bound: (H(pods) - H(pre)) / N also
 * counts what loading the classes put on the heap once per JVM (static tables, interned strings).
 *
 * <p>Per node with P pods = (H(pods) - H(base)) / N: everything the lab holds for its nodes and
 * pods (actors, network stacks, datapaths, agents, the API server's objects and watch history).
 * Also per node without pods, (H(nodes) - H(base)) / N, and per pod, (H(pods) - H(nodes)) / (P N).
 * With {@code -Dbench.histo=N} it prints the N largest classes of the live heap (jcmd
 * GC.class_histogram) with the pods' lab running.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.podnet.bench.MemoryHarness [N] [P] [idle s]}
 */
public final class MemoryHarness {
  public static void main(String[] args) throws Exception {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 4;
    int perNode = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int idle = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    Path home = LabBench.tempHome("podnet-memory-");
    long hPre = LabBench.usedHeapAfterGc();
    long hNodes = measure(home, "mem-nodes", nodes, 0, idle, false);
    long hPods = measure(home, "mem-pods", nodes, perNode * nodes, idle, true);
    long hBase = LabBench.usedHeapAfterGc();
    System.out.printf("H(pre) %.1f MB, H(base) %.1f MB, H(nodes) %.1f MB, H(pods) %.1f MB%n", hPre / 1e6, hBase / 1e6,
        hNodes / 1e6, hPods / 1e6);
    System.out.printf("%d nodes, %d pods each: %.2f MB per node with its %d pods; %.2f MB per node without pods;"
            + " %.1f kB per pod%n", nodes, perNode, (hPods - hBase) / 1e6 / nodes, perNode,
        (hNodes - hBase) / 1e6 / nodes, (hPods - hNodes) / 1e3 / (perNode * nodes));
    System.out.printf("upper bound, against the heap before any class of a lab was loaded: %.2f MB per node%n",
        (hPods - hPre) / 1e6 / nodes);
    System.exit(0);
  }

  /** Starts the generated lab, waits until ready and idle, reads the heap, closes the lab. */
  static long measure(Path home, String name, int nodes, int replicas, int idleSeconds, boolean histo)
      throws Exception {
    Path dir = Files.createDirectories(home.resolve("topologies").resolve(name));
    Files.writeString(dir.resolve("lab.yaml"), topology(name, nodes));
    Files.writeString(dir.resolve("idle.yaml"), deployment(replicas));
    LabPlan plan = LabPlan.of(TopologyLoader.load(dir.resolve("lab.yaml")));
    long t0 = System.nanoTime();
    try (LabSession s = LabSession.start(plan, LabDir.forLab(name), "127.0.0.1", true)) {
      long running = LabBench.list(s.lab().system(), KubeResource.PODS, "default", "app=idle", "").stream()
          .filter(p -> "Running".equals(LabBench.str(p, "status", "phase"))).count();
      if (running != replicas) {
        throw new IllegalStateException(name + ": " + running + " of " + replicas + " pods Running");
      }
      System.out.printf("%s: %d nodes, %d pods Running, ready in %d ms%n", name, nodes, running,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      Thread.sleep(idleSeconds * 1000L);
      long used = LabBench.usedHeapAfterGc();
      int top = Integer.getInteger("bench.histo", 0);
      if (histo && top > 0) {
        Process p = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
            .redirectErrorStream(true).start();
        String[] lines = new String(p.getInputStream().readAllBytes()).split("\n");
        p.waitFor();
        for (int i = 0; i < Math.min(lines.length, top + 3); i++) {
          System.out.println(lines[i]);
        }
      }
      return used;
    }
  }

  static String topology(String name, int nodes) {
    StringBuilder t = new StringBuilder("name: " + name + "\nseed: 5\nsegments:\n  lan: {}\nhosts:\n");
    for (int i = 1; i <= nodes; i++) {
      t.append("  node").append(i).append(":\n    kind: node\n    interfaces:\n      eth1: {segment: lan, address: 10.9.0.")
          .append(10 + i).append("/24}\n");
    }
    t.append("""
        cilium:
          version: 1.18.0
          set:
            - kubeProxyReplacement=true
            - routingMode=native
            - autoDirectNodeRoutes=true
            - ipv4NativeRoutingCIDR=172.20.0.0/16
            - ipam.mode=cluster-pool
            - ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}
            - ipam.operator.clusterPoolIPv4MaskSize=24
            - installNoConntrackIptablesRules=true
        manifests:
          - idle.yaml
        """);
    return t.toString();
  }

  static String deployment(int replicas) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: idle
        spec:
          replicas: %d
          selector:
            matchLabels:
              app: idle
          template:
            metadata:
              labels:
                app: idle
            spec:
              containers:
              - name: pause
                image: registry.k8s.io/pause:3.10
        """.formatted(replicas);
  }
}
