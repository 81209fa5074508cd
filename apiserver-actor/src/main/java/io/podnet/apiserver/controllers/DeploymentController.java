package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Deployment controller: one ReplicaSet per pod template, named DEPLOYMENT-HASH with the
 * pod-template-hash label on its selector and template; a template change (e.g. the restartedAt
 * annotation of {@code kubectl rollout restart}) makes a new ReplicaSet and rolls over to it with
 * RollingUpdate (maxSurge/maxUnavailable, default 25%/25%) or Recreate semantics; the revision
 * annotations; status with the Available and Progressing conditions.
 */
public final class DeploymentController implements Reconciler {
  static final String REVISION = "deployment.kubernetes.io/revision";
  static final String DESIRED = "deployment.kubernetes.io/desired-replicas";
  static final String MAX = "deployment.kubernetes.io/max-replicas";

  @Override
  public String name() {
    return "deployment";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    for (KubeObject d : cluster.list(ApiResources.DEPLOYMENT)) {
      sync(cluster, d, now);
    }
    return cluster.writes() != before;
  }

  private void sync(Cluster cluster, KubeObject d, long now) {
    String ns = d.metadata().namespace();
    LabelSelector sel = Kube.labelSelector(Json.struct(d.spec(), "selector"));
    if (sel.isEmpty()) {
      return;
    }
    List<KubeObject> owned = new ArrayList<>();
    for (KubeObject rs : cluster.list(ApiResources.REPLICA_SET, ns)) {
      if (Kube.controlledBy(rs, d)) {
        owned.add(rs);
      } else if (rs.metadata().controllerRef().isEmpty() && sel.matches(rs.metadata().labels())) {
        List<OwnerReference> refs = new ArrayList<>(rs.metadata().ownerReferences());
        refs.add(OwnerReference.controllerOf(d));
        cluster.update(ApiResources.REPLICA_SET, rs.withMetadata(rs.metadata().withOwnerReferences(refs)))
            .ifPresent(owned::add);
      }
    }
    owned.sort(Comparator.comparing((KubeObject rs) -> rs.metadata().creationTimestamp())
        .thenComparing(rs -> rs.metadata().name()));
    Struct template = Json.struct(d.spec(), "template");
    KubeObject newRs = null;
    List<KubeObject> old = new ArrayList<>();
    for (KubeObject rs : owned) {
      Struct t = PodTemplates.withoutLabel(Json.struct(rs.spec(), "template"), PodTemplates.HASH_LABEL);
      if (newRs == null && t.equals(template)) {
        newRs = rs;
      } else {
        old.add(rs);
      }
    }
    long desired = ReplicaSetController.replicas(d.spec());
    boolean recreate = Json.string(d.spec(), "strategy", "type").equals("Recreate");
    long maxSurge = recreate ? 0 : PodTemplates.intOrPercent(
        Json.at(d.spec(), "strategy", "rollingUpdate", "maxSurge"), "25%", desired, true);
    long maxUnavailable = recreate ? 0 : PodTemplates.intOrPercent(
        Json.at(d.spec(), "strategy", "rollingUpdate", "maxUnavailable"), "25%", desired, false);
    if (!recreate && maxSurge == 0 && maxUnavailable == 0) {
      maxUnavailable = 1;
    }
    if (maxUnavailable > desired) {
      maxUnavailable = desired;
    }
    long maxRevision = 0;
    for (KubeObject rs : old) {
      maxRevision = Math.max(maxRevision, revision(rs));
    }
    if (newRs == null) {
      long start;
      if (recreate) {
        start = sumReplicas(old) == 0 && activePods(cluster, old) == 0 ? desired : 0;
      } else {
        long current = sumReplicas(old);
        start = Math.max(0, Math.min(desired, desired + maxSurge - current));
      }
      Optional<KubeObject> created = createReplicaSet(cluster, d, template, start, maxRevision + 1, desired, maxSurge);
      if (created.isEmpty()) {
        return;
      }
      newRs = created.get();
    } else if (revision(newRs) <= maxRevision) {
      // A rollback to an old template: it becomes the newest revision.
      newRs = annotate(cluster, newRs, REVISION, Long.toString(maxRevision + 1)).orElse(newRs);
    }
    if (recreate) {
      boolean scaled = false;
      for (KubeObject rs : old) {
        if (ReplicaSetController.replicas(rs.spec()) != 0) {
          scale(cluster, rs, 0, desired, maxSurge);
          scaled = true;
        }
      }
      if (!scaled && activePods(cluster, old) == 0 && ReplicaSetController.replicas(newRs.spec()) != desired) {
        scale(cluster, newRs, desired, desired, maxSurge);
      }
    } else {
      long newReplicas = ReplicaSetController.replicas(newRs.spec());
      boolean scaledUp = false;
      if (newReplicas > desired) {
        scale(cluster, newRs, desired, desired, maxSurge);
      } else if (newReplicas < desired) {
        long total = sumReplicas(old) + newReplicas;
        long up = Math.min(desired + maxSurge - total, desired - newReplicas);
        if (up > 0) {
          scale(cluster, newRs, newReplicas + up, desired, maxSurge);
          scaledUp = true;
        }
      }
      if (!scaledUp) {
        scaleDownOld(cluster, d, newRs, old, desired, maxUnavailable, maxSurge);
      }
    }
    writeStatus(cluster, d, desired, maxUnavailable, now);
  }

