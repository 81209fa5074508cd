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
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The node lifecycle controller (kube-controller-manager's nodelifecycle and its taint-eviction
 * and podgc parts):
 *
 * <ul>
 *   <li>node health is judged on this controller's own clock, never on the times stored in the
 *       objects (tryUpdateNodeHealth): per node it keeps a probe timestamp, set to its lab time when
 *       it first sees the node (so a controller that starts over a store kept from an earlier run
 *       gives every node a full grace period), and again whenever it sees the Lease
 *       kube-node-lease/NODE's renewTime or the Ready condition's lastHeartbeatTime change;
 *   <li>a node whose probe is older than the grace period (node-monitor-grace-period) gets Ready
 *       and the pressure conditions Unknown, reason NodeStatusUnknown, "Kubelet stopped posting node
 *       status." (those it never had: NodeStatusNeverUpdated, "Kubelet never posted node status."),
 *       and its pods get Ready False (MarkPodsNotReady);
 *   <li>a Lease renewal seen while Ready is Unknown makes it Ready again, standing in for the
 *       kubelet's next status post (podnet's kubelet posts its status once, then only renews);
 *   <li>taints follow the conditions as they are, whatever happened before (level-based):
 *       taintNodeByCondition's NoSchedule taints (Ready False: node.kubernetes.io/not-ready, Ready
 *       Unknown: node.kubernetes.io/unreachable, a pressure or NetworkUnavailable condition True,
 *       spec.unschedulable) are added and removed to match, and the NoExecute not-ready /
 *       unreachable taint to match Ready (doNoExecuteTaintingPass; Ready True removes both:
 *       markNodeAsReachable); a taint that stays keeps its timeAdded;
 *   <li>taint-based eviction: a pod on a node with a NoExecute taint is deleted at once when it does
 *       not tolerate it, and when it does, once the smallest tolerationSeconds (300 s by the
 *       DefaultTolerationSeconds admission) of the tolerations used have passed since this
 *       controller first saw the pod tainted (the taint-eviction controller's own clock, not the
 *       taint's timeAdded); no tolerationSeconds tolerates it for ever;
 *   <li>the pod GC's orphan collection: a pod bound to a node that does not exist is left alone
 *       while the node may still register (kube-controller-manager's podgc quarantineTime, 40 s);
 *       a node still missing after that is gone, and its pods are marked Failed (condition
 *       DisruptionTarget, reason DeletionByPodGC, "PodGC: node no longer exists") and deleted.
 * </ul>
 *
 * <p>Unlike upstream, a node that never posted a Ready condition gets the same grace period from
 * this controller's first sight of it, not nodeStartupGracePeriod from its creationTimestamp; and
 * a Lease renewal counts when its renewTime changes, not only when it moves forward (a lab's clock
 * may restart behind the times an earlier run stored).
 */
public final class NodeLifecycleController implements Reconciler {
  public static final long DEFAULT_GRACE_MILLIS = 40_000;
  public static final String LEASE_NAMESPACE = "kube-node-lease";
  static final String UNREACHABLE = "node.kubernetes.io/unreachable";
  static final String NOT_READY = "node.kubernetes.io/not-ready";
  static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
  private static final List<String> PRESSURE = List.of("MemoryPressure", "DiskPressure", "PIDPressure");
  /** nodeConditionToTaintKeyStatusMap: condition type and status to the NoSchedule taint key. */
  private static final Map<String, Map<String, String>> CONDITION_TAINTS = Map.of(
      "Ready", Map.of("False", NOT_READY, "Unknown", UNREACHABLE),
      "MemoryPressure", Map.of("True", "node.kubernetes.io/memory-pressure"),
      "DiskPressure", Map.of("True", "node.kubernetes.io/disk-pressure"),
      "NetworkUnavailable", Map.of("True", "node.kubernetes.io/network-unavailable"),
      "PIDPressure", Map.of("True", "node.kubernetes.io/pid-pressure"));
  /** The NoSchedule taint keys taintNodeByCondition owns (taintKeyToNodeConditionMap and unschedulable). */
  private static final Set<String> CONDITION_TAINT_KEYS = Set.of(NOT_READY, UNREACHABLE, UNSCHEDULABLE,
      "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
      "node.kubernetes.io/network-unavailable", "node.kubernetes.io/pid-pressure");
  private static final long NEVER = Long.MIN_VALUE;

  /** podgc's quarantineTime: how long a pod's node may be missing before the pod is collected. */
  public static final long ORPHAN_QUARANTINE_MILLIS = 40_000;

  /** nodeHealthData: what this controller last saw of a node, and when (its own lab time). */
  private static final class NodeHealth {
    final String uid;
    /** The Ready condition last seen (null: none), to tell a new heartbeat from the same one. */
    Struct ready;
    /** The Lease's renewTime last seen (null: no Lease seen yet). */
    String renewTime;
    /** When a heartbeat (a new Ready heartbeat or Lease renewal) was last seen, or the node first seen. */
    long probe;
    /** When a Lease renewal was last seen ({@link #NEVER} if not since the node was first seen). */
    long renewed = NEVER;

    NodeHealth(String uid, Struct ready, String renewTime, long now) {
      this.uid = uid;
      this.ready = ready;
      this.renewTime = renewTime;
      this.probe = now;
    }
  }

  /** A taint's identity as MatchTaint sees it. */
  private record TaintId(String key, String effect) {}

  private final long graceMillis;
  private final Map<String, NodeHealth> health = new HashMap<>();
  /** The nodes pods are bound to that have no Node object, and since when (epoch millis) they are missing. */
  private final Map<String, Long> missingSince = new HashMap<>();
  /** Pods (by uid) waiting out their tolerationSeconds on a NoExecute-tainted node, and since when. */
  private final Map<String, Long> evictionStart = new HashMap<>();

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

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    Map<String, KubeObject> nodes = new HashMap<>();
    for (KubeObject node : cluster.list(ApiResources.NODE)) {
      KubeObject n = monitor(cluster, node, now);
      n = taintByCondition(cluster, n, now);
      nodes.put(n.metadata().name(), n);
    }
    health.keySet().retainAll(nodes.keySet());
    Set<String> missing = new HashSet<>();
    Set<String> waiting = new HashSet<>();
    for (KubeObject pod : cluster.list(ApiResources.POD)) {
      String nodeName = Kube.nodeName(pod);
      if (nodeName.isEmpty()) {
        continue;
      }
      KubeObject node = nodes.get(nodeName);
      if (node == null) {
        missing.add(nodeName);
        long since = missingSince.computeIfAbsent(nodeName, n -> now);
        if (now - since >= ORPHAN_QUARANTINE_MILLIS) {
          collectOrphan(cluster, pod, now);
        }
        continue;
      }
      evictOrMark(cluster, pod, node, now, waiting);
    }
    // A node that registered (or whose pods are gone) starts a new quarantine should it go missing again.
    missingSince.keySet().retainAll(missing);
    // A pod gone, or no longer on a NoExecute-tainted node, starts over should it be tainted again.
    evictionStart.keySet().retainAll(waiting);
    return cluster.writes() != before;
  }

  /**
   * tryUpdateNodeHealth: notes what changed since the last round and marks the node Unknown when
   * nothing did for longer than the grace period (or Ready again on a renewal seen while Unknown).
   *
   * @return the node as it is now (after this controller's write, if any)
   */
  private KubeObject monitor(Cluster cluster, KubeObject node, long now) {
    String name = node.metadata().name();
    Struct ready = Kube.condition(node.status(), "Ready");
    String renewTime = cluster.find(ApiResources.LEASE, LEASE_NAMESPACE, name)
        .map(l -> Json.string(l.spec(), "renewTime")).orElse(null);
    NodeHealth h = health.get(name);
    if (h == null || !h.uid.equals(node.metadata().uid())) {
      h = new NodeHealth(node.metadata().uid(), ready, renewTime, now);
      health.put(name, h);
    } else {
      if (ready == null ? h.ready != null
          : h.ready == null || !heartbeat(ready).equals(heartbeat(h.ready))) {
        h.probe = now; // the kubelet posted a status (or the Ready condition appeared or went away)
      }
      h.ready = ready;
      if (renewTime != null && !renewTime.equals(h.renewTime)) {
        h.probe = now;
        h.renewed = now;
        h.renewTime = renewTime;
      }
    }
    String status = ready == null ? "" : Json.string(ready, "status");
    Struct next = null;
    if (now - h.probe > graceMillis) {
      next = unknownStatus(node, now);
      if (Objects.equals(Kube.condition(next, "Ready"), ready)) {
        next = null; // Ready is Unknown already: nothing to write
      }
    } else if (status.equals("Unknown") && h.renewed != NEVER && now - h.renewed <= graceMillis) {
      next = readyStatus(node, now);
    }
    if (next == null) {
      return node;
    }
    Optional<KubeObject> written = cluster.updateStatus(ApiResources.NODE, node.withStatus(next));
    if (written.isEmpty()) {
      return node; // changed meanwhile: the next round sees it again
    }
    // This controller's own write is no heartbeat of the kubelet's.
    h.ready = Kube.condition(written.get().status(), "Ready");
    return written.get();
  }

  private static String heartbeat(Struct condition) {
    return Json.string(condition, "lastHeartbeatTime");
  }

  /** The status with Ready and the pressure conditions Unknown, as tryUpdateNodeHealth writes it. */
  private static Struct unknownStatus(KubeObject node, long now) {
    String t = Kube.time(now);
    Struct status = node.status();
    for (String type : concat("Ready", PRESSURE)) {
      Struct old = Kube.condition(status, type);
      if (old == null) {
        status = Kube.setCondition(status, Json.obj("type", type, "status", "Unknown",
            "lastHeartbeatTime", node.metadata().creationTimestamp(), "lastTransitionTime", t,
            "reason", "NodeStatusNeverUpdated", "message", "Kubelet never posted node status."));
      } else if (!Json.string(old, "status").equals("Unknown")) {
        // setCondition keeps the old transition time only when the status is unchanged: here it changed.
        status = Kube.setCondition(status, old.toBuilder()
            .putFields("status", Json.of("Unknown"))
            .putFields("reason", Json.of("NodeStatusUnknown"))
            .putFields("message", Json.of("Kubelet stopped posting node status."))
            .putFields("lastTransitionTime", Json.of(t))
            .build());
      }
    }
    return status;
  }

  /** The status the kubelet would post on its return: Ready True, no pressure. */
  private static Struct readyStatus(KubeObject node, long now) {
    String t = Kube.time(now);
    Struct status = node.status();
    for (String type : concat("Ready", PRESSURE)) {
      Struct old = Kube.condition(status, type);
      if (old == null) {
        continue;
      }
      boolean ready = type.equals("Ready");
      status = Kube.setCondition(status, old.toBuilder()
          .putFields("status", Json.of(ready ? "True" : "False"))
          .putFields("reason", Json.of(ready ? "KubeletReady" : "Kubelet" + pressureReason(type)))
          .putFields("message", Json.of(ready ? "kubelet is posting ready status" : pressureMessage(type)))
          .putFields("lastHeartbeatTime", Json.of(t))
          .putFields("lastTransitionTime", Json.of(t))
          .build());
    }
    return status;
  }

  /**
   * doNoScheduleTaintingPass and the NoExecute half of doNoExecuteTaintingPass /
   * markNodeAsReachable, level-based: the taints this controller owns are made to match the node's
   * conditions now. Taints it does not own are left as they are.
   *
   * @return the node as it is now
   */
  private static KubeObject taintByCondition(Cluster cluster, KubeObject node, long now) {
    List<TaintId> wanted = new ArrayList<>(); // in the order they are added
    for (Value cv : Json.array(node.status(), "conditions")) {
      Struct c = cv.getStructValue();
      String key = CONDITION_TAINTS.getOrDefault(Json.string(c, "type"), Map.of()).get(Json.string(c, "status"));
      if (key != null) {
        wanted.add(new TaintId(key, "NoSchedule"));
      }
    }
    Value unschedulable = node.spec().getFieldsMap().get("unschedulable");
    if (unschedulable != null && unschedulable.getBoolValue()) {
      wanted.add(new TaintId(UNSCHEDULABLE, "NoSchedule"));
    }
    Struct ready = Kube.condition(node.status(), "Ready");
    // Without a Ready condition doNoExecuteTaintingPass leaves the NoExecute taints alone.
    boolean ownsNoExecute = ready != null;
    if (ownsNoExecute) {
      switch (Json.string(ready, "status")) {
        case "False" -> wanted.add(new TaintId(NOT_READY, "NoExecute"));
        case "Unknown" -> wanted.add(new TaintId(UNREACHABLE, "NoExecute"));
        default -> { } // Ready: markNodeAsReachable
      }
    }
    List<Value> taints = new ArrayList<>();
    Set<TaintId> present = new HashSet<>();
    boolean changed = false;
    for (Value tv : Json.array(node.spec(), "taints")) {
      Struct taint = tv.getStructValue();
      String key = Json.string(taint, "key");
      String effect = Json.string(taint, "effect");
      boolean owned = (effect.equals("NoSchedule") && CONDITION_TAINT_KEYS.contains(key))
          || (ownsNoExecute && effect.equals("NoExecute") && (key.equals(NOT_READY) || key.equals(UNREACHABLE)));
      TaintId id = new TaintId(key, effect);
      if (!owned || (wanted.contains(id) && present.add(id))) {
        taints.add(tv);
      } else {
        changed = true;
      }
    }
    String t = Kube.time(now);
    for (TaintId id : wanted) {
      if (present.add(id)) {
        taints.add(Json.of(Json.obj("key", id.key(), "effect", id.effect(), "timeAdded", t)));
        changed = true;
      }
    }
    if (!changed) {
      return node;
    }
    Struct spec = taints.isEmpty() ? node.spec().toBuilder().removeFields("taints").build()
        : Kube.with(node.spec(), Json.list(taints), "taints");
    return cluster.update(ApiResources.NODE, node.withSpec(spec)).orElse(node);
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

  /**
   * The taint-eviction controller's processPodOnNode, and MarkPodsNotReady for a node whose Ready
   * condition is not True. A pod with a pending eviction is added to {@code waiting}.
   */
  private void evictOrMark(Cluster cluster, KubeObject pod, KubeObject node, long now, Set<String> waiting) {
    List<Value> tolerations = Json.array(pod.spec(), "tolerations");
    List<Struct> used = new ArrayList<>();
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
      used.add(tol);
    }
    if (!used.isEmpty()) {
      long tolerated = minTolerationMillis(used);
      if (tolerated >= 0) {
        String uid = pod.metadata().uid();
        long start = evictionStart.computeIfAbsent(uid, u -> now);
        if (now - start >= tolerated) {
          cluster.delete(ApiResources.POD, pod);
          return;
        }
        waiting.add(uid);
      }
    }
    Struct nodeReady = Kube.condition(node.status(), "Ready");
    if (nodeReady != null && !Json.string(nodeReady, "status").equals("True") && Kube.podReady(pod)) {
      Struct cond = Json.obj("type", "Ready", "status", "False", "lastProbeTime", Json.nullValue(),
          "lastTransitionTime", Kube.time(now));
      cluster.updateStatus(ApiResources.POD, pod.withStatus(Kube.setCondition(pod.status(), cond)));
    }
  }

  /**
   * getMinTolerationTime: the smallest tolerationSeconds of {@code used} in millis, 0 if one is 0 or
   * less, -1 (for ever) if none has tolerationSeconds.
   */
  private static long minTolerationMillis(List<Struct> used) {
    long min = Long.MAX_VALUE;
    for (Struct tol : used) {
      Value secs = tol.getFieldsMap().get("tolerationSeconds");
      if (secs != null && secs.hasNumberValue()) {
        long s = (long) secs.getNumberValue();
        if (s <= 0) {
          return 0;
        }
        min = Math.min(min, s);
      }
    }
    return min == Long.MAX_VALUE ? -1 : min * 1000;
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
