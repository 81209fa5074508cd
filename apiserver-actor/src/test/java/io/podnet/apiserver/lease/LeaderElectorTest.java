package io.podnet.apiserver.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LeaderElectorTest {

  private static final String NS = "kube-system";
  private static final String NAME = "cilium-l2announce-default-webpod";
  private static final long T0 = 1_754_742_925_085L;

  private long now = T0;
  private final LeaseArbiter arbiter = new LeaseArbiter(new ObjectStore(() -> now, new SplittableRandom(1)));

  /** Records callbacks as strings. */
  static final class Log implements LeaderElector.Callbacks {
    final List<String> events = new ArrayList<>();

    @Override
    public void onStartedLeading() {
      events.add("started");
    }

    @Override
    public void onStoppedLeading() {
      events.add("stopped");
    }

    @Override
    public void onNewLeader(String identity) {
      events.add("leader " + identity);
    }
  }

  /** Performs requests with no latency until the elector waits; returns the wait. */
  private LeaderElector.Action drive(LeaderElector e, LeaderElector.Action a) {
    while (true) {
      if (a instanceof LeaderElector.Get) {
        a = e.onGetResult(now, arbiter.get(NS, NAME));
      } else if (a instanceof LeaderElector.TryAcquireOrRenew w) {
        a = e.onWriteResult(now, arbiter.tryAcquireOrRenew(NS, NAME, e.identity(), w.leaseDurationSeconds(),
            w.expectedResourceVersion(), now));
      } else if (a instanceof LeaderElector.Release r) {
        arbiter.release(NS, NAME, e.identity(), r.expectedResourceVersion(), now);
        return new LeaderElector.Done();
      } else {
        return a;
      }
    }
  }

  private static LeaderElectionConfig config(String id) {
    return LeaderElectionConfig.defaults(id);
  }

  @Test
  void configErrorsAreReportedTogetherWithClientGoMessages() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new LeaderElectionConfig("", Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(9)));
    assertEquals("leaseDuration must be greater than renewDeadline; "
        + "renewDeadline must be greater than retryPeriod*JitterFactor; Lock identity is empty", e.getMessage());
    assertEquals(List.of(
            "leaseDuration must be greater than renewDeadline",
            "renewDeadline must be greater than retryPeriod*JitterFactor",
            "leaseDuration must be greater than zero",
            "renewDeadline must be greater than zero",
            "retryPeriod must be greater than zero"),
        LeaderElectionConfig.validate("a", Duration.ZERO, Duration.ZERO, Duration.ZERO));
    // renewDeadline must be strictly greater than retryPeriod * 1.2.
    assertEquals(List.of("renewDeadline must be greater than retryPeriod*JitterFactor"),
        LeaderElectionConfig.validate("a", Duration.ofSeconds(15), Duration.ofMillis(2400), Duration.ofSeconds(2)));
    assertTrue(LeaderElectionConfig.validate("a", Duration.ofSeconds(15), Duration.ofMillis(2401), Duration.ofSeconds(2)).isEmpty());
    assertEquals(List.of("leaseDuration must be at least 1s (Lease.spec.leaseDurationSeconds is whole seconds)"),
        LeaderElectionConfig.validate("a", Duration.ofMillis(900), Duration.ofMillis(500), Duration.ofMillis(100)));
    assertEquals(15, config("a").leaseDurationSeconds());
  }

  @Test
  void loneCandidateCreatesAcquiresAndRenewsOnTheFastPath() {
    Log log = new Log();
    LeaderElector e = new LeaderElector(config("k8s-w1"), new SplittableRandom(3), log);
    LeaderElector.Action first = e.start(now);
    assertInstanceOf(LeaderElector.Get.class, first, "the first attempt is immediate");
    assertEquals(new LeaderElector.AwaitReply(Long.MAX_VALUE), e.onTimer(now));
    LeaderElector.Action a = drive(e, first);
    assertEquals(new LeaderElector.WaitUntil(T0 + 2_000), a);
    assertEquals(List.of("leader k8s-w1", "started"), log.events);
    assertTrue(e.isLeader(now));
    assertTrue(e.isLeader(T0 + 9_999));
    assertFalse(e.isLeader(T0 + 10_000));

    now = T0 + 2_000;
    String rv = arbiter.get(NS, NAME).orElseThrow().resourceVersion();
    LeaderElector.Action renew = e.onTimer(now);
    assertEquals(new LeaderElector.TryAcquireOrRenew(rv, 15), renew, "fast path: write on the version last written");
    assertEquals(new LeaderElector.WaitUntil(T0 + 4_000), drive(e, renew));
    Lease l = arbiter.get(NS, NAME).orElseThrow();
    assertEquals(java.time.Instant.ofEpochMilli(T0 + 2_000), l.spec().renewTime());
    assertEquals(java.time.Instant.ofEpochMilli(T0), l.spec().acquireTime());
    assertTrue(e.isLeader(T0 + 11_999));
    assertFalse(e.isLeader(T0 + 12_000));
    assertEquals(List.of("leader k8s-w1", "started"), log.events);
  }

  @Test
  void followerRetriesWithJitterAndTakesOverOnlyAfterAFullLeaseDurationWithoutChange() {
    Log la = new Log();
    Log lb = new Log();
    LeaderElector a = new LeaderElector(config("a"), new SplittableRandom(3), la);
    long seed = 99;
    LeaderElector b = new LeaderElector(config("b"), new Random(seed), lb);
    drive(a, a.start(now));

    now = T0 + 500;
    LeaderElector.Action wait = drive(b, b.start(now));
    Random same = new Random(seed);
    long expected = now + 2_000 + (long) (same.nextDouble() * 1.2 * 2_000);
    assertEquals(new LeaderElector.WaitUntil(expected), wait);
    assertEquals(List.of("leader a"), lb.events);
    assertEquals("a", b.observedLeader());

    // a dies now. b saw the record last change at T0 + 500 (its observedTime), so it may only try
    // to write once T0 + 500 + 15 s has come; until then every attempt is a read.
    int reads = 0;
    while (true) {
      now = ((LeaderElector.WaitUntil) wait).atMillis();
      LeaderElector.Action next = b.onTimer(now);
      assertInstanceOf(LeaderElector.Get.class, next);
      next = b.onGetResult(now, arbiter.get(NS, NAME));
      if (now < T0 + 500 + 15_000) {
        assertInstanceOf(LeaderElector.WaitUntil.class, next, "no write while the lease looks valid at " + (now - T0));
        reads++;
        wait = next;
        continue;
      }
      LeaderElector.TryAcquireOrRenew w = assertInstanceOf(LeaderElector.TryAcquireOrRenew.class, next);
      LeaseOutcome o = arbiter.tryAcquireOrRenew(NS, NAME, "b", 15, w.expectedResourceVersion(), now);
      assertInstanceOf(LeaseOutcome.Acquired.class, o, "the server agrees: renewTime + 15 s < now");
      b.onWriteResult(now, o);
      break;
    }
    assertTrue(reads >= 3);
    assertEquals(List.of("leader a", "leader b", "started"), lb.events);
    assertEquals(1, arbiter.get(NS, NAME).orElseThrow().spec().transitions());
  }

  @Test
  void aRenewedRecordPostponesTheTakeover() {
    LeaderElector a = new LeaderElector(config("a"), new SplittableRandom(3), new Log());
    LeaderElector b = new LeaderElector(config("b"), new SplittableRandom(4), new Log());
    drive(a, a.start(now));
    drive(b, b.start(now));
    // a renews every 2 s; b, reading every few seconds, always sees a changed record.
    for (int i = 1; i <= 30; i++) {
      now = T0 + i * 2_000L;
      drive(a, a.onTimer(now));
      if (i % 2 == 0) {
        b.onTimer(now - 1); // early: nothing to do yet, or a read
      }
      LeaderElector.Action x = b.onTimer(now);
      if (x instanceof LeaderElector.Get) {
        LeaderElector.Action after = b.onGetResult(now, arbiter.get(NS, NAME));
        assertInstanceOf(LeaderElector.WaitUntil.class, after);
      }
    }
    assertTrue(a.isLeader(now));
    assertFalse(b.isLeader(now));
    assertEquals("a", arbiter.get(NS, NAME).orElseThrow().spec().holder());
  }

  @Test
  void leaderStepsDownWhenRenewDeadlinePassesWithoutASuccessfulRenew() {
    Log log = new Log();
    LeaderElector e = new LeaderElector(config("a"), new SplittableRandom(3), log);
    drive(e, e.start(now));
    Status conflict = Status.conflict(io.podnet.apiserver.store.ResourceType.LEASE, NAME);
    // Every renew from now on fails (the API server is unreachable: Conflict here).
    LeaderElector.Action a = new LeaderElector.WaitUntil(T0 + 2_000);
    while (a instanceof LeaderElector.WaitUntil w && w.atMillis() < T0 + 10_000) {
      now = w.atMillis();
      a = e.onTimer(now);
      assertTrue(e.isLeader(now));
      if (a instanceof LeaderElector.TryAcquireOrRenew) {
        a = e.onWriteResult(now, new LeaseOutcome.Failed(conflict)); // fast path failed: slow path
        assertInstanceOf(LeaderElector.Get.class, a);
        a = e.onGetResult(now, arbiter.get(NS, NAME));
        a = e.onWriteResult(now, new LeaseOutcome.Failed(conflict));
      }
      assertEquals(List.of("leader a", "started"), log.events);
    }
    assertEquals(new LeaderElector.WaitUntil(T0 + 10_000), a, "the next wake-up is the deadline");
    assertTrue(e.isLeader(T0 + 9_999));
    now = T0 + 10_000;
    e.onTimer(now);
    assertFalse(e.isLeader(now));
    assertEquals(LeaderElector.Role.FOLLOWER, e.role());
    assertEquals(List.of("leader a", "started", "stopped"), log.events);
  }

  @Test
  void stopReleasesAndTheNextCandidateTakesOverAtOnce() {
    Log la = new Log();
    LeaderElector a = new LeaderElector(config("a"), new SplittableRandom(3), la);
    LeaderElector b = new LeaderElector(config("b"), new SplittableRandom(4), new Log());
    drive(a, a.start(now));
    drive(b, b.start(now));
    now += 1_000;
    LeaderElector.Action r = a.stop(now);
    assertInstanceOf(LeaderElector.Release.class, r);
    assertFalse(a.isLeader(now));
    assertEquals(List.of("leader a", "started", "stopped"), la.events);
    drive(a, r);
    Lease released = arbiter.get(NS, NAME).orElseThrow();
    assertEquals(new LeaseSpec("", 1, java.time.Instant.ofEpochMilli(now), java.time.Instant.ofEpochMilli(now), 0),
        released.spec());
    now += 5_000;
    drive(b, b.onTimer(now));
    assertTrue(b.isLeader(now));
    assertEquals(1, arbiter.get(NS, NAME).orElseThrow().spec().transitions());
    assertInstanceOf(LeaderElector.Done.class, a.onTimer(now));
    assertInstanceOf(LeaderElector.Done.class, b.stop(now) instanceof LeaderElector.Release rel ? drive(b, rel) : null);
  }

  @Test
  void answersOutOfTurnAreRejected() {
    LeaderElector e = new LeaderElector(config("a"), new SplittableRandom(3), new Log());
    e.start(now);
    assertThrows(IllegalStateException.class, () -> e.onWriteResult(now, new LeaseOutcome.Failed(Status.badRequest("x"))));
  }
}
