package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Maps a whole object between its Kubernetes JSON (as a {@link Struct}) and the store's
 * {@link KubeObject}: apiVersion, kind, metadata with Kubernetes field names and types
 * (resourceVersion a string, generation a number, creationTimestamp RFC 3339), spec, status, and
 * every other top-level field in {@link KubeObject#extra()}.
 *
 * <p>Metadata fields the store does not keep (finalizers, managedFields, deletionTimestamp) are
 * dropped on the way in, as a server prunes unknown fields.
 */
public final class ObjectCodec {
  private ObjectCodec() {}

  /** The object as Kubernetes JSON; empty spec/status/metadata fields are omitted (omitempty). */
  public static Struct toJson(KubeObject o) {
    Struct.Builder b = Struct.newBuilder();
    b.putFields("apiVersion", Json.of(o.apiVersion()));
    b.putFields("kind", Json.of(o.kind()));
    b.putFields("metadata", Json.of(metadata(o.metadata())));
    if (o.spec().getFieldsCount() > 0) {
      b.putFields("spec", Json.of(o.spec()));
    }
    if (o.status().getFieldsCount() > 0) {
      b.putFields("status", Json.of(o.status()));
    }
    b.putAllFields(o.extra().getFieldsMap());
    return b.build();
  }

  public static Struct metadata(ObjectMeta m) {
    Struct.Builder b = Struct.newBuilder();
    putIfSet(b, "name", m.name());
    putIfSet(b, "namespace", m.namespace());
    putIfSet(b, "uid", m.uid());
    putIfSet(b, "resourceVersion", m.resourceVersion());
    if (m.generation() != 0) {
      b.putFields("generation", Json.of(m.generation()));
    }
    putIfSet(b, "creationTimestamp", m.creationTimestamp());
    if (!m.labels().isEmpty()) {
      b.putFields("labels", Json.value(new TreeMap<>(m.labels())));
    }
    if (!m.annotations().isEmpty()) {
      b.putFields("annotations", Json.value(new TreeMap<>(m.annotations())));
    }
    putIfSet(b, "generateName", m.generateName());
    if (!m.ownerReferences().isEmpty()) {
      List<Value> refs = new ArrayList<>();
      for (OwnerReference r : m.ownerReferences()) {
        Struct.Builder rb = Json.obj("apiVersion", r.apiVersion(), "kind", r.kind(), "name", r.name(), "uid", r.uid())
            .toBuilder();
        if (r.controller() != null) {
          rb.putFields("controller", Json.of(r.controller()));
        }
        if (r.blockOwnerDeletion() != null) {
          rb.putFields("blockOwnerDeletion", Json.of(r.blockOwnerDeletion()));
        }
        refs.add(Json.of(rb.build()));
      }
      b.putFields("ownerReferences", Json.list(refs));
    }
    return b.build();
  }

  private static void putIfSet(Struct.Builder b, String k, String v) {
    if (!v.isEmpty()) {
      b.putFields(k, Json.of(v));
    }
  }

  /**
   * Decodes a request body for {@code type}. apiVersion and kind, when present, must be the
   * type's; an empty metadata.namespace takes {@code urlNamespace}.
   *
   * @throws ApiException 400 BadRequest for a mismatch or a field of the wrong JSON type
   */
  public static KubeObject fromJson(ResourceType type, Struct json, String urlNamespace) {
    String apiVersion = Json.string(json, "apiVersion");
    String kind = Json.string(json, "kind");
    if (!apiVersion.isEmpty() && !apiVersion.equals(type.apiVersion())) {
      throw new ApiException(Status.badRequest("the API version in the data (" + apiVersion
          + ") does not match the expected API version (" + type.apiVersion() + ")"));
    }
    if (!kind.isEmpty() && !kind.equals(type.kind())) {
      throw new ApiException(Status.badRequest(
          "the kind in the data (" + kind + ") does not match the expected kind (" + type.kind() + ")"));
    }
    Struct meta = objectField(json, "metadata");
    String namespace = stringField(meta, "metadata.namespace", "namespace");
    if (type.namespaced()) {
      if (namespace.isEmpty()) {
        namespace = urlNamespace;
      } else if (!urlNamespace.isEmpty() && !namespace.equals(urlNamespace)) {
        throw new ApiException(Status.badRequest(
            "the namespace of the provided object does not match the namespace sent on the request"));
      }
    } else {
      namespace = "";
    }
    Value gen = meta.getFieldsMap().get("generation");
    long generation = gen != null && gen.hasNumberValue() ? Math.max(0, (long) gen.getNumberValue()) : 0;
    ObjectMeta m =
        new ObjectMeta(
            stringField(meta, "metadata.name", "name"),
            namespace,
            stringField(meta, "metadata.uid", "uid"),
            stringField(meta, "metadata.resourceVersion", "resourceVersion"),
            generation,
            stringMap(meta, "labels"),
            stringMap(meta, "annotations"),
            stringField(meta, "metadata.creationTimestamp", "creationTimestamp"),
            stringField(meta, "metadata.generateName", "generateName"),
            ownerReferences(meta));
    Struct.Builder extra = Struct.newBuilder();
    for (Map.Entry<String, Value> e : json.getFieldsMap().entrySet()) {
      switch (e.getKey()) {
        case "apiVersion", "kind", "metadata", "spec", "status" -> {}
        default -> {
          if (!e.getValue().hasNullValue()) {
            extra.putFields(e.getKey(), e.getValue());
          }
        }
      }
    }
    return new KubeObject(type.apiVersion(), type.kind(), m, objectField(json, "spec"), objectField(json, "status"),
        extra.build());
  }

  private static List<OwnerReference> ownerReferences(Struct meta) {
    Value v = meta.getFieldsMap().get("ownerReferences");
    if (v == null || v.hasNullValue()) {
      return List.of();
    }
    if (!v.hasListValue()) {
      throw new ApiException(Status.badRequest("json: cannot unmarshal " + jsonType(v)
          + " into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference"));
    }
    List<OwnerReference> out = new ArrayList<>();
    for (Value item : v.getListValue().getValuesList()) {
      if (!item.hasStructValue()) {
        throw new ApiException(Status.badRequest("json: cannot unmarshal " + jsonType(item)
            + " into Go struct field ObjectMeta.metadata.ownerReferences of type v1.OwnerReference"));
      }
      Struct r = item.getStructValue();
      String path = "metadata.ownerReferences.";
      out.add(new OwnerReference(stringField(r, path + "apiVersion", "apiVersion"), stringField(r, path + "kind", "kind"),
          stringField(r, path + "name", "name"), stringField(r, path + "uid", "uid"), boolField(r, "controller"),
          boolField(r, "blockOwnerDeletion")));
    }
    return out;
  }

  private static Boolean boolField(Struct s, String key) {
    Value v = s.getFieldsMap().get(key);
    if (v == null || v.hasNullValue()) {
      return null;
    }
    if (!v.hasBoolValue()) {
      throw new ApiException(Status.badRequest("json: cannot unmarshal " + jsonType(v)
          + " into Go struct field OwnerReference.metadata.ownerReferences." + key + " of type bool"));
    }
    return v.getBoolValue();
  }

  private static Struct objectField(Struct s, String key) {
    Value v = s.getFieldsMap().get(key);
    if (v == null || v.hasNullValue()) {
      return Struct.getDefaultInstance();
    }
    if (!v.hasStructValue()) {
      throw new ApiException(Status.badRequest(
          "json: cannot unmarshal " + jsonType(v) + " into Go struct field ." + key + " of type object"));
    }
    return v.getStructValue();
  }

  private static String stringField(Struct s, String path, String key) {
    Value v = s.getFieldsMap().get(key);
    if (v == null || v.hasNullValue()) {
      return "";
    }
    if (!v.hasStringValue()) {
      throw new ApiException(Status.badRequest(
          "json: cannot unmarshal " + jsonType(v) + " into Go struct field ObjectMeta." + path + " of type string"));
    }
    return v.getStringValue();
  }

  private static Map<String, String> stringMap(Struct meta, String key) {
    Value v = meta.getFieldsMap().get(key);
    if (v == null || v.hasNullValue()) {
      return Map.of();
    }
    if (!v.hasStructValue()) {
      throw new ApiException(Status.badRequest("json: cannot unmarshal " + jsonType(v)
          + " into Go struct field ObjectMeta.metadata." + key + " of type map[string]string"));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : v.getStructValue().getFieldsMap().entrySet()) {
      if (!e.getValue().hasStringValue()) {
        throw new ApiException(Status.badRequest("json: cannot unmarshal " + jsonType(e.getValue())
            + " into Go struct field ObjectMeta.metadata." + key + " of type string"));
      }
      out.put(e.getKey(), e.getValue().getStringValue());
    }
    return out;
  }

  static String jsonType(Value v) {
    return switch (v.getKindCase()) {
      case STRUCT_VALUE -> "object";
      case LIST_VALUE -> "array";
      case STRING_VALUE -> "string";
      case NUMBER_VALUE -> "number";
      case BOOL_VALUE -> "bool";
      default -> "null";
    };
  }
}
