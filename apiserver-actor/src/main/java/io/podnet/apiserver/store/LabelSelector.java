package io.podnet.apiserver.store;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Kubernetes label selector in its string form (the {@code labelSelector} query parameter,
 * kubectl's {@code -l}), with the grammar of apimachinery's {@code labels.Parse}:
 *
 * <pre>
 *   selector    = "" | requirement { "," requirement }
 *   requirement = "!" KEY                       (DoesNotExist)
 *               | KEY                           (Exists)
 *               | KEY ( "=" | "==" | "!=" ) VALUE
 *               | KEY ( "in" | "notin" ) "(" [ VALUE { "," VALUE } ] ")"
 *               | KEY ( "&gt;" | "&lt;" ) INTEGER
 * </pre>
 *
 * <p>{@code !=} and {@code notin} also match objects without the label; every other operator
 * requires the label. The empty selector matches everything.
 */
public final class LabelSelector {

  /** The operators of apimachinery's selection.Operator that the string form can express. */
  public enum Operator {
    EXISTS,
    DOES_NOT_EXIST,
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    GREATER_THAN,
    LESS_THAN
  }

  /** One requirement; {@code values} is empty for EXISTS and DOES_NOT_EXIST. */
  public record Requirement(String key, Operator operator, Set<String> values) {
    public Requirement {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(operator, "operator");
      values = Set.copyOf(values);
    }

    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case GREATER_THAN, LESS_THAN -> v != null && compareInteger(v);
      };
    }

    private boolean compareInteger(String v) {
      long have;
      try {
        have = Long.parseLong(v);
      } catch (NumberFormatException e) {
        return false; // apimachinery: a non-integer label value never matches gt/lt
      }
      long want = Long.parseLong(values.iterator().next());
      return operator == Operator.GREATER_THAN ? have > want : have < want;
    }
  }

  public static final LabelSelector EVERYTHING = new LabelSelector(List.of());

  // A label name: 63 characters at most, alphanumeric at both ends, '-', '_' and '.' inside.
  private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  // A DNS-1123 subdomain, the optional prefix of a key.
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  private final List<Requirement> requirements;

  private LabelSelector(List<Requirement> requirements) {
    this.requirements = List.copyOf(requirements);
  }

  public static LabelSelector of(List<Requirement> requirements) {
    return new LabelSelector(requirements);
  }

  public List<Requirement> requirements() {
    return requirements;
  }

  public boolean isEmpty() {
    return requirements.isEmpty();
  }

  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses the string form.
   *
   * @throws ApiException 400 BadRequest when the selector is malformed
   */
  public static LabelSelector parse(String text) {
    return new Parser(text).parse();
  }

  @Override
  public String toString() {
    return "LabelSelector" + requirements;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = Objects.requireNonNull(s, "selector");
    }

    LabelSelector parse() {
      List<Requirement> out = new ArrayList<>();
      skipSpace();
      if (pos == s.length()) {
        return EVERYTHING;
      }
      while (true) {
        out.add(requirement());
        skipSpace();
        if (pos == s.length()) {
          return new LabelSelector(out);
        }
        expect(',');
      }
    }

    private Requirement requirement() {
      skipSpace();
      if (peek() == '!' && !startsWith("!=")) {
        pos++;
        String key = key();
        return new Requirement(key, Operator.DOES_NOT_EXIST, Set.of());
      }
      String key = key();
      skipSpace();
      if (pos == s.length() || peek() == ',') {
        return new Requirement(key, Operator.EXISTS, Set.of());
      }
      if (startsWith("==")) {
        pos += 2;
        return new Requirement(key, Operator.EQUALS, Set.of(value(true)));
      }
      if (startsWith("!=")) {
        pos += 2;
        return new Requirement(key, Operator.NOT_EQUALS, Set.of(value(true)));
      }
      if (startsWith("=")) {
        pos += 1;
        return new Requirement(key, Operator.EQUALS, Set.of(value(true)));
      }
      if (startsWith(">") || startsWith("<")) {
        Operator op = peek() == '>' ? Operator.GREATER_THAN : Operator.LESS_THAN;
        pos++;
        int at = pos;
        String v = value(false);
        try {
          Long.parseLong(v);
        } catch (NumberFormatException e) {
          throw error("for 'gt', 'lt' operators, the value must be an integer, found '" + v + "'", at);
        }
        return new Requirement(key, op, Set.of(v));
      }
      String word = identifier();
      Operator op =
          switch (word) {
            case "in" -> Operator.IN;
            case "notin" -> Operator.NOT_IN;
            default -> throw error("found '" + word + "', expected: in, notin, =, ==, !=, gt, lt", pos);
          };
      skipSpace();
      expect('(');
      Set<String> values = new LinkedHashSet<>();
      skipSpace();
      if (peek() == ')') {
        pos++;
        throw error("for 'in', 'notin' operators, values set can't be empty", pos);
      }
      while (true) {
        values.add(value(true));
        skipSpace();
        if (peek() == ')') {
          pos++;
          return new Requirement(key, op, values);
        }
        expect(',');
      }
    }

    private String key() {
      int at = pos;
      String k = identifier();
      if (k.isEmpty()) {
        throw error("found '" + rest() + "', expected: identifier", at);
      }
      String name = k;
      int slash = k.indexOf('/');
      if (slash >= 0) {
        String prefix = k.substring(0, slash);
        name = k.substring(slash + 1);
        if (prefix.isEmpty() || prefix.length() > 253 || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
          throw error("invalid label key \"" + k + "\": prefix part must be a DNS-1123 subdomain", at);
        }
      }
      if (name.isEmpty() || name.length() > 63 || !NAME.matcher(name).matches()) {
        throw error(
            "invalid label key \"" + k + "\": name part must consist of alphanumeric characters, "
                + "'-', '_' or '.', and must start and end with an alphanumeric character",
            at);
      }
      return k;
    }

    /** A value; it may be empty ("a=") when {@code emptyAllowed}. */
    private String value(boolean emptyAllowed) {
      skipSpace();
      int at = pos;
      String v = identifier();
      if (v.isEmpty() && !emptyAllowed) {
        throw error("found '" + rest() + "', expected: identifier", at);
      }
      if (!v.isEmpty() && (v.length() > 63 || !NAME.matcher(v).matches())) {
        throw error(
            "invalid label value: \"" + v + "\": must be 63 characters or less and consist of "
                + "alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric",
            at);
      }
      return v;
    }

    private String identifier() {
      skipSpace();
      int start = pos;
      while (pos < s.length() && !isSpecial(s.charAt(pos)) && !Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
      return s.substring(start, pos);
    }

    private static boolean isSpecial(char c) {
      return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>';
    }

    private void expect(char c) {
      skipSpace();
      if (pos >= s.length() || s.charAt(pos) != c) {
        throw error("found '" + rest() + "', expected: '" + c + "'", pos);
      }
      pos++;
    }

    private char peek() {
      return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private boolean startsWith(String t) {
      return s.startsWith(t, pos);
    }

    private void skipSpace() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    private String rest() {
      return pos < s.length() ? s.substring(pos) : "";
    }

    private ApiException error(String what, int at) {
      return new ApiException(
          Status.badRequest(
              "unable to parse requirement: " + what + " (in label selector \"" + s + "\" at " + at + ")"));
    }
  }
}