  private static Optional<KubeObject> createReplicaSet(Cluster cluster, KubeObject d, Struct template, long replicas,
      long revision, long desired, long maxSurge) {
    Long collisions = d.status().containsFields("collisionCount") ? Json.number(d.status(), "collisionCount") : null;
    String hash = PodTemplates.computeHash(template, collisions);
    Struct rsTemplate = PodTemplates.withLabel(template, PodTemplates.HASH_LABEL, hash);
    Struct selector = Kube.with(Json.struct(d.spec(), "selector"), Json.of(hash), "matchLabels",
        PodTemplates.HASH_LABEL);
    Map<String, String> labels = new HashMap<>(Kube.stringMap(Json.struct(template, "metadata", "labels")));
    labels.put(PodTemplates.HASH_LABEL, hash);
    Map<String, String> annotations = new HashMap<>();
    for (Map.Entry<String, String> e : d.metadata().annotations().entrySet()) {
      if (!e.getKey().equals(REVISION) && !e.getKey().equals("kubectl.kubernetes.io/last-applied-configuration")) {
        annotations.put(e.getKey(), e.getValue());
      }
    }
    annotations.put(REVISION, Long.toString(revision));
    annotations.put(DESIRED, Long.toString(desired));
    annotations.put(MAX, Long.toString(desired + maxSurge));
    Struct.Builder spec = Struct.newBuilder()
        .putFields("replicas", Json.of(replicas))
        .putFields("selector", Json.of(selector))
        .putFields("template", Json.of(rsTemplate));
    Value minReady = d.spec().getFieldsMap().get("minReadySeconds");
    if (minReady != null) {
      spec.putFields("minReadySeconds", minReady);
    }
    String name = d.metadata().name() + "-" + hash;
    ObjectMeta meta = new ObjectMeta(name, d.metadata().namespace(), "", "", 0, labels, annotations, "", "",
        List.of(OwnerReference.controllerOf(d)));
    Optional<KubeObject> created = cluster.create(ApiResources.REPLICA_SET,
        new KubeObject(ApiResources.REPLICA_SET.apiVersion(), ApiResources.REPLICA_SET.kind(), meta, spec.build(),
            Struct.getDefaultInstance()));
    if (created.isEmpty()) {
      // A ReplicaSet of that name exists and is not ours: a hash collision; the next round uses a new hash.
      Optional<KubeObject> existing = cluster.find(ApiResources.REPLICA_SET, d.metadata().namespace(), name);
      if (existing.isPresent() && !Kube.controlledBy(existing.get(), d)) {
        cluster.updateStatus(ApiResources.DEPLOYMENT, d.withStatus(d.status().toBuilder()
            .putFields("collisionCount", Json.of((collisions == null ? 0 : collisions) + 1)).build()));
      }
    } else if (!String.valueOf(revision).equals(d.metadata().annotations().get(REVISION))) {
      cluster.find(ApiResources.DEPLOYMENT, d.metadata().namespace(), d.metadata().name())
          .ifPresent(cur -> annotate(cluster, cur, REVISION, Long.toString(revision)));
    }
    return created;
  }

