package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeNames;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Pod templates: the pod-template-hash and the pods a controller makes from a template. */
public final class PodTemplates {
  public static final String HASH_LABEL = "pod-template-hash";

  private PodTemplates() {}

  /**
   * controller.ComputeHash: FNV-1a (32 bit) over the template, then, when there is a collision
   * count, its uint32 value as 8 little-endian bytes; the decimal of the sum rendered with
   * rand.SafeEncodeString. Kubernetes hashes the Go struct printed by spew; podnet hashes the
   * template's canonical JSON (sorted keys), so names have Kubernetes' shape and stability (same
   * template, same hash; any change, a new one) but not a real cluster's values.
   */
  public static String computeHash(Struct template, Long collisionCount) {
    int h = 0x811c9dc5;
    for (byte b : Json.print(template).getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xFF);
      h *= 0x01000193;
    }
    if (collisionCount != null) {
      long c = collisionCount & 0xFFFFFFFFL;
      for (int i = 0; i < 8; i++) {
        h ^= (int) ((i < 4 ? c >>> (8 * i) : 0) & 0xFF);
        h *= 0x01000193;
      }
    }
    return KubeNames.safeEncodeString(Long.toString(h & 0xFFFFFFFFL));
  }

  /** The template without the given label (EqualIgnoreHash compares templates this way). */
  public static Struct withoutLabel(Struct template, String label) {
    Struct labels = Json.struct(template, "metadata", "labels");
    if (!labels.containsFields(label)) {
      return template;
    }
    Struct newLabels = labels.toBuilder().removeFields(label).build();
    return Kube.with(template, newLabels.getFieldsCount() == 0 ? null : Json.of(newLabels), "metadata", "labels");
  }

  public static Struct withLabel(Struct template, String label, String value) {
    return Kube.with(template, Json.of(value), "metadata", "labels", label);
  }

  /** controller.GetPodFromTemplate: a pod to create for {@code owner}, named generateName + 5 random. */
  public static KubeObject pod(KubeObject owner, Struct template, String generateName) {
    Map<String, String> labels = new LinkedHashMap<>(Kube.stringMap(Json.struct(template, "metadata", "labels")));
    Map<String, String> annotations = Kube.stringMap(Json.struct(template, "metadata", "annotations"));
    ObjectMeta meta = new ObjectMeta("", owner.metadata().namespace(), "", "", 0, labels, annotations, "",
        generateName, List.of(OwnerReference.controllerOf(owner)));
    return new KubeObject("v1", "Pod", meta, Json.struct(template, "spec"), Struct.getDefaultInstance());
  }

  /** An int-or-percent (maxSurge, maxUnavailable) resolved against {@code total}. */
  static long intOrPercent(Value v, String dflt, long total, boolean roundUp) {
    String s = v == null ? dflt : v.hasNumberValue() ? Long.toString((long) v.getNumberValue()) : v.getStringValue();
    if (s.endsWith("%")) {
      long pct = Long.parseLong(s.substring(0, s.length() - 1));
      return roundUp ? (pct * total + 99) / 100 : pct * total / 100;
    }
    return Long.parseLong(s);
  }
}
