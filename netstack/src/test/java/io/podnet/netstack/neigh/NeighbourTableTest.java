package io.podnet.netstack.neigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.neigh.NeighbourTable.State;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NeighbourTableTest {
  static final Ipv4Address PEER = Ipv4Address.parse("192.168.10.101");
  static final Ipv4Address SELF = Ipv4Address.parse("192.168.10.100");
  static final MacAddress MAC1 = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress MAC2 = MacAddress.parse("08:00:27:04:d1:9c");

  final List<String> log = new ArrayList<>();
  final NeighbourTable<String> table = new NeighbourTable<>(NeighbourTable.Params.LINUX, new SplittableRandom(7),
      new NeighbourTable.Events<>() {
        @Override
        public void solicit(String dev, Ipv4Address target, MacAddress unicastTo, Ipv4Address sourceHint) {
          log.add("solicit " + dev + " " + target + " " + (unicastTo == null ? "broadcast" : unicastTo.toString())
              + " from " + sourceHint);
        }

        @Override
        public void transmit(String dev, MacAddress mac, String packet) {
          log.add("transmit " + packet + " to " + mac);
        }

        @Override
        public void unreachable(String dev, Ipv4Address target, String packet) {
          log.add("unreachable " + packet);
        }
      });

  State state() {
    return table.get("eth1", PEER).orElseThrow().state();
  }

  /** Advance through every deadline up to {@code until}, as the host's timer would. */
  void runUntil(long until) {
    for (long d = table.nextDeadline(); d <= until; d = table.nextDeadline()) {
      table.advance(d);
    }
  }

  @Test
  void unansweredResolutionSolicitsThreeTimesThenFails() {
    assertInstanceOf(NeighbourTable.Queued.class, table.resolve("eth1", PEER, "p1", 98, SELF, 0));
    assertInstanceOf(NeighbourTable.Queued.class, table.resolve("eth1", PEER, "p2", 98, SELF, 300));
    assertEquals(State.INCOMPLETE, state());
    runUntil(2_999);
    assertEquals(List.of("solicit eth1 192.168.10.101 broadcast from 192.168.10.100",
        "solicit eth1 192.168.10.101 broadcast from 192.168.10.100",
        "solicit eth1 192.168.10.101 broadcast from 192.168.10.100"), log);
    assertEquals(State.INCOMPLETE, state());
    runUntil(3_000);
    assertEquals(State.FAILED, state());
    assertEquals(List.of("unreachable p1", "unreachable p2"), log.subList(3, 5));
    assertEquals(Long.MAX_VALUE, table.nextDeadline());
  }

  @Test
  void replyFlushesTheQueueInOrder() {
    table.resolve("eth1", PEER, "p1", 98, SELF, 0);
    table.resolve("eth1", PEER, "p2", 98, SELF, 10);
    table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, 400);
    assertEquals(State.REACHABLE, state());
    assertEquals(List.of("transmit p1 to 08:00:27:af:e6:df", "transmit p2 to 08:00:27:af:e6:df"), log.subList(1, 3));
    assertEquals(new NeighbourTable.Resolved(MAC1), table.resolve("eth1", PEER, "p3", 98, SELF, 500));
  }

  @Test
  void reachableAgesToStaleAfterARandomReachableTime() {
    table.learn("eth1", PEER, MAC1, State.REACHABLE, true, false, 0);
    long deadline = table.nextDeadline();
    assertTrue(deadline >= 15_000 && deadline < 45_000, "reachable time in [15 s, 45 s): " + deadline);
    runUntil(deadline - 1);
    assertEquals(State.REACHABLE, state());
    runUntil(deadline);
    assertEquals(State.STALE, state());
    assertEquals(Long.MAX_VALUE, table.nextDeadline(), "no garbage collection of a small table");
  }

  @Test
  void staleInUseIsProbedByUnicastThenFails() {
    table.learn("eth1", PEER, MAC1, State.STALE, true, false, 0);
    assertEquals(new NeighbourTable.Resolved(MAC1), table.resolve("eth1", PEER, "p", 98, SELF, 100_000));
    assertEquals(State.DELAY, state());
    runUntil(104_999);
    assertEquals(State.DELAY, state());
    runUntil(105_000);
    assertEquals(State.PROBE, state());
    assertEquals("solicit eth1 192.168.10.101 08:00:27:af:e6:df from 192.168.10.100", log.get(0));
    runUntil(107_999);
    assertEquals(3, log.size());
    runUntil(108_000);
    assertEquals(State.FAILED, state());
    assertNull(table.get("eth1", PEER).orElseThrow().mac());
  }

  @Test
  void confirmationDuringDelayKeepsTheEntryReachable() {
    table.learn("eth1", PEER, MAC1, State.STALE, true, false, 0);
    table.resolve("eth1", PEER, "p", 98, SELF, 1_000);
    table.confirm("eth1", PEER, 2_000);
    assertEquals(State.REACHABLE, state());
    assertTrue(log.isEmpty());
  }

  @Test
  void gratuitousArpOverridesAKnownAddressAtOnce() {
    table.learn("eth1", PEER, MAC1, State.REACHABLE, true, false, 0);
    // A second, different reply within the 1 s locktime is ignored ...
    table.learn("eth1", PEER, MAC2, State.REACHABLE, false, false, 500);
    assertEquals(MAC1, table.get("eth1", PEER).orElseThrow().mac());
    // ... but a gratuitous ARP is not, and leaves the entry STALE with the new address.
    table.learn("eth1", PEER, MAC2, State.STALE, false, true, 600);
    assertEquals(MAC2, table.get("eth1", PEER).orElseThrow().mac());
    assertEquals(State.STALE, state());
    // After the locktime an ordinary reply may change it.
    table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, 2_000);
    assertEquals(MAC1, table.get("eth1", PEER).orElseThrow().mac());
  }

  @Test
  void unsolicitedNewsCreatesNothingWithoutCreate() {
    table.learn("eth1", PEER, MAC1, State.STALE, false, true, 0);
    assertTrue(table.list().isEmpty());
  }

  @Test
  void queueDropsTheOldestBeyondTheByteLimit() {
    for (int i = 0; i < 200; i++) {
      table.resolve("eth1", PEER, "p" + i, 1500, SELF, i);
    }
    int n = table.queued("eth1", PEER);
    assertEquals(212_992 / (1500 + 768), n);
    table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, 300);
    assertEquals("transmit p" + (200 - n) + " to 08:00:27:af:e6:df", log.get(1));
  }

  @Test
  void linkDownForgetsItsEntries() {
    table.learn("eth1", PEER, MAC1, State.REACHABLE, true, false, 0);
    table.learn("eth2", PEER, MAC1, State.REACHABLE, true, false, 0);
    table.flushDevice("eth1");
    assertEquals(1, table.list().size());
    assertEquals("eth2", table.list().get(0).dev());
  }
}
