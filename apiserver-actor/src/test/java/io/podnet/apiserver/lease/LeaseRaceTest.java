package io.podnet.apiserver.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.WatchEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Candidates race for one Lease through the arbiter under a seeded random interleaving and a
 * simulated clock. After every step: at most one candidate believes it leads (each belief comes
 * from its own successful writes and ends renewDeadline after the request was sent), and a
 * believer is the holder the store shows. At the end: every change the store made to the lease is
 * one the arbiter reported as a successful write, conditional on the version just before it.
 */
class LeaseRaceTest {

  private static final String NS = "kube-system";
  private static final String NAME = "race";
  private static final long T0 = 1_754_742_925_085L;
  private static final int ROUNDS = 10_000;

  private long now = T0;
  private final ObjectStore store = new ObjectStore(() -> now, new SplittableRandom(5), 100_000, 0);
  private final LeaseArbiter arbiter = new LeaseArbiter(store);
  private final List<WatchEvent> changes = new ArrayList<>();
  /** resourceVersion written -> resourceVersion the write was conditional on ("" for the create). */
  private final Map<String, String> successfulWrites = new HashMap<>();
  private int conflicts;

  private void watchLease() {
    store.watch(ResourceType.LEASE, NS, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0, changes::add);
  }

  private LeaseOutcome recorded(String expectedRv, LeaseOutcome o) {
    if (o.wrote()) {
      successfulWrites.put(o.lease().resourceVersion(), expectedRv);
    } else if (o instanceof LeaseOutcome.Failed f && f.status().code() == 409) {
      conflicts++;
    }
    return o;
  }

  /** The chain of changes: each one a reported write, conditional on the version before it. */
  private void assertEveryChangeWasAConditionalWrite() {
    assertTrue(changes.size() > 50, "the race produced " + changes.size() + " changes");
    String previous = "";
    for (WatchEvent e : changes) {
      String rv = e.object().metadata().resourceVersion();
      String precondition = successfulWrites.get(rv);
      if (precondition == null) {
        fail("change at resourceVersion " + rv + " (" + e.type() + ") was not a write the arbiter reported");
      }
      if (previous.isEmpty()) {
        assertEquals(WatchEvent.Type.ADDED, e.type());
      } else {
        assertEquals(WatchEvent.Type.MODIFIED, e.type());
        assertEquals(previous, precondition, "write " + rv + " was not conditional on the version before it");
      }
      previous = rv;
    }
    for (Map.Entry<String, String> w : successfulWrites.entrySet()) {
      boolean seen = changes.stream().anyMatch(e -> e.object().metadata().resourceVersion().equals(w.getKey()));
      assertTrue(seen || w.getKey().equals(w.getValue()), "reported write " + w.getKey() + " is not in the store's history");
    }
  }

  private String storeHolder() {
    return arbiter.get(NS, NAME).map(l -> l.spec().holder()).orElse("");
  }

  // ------------------------------------------------------------------ electors over a network

  private record Event(long at, long seq, Runnable body) {}

  private final PriorityQueue<Event> queue =
      new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private long seq;

  private void at(long t, Runnable body) {
    queue.add(new Event(t, seq++, body));
  }

  private final class Candidate {
    final String id;
    LeaderElector elector;
    int incarnation;
    int timer;
    boolean alive = true;
    long pausedUntil;
    int acquisitions;

    Candidate(String id) {
      this.id = id;
    }
  }

  @ParameterizedTest(name = "{0} candidates")
  @ValueSource(ints = {2, 10})
  void electorsNeverBothBelieveTheyLead(int n) {
    Random rnd = new Random(20250809L + n);
    LeaderElectionConfig cfg =
        new LeaderElectionConfig("x", Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    watchLease();
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Candidate c = new Candidate("node-" + i);
      cs.add(c);
      boot(c, cfg, rnd, rnd.nextInt(3_000));
    }
    int steps = 0;
    int changesOfLeader = 0;
    String lastLeader = null;
    while (steps < ROUNDS) {
      Event e = queue.poll();
      now = Math.max(now, e.at);
      e.body.run();
      steps++;
      // chaos, on the candidates' side
      Candidate victim = cs.get(rnd.nextInt(n));
      double p = rnd.nextDouble();
      if (victim.alive && p < 0.004) {
        victim.pausedUntil = now + rnd.nextInt(25_000); // a long GC pause or a partition
      } else if (victim.alive && p < 0.006) {
        stopAndRestart(victim, cfg, rnd);
      }
      String believer = null;
      for (Candidate c : cs) {
        if (c.alive && c.elector.isLeader(now)) {
          if (believer != null) {
            fail("at +" + (now - T0) + " ms both " + believer + " and " + c.id + " believe they lead");
          }
          believer = c.id;
          assertEquals(c.id, storeHolder(), "a believer must be the holder the store shows");
        }
      }
      if (believer != null && !believer.equals(lastLeader)) {
        changesOfLeader++;
        lastLeader = believer;
      }
    }
    assertTrue(changesOfLeader >= 5, "leadership changed hands only " + changesOfLeader + " times");
    assertTrue(conflicts > 0, "no write ever lost a race");
    assertEveryChangeWasAConditionalWrite();
  }

