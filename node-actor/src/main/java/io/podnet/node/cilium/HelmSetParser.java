package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Helm's {@code --set} syntax (helm.sh/helm/v3/pkg/strvals): {@code a=b,c.d=e}, {@code x={1,2}},
 * {@code list[0]=v}, {@code \,} and {@code \.} escapes. Values are typed as strvals' typedVal
 * does: true/false (any case) are booleans, null removes the key, a base-10 integer without a
 * leading zero (or exactly "0") is an int64, anything else a string.
 */
public final class HelmSetParser {
  private final String s;
  private int pos;

  private HelmSetParser(String s) {
    this.s = s;
  }

  /**
   * Parses one {@code --set} argument into {@code into}.
   *
   * @throws HelmException {@code failed parsing --set data: ...} as helm reports it
   */
  public static void parseInto(String arg, Map<String, Object> into) throws HelmException {
    try {
      new HelmSetParser(arg).parse(into);
    } catch (ParseError e) {
      throw new HelmException("failed parsing --set data: " + e.getMessage());
    }
  }

  /** Parses one {@code --set} argument into a fresh tree. */
  public static HelmValues parse(String arg) throws HelmException {
    Map<String, Object> m = new LinkedHashMap<>();
    parseInto(arg, m);
    return HelmValues.of(m);
  }

  private static final class ParseError extends Exception {
    ParseError(String m) {
      super(m);
    }
  }

  private void parse(Map<String, Object> into) throws ParseError {
    while (pos < s.length()) {
      key(into);
    }
  }

  private boolean eof() {
    return pos >= s.length();
  }

  /** Reads up to one of the stop runes, honouring backslash escapes; returns the rune hit (-1 at EOF). */
  private int runesUntil(StringBuilder sb, String stops) {
    while (!eof()) {
      char c = s.charAt(pos++);
      if (c == '\\') {
        if (eof()) {
          sb.append(c);
          return -1;
        }
        sb.append(s.charAt(pos++));
        continue;
      }
      if (stops.indexOf(c) >= 0) {
        return c;
      }
      sb.append(c);
    }
    return -1;
  }

  @SuppressWarnings("unchecked")
  private void key(Map<String, Object> data) throws ParseError {
    StringBuilder k = new StringBuilder();
    int stop = runesUntil(k, "=[,.");
    String key = k.toString();
    switch (stop) {
      case -1 -> {
        if (key.isEmpty()) {
          return;
        }
        throw new ParseError("key \"" + key + "\" has no value");
      }
      case ',' -> throw new ParseError("key \"" + key + "\" has no value (cannot end with ,)");
      case '=' -> {
        if (!eof() && s.charAt(pos) == '{') {
          pos++;
          List<Object> list = new ArrayList<>();
          StringBuilder item = new StringBuilder();
          while (true) {
            int r = runesUntil(item, ",}");
            if (r == -1) {
              throw new ParseError("list must terminate with '}'");
            }
            list.add(typed(item.toString()));
            item.setLength(0);
            if (r == '}') {
              break;
            }
          }
          data.put(key, list);
          if (!eof()) {
            if (s.charAt(pos) != ',') {
              throw new ParseError("key \"" + key + "\" has no value (cannot end with ,)");
            }
            pos++;
          }
          return;
        }
        StringBuilder v = new StringBuilder();
        runesUntil(v, ",");
        Object val = typed(v.toString());
        if (val == null) {
          data.remove(key);
          data.put(key, null);
        } else {
          data.put(key, val);
        }
      }
      case '.' -> {
        if (key.isEmpty()) {
          throw new ParseError("key " + '"' + '"' + " has no value");
        }
        Object inner = data.get(key);
        Map<String, Object> m = inner instanceof Map<?, ?> im ? (Map<String, Object>) im : new LinkedHashMap<>();
        data.put(key, m);
        key(m);
      }
      case '[' -> {
        StringBuilder idx = new StringBuilder();
        if (runesUntil(idx, "]") != ']') {
          throw new ParseError("error parsing index: missing ]");
        }
        int i;
        try {
          i = Integer.parseInt(idx.toString());
        } catch (NumberFormatException e) {
          throw new ParseError("error parsing index: strconv.Atoi: parsing \"" + idx + "\": invalid syntax");
        }
        if (i < 0) {
          throw new ParseError("negative " + i + " index not allowed");
        }
        Object cur = data.get(key);
        List<Object> list = cur instanceof List<?> l ? new ArrayList<>((List<Object>) l) : new ArrayList<>();
        while (list.size() <= i) {
          list.add(null);
        }
        if (eof()) {
          throw new ParseError("key \"" + key + "[" + i + "]\" has no value");
        }
        char next = s.charAt(pos++);
        if (next == '=') {
          StringBuilder v = new StringBuilder();
          runesUntil(v, ",");
          list.set(i, typed(v.toString()));
        } else if (next == '.') {
          Map<String, Object> m = list.get(i) instanceof Map<?, ?> im ? (Map<String, Object>) im : new LinkedHashMap<>();
          list.set(i, m);
          key(m);
        } else {
          throw new ParseError("key \"" + key + "[" + i + "]\" has no value");
        }
        data.put(key, list);
      }
      default -> throw new IllegalStateException();
    }
  }

  /** strvals.typedVal. */
  static Object typed(String v) {
    if (v.equalsIgnoreCase("true")) {
      return Boolean.TRUE;
    }
    if (v.equalsIgnoreCase("false")) {
      return Boolean.FALSE;
    }
    if (v.equalsIgnoreCase("null")) {
      return null;
    }
    if (v.equals("0")) {
      return 0L;
    }
    if (!v.isEmpty() && v.charAt(0) != '0') {
      try {
        return Long.parseLong(v);
      } catch (NumberFormatException e) {
        return v;
      }
    }
    return v;
  }
}
