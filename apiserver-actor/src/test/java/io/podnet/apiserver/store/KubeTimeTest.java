package io.podnet.apiserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** MicroTime and Time: the digit-by-digit paths agree with java.time's formatter and parser. */
class KubeTimeTest {
  static final DateTimeFormatter MICRO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  @Test
  void microTimeOfTheReferenceLease() {
    assertEquals("2025-08-09T12:35:25.085954Z", KubeTime.microTime(Instant.parse("2025-08-09T12:35:25.085954321Z")));
    assertEquals("2025-08-09T12:35:25.085000Z", KubeTime.microTime(Instant.parse("2025-08-09T12:35:25.085Z")
        .toEpochMilli()));
    assertEquals("1969-12-31T23:59:59.999000Z", KubeTime.microTime(-1));
    assertEquals(Instant.parse("2025-08-09T12:35:45.144393Z"), KubeTime.parse("2025-08-09T12:35:45.144393Z"));
  }

  @Test
  void formatAndParseAgreeWithJavaTimeOverTenThousandYears() {
    SplittableRandom r = new SplittableRandom(3);
    long min = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
    long max = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      Instant t = Instant.ofEpochSecond(r.nextLong(min, max + 1), r.nextInt(1_000_000_000));
      String expected = MICRO.format(t.truncatedTo(ChronoUnit.MICROS));
      assertEquals(expected, KubeTime.microTime(t));
      assertEquals(t.truncatedTo(ChronoUnit.MICROS), KubeTime.parse(expected));
      String nanos = DateTimeFormatter.ISO_INSTANT.format(t);
      assertEquals(t, KubeTime.parse(nanos), nanos);
    }
    for (String edge : new String[] {"2024-02-29T23:59:59Z", "2000-02-29T00:00:00.5Z", "1970-01-01T00:00:00Z",
        "0000-01-01T00:00:00.000001Z", "9999-12-31T23:59:59.999999999Z", "2025-08-09T12:35:25+02:00"}) {
      assertEquals(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(edge, Instant::from), KubeTime.parse(edge), edge);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-04-31T00:00:00Z",
      "2025-13-01T00:00:00Z", "2025-00-10T00:00:00Z", "2025-08-09T24:00:00Z", "2025-08-09T12:60:00Z",
      "2025-08-09T12:35:60Z", "2025-08-09 12:35:25Z",
      "2025-8-09T12:35:25Z", "2025-08-09T12:35:2aZ", "2025-08-09T12:35:25", ""})
  void whatJavaTimeRejectsIsRejected(String bad) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KubeTime.parse(bad));
    assertEquals("not an RFC 3339 time: \"" + bad + "\"", e.getMessage());
  }
}
