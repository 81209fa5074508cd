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
 * The ReplicaSet controller: keeps spec.replicas active pods (adopting orphans that match the
 * selector and releasing its pods that no longer do, {@link ControllerRefs}), creating pods named RS-NAME-xxxxx from the template and deleting the surplus in
 * Kubernetes' order (unscheduled, then pending, then not ready, then the most crowded node, then the
 * newest), and writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
 * observedGeneration). Pods whose node no longer exists are deleted first (the pod GC), so they are
 * replaced.
 */
public final class ReplicaSetController implements Reconciler {
  /** kube-controller-manager's burstReplicas: the most pods created or deleted in one sync. */
  static final int BURST = 500;

  @Override
  public String name() {
    return "replicaset";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    for (KubeObject rs : cluster.list(ApiResources.REPLICA_SET)) {
      sync(cluster, rs);
    }
    return cluster.writes() != before;
  }

  private static void sync(Cluster cluster, KubeObject rs) {
    String ns = rs.metadata().namespace();
    LabelSelector sel = Kube.labelSelector(Json.struct(rs.spec(), "selector"));
    if (sel.isEmpty()) {
      return; // validation forbids an empty selector; never match every pod
    }
    List<KubeObject> active = new ArrayList<>();
    for (KubeObject p : cluster.list(ApiResources.POD, ns)) {
      if (Kube.podActive(p)) {
        active.add(p);
      }
    }
    List<KubeObject> pods = ControllerRefs.claimPods(cluster, ApiResources.REPLICA_SET, rs, sel, active);
    long replicas = replicas(rs.spec());
    long diff = pods.size() - replicas;
    if (diff < 0) {
      Struct template = Json.struct(rs.spec(), "template");
      for (long i = 0; i < Math.min(-diff, BURST); i++) {
        cluster.create(ApiResources.POD, PodTemplates.pod(rs, template, rs.metadata().name() + "-"));
      }
    } else if (diff > 0) {
      for (KubeObject p : podsToDelete(pods, (int) Math.min(diff, BURST))) {
        cluster.delete(ApiResources.POD, p);
      }
    }
    cluster.find(ApiResources.REPLICA_SET, ns, rs.metadata().name()).ifPresent(current -> {
      List<KubeObject> now = new ArrayList<>();
      for (KubeObject p : cluster.list(ApiResources.POD, ns)) {
        if (Kube.podActive(p) && Kube.controlledBy(p, current)) {
          now.add(p);
        }
      }
      Struct templateLabels = Json.struct(current.spec(), "template", "metadata", "labels");
      long ready = 0;
      long labeled = 0;
      for (KubeObject p : now) {
        if (Kube.podReady(p)) {
          ready++;
        }
        if (p.metadata().labels().entrySet().containsAll(Kube.stringMap(templateLabels).entrySet())) {
          labeled++;
        }
      }
      Struct.Builder st = current.status().toBuilder();
      st.putFields("replicas", Json.of(now.size()));
      putCount(st, "fullyLabeledReplicas", labeled);
      putCount(st, "readyReplicas", ready);
      putCount(st, "availableReplicas", ready);
      st.putFields("observedGeneration", Json.of(current.metadata().generation()));
      Struct status = st.build();
      if (!status.equals(current.status())) {
        cluster.updateStatus(ApiResources.REPLICA_SET, current.withStatus(status));
      }
    });
  }

  static void putCount(Struct.Builder b, String key, long v) {
    if (v == 0) {
      b.removeFields(key);
    } else {
      b.putFields(key, Json.of(v));
    }
  }

  static long replicas(Struct spec) {
    Value v = spec.getFieldsMap().get("replicas");
    return v == null || !v.hasNumberValue() ? 1 : (long) v.getNumberValue();
  }

  /** The {@code n} pods to delete first (controller.ActivePodsWithRanks, simplified). */
  static List<KubeObject> podsToDelete(List<KubeObject> pods, int n) {
    Map<String, Integer> perNode = new HashMap<>();
    for (KubeObject p : pods) {
      perNode.merge(Kube.nodeName(p), 1, Integer::sum);
    }
    List<KubeObject> sorted = new ArrayList<>(pods);
    sorted.sort(Comparator
        .comparing((KubeObject p) -> !Kube.nodeName(p).isEmpty())
        .thenComparing(p -> phaseRank(Json.string(p.status(), "phase")))
        .thenComparing(Kube::podReady)
        .thenComparing(p -> -perNode.getOrDefault(Kube.nodeName(p), 0))
        .thenComparing((KubeObject p) -> p.metadata().creationTimestamp(), Comparator.reverseOrder())
        .thenComparing(p -> p.metadata().name()));
    return sorted.subList(0, Math.min(n, sorted.size()));
  }

  private static int phaseRank(String phase) {
    return switch (phase) {
      case "Pending", "" -> 0;
      case "Unknown" -> 1;
      default -> 2;
    };
  }
}