  private static Optional<KubeObject> annotate(Cluster cluster, KubeObject o, String key, String value) {
    Map<String, String> a = new HashMap<>(o.metadata().annotations());
    a.put(key, value);
    ResourceTypeHolder t = o.kind().equals("Deployment") ? ResourceTypeHolder.DEPLOYMENT : ResourceTypeHolder.RS;
    return cluster.update(t.type, o.withMetadata(o.metadata().withAnnotations(a)));
  }

  private enum ResourceTypeHolder {
    DEPLOYMENT(ApiResources.DEPLOYMENT),
    RS(ApiResources.REPLICA_SET);

    final io.podnet.apiserver.store.ResourceType type;

    ResourceTypeHolder(io.podnet.apiserver.store.ResourceType type) {
      this.type = type;
    }
  }

  private static void scale(Cluster cluster, KubeObject rs, long replicas, long desired, long maxSurge) {
    Map<String, String> a = new HashMap<>(rs.metadata().annotations());
    a.put(DESIRED, Long.toString(desired));
    a.put(MAX, Long.toString(desired + maxSurge));
    Struct spec = rs.spec().toBuilder().putFields("replicas", Json.of(replicas)).build();
    cluster.update(ApiResources.REPLICA_SET, rs.withSpec(spec).withMetadata(rs.metadata().withAnnotations(a)));
  }

