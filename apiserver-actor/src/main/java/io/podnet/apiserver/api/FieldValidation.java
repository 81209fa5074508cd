package io.podnet.apiserver.api;

import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.proto.k8s.JsonTree;
import io.podnet.proto.k8s.KubeJson;
import io.podnet.proto.k8s.KubeSchemas;
import io.podnet.proto.k8s.SchemaDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Server-side field validation as kube-apiserver does it (the {@code fieldValidation} query
 * parameter of create, update and patch): the object is decoded against its kind's typed schema
 * ({@link KubeSchemas}); unknown and duplicate fields fail the request (Strict), come back as
 * {@code Warning: 299} headers (Warn, the default when the parameter is absent), or pass silently
 * (Ignore). A value of the wrong type always fails: for a built-in kind with Go's decoding error,
 * for a custom resource with its OpenAPI schema's 422 Invalid.
 *
 * <p>What passes is stored as the schema decoded it ({@link Outcome#object()}): unknown fields are
 * dropped, as kube-apiserver drops what its Go types (and structural CRD schemas) do not have, so
 * that a field let through by Warn or Ignore does not stay in the object to fail every later Strict
 * write of it. Sub-trees the schemas keep as Struct are kept whole.
 *
 * <p>Kinds without a schema are not checked. Protobuf bodies are not checked (kube-apiserver does
 * not support strict decoding of protobuf either).
 */
public final class FieldValidation {
  private FieldValidation() {}

  /**
   * @param warnings the texts of the Warning headers to send (Warn)
   * @param object the object as its schema decoded it (unknown fields dropped), or the object as
   *     given for a kind without a schema
   */
  public record Outcome(List<String> warnings, Struct object) {
    public Outcome {
      warnings = List.copyOf(warnings);
    }
  }

  /** The fieldValidation directive. */
  public enum Directive {
    IGNORE,
    WARN,
    STRICT;

    /**
     * The query parameter's value: "Ignore", "Warn", "Strict", or absent/empty for Warn.
     *
     * @throws ApiException 422 Invalid for any other value, as kube-apiserver validates the options
     */
    public static Directive parse(String verbOptions, String value) {
      if (value == null || value.isEmpty()) {
        return WARN;
      }
      return switch (value) {
        case "Ignore" -> IGNORE;
        case "Warn" -> WARN;
        case "Strict" -> STRICT;
        default -> throw new ApiException(new Status(422, "Invalid", verbOptions + ".meta.k8s.io \"\" is invalid: "
            + "fieldValidation: Unsupported value: " + goQuote(value)
            + ": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"",
            new Status.Details("", "meta.k8s.io", verbOptions)));
      };
    }
  }

  /**
   * Checks a create or update body (the JSON as sent, duplicates included).
   *
   * @return the warnings to send (Warn) and the object to store
   * @throws ApiException 400 BadRequest "KIND in version "V" cannot be handled as a KIND: ..." for a
   *     type error of a built-in kind or for strict errors under Strict; 422 Invalid for a type
   *     error of a custom resource
   */
  public static Outcome checkBody(ResourceType type, JsonTree.Obj body, Directive directive) {
    Optional<Message> schema = KubeSchemas.of(type.apiVersion(), type.kind());
    if (schema.isEmpty() || !sameKind(type, body)) {
      return new Outcome(List.of(), JsonTree.toStruct(body));
    }
    SchemaDecoder.Result r = SchemaDecoder.decode(body, schema.get());
    String handled = type.kind() + " in version \"" + type.version() + "\" cannot be handled as a " + type.kind() + ": ";
    boolean custom = KubeSchemas.customResource(type.apiVersion());
    if (!custom && !r.typeErrors().isEmpty()) {
      // Go's decoder keeps its first error; a decoding error trumps strict errors.
      throw new ApiException(Status.badRequest(handled + r.typeErrors().get(0).goMessage()));
    }
    List<String> errors = r.strictErrors();
    if (custom && !errors.isEmpty()) {
      // A custom resource's decoder reports every duplicate of the JSON (in document order, unknown
      // fields' too), then the unknown fields its schema prunes, walking the object in key order.
      List<String> ordered = new ArrayList<>(SchemaDecoder.duplicateFields(body));
      ordered.addAll(SchemaDecoder.decode(JsonTree.of(JsonTree.toStruct(body)), schema.get()).strictErrors());
      errors = ordered;
    }
    List<String> warnings = strict(errors, directive, handled);
    if (custom && !r.typeErrors().isEmpty()) {
      throw new ApiException(invalidCustomResource(type, name(body), r.typeErrors()));
    }
    return new Outcome(warnings, pruned(r.message()));
  }

  private static Struct pruned(Message m) {
    try {
      return Json.parseObject(KubeJson.print(m));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("KubeJson printed JSON it cannot parse", e);
    }
  }

  /**
   * Checks an object after a patch was applied to it: kube-apiserver decodes the patched object,
   * whose members are in key order (it went through a Go map).
   *
   * @param patchErrors the duplicate fields of the patch body itself, reported first
   * @param patch the patch as sent, for the 422 of a type error
   * @param strategic whether the patch was a strategic merge patch (kube-apiserver shows the patch
   *     map, not the patched object, as the invalid value)
   * @return the warnings to send (Warn) and the object to store
   */
  public static Outcome checkPatched(ResourceType type, Struct patched, List<String> patchErrors,
      Directive directive, Struct patch, boolean strategic) {
    Optional<Message> schema = KubeSchemas.of(type.apiVersion(), type.kind());
    if (schema.isEmpty()) {
      return new Outcome(List.of(), patched);
    }
    SchemaDecoder.Result r = SchemaDecoder.decode(JsonTree.of(patched), schema.get());
    boolean custom = KubeSchemas.customResource(type.apiVersion());
    if (!custom && !r.typeErrors().isEmpty()) {
      // Non-strict errors trump strict ones: errors.NewInvalid(schema.GroupKind{}, "", patch: Invalid value).
      String value = strategic ? goPrint(Value.newBuilder().setStructValue(patch).build()) : Json.print(patched);
      throw new ApiException(new Status(422, "Invalid", " \"\" is invalid: patch: Invalid value: " + goQuote(value)
          + ": " + r.typeErrors().get(0).goMessage(), Status.Details.NONE));
    }
    List<String> all = new ArrayList<>(directive == Directive.IGNORE ? List.of() : patchErrors);
    all.addAll(r.strictErrors());
    List<String> warnings = strict(all, directive, "");
    if (custom && !r.typeErrors().isEmpty()) {
      throw new ApiException(invalidCustomResource(type, Json.string(patched, "metadata", "name"), r.typeErrors()));
    }
    return new Outcome(warnings, pruned(r.message()));
  }

  /** The duplicate fields of a patch body, as kube-apiserver's strict unmarshal of it reports them. */
  public static List<String> patchDuplicates(JsonTree.Node patch) {
    return SchemaDecoder.duplicateFields(patch);
  }

  private static List<String> strict(List<String> errors, Directive directive, String prefix) {
    if (errors.isEmpty() || directive == Directive.IGNORE) {
      return List.of();
    }
    if (directive == Directive.WARN) {
      return List.copyOf(errors);
    }
    throw new ApiException(Status.badRequest(prefix + "strict decoding error: " + String.join(", ", errors)));
  }

  /** A CRD's OpenAPI validation failure: "KIND.GROUP "NAME" is invalid: PATH: Invalid value: ...". */
  private static Status invalidCustomResource(ResourceType type, String name, List<SchemaDecoder.TypeError> errors) {
    List<String> causes = new ArrayList<>();
    for (SchemaDecoder.TypeError e : errors) {
      causes.add(e.path() + ": Invalid value: \"" + e.actual() + "\": " + e.path() + " in body must be of type "
          + e.expected() + ": \"" + e.actual() + "\"");
    }
    String list = causes.size() == 1 ? causes.get(0) : "[" + String.join(", ", causes) + "]";
    return Status.invalid(type, name, list);
  }

  private static boolean sameKind(ResourceType type, JsonTree.Obj body) {
    String apiVersion = member(body, "apiVersion");
    String kind = member(body, "kind");
    return (apiVersion == null || apiVersion.isEmpty() || apiVersion.equals(type.apiVersion()))
        && (kind == null || kind.isEmpty() || kind.equals(type.kind()));
  }

  private static String name(JsonTree.Obj body) {
    for (JsonTree.Member m : body.members()) {
      if (m.key().equals("metadata") && m.value() instanceof JsonTree.Obj meta) {
        String n = member(meta, "name");
        return n == null ? "" : n;
      }
    }
    return "";
  }

  private static String member(JsonTree.Obj o, String key) {
    String v = null;
    for (JsonTree.Member m : o.members()) {
      if (m.key().equals(key) && m.value() instanceof JsonTree.Str s) {
        v = s.value();
      }
    }
    return v;
  }

  /** A string as Go's %q writes it. */
  static String goQuote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  /** A decoded JSON value as Go's %+v prints a map[string]interface{}: map[k:v ...], [a b]. */
  static String goPrint(Value v) {
    StringBuilder sb = new StringBuilder();
    goPrint(sb, v);
    return sb.toString();
  }

  private static void goPrint(StringBuilder sb, Value v) {
    switch (v.getKindCase()) {
      case STRUCT_VALUE -> {
        sb.append("map[");
        boolean first = true;
        for (Map.Entry<String, Value> e : new TreeMap<>(v.getStructValue().getFieldsMap()).entrySet()) {
          if (!first) {
            sb.append(' ');
          }
          first = false;
          sb.append(e.getKey()).append(':');
          goPrint(sb, e.getValue());
        }
        sb.append(']');
      }
      case LIST_VALUE -> {
        sb.append('[');
        List<Value> items = v.getListValue().getValuesList();
        for (int i = 0; i < items.size(); i++) {
          if (i > 0) {
            sb.append(' ');
          }
          goPrint(sb, items.get(i));
        }
        sb.append(']');
      }
      case STRING_VALUE -> sb.append(v.getStringValue());
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        sb.append(d == Math.rint(d) && Math.abs(d) < 1e18 ? Long.toString((long) d) : Double.toString(d));
      }
      default -> sb.append("<nil>");
    }
  }
}
