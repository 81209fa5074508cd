package io.podnet.proto.k8s;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * JSON as it was written: object members in order with duplicates kept, numbers as their literal.
 * A {@link Struct} loses both (a later duplicate replaces an earlier one, numbers become doubles),
 * and strict field validation needs them (Kubernetes reports {@code duplicate field "spec.paused"}
 * and {@code cannot unmarshal number 1.5}).
 */
public final class JsonTree {
  private JsonTree() {}

  /** A JSON value. */
  public sealed interface Node permits Obj, Arr, Str, Num, Bool, Null {}

  /** One member of an object. */
  public record Member(String key, Node value) {}

  public record Obj(List<Member> members) implements Node {
    public Obj {
      members = List.copyOf(members);
    }
  }

  public record Arr(List<Node> items) implements Node {
    public Arr {
      items = List.copyOf(items);
    }
  }

  public record Str(String value) implements Node {}

  /** A number as written, e.g. {@code 3}, {@code -1.5e3}. */
  public record Num(String literal) implements Node {}

  public record Bool(boolean value) implements Node {}

  public enum Null implements Node { NULL }

  /** Thrown for text that is not one JSON value (RFC 8259). */
  public static final class MalformedJsonException extends RuntimeException {
    public MalformedJsonException(String message) {
      super(message);
    }
  }

  /** Parses exactly one JSON value (surrounding white space allowed). */
  public static Node parse(String text) {
    Parser p = new Parser(text);
    p.ws();
    Node n = p.value(0);
    p.ws();
    if (p.pos != text.length()) {
      throw p.error("invalid character after top-level value");
    }
    return n;
  }

  /**
   * The tree of a Struct; members in key order, as Go writes a map (which is how kube-apiserver
   * sees an object it patched before decoding it).
   */
  public static Obj of(Struct s) {
    List<Member> members = new ArrayList<>();
    for (Map.Entry<String, Value> e : new TreeMap<>(s.getFieldsMap()).entrySet()) {
      members.add(new Member(e.getKey(), of(e.getValue())));
    }
    return new Obj(members);
  }

  public static Node of(Value v) {
    return switch (v.getKindCase()) {
      case STRUCT_VALUE -> of(v.getStructValue());
      case LIST_VALUE -> {
        List<Node> items = new ArrayList<>();
        for (Value item : v.getListValue().getValuesList()) {
          items.add(of(item));
        }
        yield new Arr(items);
      }
      case STRING_VALUE -> new Str(v.getStringValue());
      case BOOL_VALUE -> new Bool(v.getBoolValue());
      case NUMBER_VALUE -> new Num(numberLiteral(v.getNumberValue()));
      default -> Null.NULL;
    };
  }

  /** The protobuf Value of a node; a later duplicate member wins, as in Go. */
  public static Value toValue(Node n) {
    if (n instanceof Obj o) {
      return Value.newBuilder().setStructValue(toStruct(o)).build();
    }
    if (n instanceof Arr a) {
      ListValue.Builder l = ListValue.newBuilder();
      for (Node item : a.items()) {
        l.addValues(toValue(item));
      }
      return Value.newBuilder().setListValue(l).build();
    }
    if (n instanceof Str str) {
      return Value.newBuilder().setStringValue(str.value()).build();
    }
    if (n instanceof Num num) {
      return Value.newBuilder().setNumberValue(Double.parseDouble(num.literal())).build();
    }
    if (n instanceof Bool b) {
      return Value.newBuilder().setBoolValue(b.value()).build();
    }
    return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
  }

  public static Struct toStruct(Obj o) {
    Struct.Builder b = Struct.newBuilder();
    for (Member m : o.members()) {
      b.putFields(m.key(), toValue(m.value()));
    }
    return b.build();
  }

  /** A double as Go's encoding/json writes it: integers without a fraction. */
  static String numberLiteral(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e21) {
      return Long.toString((long) d);
    }
    return Double.toString(d);
  }

  /** JSON's type of a node as Go names it in "json: cannot unmarshal X" (numbers done by caller). */
  static String goKind(Node n) {
    if (n instanceof Obj) {
      return "object";
    }
    if (n instanceof Arr) {
      return "array";
    }
    if (n instanceof Str) {
      return "string";
    }
    if (n instanceof Num) {
      return "number";
    }
    if (n instanceof Bool) {
      return "bool";
    }
    return "null";
  }

  private static final int MAX_DEPTH = 512;

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    MalformedJsonException error(String what) {
      return new MalformedJsonException(what + " at offset " + pos);
    }

    void ws() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pos++;
        } else {
          return;
        }
      }
    }

    Node value(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("exceeded max depth");
      }
      if (pos >= s.length()) {
        throw error("unexpected end of JSON input");
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{' -> {
          pos++;
          List<Member> members = new ArrayList<>();
          ws();
          if (peek('}')) {
            pos++;
            return new Obj(members);
          }
          while (true) {
            ws();
            if (!peek('"')) {
              throw error("expected a string key");
            }
            String key = string();
            ws();
            expect(':');
            ws();
            members.add(new Member(key, value(depth + 1)));
            ws();
            if (peek(',')) {
              pos++;
            } else {
              expect('}');
              return new Obj(members);
            }
          }
        }
        case '[' -> {
          pos++;
          List<Node> items = new ArrayList<>();
          ws();
          if (peek(']')) {
            pos++;
            return new Arr(items);
          }
          while (true) {
            ws();
            items.add(value(depth + 1));
            ws();
            if (peek(',')) {
              pos++;
            } else {
              expect(']');
              return new Arr(items);
            }
          }
        }
        case '"' -> {
          return new Str(string());
        }
        case 't' -> {
          word("true");
          return new Bool(true);
        }
        case 'f' -> {
          word("false");
          return new Bool(false);
        }
        case 'n' -> {
          word("null");
          return Null.NULL;
        }
        default -> {
          return number();
        }
      }
    }

    boolean peek(char c) {
      return pos < s.length() && s.charAt(pos) == c;
    }

    void expect(char c) {
      if (!peek(c)) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    void word(String w) {
      if (!s.startsWith(w, pos)) {
        throw error("invalid literal");
      }
      pos += w.length();
    }

    Num number() {
      int start = pos;
      if (peek('-')) {
        pos++;
      }
      if (peek('0')) {
        pos++;
      } else if (digits() == 0) {
        throw error("invalid character looking for beginning of value");
      }
      if (peek('.')) {
        pos++;
        if (digits() == 0) {
          throw error("expected a digit after the decimal point");
        }
      }
      if (peek('e') || peek('E')) {
        pos++;
        if (peek('+') || peek('-')) {
          pos++;
        }
        if (digits() == 0) {
          throw error("expected a digit in the exponent");
        }
      }
      return new Num(s.substring(start, pos));
    }

    int digits() {
      int n = 0;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
        n++;
      }
      return n;
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char c = s.charAt(pos++);
        if (c == '"') {
          return sb.toString();
        }
        if (c < 0x20) {
          throw error("invalid control character in string");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char e = s.charAt(pos++);
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("truncated \\u escape");
            }
            int cp = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(pos + i), 16);
              if (d < 0) {
                throw error("invalid \\u escape");
              }
              cp = cp * 16 + d;
            }
            pos += 4;
            sb.append((char) cp);
          }
          default -> throw error("invalid escape");
        }
      }
    }
  }
}
