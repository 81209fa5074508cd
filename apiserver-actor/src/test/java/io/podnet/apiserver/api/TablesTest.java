package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** duration.HumanDuration's boundaries, as kubectl's AGE column shows them. */
class TablesTest {
  static String h(Duration d) {
    return Tables.humanDuration(d);
  }

  @Test
  void humanDuration() {
    assertEquals("<invalid>", h(Duration.ofSeconds(-2)));
    assertEquals("0s", h(Duration.ofMillis(-1500)));
    assertEquals("0s", h(Duration.ZERO));
    assertEquals("74s", h(Duration.ofSeconds(74)));
    assertEquals("119s", h(Duration.ofSeconds(119)));
    assertEquals("2m", h(Duration.ofSeconds(120)));
    assertEquals("3m11s", h(Duration.ofSeconds(191)));
    assertEquals("9m59s", h(Duration.ofSeconds(599)));
    assertEquals("10m", h(Duration.ofSeconds(600)));
    assertEquals("179m", h(Duration.ofMinutes(179)));
    assertEquals("3h", h(Duration.ofMinutes(180)));
    assertEquals("6h14m", h(Duration.ofMinutes(374)));
    assertEquals("8h", h(Duration.ofMinutes(8 * 60 + 59)));
    assertEquals("26h", h(Duration.ofHours(26)));
    assertEquals("2d", h(Duration.ofHours(48)));
    assertEquals("2d5h", h(Duration.ofHours(53)));
    assertEquals("8d", h(Duration.ofHours(24 * 8)));
    assertEquals("729d", h(Duration.ofDays(729)));
    assertEquals("2y", h(Duration.ofDays(730)));
    assertEquals("2y5d", h(Duration.ofDays(735)));
    assertEquals("8y", h(Duration.ofDays(365 * 8)));
  }
}
