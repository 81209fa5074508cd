package io.podnet.apiserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.api.ObjectCodec;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OwnerReferencesTest {
  final ObjectStore store = new ObjectStore(() -> 1_754_742_925_000L, new SplittableRandom(3));

  @Test
  void generateNameAndOwnerReferencesAreStoredUpdatedAndPrinted() {
    OwnerReference ref = new OwnerReference("apps/v1", "ReplicaSet", "webpod-696774f575", "uid-1", true, true);
    ObjectMeta m = new ObjectMeta("", "default", "", "", 0, Map.of("app", "webpod"), Map.of(), "",
        "webpod-696774f575-", List.of(ref));
    KubeObject pod = store.create(ApiResources.POD, KubeObject.of(ApiResources.POD, m, Struct.getDefaultInstance()));
    assertTrue(pod.metadata().name().matches("webpod-696774f575-[bcdfghjklmnpqrstvwxz2456789]{5}"),
        pod.metadata().name());
    assertEquals(List.of(ref), pod.metadata().ownerReferences());
    Struct json = ObjectCodec.toJson(pod);
    assertEquals(Json.print(Json.obj("apiVersion", "apps/v1", "blockOwnerDeletion", true, "controller", true,
        "kind", "ReplicaSet", "name", "webpod-696774f575", "uid", "uid-1")),
        Json.print(Json.array(json, "metadata", "ownerReferences").get(0)));
    assertEquals("webpod-696774f575-", Json.string(json, "metadata", "generateName"));
    KubeObject back = ObjectCodec.fromJson(ApiResources.POD, json, "default");
    assertEquals(pod.metadata(), back.metadata());
    // An update can drop them (as a PUT without them does).
    KubeObject orphan = store.update(ApiResources.POD, pod.withMetadata(pod.metadata().withOwnerReferences(List.of())));
    assertEquals(List.of(), orphan.metadata().ownerReferences());
    assertEquals("webpod-696774f575-", orphan.metadata().generateName());
  }

  @Test
  void kubernetesNameHelpers() {
    // '0'..'9' are 48..57: 48 % 27 = 21 -> '4' ... 57 % 27 = 3 -> 'f'.
    assertEquals("456789bcdf", KubeNames.safeEncodeString("0123456789"));
    assertEquals("696774f575", KubeNames.safeEncodeString("2523309131"));
    assertEquals(("x".repeat(58)).length() + 5, KubeNames.generateName("x".repeat(80), new SplittableRandom(1)).length());
  }
}
