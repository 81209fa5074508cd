package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The DaemonSet controller: one pod per eligible node (node selector, node affinity and taints, with
 * the tolerations DaemonSet pods always get; a pod already running stays on a node that only gained
 * an untolerated NoSchedule taint; of several on one node the oldest is kept), adopting
 * orphan pods its selector matches and releasing its pods that no longer match
 * ({@link ControllerRefs}), named DS-NAME-xxxxx and pinned to its node by required
 * node affinity on metadata.name (the scheduler binds it); pods of an old template
 * (controller-revision-hash) are replaced with RollingUpdate maxUnavailable (default 1); status
 * counts as {@code kubectl get ds} prints them.
 */
public final class DaemonSetController implements Reconciler {
  static final String REVISION_LABEL = "controller-revision-hash";
  static final String TEMPLATE_GENERATION_LABEL = "pod-template-generation";

  /** util.AddOrUpdateDaemonPodTolerations. */
  private static final List<Struct> DAEMON_TOLERATIONS = List.of(
      Json.obj("key", "node.kubernetes.io/not-ready", "operator", "Exists", "effect", "NoExecute"),
      Json.obj("key", "node.kubernetes.io/unreachable", "operator", "Exists", "effect", "NoExecute"),
      Json.obj("key", "node.kubernetes.io/disk-pressure", "operator", "Exists", "effect", "NoSchedule"),
      Json.obj("key", "node.kubernetes.io/memory-pressure", "operator", "Exists", "effect", "NoSchedule"),
      Json.obj("key", "node.kubernetes.io/pid-pressure", "operator", "Exists", "effect", "NoSchedule"),
      Json.obj("key", "node.kubernetes.io/unschedulable", "operator", "Exists", "effect", "NoSchedule"));

  /** podByCreationTimestampAndPhase: scheduled pods first, then the oldest, then by name. */
  static final Comparator<KubeObject> OLDEST_FIRST = Comparator
      .comparing((KubeObject p) -> Kube.nodeName(p).isEmpty())
      .thenComparing(p -> p.metadata().creationTimestamp())
      .thenComparing(p -> p.metadata().name());

  @Override
  public String name() {
    return "daemonset";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    List<KubeObject> nodes = cluster.list(ApiResources.NODE);
    for (KubeObject ds : cluster.list(ApiResources.DAEMON_SET)) {
      sync(cluster, ds, nodes);
    }
    return cluster.writes() != before;
  }

  static Struct podTemplate(KubeObject ds, String hash) {
    Struct t = Json.struct(ds.spec(), "template");
    t = PodTemplates.withLabel(t, REVISION_LABEL, hash);
    t = PodTemplates.withLabel(t, TEMPLATE_GENERATION_LABEL, Long.toString(ds.metadata().generation()));
    List<Value> tolerations = new ArrayList<>(Json.array(t, "spec", "tolerations"));
    for (Struct tol : DAEMON_TOLERATIONS) {
      if (!tolerations.contains(Json.of(tol))) {
        tolerations.add(Json.of(tol));
      }
    }
    return Kube.with(t, Json.list(tolerations), "spec", "tolerations");
  }

