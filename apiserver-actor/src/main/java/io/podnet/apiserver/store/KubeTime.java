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
    return MICRO.format(Instant.ofEpochMilli(epochMillis));
  }

  /** metav1.MicroTime of an instant (truncated to the microsecond). */
  public static String microTime(Instant t) {
    return MICRO.format(t.truncatedTo(ChronoUnit.MICROS));
  }

  /**
   * Parses an RFC 3339 timestamp as Kubernetes accepts for Time and MicroTime (UTC designator or
   * offset, 0 to 9 fractional digits).
   *
   * @throws IllegalArgumentException if {@code s} is not RFC 3339
   */
  public static Instant parse(String s) {
    try {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(s, Instant::from);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not an RFC 3339 time: \"" + s + "\"", e);
    }
  }
}
