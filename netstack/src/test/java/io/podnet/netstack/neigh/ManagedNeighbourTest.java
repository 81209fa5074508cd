package io.podnet.netstack.neigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.neigh.NeighbourTable.AdminFlags;
import io.podnet.netstack.neigh.NeighbourTable.Snapshot;
import io.podnet.netstack.neigh.NeighbourTable.State;
import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** NTF_MANAGED, NTF_EXT_LEARNED and NTF_USE entries, and the periodic garbage collection. */
class ManagedNeighbourTest {
  static final Ipv4Address PEER = Ipv4Address.parse("192.168.10.101");
  static final MacAddress MAC1 = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress MAC2 = MacAddress.parse("08:00:27:04:d1:9c");
  static final AdminFlags MANAGED_EXT = new AdminFlags(false, true, true);
  static final AdminFlags EXT = new AdminFlags(false, true, false);
  static final AdminFlags USE = new AdminFlags(true, false, false);

  /** One line per solicitation: "time target broadcast|unicast-mac". */
  final List<String> solicits = new ArrayList<>();
  long clock;
  final NeighbourTable<String> table = new NeighbourTable<>(NeighbourTable.Params.LINUX, new SplittableRandom(11),
      new NeighbourTable.Events<>() {
        @Override
        public void solicit(String dev, Ipv4Address target, MacAddress unicastTo, Ipv4Address sourceHint) {
          solicits.add(clock + " " + target + " " + (unicastTo == null ? "broadcast" : unicastTo.toString()));
        }

        @Override
        public void transmit(String dev, MacAddress mac, String packet) {}

        @Override
        public void unreachable(String dev, Ipv4Address target, String packet) {}
      });

  Snapshot peer() {
    return table.get("eth1", PEER).orElseThrow();
  }

