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

  /** FNV-1a's 32-bit offset basis (hash/fnv's offset32). */
  static final int FNV32_OFFSET = 0x811c9dc5;
  /** FNV-1a's 32-bit prime (hash/fnv's prime32). */
  static final int FNV32_PRIME = 0x01000193;

  /**
   * controller.ComputeHash(template, collisionCount): an FNV-1a 32-bit hasher (Go's fnv.New32a)
   * is fed the template by hashutil.DeepHashObject, then, when there is a collision count, 8 bytes
   * with its uint32 value little-endian in the first four ({@code binary.LittleEndian.PutUint32}
   * into {@code make([]byte, 8)}); the hash is {@code rand.SafeEncodeString(fmt.Sprint(Sum32()))}:
   * the decimal digits of the unsigned sum, each mapped to {@link KubeNames#ALPHANUMS}, so 1 to 10
   * characters from "456789bcdf" (10 for sums from 1,000,000,000 up, not padded).
   *
   * <p>What is not reproduced: DeepHashObject prints the Go struct with go-spew ({@code %#v},
   * sorted keys, type names, every defaulted field) and hashes that text; podnet hashes the
   * template's {@link #canonical canonical JSON} instead. Same template, same hash; any change (a
   * rollout restart's restartedAt annotation) a new one; but the values differ from a real
   * cluster's for the same manifest.
   */
  public static String computeHash(Struct template, Long collisionCount) {
    int h = fnv32a(FNV32_OFFSET, canonical(template).getBytes(StandardCharsets.UTF_8));
    if (collisionCount != null) {
      long c = collisionCount & 0xFFFFFFFFL;
      byte[] bytes = new byte[8];
      for (int i = 0; i < 4; i++) {
        bytes[i] = (byte) (c >>> (8 * i));
      }
      h = fnv32a(h, bytes);
    }
    return KubeNames.safeEncodeString(Long.toString(h & 0xFFFFFFFFL));
  }

  /** FNV-1a, 32 bits: for each byte, xor it in, then multiply by the prime. */
  static int fnv32a(int h, byte[] data) {
    for (byte b : data) {
      h ^= (b & 0xFF);
      h *= FNV32_PRIME;
    }
    return h;
  }

  /**
   * The text hashed for a template: its JSON with sorted keys, without nulls and without empty
   * objects, so that templates that decode to the same Go PodTemplateSpec hash alike whatever the
   * client sent ({@code "creationTimestamp": null} from kubectl apply, {@code "resources": {}} from
   * kubectl create's JSON, nothing from its protobuf). Empty lists stay: Go tells a nil slice from
   * an empty one, and spew prints them differently.
   */
  static String canonical(Struct template) {
    return Json.print(prune(template));
  }

  private static Struct prune(Struct s) {
    Struct.Builder b = Struct.newBuilder();
    for (Map.Entry<String, Value> e : s.getFieldsMap().entrySet()) {
      Value v = prune(e.getValue());
      if (v != null) {
        b.putFields(e.getKey(), v);
      }
    }
    return b.build();
  }

  /** The value without nulls and empty objects inside; null if it is itself null or an empty object. */
  private static Value prune(Value v) {
    switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> {
        return null;
      }
      case STRUCT_VALUE -> {
        Struct s = prune(v.getStructValue());
        return s.getFieldsCount() == 0 ? null : Json.of(s);
      }
      case LIST_VALUE -> {
        com.google.protobuf.ListValue.Builder l = com.google.protobuf.ListValue.newBuilder();
        for (Value item : v.getListValue().getValuesList()) {
          Value p = prune(item);
          l.addValues(p == null ? Json.of(Struct.getDefaultInstance()) : p);
        }
        return Value.newBuilder().setListValue(l).build();
      }
      default -> {
        return v;
      }
    }
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
