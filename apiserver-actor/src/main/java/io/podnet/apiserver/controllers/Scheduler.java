package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * kube-scheduler for pods without spec.nodeName (and schedulerName default-scheduler):
 *
 * <ul>
 *   <li>filters: the node is not unschedulable, its NoSchedule/NoExecute taints are tolerated, the
 *       pod's nodeSelector and required node affinity (matchExpressions on labels, matchFields on
 *       metadata.name) match, and its Ready condition is True unless the pod tolerates the taint
 *       that condition stands for (node.kubernetes.io/not-ready or /unreachable);
 *   <li>score: fewest pods of the same controller (the spreading of a ReplicaSet's replicas; pods
 *       without a controller count pods with the same labels); ties are broken by the seeded random
 *       source, as selectHost samples among the best nodes;
 *   <li>bind: spec.nodeName, then status condition PodScheduled True.
 * </ul>
 */
public final class Scheduler implements Reconciler {
  public static final String DEFAULT_SCHEDULER = "default-scheduler";
  private final RandomGenerator random;

  public Scheduler(RandomGenerator random) {
    this.random = Objects.requireNonNull(random, "random");
  }

  @Override
  public String name() {
    return "scheduler";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    List<KubeObject> nodes = cluster.list(ApiResources.NODE);
    List<KubeObject> pods = cluster.list(ApiResources.POD);
    Map<String, List<KubeObject>> byNode = new HashMap<>();
    for (KubeObject p : pods) {
      if (!Kube.nodeName(p).isEmpty() && Kube.podActive(p)) {
        byNode.computeIfAbsent(Kube.nodeName(p), k -> new ArrayList<>()).add(p);
      }
    }
    for (KubeObject pod : pods) {
      if (!Kube.nodeName(pod).isEmpty() || !Kube.podActive(pod)) {
        continue;
      }
      String scheduler = Json.string(pod.spec(), "schedulerName");
      if (!scheduler.isEmpty() && !scheduler.equals(DEFAULT_SCHEDULER)) {
        continue;
      }
      List<KubeObject> best = new ArrayList<>();
      long bestScore = Long.MAX_VALUE;
      for (KubeObject node : nodes) {
        if (!feasible(pod, node)) {
          continue;
        }
        long score = 0;
        for (KubeObject other : byNode.getOrDefault(node.metadata().name(), List.of())) {
          if (sameGroup(pod, other)) {
            score++;
          }
        }
        if (score < bestScore) {
          bestScore = score;
          best.clear();
        }
        if (score == bestScore) {
          best.add(node);
        }
      }
      if (best.isEmpty()) {
        continue; // stays Pending; a later round retries
      }
      KubeObject node = best.get(best.size() == 1 ? 0 : random.nextInt(best.size()));
      String nodeName = node.metadata().name();
      cluster.update(ApiResources.POD, pod.withSpec(Kube.with(pod.spec(), Json.of(nodeName), "nodeName")))
          .ifPresent(bound -> {
            Struct cond = Json.obj("type", "PodScheduled", "status", "True", "lastProbeTime", Json.nullValue(),
                "lastTransitionTime", Kube.time(now));
            Struct status = Kube.setCondition(bound.status(), cond);
            if (Json.string(status, "phase").isEmpty()) {
              status = status.toBuilder().putFields("phase", Json.of("Pending")).build();
            }
            cluster.updateStatus(ApiResources.POD, bound.withStatus(status));
            byNode.computeIfAbsent(nodeName, k -> new ArrayList<>()).add(bound);
          });
    }
    return cluster.writes() != before;
  }

  private static boolean sameGroup(KubeObject pod, KubeObject other) {
    if (!pod.metadata().namespace().equals(other.metadata().namespace())) {
      return false;
    }
    var ref = pod.metadata().controllerRef();
    if (ref.isPresent()) {
      return other.metadata().controllerRef().map(r -> r.uid().equals(ref.get().uid())).orElse(false);
    }
    return !pod.metadata().labels().isEmpty() && pod.metadata().labels().equals(other.metadata().labels());
  }

  /** Whether {@code pod} may run on {@code node}. */
  public static boolean feasible(KubeObject pod, KubeObject node) {
    Value unsched = node.spec().getFieldsMap().get("unschedulable");
    List<Value> tolerations = Json.array(pod.spec(), "tolerations");
    if (unsched != null && unsched.getBoolValue()) {
      Struct taint = Json.obj("key", "node.kubernetes.io/unschedulable", "effect", "NoSchedule");
      if (Kube.toleration(tolerations, taint) == null) {
        return false;
      }
    }
    if (!Kube.untoleratedTaints(node, tolerations).isEmpty()) {
      return false;
    }
    Struct ready = Kube.condition(node.status(), "Ready");
    String readyStatus = ready == null ? "Unknown" : Json.string(ready, "status");
    if (!readyStatus.equals("True")) {
      String key = readyStatus.equals("False") ? "node.kubernetes.io/not-ready" : "node.kubernetes.io/unreachable";
      if (Kube.toleration(tolerations, Json.obj("key", key, "effect", "NoSchedule")) == null) {
        return false;
      }
    }
    return nodeSelectorMatches(pod.spec(), node);
  }

  /** spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution node affinity. */
  static boolean nodeSelectorMatches(Struct podSpec, KubeObject node) {
    Map<String, String> labels = node.metadata().labels();
    for (Map.Entry<String, String> e : Kube.stringMap(Json.struct(podSpec, "nodeSelector")).entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    Struct required = Json.struct(podSpec, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution");
    List<Value> terms = Json.array(required, "nodeSelectorTerms");
    if (terms.isEmpty()) {
      return true;
    }
    for (Value tv : terms) {
      Struct term = tv.getStructValue();
      List<LabelSelector.Requirement> exprs = new ArrayList<>();
      for (Value x : Json.array(term, "matchExpressions")) {
        exprs.add(Kube.requirement(x.getStructValue()));
      }
      List<LabelSelector.Requirement> fields = new ArrayList<>();
      for (Value x : Json.array(term, "matchFields")) {
        fields.add(Kube.requirement(x.getStructValue()));
      }
      if (exprs.isEmpty() && fields.isEmpty()) {
        continue; // an empty term matches nothing
      }
      if (LabelSelector.of(exprs).matches(labels)
          && LabelSelector.of(fields).matches(Map.of("metadata.name", node.metadata().name()))) {
        return true;
      }
    }
    return false;
  }
}