  /**
   * Runs the table's timers up to {@code until}; when {@code answer}, every solicitation for PEER
   * is answered with a unicast reply (REACHABLE) at the time it was sent. Returns the states PEER
   * was seen in after each step (before the answer).
   */
  Set<State> run(long until, boolean answer) {
    Set<State> seen = EnumSet.noneOf(State.class);
    for (long d = table.nextDeadline(); d <= until; d = table.nextDeadline()) {
      clock = d;
      int before = solicits.size();
      table.advance(d);
      table.get("eth1", PEER).ifPresent(s -> seen.add(s.state()));
      if (answer && solicits.size() > before) {
        table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, d);
      }
    }
    clock = until;
    return seen;
  }

  @Test
  void aManagedEntryIsResolvedAtOnceAndKeptReachableWithoutGoingStale() throws NetlinkException {
    clock = 1_000;
    table.adminUpdate("eth1", PEER, null, null, MANAGED_EXT, true, false, 1_000);
    assertEquals(List.of("1000 192.168.10.101 broadcast"), solicits, "neigh_event_send solicits at once");
    assertEquals(new Snapshot(PEER, "eth1", null, State.INCOMPLETE, true, true, false), peer());
    table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, 1_002);
    assertEquals(new Snapshot(PEER, "eth1", MAC1, State.REACHABLE, true, true, false), peer());

    Set<State> seen = run(600_000, true);
    assertEquals(EnumSet.of(State.REACHABLE, State.DELAY, State.PROBE), seen,
        "REACHABLE -> DELAY -> PROBE -> REACHABLE, never STALE");
    List<String> later = solicits.subList(1, solicits.size());
    assertTrue(later.size() >= 10, "re-probed at each expiry: " + later);
    assertTrue(later.stream().allMatch(l -> l.endsWith(" 08:00:27:af:e6:df")), "by unicast: " + later);
  }

  @Test
  void anOrdinaryEntryUsedTheSameWayGoesStaleAndStays() {
    table.learn("eth1", PEER, MAC1, State.REACHABLE, true, false, 1_000);
    Set<State> seen = run(600_000, true);
    assertEquals(EnumSet.of(State.STALE), seen, "its one timer moved it to STALE, where it stays");
    assertEquals(State.STALE, peer().state());
    assertEquals(List.of(), solicits);
  }

  @Test
  void anUnansweredManagedEntryIsRetriedEveryFiveSeconds() throws NetlinkException {
    table.adminUpdate("eth1", PEER, null, null, MANAGED_EXT, true, false, 0);
    run(12_000, false);
    // three broadcasts a second apart, FAILED at 3 s; the managed work (every 5 s from boot) starts
    // again one tick after 5 s and 10 s
    assertEquals(List.of("0 192.168.10.101 broadcast", "1000 192.168.10.101 broadcast",
        "2000 192.168.10.101 broadcast", "5001 192.168.10.101 broadcast", "6001 192.168.10.101 broadcast",
        "7001 192.168.10.101 broadcast", "10001 192.168.10.101 broadcast", "11001 192.168.10.101 broadcast"),
        solicits);
    assertEquals(State.INCOMPLETE, peer().state());
    run(13_001, false);
    assertEquals(State.FAILED, peer().state());
    assertEquals(new Snapshot(PEER, "eth1", null, State.FAILED, true, true, false), peer(), "FAILED keeps its flags");
    // a late answer to the next round resolves it
    run(15_001, false);
    table.learn("eth1", PEER, MAC2, State.REACHABLE, false, false, 15_002);
    assertEquals(MAC2, peer().mac());
    assertEquals(State.REACHABLE, peer().state());
  }

  @Test
  void managedOnAStaleEntryDelaysAndProbesByUnicast() throws NetlinkException {
    table.learn("eth1", PEER, MAC1, State.STALE, true, false, 0);
    table.adminUpdate("eth1", PEER, null, null, MANAGED_EXT, false, false, 2_500);
    assertEquals(State.DELAY, peer().state());
    assertEquals(MAC1, peer().mac(), "the address is kept");
    run(7_499, false);
    assertEquals(List.of(), solicits);
    run(7_500, false);
    assertEquals(State.PROBE, peer().state());
    assertEquals(List.of("7500 192.168.10.101 08:00:27:af:e6:df"), solicits);
  }

  @Test
  void aNewPermanentEntryCannotBeManagedAnExistingOneDropsPermanent() throws NetlinkException {
    NetlinkException ex = assertThrows(NetlinkException.class,
        () -> table.adminUpdate("eth1", PEER, MAC1, State.PERMANENT, MANAGED_EXT, true, false, 0));
    assertEquals(Errno.EINVAL, ex.errno());
    assertEquals("Error: Invalid NTF_* flag for permanent entry.", ex.iproute2Line());
    assertTrue(table.list().isEmpty());

    table.adminUpdate("eth1", PEER, MAC1, State.PERMANENT, true, false, 0);
    table.adminUpdate("eth1", PEER, MAC2, State.PERMANENT, MANAGED_EXT, true, false, 100);
    assertEquals(new Snapshot(PEER, "eth1", null, State.INCOMPLETE, true, true, false), peer(),
        "the state drops to none, the given address is ignored and the entry resolves");
    assertEquals(List.of("0 192.168.10.101 broadcast"), solicits);
  }

  @Test
  void anUpdateWithoutTheFlagsClearsThemAndTheKernelStopsRefreshing() throws NetlinkException {
    table.adminUpdate("eth1", PEER, null, null, MANAGED_EXT, true, false, 0);
    table.learn("eth1", PEER, MAC1, State.REACHABLE, false, false, 1);
    table.adminUpdate("eth1", PEER, MAC1, State.STALE, false, false, 2);
    assertEquals(new Snapshot(PEER, "eth1", MAC1, State.STALE, false, false, false), peer());
    assertEquals(Long.MAX_VALUE, table.nextDeadline(), "no managed work left to do");
    run(60_000, true);
    assertEquals(State.STALE, peer().state());
    assertEquals(List.of("0 192.168.10.101 broadcast"), solicits);
  }

  @Test
  void externLearnAloneIsAnOrdinaryAdministrativeUpdate() throws NetlinkException {
    NetlinkException ex = assertThrows(NetlinkException.class,
        () -> table.adminUpdate("eth1", PEER, null, State.STALE, EXT, true, false, 0));
    assertEquals("Error: No link layer address given.", ex.iproute2Line());
    table.adminUpdate("eth1", PEER, MAC1, State.REACHABLE, EXT, true, true, 0);
    assertEquals(new Snapshot(PEER, "eth1", MAC1, State.REACHABLE, false, true, false), peer());
    run(60_000, false);
    assertEquals(State.STALE, peer().state(), "not managed: it ages like any entry");
    assertEquals(List.of(), solicits);
  }

  @Test
  void useResolvesOnceWithoutStayingManaged() throws NetlinkException {
    table.adminUpdate("eth1", PEER, null, State.PERMANENT, USE, true, false, 0);
    assertEquals(new Snapshot(PEER, "eth1", null, State.INCOMPLETE, false, false, false), peer());
    run(60_000, false);
    assertEquals(State.FAILED, peer().state());
    assertEquals(3, solicits.size(), "one round of three, never retried");
    assertEquals(Long.MAX_VALUE, table.nextDeadline());
  }

  @Test
  void smallTablesAreNotCollected() throws NetlinkException {
    for (int i = 1; i <= 127; i++) {
      table.learn("eth1", Ipv4Address.of(10, 0, 0, i), MAC1, State.STALE, true, false, 0);
    }
    assertEquals(Long.MAX_VALUE, table.nextDeadline());
    run(3_600_000, false);
    assertEquals(127, table.list().size());
  }

  @Test
  void aLargeTableLosesItsUnusedEntriesButNotExternallyLearnedOrPermanentOnes() throws NetlinkException {
    for (int i = 1; i <= 130; i++) {
      table.learn("eth1", Ipv4Address.of(10, 0, 0, i), MAC1, State.STALE, true, false, 0);
    }
    Ipv4Address ext = Ipv4Address.of(10, 0, 1, 1);
    Ipv4Address perm = Ipv4Address.of(10, 0, 1, 2);
    Ipv4Address used = Ipv4Address.of(10, 0, 0, 7);
    table.adminUpdate("eth1", ext, MAC2, State.STALE, EXT, true, false, 0);
    table.adminUpdate("eth1", perm, MAC2, State.PERMANENT, true, false, 0);
    assertEquals(15_000, table.nextDeadline(), "neigh_periodic_work every base_reachable_time/2");
    run(45_000, false);
    assertEquals(132, table.list().size(), "nothing is older than gc_stale_time yet");
    table.resolve("eth1", used, "p", 98, null, 45_000); // STALE -> DELAY: in use ...
    table.confirm("eth1", used, 45_010); // ... and confirmed: REACHABLE, in its timer
    run(60_000, false);
    List<Ipv4Address> left = table.list().stream().map(Snapshot::ip).toList();
    assertEquals(Set.of(ext, perm, used), Set.copyOf(left));
    assertTrue(table.get("eth1", ext).orElseThrow().externLearned());
    assertFalse(left.contains(Ipv4Address.of(10, 0, 0, 1)));
    assertNull(table.get("eth1", Ipv4Address.of(10, 0, 0, 130)).orElse(null));
  }
}
