package io.podnet.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.lab.Lab;
import io.podnet.deploy.lab.LabPlan;
import io.podnet.deploy.lab.LabSession;
import io.podnet.deploy.topology.TopologyLoader;
import io.podnet.node.api.KubeResource;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 5, start-up: from the topology file to every pod Running and every route installed, for
 * the reference lab, measured from the JVM's start ({@code RuntimeMXBean.getStartTime}). Run it in
 * a fresh JVM each time; it prints one line:
 *
 * <ul>
 *   <li>{@code jvm->main}: JVM start to this main (JVM boot, class path);
 *   <li>{@code main->ready}: loading and planning the topology, then {@code LabSession.start}
 *       (actors, API server, Cilium install, manifests, the control endpoint) until it returns,
 *       which is when every pod runs and every datapath knows every endpoint;
 *   <li>{@code readyAfter}: the session's own figure, from its actors' start to readiness;
 *   <li>{@code jvm->ready}: the target's figure (< 2 s).
 * </ul>
 *
 * Then it checks, untimed, that the routes are there at that instant: on every node, for every
 * other node reached directly (no {@code via} in {@code ip route get}), a route to that node's
 * podCIDR via its address (autoDirectNodeRoutes); and with {@code -Dbench.verbose} prints them.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.podnet.bench.StartupHarness [lab]}
 */
public final class StartupHarness {
  public static void main(String[] args) throws Exception {
    long mainAt = System.currentTimeMillis();
    long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
    Path labDir = Path.of(args.length > 0 ? args[0] : "deploy/labs/cilium-seed");
    LabBench.tempHome("podnet-startup-");
    Thread main = Thread.currentThread();
    java.util.Map<String, Integer> phases = new java.util.TreeMap<>();
    Thread sampler = new Thread(() -> sample(main, phases), "phase-sampler");
    sampler.setDaemon(true);
    if (Boolean.getBoolean("bench.phases")) {
      sampler.start();
    }
    LabPlan plan = LabPlan.of(TopologyLoader.load(labDir.resolve("lab.yaml")));
    try (LabSession s = LabSession.start(plan, LabDir.forLab(plan.spec().name()), "127.0.0.1", true)) {
      long readyAt = System.currentTimeMillis();
      sampler.interrupt();
      String routes = checkRoutes(s.lab());
      System.out.printf("%s: jvm->main %d ms, main->ready %d ms (readyAfter %d ms), jvm->ready %d ms; %s%n",
          plan.spec().name(), mainAt - jvmStart, readyAt - mainAt, s.readyAfter().toMillis(), readyAt - jvmStart,
          routes);
      if (!phases.isEmpty()) {
        System.out.println("main thread, 5 ms samples by the innermost podnet/pekko frame of interest: " + phases);
      }
    }
    System.exit(0);
  }

  /**
   * A wall-clock profile of the main thread: every 5 ms, the innermost frame whose class is a lab
   * start-up step (the LabSession steps, or the first podnet frame), counted by Class.method.
   */
  static void sample(Thread main, java.util.Map<String, Integer> phases) {
    while (!Thread.currentThread().isInterrupted()) {
      String key = "other";
      StackTraceElement[] st = main.getStackTrace();
      for (StackTraceElement e : st) {
        String c = e.getClassName();
        if (c.startsWith("io.podnet.") && !c.startsWith("io.podnet.bench.")) {
          key = c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName();
          break;
        }
      }
      synchronized (phases) {
        phases.merge(key, 1, Integer::sum);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** "N direct-node routes present" or what is missing. */
  static String checkRoutes(Lab lab) throws Exception {
    List<String[]> nodes = new ArrayList<>(); // name, internal IP, podCIDR
    for (Struct n : LabBench.list(lab.system(), KubeResource.CILIUM_NODES, "", "", "")) {
      Struct spec = n.getFieldsMap().get("spec").getStructValue();
      String ip = "";
      for (Value a : spec.getFieldsMap().get("addresses").getListValue().getValuesList()) {
        if ("InternalIP".equals(LabBench.str(a.getStructValue(), "type"))) {
          ip = LabBench.str(a.getStructValue(), "ip");
        }
      }
      String cidr = spec.getFieldsMap().get("ipam").getStructValue().getFieldsMap().get("podCIDRs").getListValue()
          .getValues(0).getStringValue();
      nodes.add(new String[] {LabBench.str(n, "metadata", "name"), ip, cidr});
    }
    int present = 0;
    List<String> missing = new ArrayList<>();
    for (String[] n : nodes) {
      String table = LabBench.run(lab, n[0], "ip", "route").text();
      if (Boolean.getBoolean("bench.verbose")) {
        System.out.print(n[0] + "# ip route\n" + table);
      }
      for (String[] m : nodes) {
        if (m == n) {
          continue;
        }
        boolean direct = !LabBench.run(lab, n[0], "ip", "route", "get", m[1]).text().contains(" via ");
        if (!direct) {
          continue;
        }
        if (table.contains(m[2] + " via " + m[1] + " ")) {
          present++;
        } else {
          missing.add(n[0] + " has no route " + m[2] + " via " + m[1]);
        }
      }
    }
    return missing.isEmpty() ? present + " direct-node routes present" : "MISSING: " + missing;
  }
}
