package io.podnet.node.agent;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading Kubernetes objects (JSON as protobuf Struct) by path, and writing small JSON bodies. */
final class Json {
  private Json() {}

  /** The value at {@code path} ("metadata.name"), or null. */
  static Value at(Struct s, String path) {
    Value v = null;
    Struct cur = s;
    for (String part : path.split("\\.")) {
      if (cur == null) {
        return null;
      }
      v = cur.getFieldsMap().get(part);
      cur = v != null && v.hasStructValue() ? v.getStructValue() : null;
    }
    return v;
  }

  static String str(Struct s, String path) {
    Value v = at(s, path);
    if (v == null) {
      return "";
    }
    if (v.hasStringValue()) {
      return v.getStringValue();
    }
    if (v.hasNumberValue()) {
      double d = v.getNumberValue();
      return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
    if (v.hasBoolValue()) {
      return Boolean.toString(v.getBoolValue());
    }
    return "";
  }

  static boolean bool(Struct s, String path) {
    Value v = at(s, path);
    return v != null && v.hasBoolValue() && v.getBoolValue();
  }

  static Struct struct(Struct s, String path) {
    Value v = at(s, path);
    return v != null && v.hasStructValue() ? v.getStructValue() : Struct.getDefaultInstance();
  }

  static List<Value> list(Struct s, String path) {
    Value v = at(s, path);
    return v != null && v.hasListValue() ? v.getListValue().getValuesList() : List.of();
  }

  static List<Struct> structs(Struct s, String path) {
    return list(s, path).stream().filter(Value::hasStructValue).map(Value::getStructValue).toList();
  }

  /** A map of strings (labels, ConfigMap data). */
  static Map<String, String> strings(Struct s, String path) {
    Map<String, String> m = new LinkedHashMap<>();
    struct(s, path).getFieldsMap().forEach((k, v) -> m.put(k, v.hasStringValue() ? v.getStringValue()
        : v.hasNumberValue() ? str(Struct.newBuilder().putFields("x", v).build(), "x") : v.hasBoolValue()
            ? Boolean.toString(v.getBoolValue()) : ""));
    return m;
  }

  static Struct parse(String json) {
    try {
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().merge(json, b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("bad JSON built by the node agent: " + json, e);
    }
  }

  /** {@code s} as compact JSON. */
  static String toJson(Struct s) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(s);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a Struct that does not print as JSON", e);
    }
  }

  /** A JSON string literal. */
  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** A JSON object of string values, keys sorted as given. */
  static String object(Map<String, String> m) {
    StringBuilder b = new StringBuilder("{");
    m.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append(q(k)).append(':').append(q(v)));
    return b.append('}').toString();
  }

  static Value strings(List<String> l) {
    ListValue.Builder b = ListValue.newBuilder();
    l.forEach(x -> b.addValues(Value.newBuilder().setStringValue(x)));
    return Value.newBuilder().setListValue(b).build();
  }
}
