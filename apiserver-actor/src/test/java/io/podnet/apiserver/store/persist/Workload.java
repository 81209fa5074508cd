package io.podnet.apiserver.store.persist;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResource;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** A deterministic mix of creates, updates, status writes and deletes over several kinds (test data). */
final class Workload {
  static final ApiResources RESOURCES = ApiResources.standard();
  static final TypeResolver TYPES = (gv, r) -> RESOURCES.find(gv, r).map(ApiResource::type);
  /** 2025-08-09T12:35:25Z */
  static final long T0 = 1_754_742_925_000L;
  private static final ResourceType[] KINDS = {
      ApiResources.POD, ApiResources.LEASE, ApiResources.NODE, ApiResources.CONFIG_MAP, ApiResources.DEPLOYMENT};

  private final SplittableRandom choices;
  private final List<ObjectKey> live = new ArrayList<>();
  private int created;

  Workload(long seed) {
    this.choices = new SplittableRandom(seed);
  }

  /** Runs {@code n} writes against {@code store}, advancing {@code clock} by 1.5 s before each. */
  void run(ObjectStore store, AtomicLong clock, int n) {
    for (int i = 0; i < n; i++) {
      clock.addAndGet(1500);
      step(store);
    }
  }

  void step(ObjectStore store) {
    int dice = choices.nextInt(100);
    if (live.isEmpty() || dice < 45) {
      ResourceType t = KINDS[choices.nextInt(KINDS.length)];
      String ns = t.namespaced() ? "ns-" + choices.nextInt(3) : "";
      String name = t.kind().toLowerCase() + "-" + created++;
      KubeObject o = new KubeObject(t.apiVersion(), t.kind(),
          new ObjectMeta(name, ns, "", "", 0, Map.of("app", "a" + choices.nextInt(4)),
              Map.of("note", "créé n°" + created), ""),
          Json.obj("replicas", choices.nextInt(5), "nodeName", "k8s-w" + choices.nextInt(3),
              "ports", List.of(Map.of("port", 80, "protocol", "TCP"))),
          Struct.getDefaultInstance(),
          t.equals(ApiResources.CONFIG_MAP) ? Json.obj("data", Map.of("key", "v" + choices.nextInt(1000)))
              : Struct.getDefaultInstance());
      store.create(t, o);
      live.add(new ObjectKey(t, ns, name));
      return;
    }
    ObjectKey k = live.get(choices.nextInt(live.size()));
    KubeObject cur = store.get(k.type(), k.namespace(), k.name());
    if (dice < 75) {
      KubeObject next = cur.withSpec(cur.spec().toBuilder().putFields("replicas", Json.of(choices.nextInt(1000))).build())
          .withMetadata(cur.metadata().withLabels(Map.of("app", "b" + choices.nextInt(4))));
      store.update(k.type(), next);
    } else if (dice < 85 && k.type().statusSubresource()) {
      store.updateStatus(k.type(), cur.withStatus(Json.obj("phase", "Running", "n", choices.nextInt(9))));
    } else {
      store.delete(k.type(), k.namespace(), k.name(), choices.nextBoolean() ? cur.metadata().resourceVersion() : "");
      live.remove(k);
    }
  }
}
