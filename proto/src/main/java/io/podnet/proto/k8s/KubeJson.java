package io.podnet.proto.k8s;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Kubernetes JSON for podnet's API messages.
 *
 * <p>Parsing is protobuf's own {@link JsonFormat} (it accepts the lowerCamelCase names Kubernetes
 * uses, and numbers for 64-bit fields), ignoring fields podnet does not model, as the API server
 * prunes unknown fields. Printing differs from proto3 JSON in two ways Kubernetes clients notice,
 * so it is done here: 64-bit integers print as JSON numbers (proto3 JSON quotes them), and fields
 * at their default value are left out, as Go's {@code omitempty} does (fields with presence print
 * when set, also at their zero value). Struct and Value fields print as the JSON they hold.
 */
public final class KubeJson {
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

  private KubeJson() {}

  /** Merges Kubernetes JSON into {@code builder}; unknown fields are ignored. */
  public static <B extends Message.Builder> B parse(String json, B builder) throws InvalidProtocolBufferException {
    PARSER.merge(json, builder);
    return builder;
  }

  /** Compact Kubernetes JSON of a message. */
  public static String print(Message m) {
    StringBuilder sb = new StringBuilder(256);
    writeMessage(sb, m);
    return sb.toString();
  }

  private static void writeMessage(StringBuilder sb, Message m) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (isEmpty(f, e.getValue())) {
        continue;
      }
      if (!first) {
        sb.append(',');
      }
      first = false;
      writeString(sb, f.getJsonName());
      sb.append(':');
      if (f.isMapField()) {
        writeMap(sb, f, (List<?>) e.getValue());
      } else if (f.isRepeated()) {
        sb.append('[');
        List<?> items = (List<?>) e.getValue();
        for (int i = 0; i < items.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          writeValue(sb, f, items.get(i));
        }
        sb.append(']');
      } else {
        writeValue(sb, f, e.getValue());
      }
    }
    sb.append('}');
  }

  private static boolean isEmpty(FieldDescriptor f, Object v) {
    if (f.isRepeated()) {
      return ((List<?>) v).isEmpty();
    }
    if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
      return false;
    }
    return !f.hasPresence() && v.equals(f.getDefaultValue());
  }

  private static void writeMap(StringBuilder sb, FieldDescriptor f, List<?> entries) {
    FieldDescriptor keyField = f.getMessageType().findFieldByName("key");
    FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
    java.util.TreeMap<String, Object> sorted = new java.util.TreeMap<>();
    for (Object o : entries) {
      Message entry = (Message) o;
      sorted.put(String.valueOf(entry.getField(keyField)), entry.getField(valueField));
    }
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, Object> e : sorted.entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      writeString(sb, e.getKey());
      sb.append(':');
      writeValue(sb, valueField, e.getValue());
    }
    sb.append('}');
  }

  private static void writeValue(StringBuilder sb, FieldDescriptor f, Object v) {
    switch (f.getJavaType()) {
      case MESSAGE -> {
        if (v instanceof com.google.protobuf.Struct st) {
          writeJson(sb, com.google.protobuf.Value.newBuilder().setStructValue(st).build());
        } else if (v instanceof com.google.protobuf.Value jv) {
          writeJson(sb, jv);
        } else {
          writeMessage(sb, (Message) v);
        }
      }
      case STRING -> writeString(sb, (String) v);
      case ENUM -> writeString(sb, ((com.google.protobuf.Descriptors.EnumValueDescriptor) v).getName());
      case BYTE_STRING -> writeString(sb,
          Base64.getEncoder().encodeToString(((com.google.protobuf.ByteString) v).toByteArray()));
      case INT, LONG, BOOLEAN -> sb.append(v);
      case FLOAT, DOUBLE -> {
        double d = ((Number) v).doubleValue();
        if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
          sb.append((long) d);
        } else {
          sb.append(d);
        }
      }
    }
  }

  /** A google.protobuf.Value as the JSON it stands for; object keys sorted, as Go writes maps. */
  private static void writeJson(StringBuilder sb, com.google.protobuf.Value v) {
    switch (v.getKindCase()) {
      case STRUCT_VALUE -> {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, com.google.protobuf.Value> e
            : new java.util.TreeMap<>(v.getStructValue().getFieldsMap()).entrySet()) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          writeString(sb, e.getKey());
          sb.append(':');
          writeJson(sb, e.getValue());
        }
        sb.append('}');
      }
      case LIST_VALUE -> {
        sb.append('[');
        List<com.google.protobuf.Value> items = v.getListValue().getValuesList();
        for (int i = 0; i < items.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          writeJson(sb, items.get(i));
        }
        sb.append(']');
      }
      case STRING_VALUE -> writeString(sb, v.getStringValue());
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case NUMBER_VALUE -> sb.append(JsonTree.numberLiteral(v.getNumberValue()));
      default -> sb.append("null");
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
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            // Go's encoding/json escapes HTML-sensitive characters the same way.
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
