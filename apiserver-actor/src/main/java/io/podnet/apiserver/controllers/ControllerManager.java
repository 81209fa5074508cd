package io.podnet.apiserver.controllers;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.store.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * kube-controller-manager (and the scheduler and Cilium's LB-IPAM) as a list of reconcilers run in
 * rounds over one store, plus the admission the API applies to every write. {@link #settle} runs
 * rounds until one writes nothing: each controller sees the others' writes in the next round.
 */
public final class ControllerManager {
  /** Rounds after which {@link #settle} stops even if controllers keep writing (the next trigger resumes). */
  public static final int MAX_ROUNDS = 64;

  private final Admission admission;
  private final List<Reconciler> reconcilers;

  public ControllerManager(Admission admission, List<Reconciler> reconcilers) {
    this.admission = Objects.requireNonNull(admission, "admission");
    this.reconcilers = List.copyOf(reconcilers);
  }

  /**
   * Every podnet controller: LB-IPAM, scheduler, deployment, replicaset, daemonset, endpoints and
   * endpointslices, node lifecycle and the garbage collector; admission: Service allocation and pod
   * defaults.
   *
   * @param serviceCidr      e.g. "10.96.0.0/12"
   * @param nodeGraceMillis  node-monitor-grace-period
   * @param random           seeded: clusterIPs, nodePorts and scheduling ties
   */
  public static ControllerManager standard(ApiResources resources, String serviceCidr, long nodeGraceMillis,
      RandomGenerator random) {
    Admission admission = new ServiceAllocator(serviceCidr, ServiceAllocator.DEFAULT_NODE_PORT_BASE,
        ServiceAllocator.DEFAULT_NODE_PORT_SIZE, random).then(new PodDefaults());
    return new ControllerManager(admission, List.of(
        new NodeLifecycleController(nodeGraceMillis),
        new DeploymentController(),
        new ReplicaSetController(),
        new DaemonSetController(),
        new Scheduler(random),
        new EndpointsController(),
        new LbIpam(),
        new GarbageCollector(resources)));
  }

  public Admission admission() {
    return admission;
  }

  public List<Reconciler> reconcilers() {
    return reconcilers;
  }

  /** This manager with {@code extra} run after the others in every round. */
  public ControllerManager with(Reconciler extra) {
    List<Reconciler> all = new ArrayList<>(reconcilers);
    all.add(extra);
    return new ControllerManager(admission, all);
  }

  /**
   * Runs rounds until a round writes nothing or {@link #MAX_ROUNDS} have run.
   *
   * @return the number of rounds that wrote
   */
  public int settle(ObjectStore store, long nowMillis) {
    Cluster cluster = new Cluster(store, admission);
    for (int round = 0; round < MAX_ROUNDS; round++) {
      int before = cluster.writes();
      for (Reconciler r : reconcilers) {
        r.reconcile(cluster, nowMillis);
      }
      if (cluster.writes() == before) {
        return round;
      }
    }
    return MAX_ROUNDS;
  }
}
