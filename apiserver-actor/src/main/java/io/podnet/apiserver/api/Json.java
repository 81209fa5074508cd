package io.podnet.apiserver.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * JSON as the API server writes it, over protobuf's {@link Value} tree: object keys in sorted order
 * (Go's encoding of map[string]interface{}, which is what unstructured objects are), integral
 * numbers without a fraction, and Go's escaping of {@code < > &} and U+2028/U+2029.
 */
public final class Json {
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private Json() {}

  /** Parses any JSON value. */
  public static Value parse(String json) throws InvalidProtocolBufferException {
    Value.Builder b = Value.newBuilder();
    PARSER.merge(json, b);
    return b.build();
  }

  /** Parses a JSON object; anything else is an error. */
  public static Struct parseObject(String json) throws InvalidProtocolBufferException {
    Value v = parse(json);
    if (!v.hasStructValue()) {
      throw new InvalidProtocolBufferException("expected a JSON object, found " + v.getKindCase());
    }
    return v.getStructValue();
  }

  public static String print(Value v) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, v);
    return sb.toString();
  }

  public static String print(Struct s) {
    return print(of(s));
  }

  private static void write(StringBuilder sb, Value v) {
    switch (v.getKindCase()) {
      case STRUCT_VALUE -> {
        sb.append('{');
        List<String> keys = new ArrayList<>(v.getStructValue().getFieldsMap().keySet());
        keys.sort(null);
        boolean first = true;
        for (String k : keys) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          writeString(sb, k);
          sb.append(':');
          write(sb, v.getStructValue().getFieldsMap().get(k));
        }
        sb.append('}');
      }
      case LIST_VALUE -> {
        sb.append('[');
        List<Value> items = v.getListValue().getValuesList();
        for (int i = 0; i < items.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          write(sb, items.get(i));
        }
        sb.append(']');
      }
      case STRING_VALUE -> writeString(sb, v.getStringValue());
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
          sb.append((long) d);
        } else {
          sb.append(d);
        }
      }
      case NULL_VALUE, KIND_NOT_SET -> sb.append("null");
    }
  }

  static void writeString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  // ------------------------------------------------------------ building

  public static Value of(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  public static Value of(long n) {
    return Value.newBuilder().setNumberValue(n).build();
  }

  public static Value of(boolean b) {
    return Value.newBuilder().setBoolValue(b).build();
  }

  public static Value of(Struct s) {
    return Value.newBuilder().setStructValue(s).build();
  }

  public static Value nullValue() {
    return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
  }

  public static Value list(Collection<Value> items) {
    return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(items)).build();
  }

  public static Value strings(Collection<String> items) {
    List<Value> vs = new ArrayList<>(items.size());
    for (String s : items) {
      vs.add(of(s));
    }
    return list(vs);
  }

  /** An object from alternating keys and values (String, Long/Integer, Boolean, Struct, Value). */
  public static Struct obj(Object... kv) {
    if (kv.length % 2 != 0) {
      throw new IllegalArgumentException("odd number of arguments");
    }
    Struct.Builder b = Struct.newBuilder();
    for (int i = 0; i < kv.length; i += 2) {
      b.putFields((String) kv[i], value(kv[i + 1]));
    }
    return b.build();
  }

  public static Value value(Object o) {
    if (o instanceof Value v) {
      return v;
    } else if (o instanceof String s) {
      return of(s);
    } else if (o instanceof Integer n) {
      return of(n.longValue());
    } else if (o instanceof Long n) {
      return of(n);
    } else if (o instanceof Boolean b) {
      return of(b);
    } else if (o instanceof Struct s) {
      return of(s);
    } else if (o == null) {
      return nullValue();
    } else if (o instanceof Map<?, ?> m) {
      Struct.Builder b = Struct.newBuilder();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        b.putFields((String) e.getKey(), value(e.getValue()));
      }
      return of(b.build());
    } else if (o instanceof Collection<?> c) {
      List<Value> vs = new ArrayList<>();
      for (Object x : c) {
        vs.add(value(x));
      }
      return list(vs);
    }
    throw new IllegalArgumentException("not a JSON value: " + o.getClass());
  }

  // ------------------------------------------------------------ reading

  /** The value at a path of object keys, or null. */
  public static Value at(Struct s, String... path) {
    Value v = null;
    Struct cur = s;
    for (int i = 0; i < path.length; i++) {
      if (cur == null) {
        return null;
      }
      v = cur.getFieldsMap().get(path[i]);
      if (v == null) {
        return null;
      }
      cur = v.hasStructValue() ? v.getStructValue() : null;
    }
    return v;
  }

  public static String string(Struct s, String... path) {
    Value v = at(s, path);
    return v != null && v.hasStringValue() ? v.getStringValue() : "";
  }

  public static long number(Struct s, String... path) {
    Value v = at(s, path);
    return v != null && v.hasNumberValue() ? (long) v.getNumberValue() : 0;
  }

  public static Struct struct(Struct s, String... path) {
    Value v = at(s, path);
    return v != null && v.hasStructValue() ? v.getStructValue() : Struct.getDefaultInstance();
  }

  public static List<Value> array(Struct s, String... path) {
    Value v = at(s, path);
    return v != null && v.hasListValue() ? v.getListValue().getValuesList() : List.of();
  }
}