  /** reconcileOldReplicaSets: unhealthy replicas first, then as far as minAvailable allows. */
  private static void scaleDownOld(Cluster cluster, KubeObject d, KubeObject newRs, List<KubeObject> old, long desired,
      long maxUnavailable, long maxSurge) {
    long oldCount = sumReplicas(old);
    if (oldCount == 0) {
      return;
    }
    long all = oldCount + ReplicaSetController.replicas(newRs.spec());
    long minAvailable = desired - maxUnavailable;
    long newUnavailable = ReplicaSetController.replicas(newRs.spec()) - Json.number(newRs.status(), "availableReplicas");
    long maxScaledDown = all - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) {
      return;
    }
    long[] target = new long[old.size()];
    long cleaned = 0;
    for (int i = 0; i < old.size(); i++) {
      KubeObject rs = old.get(i);
      target[i] = ReplicaSetController.replicas(rs.spec());
      long unhealthy = target[i] - Json.number(rs.status(), "availableReplicas");
      if (cleaned < maxScaledDown && unhealthy > 0) {
        long down = Math.min(maxScaledDown - cleaned, unhealthy);
        target[i] -= down;
        cleaned += down;
      }
    }
    long available = Json.number(newRs.status(), "availableReplicas");
    for (int i = 0; i < old.size(); i++) {
      available += Math.min(target[i], Json.number(old.get(i).status(), "availableReplicas"));
    }
    long budget = available - minAvailable;
    for (int i = 0; i < old.size() && budget > 0; i++) {
      long down = Math.min(target[i], budget);
      target[i] -= down;
      budget -= down;
    }
    for (int i = 0; i < old.size(); i++) {
      if (target[i] != ReplicaSetController.replicas(old.get(i).spec())) {
        scale(cluster, old.get(i), target[i], desired, maxSurge);
      }
    }
  }

  private static long sumReplicas(List<KubeObject> sets) {
    long n = 0;
    for (KubeObject rs : sets) {
      n += ReplicaSetController.replicas(rs.spec());
    }
    return n;
  }

  private static long activePods(Cluster cluster, List<KubeObject> sets) {
    long n = 0;
    for (KubeObject rs : sets) {
      for (KubeObject p : cluster.list(ApiResources.POD, rs.metadata().namespace())) {
        if (Kube.podActive(p) && Kube.controlledBy(p, rs)) {
          n++;
        }
      }
    }
    return n;
  }

  private static long revision(KubeObject rs) {
    try {
      return Long.parseLong(rs.metadata().annotations().getOrDefault(REVISION, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void writeStatus(Cluster cluster, KubeObject stale, long desired, long maxUnavailable, long now) {
    Optional<KubeObject> cur = cluster.find(ApiResources.DEPLOYMENT, stale.metadata().namespace(),
        stale.metadata().name());
    if (cur.isEmpty()) {
      return;
    }
    KubeObject d = cur.get();
    Struct template = Json.struct(d.spec(), "template");
    long replicas = 0;
    long updated = 0;
    long ready = 0;
    long available = 0;
    KubeObject newRs = null;
    for (KubeObject rs : cluster.list(ApiResources.REPLICA_SET, d.metadata().namespace())) {
      if (!Kube.controlledBy(rs, d)) {
        continue;
      }
      replicas += Json.number(rs.status(), "replicas");
      ready += Json.number(rs.status(), "readyReplicas");
      available += Json.number(rs.status(), "availableReplicas");
      if (PodTemplates.withoutLabel(Json.struct(rs.spec(), "template"), PodTemplates.HASH_LABEL).equals(template)) {
        updated = Json.number(rs.status(), "replicas");
        newRs = rs;
      }
    }
    Struct.Builder st = d.status().toBuilder();
    st.putFields("observedGeneration", Json.of(d.metadata().generation()));
    ReplicaSetController.putCount(st, "replicas", replicas);
    ReplicaSetController.putCount(st, "updatedReplicas", updated);
    ReplicaSetController.putCount(st, "readyReplicas", ready);
    ReplicaSetController.putCount(st, "availableReplicas", available);
    ReplicaSetController.putCount(st, "unavailableReplicas", Math.max(0, desired - available));
    Struct status = st.build();
    String t = Kube.time(now);
    boolean minAvailable = available >= desired - maxUnavailable;
    status = setCondition(status, Json.obj("type", "Available", "status", minAvailable ? "True" : "False",
        "reason", minAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        "message", minAvailable ? "Deployment has minimum availability."
            : "Deployment does not have minimum availability.",
        "lastUpdateTime", t, "lastTransitionTime", t));
    if (newRs != null) {
      String rsName = newRs.metadata().name();
      boolean complete = updated == desired && replicas == desired && available == desired;
      status = setCondition(status, Json.obj("type", "Progressing", "status", "True",
          "reason", complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
          "message", complete ? "ReplicaSet \"" + rsName + "\" has successfully progressed."
              : "ReplicaSet \"" + rsName + "\" is progressing.",
          "lastUpdateTime", t, "lastTransitionTime", t));
    }
    if (!status.equals(d.status())) {
      cluster.updateStatus(ApiResources.DEPLOYMENT, d.withStatus(status));
    }
  }

  /** Keeps the old condition (and its times) when nothing but the times changed. */
  private static Struct setCondition(Struct status, Struct cond) {
    Struct old = Kube.condition(status, Json.string(cond, "type"));
    if (old != null && Json.string(old, "status").equals(Json.string(cond, "status"))
        && Json.string(old, "reason").equals(Json.string(cond, "reason"))
        && Json.string(old, "message").equals(Json.string(cond, "message"))) {
      return status;
    }
    return Kube.setCondition(status, cond);
  }
}