  private void boot(Candidate c, LeaderElectionConfig cfg, Random rnd, long delay) {
    c.elector = new LeaderElector(
        new LeaderElectionConfig(c.id, cfg.leaseDuration(), cfg.renewDeadline(), cfg.retryPeriod()),
        new SplittableRandom(rnd.nextLong()),
        new LeaderElector.Callbacks() {
          @Override
          public void onStartedLeading() {
            c.acquisitions++;
          }

          @Override
          public void onStoppedLeading() {}

          @Override
          public void onNewLeader(String identity) {}
        });
    c.alive = true;
    int inc = ++c.incarnation;
    at(now + delay, () -> client(c, inc, () -> c.elector.start(now)));
  }

  private void stopAndRestart(Candidate c, LeaderElectionConfig cfg, Random rnd) {
    LeaderElector.Action a = c.elector.stop(now);
    c.alive = false;
    int inc = c.incarnation;
    perform(c, inc, a, rnd);
    at(now + rnd.nextInt(20_000), () -> boot(c, cfg, rnd, 0));
  }

  private final Random net = new Random(77);

  private long latency() {
    return net.nextDouble() < 0.9 ? net.nextInt(200) : net.nextInt(8_000);
  }

  /** Runs a client-side step unless that incarnation is gone; a paused client runs it later. */
  private void client(Candidate c, int inc, java.util.function.Supplier<LeaderElector.Action> step) {
    if (inc != c.incarnation || !c.alive) {
      return;
    }
    if (now < c.pausedUntil) {
      at(c.pausedUntil, () -> client(c, inc, step));
      return;
    }
    perform(c, inc, step.get(), net);
  }

  private void perform(Candidate c, int inc, LeaderElector.Action a, Random rnd) {
    if (a instanceof LeaderElector.Get) {
      at(now + latency(), () -> {
        Optional<Lease> read = arbiter.get(NS, NAME);
        at(now + latency(), () -> client(c, inc, () -> c.elector.onGetResult(now, read)));
      });
    } else if (a instanceof LeaderElector.TryAcquireOrRenew w) {
      at(now + latency(), () -> {
        LeaseOutcome o = recorded(w.expectedResourceVersion(), arbiter.tryAcquireOrRenew(
            NS, NAME, c.id, w.leaseDurationSeconds(), w.expectedResourceVersion(), now));
        at(now + latency(), () -> client(c, inc, () -> c.elector.onWriteResult(now, o)));
      });
    } else if (a instanceof LeaderElector.Release r) {
      at(now + latency(), () -> recorded(r.expectedResourceVersion(),
          arbiter.release(NS, NAME, c.id, r.expectedResourceVersion(), now)));
    } else if (a instanceof LeaderElector.WaitUntil w) {
      int t = ++c.timer;
      at(w.atMillis(), () -> client(c, inc, () -> t == c.timer ? c.elector.onTimer(now) : new LeaderElector.Done()));
    } else if (a instanceof LeaderElector.AwaitReply r && r.leadershipDeadlineMillis() != Long.MAX_VALUE) {
      int t = ++c.timer;
      at(r.leadershipDeadlineMillis(),
          () -> client(c, inc, () -> t == c.timer ? c.elector.onTimer(now) : new LeaderElector.Done()));
    }
  }

  // ------------------------------------------------------------------ raw arbiter calls

  @ParameterizedTest(name = "{0} candidates")
  @ValueSource(ints = {2, 10})
  void rawTryAcquireRenewReleaseOnStaleReadsNeverMakeTwoHolders(int n) {
    final long renewDeadline = 10_000;
    Random rnd = new Random(4242L * n);
    watchLease();
    String[] ids = new String[n];
    String[] lastRead = new String[n];
    long[] believesUntil = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = "cand-" + i;
      lastRead[i] = "";
    }
    int acquisitions = 0;
    for (int round = 0; round < ROUNDS; round++) {
      now += rnd.nextInt(3_000);
      int i = rnd.nextInt(n);
      double op = rnd.nextDouble();
      // Like the elector, a candidate writes with "" only when it read no lease (a create).
      boolean mustRead = lastRead[i].isEmpty() && arbiter.get(NS, NAME).isPresent();
      if (op < 0.4 || mustRead) {
        lastRead[i] = arbiter.get(NS, NAME).map(Lease::resourceVersion).orElse("");
      } else if (op < 0.85) {
        long sent = now;
        LeaseOutcome o = op < 0.7
            ? arbiter.tryAcquireOrRenew(NS, NAME, ids[i], 15, lastRead[i], now)
            : arbiter.renew(NS, NAME, ids[i], 15, lastRead[i], now);
        recorded(lastRead[i], o);
        if (o.wrote()) {
          believesUntil[i] = sent + renewDeadline;
          lastRead[i] = o.lease().resourceVersion();
          if (o instanceof LeaseOutcome.Acquired) {
            acquisitions++;
          }
        }
      } else {
        believesUntil[i] = Math.min(believesUntil[i], now); // stop believing before releasing
        LeaseOutcome o = recorded(lastRead[i], arbiter.release(NS, NAME, ids[i], lastRead[i], now));
        if (o.wrote()) {
          lastRead[i] = o.lease().resourceVersion();
        }
      }
      int believers = 0;
      for (int j = 0; j < n; j++) {
        if (now < believesUntil[j]) {
          believers++;
          assertEquals(ids[j], storeHolder(), "round " + round + ": a believer must be the holder");
        }
      }
      assertTrue(believers <= 1, "round " + round + ": " + believers + " candidates believe they hold the lease");
    }
    assertTrue(acquisitions >= 20, "only " + acquisitions + " acquisitions");
    assertTrue(conflicts > 0, "no write ever lost a race");
    assertEveryChangeWasAConditionalWrite();
  }
}