  private static void sync(Cluster cluster, KubeObject ds, List<KubeObject> nodes) {
    String ns = ds.metadata().namespace();
    String hash = PodTemplates.computeHash(Json.struct(ds.spec(), "template"),
        ds.status().containsFields("collisionCount") ? Json.number(ds.status(), "collisionCount") : null);
    Struct template = podTemplate(ds, hash);
    LabelSelector sel = Kube.labelSelector(Json.struct(ds.spec(), "selector"));
    List<KubeObject> owned = new ArrayList<>();
    if (sel.isEmpty()) {
      // Validation forbids an empty selector: adopt nothing, release nothing.
      for (KubeObject p : cluster.list(ApiResources.POD, ns)) {
        if (Kube.controlledBy(p, ds)) {
          owned.add(p);
        }
      }
    } else {
      owned = ControllerRefs.claimPods(cluster, ApiResources.DAEMON_SET, ds, sel, cluster.list(ApiResources.POD, ns));
    }
    Map<String, List<KubeObject>> byNode = new HashMap<>();
    for (KubeObject p : owned) {
      if (Kube.podActive(p)) {
        byNode.computeIfAbsent(targetNode(p), k -> new ArrayList<>()).add(p);
      }
    }
    for (List<KubeObject> pods : byNode.values()) {
      pods.sort(OLDEST_FIRST);
    }
    long desired = 0;
    long current = 0;
    long misscheduled = 0;
    long ready = 0;
    long updated = 0;
    long unavailable = 0;
    List<KubeObject> outdated = new ArrayList<>();
    for (KubeObject node : nodes) {
      String nodeName = node.metadata().name();
      List<KubeObject> pods = byNode.getOrDefault(nodeName, List.of());
      Placement placement = placement(template, node);
      if (!placement.shouldRun()) {
        if (!pods.isEmpty()) {
          misscheduled++;
          // A pod that tolerates the node's NoExecute taints keeps running (the oldest, if several).
          for (int i = placement.shouldContinueRunning() ? 1 : 0; i < pods.size(); i++) {
            cluster.delete(ApiResources.POD, pods.get(i));
          }
        }
        continue;
      }
      desired++;
      if (pods.isEmpty()) {
        unavailable++;
        Struct field = Json.obj("key", "metadata.name", "operator", "In", "values", Json.strings(List.of(nodeName)));
        Struct term = Json.obj("matchFields", Json.list(List.of(Json.of(field))));
        Struct required = Json.obj("nodeSelectorTerms", Json.list(List.of(Json.of(term))));
        Struct affinity = Json.obj("nodeAffinity", Json.obj("requiredDuringSchedulingIgnoredDuringExecution", required));
        Struct t = Kube.with(template, Json.of(affinity), "spec", "affinity");
        cluster.create(ApiResources.POD, PodTemplates.pod(ds, t, ds.metadata().name() + "-"));
        continue;
      }
      current++;
      for (int i = 1; i < pods.size(); i++) {
        cluster.delete(ApiResources.POD, pods.get(i)); // duplicates on one node: all but the oldest
      }
      KubeObject p = pods.get(0);
      boolean isReady = Kube.podReady(p);
      if (isReady) {
        ready++;
      } else {
        unavailable++;
      }
      if (hash.equals(p.metadata().labels().get(REVISION_LABEL))) {
        updated++;
      } else {
        outdated.add(p);
      }
    }
    // RollingUpdate: replace outdated pods while at most maxUnavailable pods are unavailable.
    if (!Json.string(ds.spec(), "updateStrategy", "type").equals("OnDelete")) {
      long maxUnavailable = Math.max(1, PodTemplates.intOrPercent(
          Json.at(ds.spec(), "updateStrategy", "rollingUpdate", "maxUnavailable"), "1", desired, false));
      for (KubeObject p : outdated) {
        if (!Kube.podReady(p)) {
          cluster.delete(ApiResources.POD, p); // an unavailable old pod costs nothing to replace
        }
      }
      long budget = maxUnavailable - unavailable;
      for (KubeObject p : outdated) {
        if (budget <= 0) {
          break;
        }
        if (Kube.podReady(p) && cluster.delete(ApiResources.POD, p)) {
          budget--;
        }
      }
    }
    Struct.Builder st = ds.status().toBuilder();
    st.putFields("desiredNumberScheduled", Json.of(desired));
    st.putFields("currentNumberScheduled", Json.of(current));
    st.putFields("numberMisscheduled", Json.of(misscheduled));
    st.putFields("numberReady", Json.of(ready));
    st.putFields("observedGeneration", Json.of(ds.metadata().generation()));
    ReplicaSetController.putCount(st, "updatedNumberScheduled", updated);
    ReplicaSetController.putCount(st, "numberAvailable", ready);
    ReplicaSetController.putCount(st, "numberUnavailable", desired - ready);
    Struct status = st.build();
    if (!status.equals(ds.status())) {
      cluster.updateStatus(ApiResources.DAEMON_SET, ds.withStatus(status));
    }
  }

  /** The node a daemon pod is bound to, or the one its matchFields affinity names. */
  private static String targetNode(KubeObject pod) {
    String n = Kube.nodeName(pod);
    if (!n.isEmpty()) {
      return n;
    }
    for (Value term : Json.array(pod.spec(), "affinity", "nodeAffinity",
        "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")) {
      for (Value f : Json.array(term.getStructValue(), "matchFields")) {
        if (Json.string(f.getStructValue(), "key").equals("metadata.name")) {
          List<Value> values = Json.array(f.getStructValue(), "values");
          if (!values.isEmpty()) {
            return values.get(0).getStringValue();
          }
        }
      }
    }
    return "";
  }

  /**
   * NodeShouldRunDaemonPod's answer: whether a daemon pod should be created on the node, and whether
   * one already there should keep running.
   */
  record Placement(boolean shouldRun, boolean shouldContinueRunning) {}

  /**
   * NodeShouldRunDaemonPod: the node selector and required node affinity must match; a NoSchedule or
   * NoExecute taint the pod does not tolerate means no new pod, and only an untolerated NoExecute
   * taint stops one already running.
   */
  static Placement placement(Struct template, KubeObject node) {
    Struct spec = Json.struct(template, "spec");
    if (!Scheduler.nodeSelectorMatches(spec, node)) {
      return new Placement(false, false);
    }
    List<Struct> untolerated = Kube.untoleratedTaints(node, Json.array(spec, "tolerations"));
    if (untolerated.isEmpty()) {
      return new Placement(true, true);
    }
    boolean noExecute = untolerated.stream().anyMatch(t -> Json.string(t, "effect").equals("NoExecute"));
    return new Placement(false, !noExecute);
  }
}
