package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.proto.packet.MacAddress;
import org.junit.jupiter.api.Test;

class LearningSwitchTest {
  static final MacAddress A = MacAddress.parse("08:00:27:00:00:0a");
  static final MacAddress B = MacAddress.parse("08:00:27:00:00:0b");

  @Test
  void floodsUnknownAndBroadcastThenForwardsLearned() {
    LearningSwitch sw = new LearningSwitch(LearningSwitch.DEFAULT_AGEING_MICROS);
    assertEquals(LearningSwitch.FLOOD, sw.forward(A, MacAddress.BROADCAST, 1, 0));
    assertEquals(LearningSwitch.FLOOD, sw.forward(B, MacAddress.parse("08:00:27:00:00:0c"), 2, 0));
    assertEquals(1, sw.forward(B, A, 2, 10));
    assertEquals(2, sw.forward(A, B, 1, 20));
    assertEquals(LearningSwitch.FILTER, sw.forward(MacAddress.parse("08:00:27:00:00:0d"), A, 1, 30));
    assertEquals(LearningSwitch.FLOOD, sw.forward(A, MacAddress.parse("01:00:5e:00:00:01"), 1, 40));
  }

  @Test
  void entriesAgeOutAndMovesAreLearned() {
    LearningSwitch sw = new LearningSwitch(300_000_000L);
    sw.forward(A, MacAddress.BROADCAST, 1, 0);
    assertEquals(1, sw.forward(B, A, 2, 300_000_000L));
    assertEquals(LearningSwitch.FLOOD, sw.forward(B, A, 2, 300_000_001L));
    sw.forward(A, MacAddress.BROADCAST, 3, 400_000_000L);
    assertEquals(3, sw.portOf(A, 400_000_000L));
    sw.forgetPort(3);
    assertEquals(-1, sw.portOf(A, 400_000_000L));
  }

  @Test
  void multicastSourcesAreNotLearned() {
    LearningSwitch sw = new LearningSwitch(300_000_000L);
    sw.forward(MacAddress.BROADCAST, A, 1, 0);
    assertEquals(0, sw.size());
  }
}
