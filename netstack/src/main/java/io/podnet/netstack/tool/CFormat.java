package io.podnet.netstack.tool;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * printf conversions as glibc performs them, where Java's Formatter differs: {@code %.Nf} rounds
 * the exact binary value half-to-even (Java rounds half-up), {@code %g} drops trailing zeros, and
 * C's atoi/strtod read a number's leading part.
 */
public final class CFormat {
  private CFormat() {}

  /** {@code %.<decimals>f}. */
  public static String fixed(double v, int decimals) {
    if (Double.isNaN(v)) {
      return "-nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    String s = new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    if (v < 0 || (v == 0 && 1 / v < 0)) {
      // glibc keeps the sign of a negative value that rounds to zero
      if (!s.startsWith("-")) {
        s = "-" + s;
      }
    }
    return s;
  }

  /** {@code %<width>.<decimals>f}: right-aligned in {@code width} columns. */
  public static String fixed(double v, int width, int decimals) {
    String s = fixed(v, decimals);
    return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
  }

  /** {@code %g} (precision 6): six significant digits, trailing zeros dropped. */
  public static String g(double v) {
    if (v == 0) {
      return "0";
    }
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return fixed(v, 0);
    }
    BigDecimal r = new BigDecimal(v).round(new java.math.MathContext(6, RoundingMode.HALF_EVEN));
    int exp = r.precision() - r.scale() - 1;
    if (exp < -4 || exp >= 6) {
      BigDecimal mant = r.movePointLeft(exp);
      String m = strip(mant.setScale(5, RoundingMode.HALF_EVEN).toPlainString());
      return m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    return strip(r.setScale(Math.max(0, 5 - exp), RoundingMode.HALF_EVEN).toPlainString());
  }

  private static String strip(String s) {
    if (s.indexOf('.') < 0) {
      return s;
    }
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** atoi: optional blanks and sign, then the leading decimal digits; 0 when there are none. */
  public static long atoi(String s) {
    int i = 0;
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    boolean neg = false;
    if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
      neg = s.charAt(i) == '-';
      i++;
    }
    long v = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i)) && v < Integer.MAX_VALUE) {
      v = v * 10 + (s.charAt(i++) - '0');
    }
    return neg ? -v : v;
  }

  /** atof: the leading decimal number ({@code [sign]digits[.digits]}); 0 when there is none. */
  public static double atof(String s) {
    String t = s.strip();
    int i = 0;
    if (i < t.length() && (t.charAt(i) == '-' || t.charAt(i) == '+')) {
      i++;
    }
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    if (i < t.length() && t.charAt(i) == '.') {
      i++;
      while (i < t.length() && Character.isDigit(t.charAt(i))) {
        i++;
      }
    }
    try {
      return Double.parseDouble(t.substring(0, i));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * strtod as a whole-string number (iputils' ping_strtod): the value, or null when the string is
   * empty, has trailing garbage, or is not finite.
   */
  public static Double strtodStrict(String s) {
    if (s.isEmpty() || !s.matches("\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
      return null;
    }
    double d = Double.parseDouble(s.strip());
    return Double.isFinite(d) ? d : null;
  }
}
