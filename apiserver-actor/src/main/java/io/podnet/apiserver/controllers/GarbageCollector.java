package io.podnet.apiserver.controllers;

import io.podnet.apiserver.api.ApiResource;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.ResourceType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The garbage collector's background cascading deletion: an object whose owner references all name
 * objects that no longer exist (same kind, name and uid, in the dependent's namespace or cluster
 * scope) is deleted, so deleting a Deployment removes its ReplicaSets and then their Pods, and
 * deleting a Service removes its EndpointSlices.
 */
public final class GarbageCollector implements Reconciler {
  private final ApiResources resources;

  public GarbageCollector(ApiResources resources) {
    this.resources = resources;
  }

  @Override
  public String name() {
    return "garbage-collector";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    Map<String, ResourceType> byKind = new HashMap<>();
    for (String gv : resources.groupVersions()) {
      for (ApiResource r : resources.resources(gv)) {
        byKind.put(gv + "/" + r.type().kind(), r.type());
      }
    }
    for (ResourceType type : byKind.values()) {
      for (KubeObject o : cluster.list(type)) {
        List<OwnerReference> refs = o.metadata().ownerReferences();
        if (refs.isEmpty()) {
          continue;
        }
        boolean anyAlive = false;
        for (OwnerReference r : refs) {
          ResourceType ownerType = byKind.get(r.apiVersion() + "/" + r.kind());
          if (ownerType == null) {
            anyAlive = true; // an owner of a kind podnet does not serve: leave the object alone
            break;
          }
          Optional<KubeObject> owner = cluster.find(ownerType, o.metadata().namespace(), r.name());
          if (owner.isPresent() && owner.get().metadata().uid().equals(r.uid())) {
            anyAlive = true;
            break;
          }
        }
        if (!anyAlive) {
          cluster.delete(type, o);
        }
      }
    }
    return cluster.writes() != before;
  }
}
