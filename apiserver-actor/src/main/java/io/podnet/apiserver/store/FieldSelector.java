package io.podnet.apiserver.store;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A Kubernetes field selector in its string form ({@code fieldSelector}, kubectl's
 * {@code --field-selector}), as apimachinery's {@code fields.ParseSelector} reads it: terms
 * {@code key=value}, {@code key==value} or {@code key!=value} joined by commas, with {@code \,},
 * {@code \=} and {@code \\} escaping in values. A field that is not set reads as "", so
 * {@code spec.nodeName=} selects unscheduled pods.
 */
public final class FieldSelector {

  /** One term. */
  public record Term(String field, boolean equal, String value) {
    public Term {
      Objects.requireNonNull(field, "field");
      Objects.requireNonNull(value, "value");
    }
  }

  public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

  private final List<Term> terms;

  private FieldSelector(List<Term> terms) {
    this.terms = List.copyOf(terms);
  }

  public List<Term> terms() {
    return terms;
  }

  public boolean isEmpty() {
    return terms.isEmpty();
  }

  /**
   * Parses the string form.
   *
   * @throws ApiException 400 BadRequest when a term has no operator
   */
  public static FieldSelector parse(String text) {
    Objects.requireNonNull(text, "selector");
    if (text.isEmpty()) {
      return EVERYTHING;
    }
    List<Term> out = new ArrayList<>();
    for (String part : splitUnescaped(text)) {
      out.add(term(part));
    }
    return new FieldSelector(out);
  }

  /**
   * Checks every field is one {@code type} supports.
   *
   * @throws ApiException 400 BadRequest "field label not supported: KEY"
   */
  public FieldSelector validateFor(ResourceType type) {
    for (Term t : terms) {
      if (!type.supportsFieldSelector(t.field())) {
        throw new ApiException(Status.badRequest("field label not supported: " + t.field()));
      }
    }
    return this;
  }

  public boolean matches(KubeObject o) {
    for (Term t : terms) {
      boolean same = fieldValue(o, t.field()).equals(t.value());
      if (same != t.equal()) {
        return false;
      }
    }
    return true;
  }

  /** The string value of a selectable field; "" when unset. */
  static String fieldValue(KubeObject o, String field) {
    if (field.equals("metadata.name")) {
      return o.metadata().name();
    }
    if (field.equals("metadata.namespace")) {
      return o.metadata().namespace();
    }
    String[] path = field.split("\\.");
    Struct s =
        switch (path[0]) {
          case "spec" -> o.spec();
          case "status" -> o.status();
          default -> Struct.getDefaultInstance();
        };
    Value v = null;
    for (int i = 1; i < path.length; i++) {
      v = s.getFieldsMap().get(path[i]);
      if (v == null) {
        return "";
      }
      if (i < path.length - 1) {
        if (!v.hasStructValue()) {
          return "";
        }
        s = v.getStructValue();
      }
    }
    return v == null ? "" : scalar(v);
  }

  private static String scalar(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        yield d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
      }
      default -> "";
    };
  }

  private static List<String> splitUnescaped(String s) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == ',') {
        parts.add(s.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(s.substring(start));
    return parts;
  }

  private static Term term(String t) {
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '\\') {
        i++;
        continue;
      }
      if (t.startsWith("!=", i)) {
        return new Term(t.substring(0, i).trim(), false, unescape(t, t.substring(i + 2)));
      }
      if (t.startsWith("==", i)) {
        return new Term(t.substring(0, i).trim(), true, unescape(t, t.substring(i + 2)));
      }
      if (c == '=') {
        return new Term(t.substring(0, i).trim(), true, unescape(t, t.substring(i + 1)));
      }
    }
    throw new ApiException(
        Status.badRequest("invalid selector: '" + t + "'; can't understand '" + t + "'"));
  }

  private static String unescape(String term, String v) {
    StringBuilder b = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\') {
        if (i + 1 >= v.length() || "\\,=".indexOf(v.charAt(i + 1)) < 0) {
          throw new ApiException(
              Status.badRequest("invalid field selector: '" + term + "': invalid escape sequence"));
        }
        c = v.charAt(++i);
      } else if (c == '=' || c == ',') {
        throw new ApiException(
            Status.badRequest(
                "invalid field selector: '" + term + "': unescaped '" + c + "' in value"));
      }
      b.append(c);
    }
    return b.toString();
  }
}
