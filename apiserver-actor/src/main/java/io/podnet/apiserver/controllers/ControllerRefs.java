package io.podnet.apiserver.controllers;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.ResourceType;
import java.util.ArrayList;
import java.util.List;

/**
 * controller.PodControllerRefManager.ClaimPods: which pods a controller (a ReplicaSet, a DaemonSet)
 * manages. For each pod of the owner's namespace:
 *
 * <ul>
 *   <li>controlled by another object: ignored;
 *   <li>controlled by the owner and matching its selector: claimed;
 *   <li>controlled by the owner but no longer matching: released (its owner reference to the owner,
 *       by uid, is removed) and not claimed;
 *   <li>an orphan (no controller reference) that matches: adopted (a controller reference to the owner
 *       is added, after a fresh read finds the owner still there with the same uid: podnet deletes
 *       without a deletionTimestamp, so "being deleted" is "gone") and claimed.
 * </ul>
 *
 * <p>A write that loses a race is left for the next round: that pod is not claimed this time.
 */
final class ControllerRefs {
  private ControllerRefs() {}

  /**
   * Adopts and releases as described, and returns the pods {@code owner} now controls, in the order given.
   *
   * @param ownerType the owner's resource, for the fresh read before an adoption
   * @param selector  the owner's selector: never empty (an empty one must claim nothing; callers check)
   */
  static List<KubeObject> claimPods(Cluster cluster, ResourceType ownerType, KubeObject owner, LabelSelector selector,
      List<KubeObject> pods) {
    if (selector.isEmpty()) {
      throw new IllegalArgumentException("an empty selector claims nothing");
    }
    String uid = owner.metadata().uid();
    String ns = owner.metadata().namespace();
    List<KubeObject> claimed = new ArrayList<>();
    Boolean canAdopt = null; // the owner re-read once, on the first adoption (RecheckDeletionTimestamp)
    for (KubeObject p : pods) {
      if (!ns.isEmpty() && !ns.equals(p.metadata().namespace())) {
        continue;
      }
      boolean matches = selector.matches(p.metadata().labels());
      var ref = p.metadata().controllerRef();
      if (ref.isPresent()) {
        if (!ref.get().uid().equals(uid)) {
          continue; // owned by someone else
        }
        if (matches) {
          claimed.add(p);
        } else {
          release(cluster, p, uid);
        }
        continue;
      }
      if (!matches) {
        continue;
      }
      if (canAdopt == null) {
        canAdopt = cluster.find(ownerType, ns, owner.metadata().name())
            .map(fresh -> fresh.metadata().uid().equals(uid)).orElse(false);
      }
      if (!canAdopt) {
        continue;
      }
      List<OwnerReference> refs = new ArrayList<>(p.metadata().ownerReferences());
      refs.add(OwnerReference.controllerOf(owner));
      cluster.update(ApiResources.POD, p.withMetadata(p.metadata().withOwnerReferences(refs))).ifPresent(claimed::add);
    }
    return claimed;
  }

  /** Removes {@code pod}'s owner references to {@code ownerUid} (the release patch deletes by uid). */
  private static void release(Cluster cluster, KubeObject pod, String ownerUid) {
    List<OwnerReference> refs = new ArrayList<>();
    for (OwnerReference r : pod.metadata().ownerReferences()) {
      if (!r.uid().equals(ownerUid)) {
        refs.add(r);
      }
    }
    cluster.update(ApiResources.POD, pod.withMetadata(pod.metadata().withOwnerReferences(refs)));
  }
}
