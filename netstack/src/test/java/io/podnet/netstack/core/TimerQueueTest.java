package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimerQueueTest {
  @Test
  void runsDueTasksInDeadlineOrderWithTheirOwnTime() {
    TimerQueue q = new TimerQueue(0);
    List<String> log = new ArrayList<>();
    q.at(300, () -> log.add("c@" + q.nowMicros()));
    q.at(100, () -> {
      log.add("a@" + q.nowMicros());
      q.after(50, () -> log.add("a2@" + q.nowMicros()));
    });
    q.at(100, () -> log.add("b@" + q.nowMicros()));
    assertEquals(100, q.nextDeadline());
    q.advanceTo(200);
    assertEquals(List.of("a@100", "b@100", "a2@150"), log);
    assertEquals(200, q.nowMicros());
    q.advanceTo(1000);
    assertEquals("c@300", log.get(3));
    assertEquals(Long.MAX_VALUE, q.nextDeadline());
  }

  @Test
  void cancelledTasksDoNotRunAndTheClockNeverGoesBack() {
    TimerQueue q = new TimerQueue(500);
    List<String> log = new ArrayList<>();
    Timers.Timer t = q.at(600, () -> log.add("x"));
    t.cancel();
    assertFalse(t.active());
    q.advanceTo(400);
    assertEquals(500, q.nowMicros());
    q.at(10, () -> log.add("late@" + q.nowMicros()));
    q.advanceTo(500);
    assertEquals(List.of("late@500"), log);
  }
}
