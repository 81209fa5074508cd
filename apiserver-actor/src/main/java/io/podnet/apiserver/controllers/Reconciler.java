package io.podnet.apiserver.controllers;

/**
 * One controller as a plain function of the store: given the cluster (the store behind the API's
 * admission) and the lab time, compute and apply the writes that move the world towards the
 * desired state. Every write is conditional on the resourceVersion read; a write that loses a race
 * (409 Conflict, 404 NotFound, 409 AlreadyExists) is skipped and the next round re-reads.
 */
public interface Reconciler {
  /** The controller's name, as kube-controller-manager's --controllers flag spells it. */
  String name();

  /**
   * One round.
   *
   * @return true when it wrote anything (another round may have more to do)
   */
  boolean reconcile(Cluster cluster, long nowMillis);
}
