package io.podnet.proto.k8s;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.proto.k8s.JsonTree.Arr;
import io.podnet.proto.k8s.JsonTree.Bool;
import io.podnet.proto.k8s.JsonTree.Member;
import io.podnet.proto.k8s.JsonTree.Node;
import io.podnet.proto.k8s.JsonTree.Num;
import io.podnet.proto.k8s.JsonTree.Obj;
import io.podnet.proto.k8s.JsonTree.Str;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decodes Kubernetes JSON into a typed schema message the way kube-apiserver decodes a request
 * body into its Go type (sigs.k8s.io/json, case-sensitive): field names match json_name exactly;
 * a member no field has is an <em>unknown field</em> and a member given twice a <em>duplicate
 * field</em> (strict errors, reported with their path such as
 * {@code spec.template.spec.containers[0].imagePullPolicy}, in document order, once each); a value
 * of the wrong JSON type is a <em>type error</em> that Go reports as
 * {@code json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
 * int32}. JSON null leaves a field unset. Inside Struct/Value sub-trees (not modelled) only
 * duplicates are found.
 */
public final class SchemaDecoder {
  private SchemaDecoder() {}

  /**
   * A value of the wrong type.
   *
   * @param goMessage Go's encoding/json message
   * @param path the field's path with list indices, e.g. {@code spec.blocks[0].disabled}
   * @param expected the OpenAPI type of the field: string, boolean, integer, object or array
   * @param actual the OpenAPI type of the value given: string, boolean, integer, number, object,
   *     array
   */
  public record TypeError(String goMessage, String path, String expected, String actual) {}

  /**
   * @param message the typed message (fields with type errors left unset)
   * @param strictErrors {@code unknown field "p"} and {@code duplicate field "p"}, in document order
   * @param typeErrors in document order
   */
  public record Result(Message message, List<String> strictErrors, List<TypeError> typeErrors) {
    public Result {
      strictErrors = List.copyOf(strictErrors);
      typeErrors = List.copyOf(typeErrors);
    }
  }

  private static final Map<Descriptor, Map<String, FieldDescriptor>> BY_JSON_NAME = new ConcurrentHashMap<>();

  /** Decodes {@code json} (an object) as a {@code prototype}'s type. */
  public static Result decode(Obj json, Message prototype) {
    Walk w = new Walk();
    Message.Builder b = prototype.newBuilderForType();
    w.message(json, prototype.getDescriptorForType(), "", "", b);
    return new Result(b.build(), w.strict, w.types);
  }

  /**
   * The duplicate members anywhere in a JSON value, as strict decoding into a Go map reports them:
   * {@code duplicate field "spec.paused"}, in document order.
   */
  public static List<String> duplicateFields(Node json) {
    Walk w = new Walk();
    w.duplicates(json, "");
    return List.copyOf(w.strict);
  }

  /** The Go type name of a message: its proto package's last segment and its name (v1.PodSpec). */
  static String goType(Descriptor d) {
    String pkg = d.getFile().getPackage();
    return pkg.substring(pkg.lastIndexOf('.') + 1) + "." + d.getName();
  }

  private static Map<String, FieldDescriptor> fields(Descriptor d) {
    return BY_JSON_NAME.computeIfAbsent(d, k -> {
      Map<String, FieldDescriptor> m = new HashMap<>();
      for (FieldDescriptor f : k.getFields()) {
        m.put(f.getJsonName(), f);
      }
      return m;
    });
  }

  private static boolean isStruct(Descriptor d) {
    return d.getFullName().equals(Struct.getDescriptor().getFullName());
  }

  private static boolean isValue(Descriptor d) {
    return d.getFullName().equals(Value.getDescriptor().getFullName());
  }

  private static final class Walk {
    final List<String> strict = new ArrayList<>();
    final List<TypeError> types = new ArrayList<>();

    void message(Obj obj, Descriptor d, String path, String goPath, Message.Builder b) {
      Map<String, FieldDescriptor> byName = fields(d);
      Set<String> seen = new HashSet<>();
      Set<String> unknown = new HashSet<>();
      for (Member m : obj.members()) {
        String p = path.isEmpty() ? m.key() : path + "." + m.key();
        FieldDescriptor f = byName.get(m.key());
        if (f == null) {
          if (unknown.add(m.key())) {
            strict.add("unknown field \"" + p + "\"");
          }
          continue;
        }
        if (!seen.add(m.key())) {
          strict.add("duplicate field \"" + p + "\"");
        }
        String gp = goPath.isEmpty() ? m.key() : goPath + "." + m.key();
        field(m.value(), f, d.getName(), p, gp, b);
      }
    }

    void field(Node n, FieldDescriptor f, String struct, String p, String gp, Message.Builder b) {
      b.clearField(f);
      if (n == JsonTree.Null.NULL) {
        return;
      }
      if (f.isMapField()) {
        if (!(n instanceof Obj o)) {
          typeError(n, struct, gp, "map[string]string", p, "object", false);
          return;
        }
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        Map<String, Object> entries = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (Member m : o.members()) {
          String mp = p + "." + m.key();
          if (!seen.add(m.key())) {
            strict.add("duplicate field \"" + mp + "\"");
          }
          Object v = scalar(m.value(), valueField, struct, mp, gp);
          if (v != null) {
            entries.put(m.key(), v);
          }
        }
        for (Map.Entry<String, Object> e : entries.entrySet()) {
          Message.Builder entry = b.newBuilderForField(f);
          entry.setField(f.getMessageType().findFieldByName("key"), e.getKey());
          entry.setField(valueField, e.getValue());
          b.addRepeatedField(f, entry.build());
        }
        return;
      }
      if (f.isRepeated()) {
        if (!(n instanceof Arr a)) {
          typeError(n, struct, gp, "[]" + elementGoType(f), p, "array", false);
          return;
        }
        for (int i = 0; i < a.items().size(); i++) {
          Node item = a.items().get(i);
          String ip = p + "[" + i + "]";
          Object v = item == JsonTree.Null.NULL ? zero(f, b) : value(item, f, struct, ip, gp, b);
          if (v != null) {
            b.addRepeatedField(f, v);
          }
        }
        return;
      }
      Object v = value(n, f, struct, p, gp, b);
      if (v != null) {
        b.setField(f, v);
      }
    }

