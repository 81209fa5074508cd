package io.podnet.bench;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.controllers.Admission;
import io.podnet.apiserver.controllers.ControllerManager;
import io.podnet.apiserver.controllers.NodeLifecycleController;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.ResourceType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Heap retained by the API server's store per stored object: fills a store with 10,000 objects
 * like the lab's, through the API server's admission (pod defaults and tolerations, Service
 * clusterIP and ports), pods as a ReplicaSet makes them and a kubelet reports them Running, and
 * prints (heap used after GC with the store) - (heap used after GC before it), per object. The
 * store's watch history (1,024 changes) is included: it refers to the stored objects, so it adds
 * its change records only.
 *
 * <p>Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar io.podnet.bench.StoreHeapHarness [N]}
 */
public final class StoreHeapHarness {
  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private StoreHeapHarness() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    System.out.printf("java %s, -Xmx %d MB%n", System.getProperty("java.version"),
        Runtime.getRuntime().maxMemory() >> 20);
    // Warm the code paths once so class metadata does not count.
    fill(200, 1, 1);
    for (int round = 0; round < 2; round++) {
      measure("pods", n, 1, 0);
      measure("services", n, 0, 1);
      measure("pods:services 9:1", n, 9, 1);
    }
  }

  private static void measure(String what, int n, int podWeight, int serviceWeight) {
    long before = usedAfterGc();
    ObjectStore store = fill(n, podWeight, serviceWeight);
    long after = usedAfterGc();
    if (store.size() != n) {
      throw new IllegalStateException("stored " + store.size());
    }
    System.out.printf("%-18s %,7d objects: %,12d bytes retained, %,6d bytes per object%n", what, store.size(),
        after - before, (after - before) / n);
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  static ObjectStore fill(int n, int podWeight, int serviceWeight) {
    long[] clock = {1_754_742_925_085L};
    ObjectStore store = new ObjectStore(() -> clock[0], new SplittableRandom(1));
    Admission admission = ControllerManager.standard(ApiResources.standard(), "10.96.0.0/12",
        NodeLifecycleController.DEFAULT_GRACE_MILLIS, new SplittableRandom(2)).admission();
    String[] nodes = {"k8s-ctr", "k8s-w1", "k8s-w0"};
    int per = podWeight + serviceWeight;
    for (int i = 0; i < n; i++) {
      clock[0] += 7;
      boolean pod = i % per < podWeight;
      if (pod) {
        String app = "app-" + (i / per);
        String hash = "696774f575";
        KubeObject rs = new KubeObject("apps/v1", "ReplicaSet", new ObjectMeta(app + "-" + hash, "default",
            "0b6b4d8c-8f0e-4a57-9a55-" + String.format("%012d", i / per), "1", 1, Map.of(), Map.of(), ""),
            Struct.getDefaultInstance(), Struct.getDefaultInstance());
        ObjectMeta meta = ObjectMeta.of("default", "", Map.of("app", app, "pod-template-hash", hash))
            .withGenerateName(app + "-" + hash + "-")
            .withOwnerReferences(List.of(OwnerReference.controllerOf(rs)));
        String node = nodes[i % 3];
        String ip = "172.20." + (i % 3) + "." + (10 + i % 240);
        String t = KubeTime.time(clock[0]);
        Struct spec = Json.obj("nodeName", node, "containers", List.of(Map.of("name", "webpod", "image",
            "traefik/whoami", "ports", List.of(Map.of("containerPort", 80, "name", "http", "protocol", "TCP")))));
        Struct status = Json.obj("phase", "Running", "podIP", ip, "podIPs", List.of(Map.of("ip", ip)),
            "hostIP", "192.168.10.10" + (i % 3), "startTime", t,
            "conditions", List.of(
                Map.of("type", "Initialized", "status", "True", "lastTransitionTime", t),
                Map.of("type", "Ready", "status", "True", "lastTransitionTime", t),
                Map.of("type", "ContainersReady", "status", "True", "lastTransitionTime", t),
                Map.of("type", "PodScheduled", "status", "True", "lastTransitionTime", t)),
            "containerStatuses", List.of(Map.of("name", "webpod", "image", "traefik/whoami", "ready", true,
                "restartCount", 0, "started", true, "state", Map.of("running", Map.of("startedAt", t)))));
        create(store, admission, ApiResources.POD, new KubeObject("v1", "Pod", meta, spec, Struct.getDefaultInstance()),
            status);
      } else {
        String app = "app-" + i;
        Struct spec = Json.obj("selector", Map.of("app", app),
            "ports", List.of(Map.of("port", 80, "protocol", "TCP", "targetPort", 80)));
        create(store, admission, ApiResources.SERVICE, new KubeObject("v1", "Service",
            ObjectMeta.of("default", app, Map.of("app", app)), spec, Struct.getDefaultInstance()), null);
      }
    }
    return store;
  }

  private static void create(ObjectStore store, Admission admission, ResourceType type, KubeObject o, Struct status) {
    KubeObject created = store.create(type, admission.admit(store, type, o, null));
    if (status != null) {
      store.updateStatus(type, created.withStatus(status));
    }
  }
}
