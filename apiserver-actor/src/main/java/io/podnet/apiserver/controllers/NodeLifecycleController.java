package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The node lifecycle controller:
 *
 * <ul>
 *   <li>a node whose last heartbeat (the later of its Lease kube-node-lease/NODE's renewTime and its
 *       Ready condition's lastHeartbeatTime; its creation if it has neither) is older than the grace
 *       period (node-monitor-grace-period) gets Ready (and the pressure conditions) Unknown, reason
 *       NodeStatusUnknown, "Kubelet stopped posting node status.", and the taints
 *       node.kubernetes.io/unreachable NoSchedule and NoExecute (with timeAdded); its pods get
 *       Ready False (MarkPodsNotReady);
 *   <li>a renewal within the grace period makes it Ready again (standing in for the kubelet's next
 *       status post) and removes the taints;
 *   <li>taint-based eviction: a pod on a node with a NoExecute taint is deleted at once when it does
 *       not tolerate it, after tolerationSeconds (300 s by the DefaultTolerationSeconds admission)
 *       when it does;
 *   <li>the pod GC's orphan collection: a pod bound to a node that does not exist is left alone
 *       while the node may still register (kube-controller-manager's podgc quarantineTime, 40 s);
 *       a node still missing after that is gone, and its pods are marked Failed (condition
 *       DisruptionTarget, reason DeletionByPodGC, "PodGC: node no longer exists") and deleted.
 * </ul>
 */
public final class NodeLifecycleController implements Reconciler {
  public static final long DEFAULT_GRACE_MILLIS = 40_000;
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  static final String UNREACHABLE = "node.kubernetes.io/unreachable";
  private static final List<String> PRESSURE = List.of("MemoryPressure", "DiskPressure", "PIDPressure");

  /** podgc's quarantineTime: how long a pod's node may be missing before the pod is collected. */
  public static final long ORPHAN_QUARANTINE_MILLIS = 40_000;

  private final long graceMillis;
  /** The nodes pods are bound to that have no Node object, and since when (epoch millis) they are missing. */
  private final Map<String, Long> missingSince = new HashMap<>();

  public NodeLifecycleController(long graceMillis) {
    if (graceMillis <= 0) {
      throw new IllegalArgumentException("grace period must be > 0: " + graceMillis);
    }
    this.graceMillis = graceMillis;
  }

  @Override
  public String name() {
    return "node-lifecycle";
  }

  /** When the node was last heard from, in epoch millis. */
  static long lastHeartbeat(Cluster cluster, KubeObject node) {
    long created = Kube.millis(node.metadata().creationTimestamp(), 0);
    long t = created;
    Struct ready = Kube.condition(node.status(), "Ready");
    if (ready != null) {
      t = Math.max(t, Kube.millis(Json.string(ready, "lastHeartbeatTime"), created));
    }
    Optional<KubeObject> lease = cluster.find(ApiResources.LEASE, LEASE_NAMESPACE, node.metadata().name());
    if (lease.isPresent()) {
      t = Math.max(t, Kube.millis(Json.string(lease.get().spec(), "renewTime"), created));
    }
    return t;
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    Set<String> nodeNames = new HashSet<>();
    for (KubeObject node : cluster.list(ApiResources.NODE)) {
      nodeNames.add(node.metadata().name());
      long heard = lastHeartbeat(cluster, node);
      Struct ready = Kube.condition(node.status(), "Ready");
      String readyStatus = ready == null ? "" : Json.string(ready, "status");
      if (now - heard > graceMillis) {
        if (!readyStatus.equals("Unknown")) {
          markUnknown(cluster, node, now);
        }
      } else if (readyStatus.equals("Unknown")) {
        markReady(cluster, node, heard, now);
      }
    }
    List<KubeObject> nodes = cluster.list(ApiResources.NODE);
    Set<String> missing = new HashSet<>();
    for (KubeObject pod : cluster.list(ApiResources.POD)) {
      String nodeName = Kube.nodeName(pod);
      if (nodeName.isEmpty()) {
        continue;
      }
      if (!nodeNames.contains(nodeName)) {
        missing.add(nodeName);
        long since = missingSince.computeIfAbsent(nodeName, n -> now);
        if (now - since >= ORPHAN_QUARANTINE_MILLIS) {
          collectOrphan(cluster, pod, now);
        }
        continue;
      }
      for (KubeObject node : nodes) {
        if (node.metadata().name().equals(nodeName)) {
          evictOrMark(cluster, pod, node, now);
        }
      }
    }
    // A node that registered (or whose pods are gone) starts a new quarantine should it go missing again.
    missingSince.keySet().retainAll(missing);
    return cluster.writes() != before;
  }

  /** podgc's markFailedAndDeletePodWithCondition: no kubelet will ever end the pod, so PodGC does. */
  private static void collectOrphan(Cluster cluster, KubeObject pod, long now) {
    String phase = Json.string(pod.status(), "phase");
    if (!phase.equals("Succeeded") && !phase.equals("Failed")) {
      Struct cond = Json.obj("type", "DisruptionTarget", "status", "True", "lastProbeTime", Json.nullValue(),
          "lastTransitionTime", Kube.time(now), "reason", "DeletionByPodGC",
          "message", "PodGC: node no longer exists");
      Struct status = Kube.setCondition(pod.status(), cond).toBuilder().putFields("phase", Json.of("Failed")).build();
      Optional<KubeObject> failed = cluster.updateStatus(ApiResources.POD, pod.withStatus(status));
      if (failed.isEmpty()) {
        return; // changed meanwhile: the next round sees it again
      }
      pod = failed.get();
    }
    cluster.delete(ApiResources.POD, pod);
  }

  private void evictOrMark(Cluster cluster, KubeObject pod, KubeObject node, long now) {
    List<Value> tolerations = Json.array(pod.spec(), "tolerations");
    for (Value tv : Json.array(node.spec(), "taints")) {
      Struct taint = tv.getStructValue();
      if (!Json.string(taint, "effect").equals("NoExecute")) {
        continue;
      }
      Struct tol = Kube.toleration(tolerations, taint);
      if (tol == null) {
        cluster.delete(ApiResources.POD, pod);
        return;
      }
      Value secs = tol.getFieldsMap().get("tolerationSeconds");
      if (secs != null && secs.hasNumberValue()) {
        long added = Kube.millis(Json.string(taint, "timeAdded"), now);
        if (now >= added + (long) secs.getNumberValue() * 1000) {
          cluster.delete(ApiResources.POD, pod);
          return;
        }
      }
    }
    Struct nodeReady = Kube.condition(node.status(), "Ready");
    if (nodeReady != null && Json.string(nodeReady, "status").equals("Unknown") && Kube.podReady(pod)) {
      Struct cond = Json.obj("type", "Ready", "status", "False", "lastProbeTime", Json.nullValue(),
          "lastTransitionTime", Kube.time(now));
      cluster.updateStatus(ApiResources.POD, pod.withStatus(Kube.setCondition(pod.status(), cond)));
    }
  }

  private static void markUnknown(Cluster cluster, KubeObject node, long now) {
    String t = Kube.time(now);
    Struct status = node.status();
    for (String type : concat("Ready", PRESSURE)) {
      Struct old = Kube.condition(status, type);
      if (old == null && !type.equals("Ready")) {
        continue;
      }
      Struct.Builder c = (old == null ? Json.obj("type", type) : old).toBuilder()
          .putFields("status", Json.of("Unknown"))
          .putFields("reason", Json.of("NodeStatusUnknown"))
          .putFields("message", Json.of("Kubelet stopped posting node status."))
          .putFields("lastTransitionTime", Json.of(t));
      if (!c.containsFields("lastHeartbeatTime")) {
        c.putFields("lastHeartbeatTime", Json.of(node.metadata().creationTimestamp()));
      }
      status = Kube.setCondition(status, c.build());
      // setCondition keeps the old transition time only when the status is unchanged: here it changed.
    }
    List<Value> taints = new ArrayList<>();
    for (Value tv : Json.array(node.spec(), "taints")) {
      if (!Json.string(tv.getStructValue(), "key").equals(UNREACHABLE)) {
        taints.add(tv);
      }
    }
    taints.add(Json.of(Json.obj("key", UNREACHABLE, "effect", "NoSchedule", "timeAdded", t)));
    taints.add(Json.of(Json.obj("key", UNREACHABLE, "effect", "NoExecute", "timeAdded", t)));
    Struct finalStatus = status;
    cluster.update(ApiResources.NODE, node.withSpec(Kube.with(node.spec(), Json.list(taints), "taints")))
        .ifPresent(n -> cluster.updateStatus(ApiResources.NODE, n.withStatus(finalStatus)));
  }

  private static void markReady(Cluster cluster, KubeObject node, long heard, long now) {
    Struct status = node.status();
    for (String type : concat("Ready", PRESSURE)) {
      Struct old = Kube.condition(status, type);
      if (old == null) {
        continue;
      }
      boolean ready = type.equals("Ready");
      Struct c = old.toBuilder()
          .putFields("status", Json.of(ready ? "True" : "False"))
          .putFields("reason", Json.of(ready ? "KubeletReady" : "Kubelet" + pressureReason(type)))
          .putFields("message", Json.of(ready ? "kubelet is posting ready status" : pressureMessage(type)))
          .putFields("lastHeartbeatTime", Json.of(Kube.time(heard)))
          .putFields("lastTransitionTime", Json.of(Kube.time(now)))
          .build();
      status = Kube.setCondition(status, c);
    }
    List<Value> taints = new ArrayList<>();
    for (Value tv : Json.array(node.spec(), "taints")) {
      if (!Json.string(tv.getStructValue(), "key").equals(UNREACHABLE)) {
        taints.add(tv);
      }
    }
    Struct spec = taints.isEmpty() ? node.spec().toBuilder().removeFields("taints").build()
        : Kube.with(node.spec(), Json.list(taints), "taints");
    Struct finalStatus = status;
    cluster.update(ApiResources.NODE, node.withSpec(spec))
        .ifPresent(n -> cluster.updateStatus(ApiResources.NODE, n.withStatus(finalStatus)));
  }

  private static String pressureReason(String type) {
    return switch (type) {
      case "MemoryPressure" -> "HasSufficientMemory";
      case "DiskPressure" -> "HasNoDiskPressure";
      default -> "HasSufficientPID";
    };
  }

  private static String pressureMessage(String type) {
    return switch (type) {
      case "MemoryPressure" -> "kubelet has sufficient memory available";
      case "DiskPressure" -> "kubelet has no disk pressure";
      default -> "kubelet has sufficient PID available";
    };
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> out = new ArrayList<>();
    out.add(first);
    out.addAll(rest);
    return out;
  }
}
