package io.podnet.apiserver.store.persist;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.OwnerReference;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test data: a DaemonSet and its pods, created as the controller creates them (generateName and a
 * controller owner reference), a pod with two owners (one not a controller, flags unset), a node,
 * and config maps updated and deleted. The fixture in src/test/resources/store-v1 was written by
 * these writes with the version 1 format (store opened at {@link #INITIAL_RV}, uids from
 * SplittableRandom({@link #SEED}), clock from {@link Workload#T0}), {@code midway} compacting.
 */
final class OwnedWrites {
  static final long INITIAL_RV = 100;
  static final long SEED = 42;

  private OwnedWrites() {}

  static void run(ObjectStore s, AtomicLong clock, Runnable midway) {
    clock.addAndGet(1000);
    s.create(ApiResources.NODE, KubeObject.of(ApiResources.NODE, ObjectMeta.of("", "node-a", Map.of()), Json.obj()));
    KubeObject ds = s.create(ApiResources.DAEMON_SET, KubeObject.of(ApiResources.DAEMON_SET,
        ObjectMeta.of("kube-system", "agent", Map.of("app", "agent")),
        Json.obj("selector", Json.obj("matchLabels", Map.of("app", "agent")))));
    clock.addAndGet(1000);
    s.create(ApiResources.POD, daemonPod(ds));
    s.create(ApiResources.CONFIG_MAP, KubeObject.of(ApiResources.CONFIG_MAP,
        ObjectMeta.of("kube-system", "cfg", Map.of()), Json.obj()));
    midway.run();
    clock.addAndGet(1000);
    s.create(ApiResources.POD, daemonPod(ds));
    KubeObject two = KubeObject.of(ApiResources.POD, ObjectMeta.of("kube-system", "two-owners", Map.of()),
        Json.obj("nodeName", "node-a"));
    s.create(ApiResources.POD, two.withMetadata(two.metadata().withOwnerReferences(List.of(
        OwnerReference.controllerOf(ds),
        new OwnerReference("v1", "ConfigMap", "cfg", "0f0e0d0c-0b0a-4908-8706-050403020100", null, null)))));
    KubeObject cfg = s.get(ApiResources.CONFIG_MAP, "kube-system", "cfg");
    s.update(ApiResources.CONFIG_MAP, cfg.withMetadata(cfg.metadata().withLabels(Map.of("v", "2"))));
    s.create(ApiResources.CONFIG_MAP, KubeObject.of(ApiResources.CONFIG_MAP,
        ObjectMeta.of("kube-system", "gone", Map.of()), Json.obj()));
    s.delete(ApiResources.CONFIG_MAP, "kube-system", "gone", "");
  }

  private static KubeObject daemonPod(KubeObject ds) {
    ObjectMeta m = ObjectMeta.of("kube-system", "", Map.of("app", "agent"))
        .withGenerateName("agent-")
        .withOwnerReferences(List.of(OwnerReference.controllerOf(ds)));
    return KubeObject.of(ApiResources.POD, m, Json.obj("nodeName", "node-a"));
  }
}
