package io.podnet.apiserver.store;

import java.util.Objects;

/**
 * metav1.OwnerReference: the object that owns this one (a ReplicaSet owning its Pods, a Deployment
 * its ReplicaSets). The garbage collector deletes a dependent whose owners are all gone; a
 * controller acts only on the objects whose controller reference names it.
 *
 * @param controller         true on the one managing controller's reference; null when unset
 * @param blockOwnerDeletion as the controllers set it (true); null when unset
 */
public record OwnerReference(
    String apiVersion, String kind, String name, String uid, Boolean controller, Boolean blockOwnerDeletion) {

  public OwnerReference {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }

  /** The reference a controller puts on what it creates (controller and blockOwnerDeletion true). */
  public static OwnerReference controllerOf(KubeObject owner) {
    return new OwnerReference(owner.apiVersion(), owner.kind(), owner.metadata().name(), owner.metadata().uid(),
        true, true);
  }

  public boolean isController() {
    return Boolean.TRUE.equals(controller);
  }
}