    private Object zero(FieldDescriptor f, Message.Builder b) {
      return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
          ? b.newBuilderForField(f).build()
          : f.getDefaultValue();
    }

    /** One value (a singular field or a list element); null after a type error. */
    Object value(Node n, FieldDescriptor f, String struct, String p, String gp, Message.Builder parent) {
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        return scalar(n, f, struct, p, gp);
      }
      Descriptor d = f.getMessageType();
      if (isStruct(d)) {
        if (!(n instanceof Obj o)) {
          typeError(n, struct, gp, elementGoType(f), p, "object", false);
          return null;
        }
        duplicates(o, p);
        return JsonTree.toStruct(o);
      }
      if (isValue(d)) {
        if (f.getOptions().getExtension(Schema.intOrString)) {
          boolean ok = n instanceof Str || (n instanceof Num num && integer(num.literal(), 32) != null);
          if (!ok) {
            // intstr.IntOrString.UnmarshalJSON decodes a non-string into its int32.
            typeError(n, struct, gp, "int32", p, "integer", true);
            return null;
          }
        }
        duplicates(n, p);
        return JsonTree.toValue(n);
      }
      if (!(n instanceof Obj o)) {
        typeError(n, struct, gp, goType(d), p, "object", false);
        return null;
      }
      Message.Builder sub = parent.newBuilderForField(f);
      message(o, d, p, gp, sub);
      return sub.build();
    }

    Object scalar(Node n, FieldDescriptor f, String struct, String p, String gp) {
      if (n == JsonTree.Null.NULL) {
        return null;
      }
      switch (f.getJavaType()) {
        case STRING -> {
          if (n instanceof Str s) {
            return s.value();
          }
          typeError(n, struct, gp, "string", p, "string", false);
        }
        case BOOLEAN -> {
          if (n instanceof Bool b) {
            return b.value();
          }
          typeError(n, struct, gp, "bool", p, "boolean", false);
        }
        case INT, LONG -> {
          int bits = f.getJavaType() == FieldDescriptor.JavaType.INT ? 32 : 64;
          if (n instanceof Num num) {
            BigInteger v = integer(num.literal(), bits);
            if (v != null) {
              return bits == 32 ? (Object) v.intValue() : (Object) v.longValue();
            }
          }
          typeError(n, struct, gp, "int" + bits, p, "integer", true);
        }
        default -> throw new IllegalStateException("schema field of an unsupported type: " + f.getFullName());
      }
      return null;
    }

    /** Duplicate members anywhere under a sub-tree the schema does not model. */
    void duplicates(Node n, String p) {
      if (n instanceof Obj o) {
        Set<String> seen = new HashSet<>();
        for (Member m : o.members()) {
          String mp = p.isEmpty() ? m.key() : p + "." + m.key();
          if (!seen.add(m.key())) {
            strict.add("duplicate field \"" + mp + "\"");
          }
          duplicates(m.value(), mp);
        }
      } else if (n instanceof Arr a) {
        for (int i = 0; i < a.items().size(); i++) {
          duplicates(a.items().get(i), p + "[" + i + "]");
        }
      }
    }

    void typeError(Node n, String struct, String gp, String goType, String p, String expected, boolean numeric) {
      String value = JsonTree.goKind(n);
      if (numeric && n instanceof Num num) {
        // Go names the literal when a number does not fit an integer type.
        value = "number " + num.literal();
      }
      types.add(new TypeError("json: cannot unmarshal " + value + " into Go struct field " + struct + "." + gp
          + " of type " + goType, p, expected, openApiType(n)));
    }
  }

  /** The Go type of one element of a field (the field's type for a singular field). */
  private static String elementGoType(FieldDescriptor f) {
    String declared = f.getOptions().getExtension(Schema.goType);
    if (!declared.isEmpty()) {
      return declared;
    }
    return switch (f.getJavaType()) {
      case STRING -> "string";
      case BOOLEAN -> "bool";
      case INT -> "int32";
      case LONG -> "int64";
      case MESSAGE -> isStruct(f.getMessageType()) || isValue(f.getMessageType())
          ? "map[string]interface {}"
          : goType(f.getMessageType());
      default -> f.getJavaType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  /** The integer a literal denotes if it is one (no fraction or exponent) that fits in bits. */
  static BigInteger integer(String literal, int bits) {
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (c == '.' || c == 'e' || c == 'E') {
        return null;
      }
    }
    BigInteger v = new BigInteger(literal);
    return v.bitLength() < bits ? v : null;
  }

  static String openApiType(Node n) {
    if (n instanceof Obj) {
      return "object";
    }
    if (n instanceof Arr) {
      return "array";
    }
    if (n instanceof Str) {
      return "string";
    }
    if (n instanceof Bool) {
      return "boolean";
    }
    if (n instanceof Num num) {
      return integer(num.literal(), 64) != null ? "integer" : "number";
    }
    return "null";
  }
}
