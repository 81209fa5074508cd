package io.podnet.apiserver.store;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * The two timestamp encodings of the Kubernetes API: metav1.Time (RFC 3339, UTC, whole seconds:
 * {@code 2025-08-09T12:35:25Z}) and metav1.MicroTime (six fractional digits, always printed:
 * {@code 2025-08-09T12:35:25.085954Z}).
 */
public final class KubeTime {
  private static final DateTimeFormatter MICRO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private KubeTime() {}

  /** metav1.Time of an instant given in epoch milliseconds (truncated to the second). */
  public static String time(long epochMillis) {
    return SECONDS.format(Instant.ofEpochMilli(epochMillis));
  }

  /** metav1.MicroTime of an instant given in epoch milliseconds. */
  public static String microTime(long epochMillis) {
    return microTime(Math.floorDiv(epochMillis, 1000), (int) Math.floorMod(epochMillis, 1000) * 1_000_000);
  }

  /** metav1.MicroTime of an instant (truncated to the microsecond). */
  public static String microTime(Instant t) {
    return microTime(t.getEpochSecond(), t.getNano());
  }

  /**
   * Years 0000 to 9999 are written digit by digit (a lease renewal formats two of these, so the
   * formatter's allocation showed); others through the formatter.
   */
  private static String microTime(long epochSecond, int nano) {
    long days = Math.floorDiv(epochSecond, 86_400);
    int secs = (int) Math.floorMod(epochSecond, 86_400);
    if (days < MIN_FAST_DAY || days > MAX_FAST_DAY) {
      return MICRO.format(Instant.ofEpochSecond(epochSecond, nano).truncatedTo(ChronoUnit.MICROS));
    }
    long ymd = civilFromDays(days);
    int year = (int) (ymd >> 16);
    int month = (int) (ymd >> 8) & 0xFF;
    int day = (int) ymd & 0xFF;
    char[] c = new char[27];
    digits(c, 0, year, 4);
    c[4] = '-';
    digits(c, 5, month, 2);
    c[7] = '-';
    digits(c, 8, day, 2);
    c[10] = 'T';
    digits(c, 11, secs / 3600, 2);
    c[13] = ':';
    digits(c, 14, secs / 60 % 60, 2);
    c[16] = ':';
    digits(c, 17, secs % 60, 2);
    c[19] = '.';
    digits(c, 20, nano / 1000, 6);
    c[26] = 'Z';
    return new String(c);
  }

  private static final long MIN_FAST_DAY = -719_528; // 0000-01-01
  private static final long MAX_FAST_DAY = 2_932_896; // 9999-12-31

  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  /** Howard Hinnant's civil_from_days: (year << 16) | (month << 8) | day of a day since 1970-01-01. */
  private static long civilFromDays(long z) {
    z += 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    return ((m <= 2 ? y + 1 : y) << 16) | (m << 8) | d;
  }

  /** Days from 1970-01-01 (Hinnant's days_from_civil). */
  private static long daysFromCivil(long y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    long era = Math.floorDiv(y, 400);
    long yoe = y - era * 400;
    long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146_097 + doe - 719_468;
  }

  /**
   * Parses an RFC 3339 timestamp as Kubernetes accepts for Time and MicroTime (UTC designator or
   * offset, 0 to 9 fractional digits).
   *
   * @throws IllegalArgumentException if {@code s} is not RFC 3339
   */
  public static Instant parse(String s) {
    Instant fast = parseUtc(s);
    if (fast != null) {
      return fast;
    }
    try {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(s, Instant::from);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not an RFC 3339 time: \"" + s + "\"", e);
    }
  }

  /**
   * The common form, {@code YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z}, read digit by digit with the
   * formatter's strict checks (month, day of that month, hour, minute, second); null for anything
   * else, which the formatter then judges.
   */
  private static Instant parseUtc(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(n - 1) != 'Z' || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
        || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return null;
    }
    int year = number(s, 0, 4);
    int month = number(s, 5, 2);
    int day = number(s, 8, 2);
    int hour = number(s, 11, 2);
    int minute = number(s, 14, 2);
    int second = number(s, 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
      return null;
    }
    boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    int monthLength = month == 2 ? (leap ? 29 : 28) : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
    if (day > monthLength) {
      return null;
    }
    int nano = 0;
    if (n > 20) {
      int digits = n - 21;
      if (s.charAt(19) != '.' || digits < 1 || digits > 9) {
        return null;
      }
      int f = number(s, 20, digits);
      if (f < 0) {
        return null;
      }
      for (int i = digits; i < 9; i++) {
        f *= 10;
      }
      nano = f;
    }
    long epochSecond = daysFromCivil(year, month, day) * 86_400 + hour * 3600L + minute * 60L + second;
    return Instant.ofEpochSecond(epochSecond, nano);
  }

  /** The decimal number of {@code width} ASCII digits at {@code at}, or -1. */
  private static int number(String s, int at, int width) {
    int v = 0;
    for (int i = at; i < at + width; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
