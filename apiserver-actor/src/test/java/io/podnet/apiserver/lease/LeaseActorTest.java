package io.podnet.apiserver.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Struct;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.api.ObjectCodec;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.apiserver.store.WatchEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Leases arbitrated by the {@link ApiServerActor}: clients send Create, Update and Patch of
 * coordination.k8s.io/v1 Lease objects as client-go's LeaseLock and kubectl send them, and the
 * server judges expiry on its own clock (the store's), which the test moves together with
 * ManualTime. Messages are serialized on the way (serialize-messages = on); the API server's
 * protocol and this test's candidates' private messages are local by design and exempt.
 */
class LeaseActorTest {

  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.loglevel = WARNING
      pekko.actor.serialize-messages = on
      pekko.actor.no-serialization-verification-needed-class-prefix = [
        "org.apache.pekko.", "io.podnet.apiserver.api.ApiServerActor$", "io.podnet.apiserver.lease.LeaseActorTest$"]
      """).withFallback(ManualTime.config());
  static final String NS = "kube-system";
  static final String NAME = "lock";
  static final long T0 = Instant.parse("2025-08-09T12:35:25.085Z").toEpochMilli();

  final ActorTestKit kit = ActorTestKit.create(CONFIG);
  final ManualTime time = ManualTime.get(kit.system());
  final AtomicLong clock = new AtomicLong(T0);
  final ObjectStore store = new ObjectStore(clock::get, new SplittableRandom(7), 100_000, 0);
  final ActorRef<ApiServerActor.Command> api = kit.spawn(ApiServerActor.create(store));

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  /** The lab clock and the actors' timers move together. */
  void advance(long millis) {
    clock.addAndGet(millis);
    time.timePasses(Duration.ofMillis(millis));
  }

  void at(long millisAfterT0) {
    advance(T0 + millisAfterT0 - clock.get());
  }

  ApiServerActor.Reply ask(java.util.function.Function<ActorRef<ApiServerActor.Reply>, ApiServerActor.Command> m) {
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(m.apply(probe.getRef()));
    return probe.receiveMessage();
  }

  KubeObject get() {
    ApiServerActor.Reply r = ask(p -> new ApiServerActor.Get(ResourceType.LEASE, NS, NAME, p));
    assertTrue(r.ok(), () -> r.error().message());
    return (KubeObject) r.value();
  }

  static LeaseSpec spec(KubeObject o) {
    return LeaseSpec.fromStruct(o.spec());
  }

  /** The record client-go's tryAcquireOrRenew writes, times at {@code nowMillis}. */
  static LeaseSpec acquire(String holder, int seconds, long nowMillis, int transitions) {
    Instant now = Instant.ofEpochMilli(nowMillis);
    return new LeaseSpec(holder, seconds, now, now, transitions);
  }

  static LeaseSpec renew(LeaseSpec held, long nowMillis) {
    return new LeaseSpec(held.holder(), held.leaseDurationSeconds(), held.acquireTime(), Instant.ofEpochMilli(nowMillis),
        held.transitions());
  }

  /** client-go's release: no holder, one second, acquireTime and renewTime now, transitions kept. */
  static LeaseSpec release(LeaseSpec held, long nowMillis) {
    Instant now = Instant.ofEpochMilli(nowMillis);
    return new LeaseSpec("", 1, now, now, held.transitions());
  }

  ApiServerActor.Reply create(LeaseSpec spec) {
    KubeObject o = KubeObject.of(ResourceType.LEASE, ObjectMeta.of(NS, NAME, Map.of()), spec.toStruct());
    return ask(p -> new ApiServerActor.Create(ResourceType.LEASE, o, p));
  }

  /** An update conditional on the resourceVersion of {@code read}, as LeaseLock.Update sends it. */
  ApiServerActor.Reply update(KubeObject read, LeaseSpec spec) {
    return ask(p -> new ApiServerActor.Update(ResourceType.LEASE, read.withSpec(spec.toStruct()), false, p));
  }

  static void assertRefusedAsHeld(ApiServerActor.Reply r, String holder) {
    assertFalse(r.ok(), "the write was accepted");
    Status s = r.error();
    assertEquals(409, s.code());
    assertEquals("Conflict", s.reason());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"" + NAME + "\": lock is held by "
        + holder + " and has not yet expired", s.message());
    assertEquals(new Status.Details(NAME, "coordination.k8s.io", "leases"), s.details());
  }

  // ------------------------------------------------------------------ expiry, renew, release

  @Test
  void aHeldLeaseIsTakenOnlyAfterRenewTimePlusDurationToTheMillisecond() {
    assertTrue(create(acquire("a", 15, T0, 0)).ok());
    KubeObject held = get();

    at(15_000 - 1);
    assertRefusedAsHeld(update(held, acquire("b", 15, clock.get(), 1)), "a");
    // At renewTime + leaseDurationSeconds exactly the lease is still held: expired means now > that.
    at(15_000);
    assertRefusedAsHeld(update(held, acquire("b", 15, clock.get(), 1)), "a");
    assertEquals(held, get(), "a refused write changes nothing");

    at(15_001);
    ApiServerActor.Reply taken = update(held, acquire("b", 15, clock.get(), 1));
    assertTrue(taken.ok(), () -> taken.error().message());
    LeaseSpec b = spec(get());
    assertEquals("b", b.holder());
    assertEquals(1, b.transitions());
    assertEquals(Instant.ofEpochMilli(T0 + 15_001), b.acquireTime());
    assertEquals(b.acquireTime(), b.renewTime());
  }

  @Test
  void theHolderRenewsAndMovesTheExpiryWhileAcquireTimeAndTransitionsStay() {
    assertTrue(create(acquire("a", 15, T0, 0)).ok());
    at(10_000);
    ApiServerActor.Reply renewed = update(get(), renew(spec(get()), clock.get()));
    assertTrue(renewed.ok(), () -> renewed.error().message());
    KubeObject now = get();
    LeaseSpec a = spec(now);
    assertEquals(Instant.ofEpochMilli(T0), a.acquireTime());
    assertEquals(Instant.ofEpochMilli(T0 + 10_000), a.renewTime());
    assertEquals(0, a.transitions());

    // The old expiry has passed, the renewed one has not.
    at(25_000);
    assertRefusedAsHeld(update(now, acquire("b", 15, clock.get(), 1)), "a");
    at(25_001);
    assertTrue(update(now, acquire("b", 15, clock.get(), 1)).ok());
    // The old holder's renewal on the version it read loses: the store's own 409.
    ApiServerActor.Reply late = update(now, renew(a, clock.get()));
    assertEquals(409, late.error().code());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"lock\": the object has been modified; "
        + "please apply your changes to the latest version and try again", late.error().message());
    assertEquals("b", spec(get()).holder());
  }

  @Test
  void aCandidateThatIsNotTheHolderCannotRenewForItselfThroughAnUnconditionalWriteOrAPatch() {
    assertTrue(create(acquire("a", 15, T0, 0)).ok());
    at(5_000);
    // An unconditional update (no resourceVersion) is judged on the stored lease all the same.
    KubeObject blind = get().withMetadata(get().metadata().withResourceVersion(""));
    assertRefusedAsHeld(update(blind, acquire("b", 15, clock.get(), 1)), "a");
    // kubectl patch lease lock --type merge -p '{"spec":{"holderIdentity":"c"}}'
    Struct patch = Json.obj("spec", Json.obj("holderIdentity", "c"));
    assertRefusedAsHeld(ask(p -> new ApiServerActor.Patch(ResourceType.LEASE, NS, NAME,
        ApiServerActor.PatchType.MERGE, patch, false, p)), "a");
    // A patch by the holder (the kubelet renews its node lease this way) is a renewal.
    Struct renewal = Json.obj("spec", Json.obj("renewTime", KubeTime.microTime(clock.get())));
    assertTrue(ask(p -> new ApiServerActor.Patch(ResourceType.LEASE, NS, NAME, ApiServerActor.PatchType.MERGE,
        renewal, false, p)).ok());
    assertEquals(Instant.ofEpochMilli(T0 + 5_000), spec(get()).renewTime());
    at(20_001);
    assertTrue(ask(p -> new ApiServerActor.Patch(ResourceType.LEASE, NS, NAME, ApiServerActor.PatchType.MERGE,
        patch, false, p)).ok(), "expired: the patch takes it");
    assertEquals("c", spec(get()).holder());
  }

  @Test
  void aReleasedLeaseIsFreeAtOnceAndKeepsItsTransitions() {
    assertTrue(create(acquire("a", 15, T0, 0)).ok());
    at(3_000);
    KubeObject held = get();
    ApiServerActor.Reply released = update(held, release(spec(held), clock.get()));
    assertTrue(released.ok(), () -> released.error().message());
    KubeObject free = get();
    // As kubectl get lease -o yaml shows it: the empty holder is written, not dropped.
    Struct json = ObjectCodec.toJson(free);
    assertEquals("", Json.string(json, "spec", "holderIdentity"));
    assertEquals(1, Json.number(json, "spec", "leaseDurationSeconds"));
    assertEquals("2025-08-09T12:35:28.085000Z", Json.string(json, "spec", "acquireTime"));
    assertEquals("2025-08-09T12:35:28.085000Z", Json.string(json, "spec", "renewTime"));
    assertEquals(0, Json.number(json, "spec", "leaseTransitions"));
    // Free in the same millisecond: a new holder takes it and counts a transition.
    assertTrue(update(free, acquire("b", 15, clock.get(), 1)).ok());
    assertEquals(1, spec(get()).transitions());
    assertEquals("b", spec(get()).holder());
  }

  @ParameterizedTest
  @CsvSource({
      "leaseDurationSeconds, 0, 'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'",
      "leaseTransitions, -1, 'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0'"})
  void invalidSpecsAreRefusedAsKubeApiserverValidatesThem(String field, int value, String error) {
    Struct spec = acquire("a", 15, T0, 0).toStruct().toBuilder().putFields(field, Json.of(value)).build();
    KubeObject o = KubeObject.of(ResourceType.LEASE, ObjectMeta.of(NS, NAME, Map.of()), spec);
    ApiServerActor.Reply r = ask(p -> new ApiServerActor.Create(ResourceType.LEASE, o, p));
    assertEquals(422, r.error().code());
    assertEquals("Lease.coordination.k8s.io \"lock\" is invalid: " + error, r.error().message());
    assertTrue(create(acquire("a", 15, T0, 0)).ok());
    ApiServerActor.Reply u = ask(p -> new ApiServerActor.Update(ResourceType.LEASE,
        get().withSpec(spec), false, p));
    assertEquals(422, u.error().code());
  }

  // ------------------------------------------------------------------ candidates racing

  /** A belief of leadership: from the reply to a successful write until renewDeadline after it was sent. */
  record Belief(String who, long from, long until) {}

  /** A change of the lease and the server's clock when it was written. */
  record Change(WatchEvent event, long serverNow) {}

  /** The moment a leader gave up (sent its release): it believes nothing from then on. */
  record GaveUp(String who, long at) {}

  static final int LEASE_SECONDS = 15;
  static final long RENEW_DEADLINE = 10_000;
  static final long RETRY_PERIOD = 2_000;

  /** What the candidates report, read by the test when they are done. */
  static final class Ledger {
    final ConcurrentLinkedQueue<Belief> beliefs = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<GaveUp> gaveUp = new ConcurrentLinkedQueue<>();
    final AtomicInteger refusedAsHeld = new AtomicInteger();
    final AtomicInteger staleConflicts = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
  }

  interface Msg {}

  enum Tick implements Msg { INSTANCE }

  record Answer(ApiServerActor.Reply reply) implements Msg {}

  /**
   * A candidate that runs client-go's tryAcquireOrRenew (Get, then Create or a conditional Update
   * with the record client-go writes) on every {@link Tick}. A {@code polite} one skips a lease it
   * observed held within leaseDuration, as client-go does; an impolite one tries to take it
   * anyway, leaving the judgement to the server. Now and then the leader pauses (a stalled process:
   * no renewals) or releases as client-go does on shutdown. The ticks are its retry timer: the test
   * sends them every retryPeriod with client-go's jitter of 1.2, on the lab clock (ManualTime's
   * timePasses waits 100 ms of real time per call, too slow for thousands of rounds), or, with
   * {@code ownTimer}, the candidate schedules them itself on an actor timer, as client-go's
   * JitterUntil does, and ManualTime drives them.
   */
  static Behavior<Msg> candidate(String me, boolean polite, long seed, ActorRef<ApiServerActor.Command> api,
      AtomicLong clock, Ledger ledger) {
    return candidate(me, polite, seed, api, clock, ledger, false);
  }

  static Behavior<Msg> candidate(String me, boolean polite, long seed, ActorRef<ApiServerActor.Command> api,
      AtomicLong clock, Ledger ledger, boolean ownTimer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      SplittableRandom random = new SplittableRandom(seed);
      ActorRef<ApiServerActor.Reply> replies = ctx.messageAdapter(ApiServerActor.Reply.class, Answer::new);
      return new Object() {
        KubeObject observed; // the last lease read or written (LeaseLock's ll.lease)
        long observedTime;
        boolean leader; // client-go's IsLeader: the observed holder is me
        String pending = ""; // "get", "write", "release"
        long sentAt;
        long pausedUntil;

        Behavior<Msg> start() {
          schedule();
          return behavior();
        }

        void schedule() {
          if (ownTimer) {
            long wait = RETRY_PERIOD + (long) (random.nextDouble() * 1.2 * RETRY_PERIOD);
            timers.startSingleTimer(Tick.INSTANCE, Duration.ofMillis(wait));
          }
        }

        void check(boolean ok, String what) {
          if (!ok) {
            ledger.errors.add(me + ": " + what);
          }
        }

        Behavior<Msg> behavior() {
          return Behaviors.receive(Msg.class)
              .onMessageEquals(Tick.INSTANCE, this::tick)
              .onMessage(Answer.class, a -> answered(a.reply()))
              .build();
        }

        Behavior<Msg> tick() {
          schedule();
          long now = clock.get();
          if (!pending.isEmpty() || now < pausedUntil) {
            return Behaviors.same();
          }
          if (leader && random.nextInt(15) == 0) {
            pausedUntil = now + 5_000 + random.nextInt(40_000);
            return Behaviors.same();
          }
          if (leader && observed != null && random.nextInt(25) == 0) {
            // Stops believing, then writes the release on the version it last wrote.
            ledger.gaveUp.add(new GaveUp(me, now));
            leader = false;
            send("release", new ApiServerActor.Update(ResourceType.LEASE,
                observed.withSpec(release(spec(observed), now).toStruct()), false, replies), now);
            return Behaviors.same();
          }
          send("get", new ApiServerActor.Get(ResourceType.LEASE, NS, NAME, replies), now);
          return Behaviors.same();
        }

        void send(String what, ApiServerActor.Command c, long now) {
          pending = what;
          sentAt = now;
          api.tell(c);
        }

        Behavior<Msg> answered(ApiServerActor.Reply r) {
          String was = pending;
          pending = "";
          long now = clock.get();
          switch (was) {
            case "get" -> {
              if (!r.ok()) {
                check(r.error().code() == 404, "get: " + r.error().message());
                send("write", new ApiServerActor.Create(ResourceType.LEASE, KubeObject.of(ResourceType.LEASE,
                    ObjectMeta.of(NS, NAME, Map.of()), acquire(me, LEASE_SECONDS, now, 0).toStruct()), replies), now);
                return Behaviors.same();
              }
              KubeObject read = (KubeObject) r.value();
              if (observed == null || !read.spec().equals(observed.spec())) {
                observedTime = now;
              }
              observed = read;
              LeaseSpec old = spec(read);
              leader = old.holder().equals(me);
              boolean valid = observedTime + LEASE_SECONDS * 1000L > now;
              if (polite && !old.holder().isEmpty() && valid && !leader) {
                return Behaviors.same();
              }
              LeaseSpec next = leader
                  ? new LeaseSpec(me, LEASE_SECONDS, old.acquireTime(), Instant.ofEpochMilli(now), old.transitions())
                  : acquire(me, LEASE_SECONDS, now, old.transitions() + 1);
              send("write", new ApiServerActor.Update(ResourceType.LEASE, read.withSpec(next.toStruct()), false,
                  replies), now);
            }
            case "write" -> {
              if (r.ok()) {
                observed = (KubeObject) r.value();
                observedTime = now;
                leader = true;
                check(me.equals(spec(observed).holder()), "wrote " + observed);
                ledger.beliefs.add(new Belief(me, now, sentAt + RENEW_DEADLINE));
              } else {
                check(r.error().code() == 409, "write: " + r.error().message());
                if (r.error().message().endsWith("has not yet expired")) {
                  ledger.refusedAsHeld.incrementAndGet();
                } else {
                  ledger.staleConflicts.incrementAndGet();
                }
              }
            }
            case "release" -> {
              if (r.ok()) {
                ledger.releases.incrementAndGet();
                observed = (KubeObject) r.value();
              }
            }
            default -> check(false, "an answer nobody asked for: " + r);
          }
          return Behaviors.same();
        }
      }.start();
    }));
  }

  @ParameterizedTest(name = "{0} candidates, {1} rounds")
  @CsvSource({"2, 10000", "10, 10000"})
  void candidatesRacingThroughTheServerNeverBothHold(int candidates, int rounds) {
    Ledger ledger = new Ledger();
    List<Change> changes = new ArrayList<>();
    store.watch(ResourceType.LEASE, NS, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0,
        e -> changes.add(new Change(e, clock.get())));
    List<ActorRef<Msg>> refs = new ArrayList<>();
    for (int i = 0; i < candidates; i++) {
      refs.add(kit.spawn(candidate("c" + i, i % 2 == 0, 1000 + i, api, clock, ledger), "c" + i));
    }
    SplittableRandom steps = new SplittableRandom(candidates);
    long[] nextTick = new long[candidates];
    for (int i = 0; i < candidates; i++) {
      nextTick[i] = clock.get() + steps.nextLong(RETRY_PERIOD);
    }
    TestProbe<ApiServerActor.Reply> pace = kit.createTestProbe();
    for (int round = 0; round < rounds; round++) {
      clock.addAndGet(100 + steps.nextInt(900));
      // Due timers fire in a random order: wait.JitterUntil(retryPeriod, 1.2).
      int first = steps.nextInt(candidates);
      for (int k = 0; k < candidates; k++) {
        int i = (first + k) % candidates;
        if (nextTick[i] <= clock.get()) {
          refs.get(i).tell(Tick.INSTANCE);
          nextTick[i] = clock.get() + RETRY_PERIOD + (long) (steps.nextDouble() * 1.2 * RETRY_PERIOD);
        }
      }
      // Pace the test by the server: what was sent before this point has been answered.
      api.tell(new ApiServerActor.Get(ResourceType.LEASE, NS, NAME, pace.getRef()));
      pace.receiveMessage();
    }
    for (ActorRef<Msg> r : refs) {
      kit.stop(r);
    }
    get();
    int takeovers = assertNeverTwoLeaders(ledger, changes);
    assertTrue(takeovers >= 30, "only " + takeovers + " changes of holder");
    assertTrue(ledger.refusedAsHeld.get() > 20, "the server refused " + ledger.refusedAsHeld + " takeovers");
    assertTrue(ledger.releases.get() > 2, "only " + ledger.releases + " releases");
    assertTrue(ledger.staleConflicts.get() > 0 || candidates == 2, "no lost races: " + ledger.staleConflicts);
  }

  /** The checks of a race: never two leaders, every takeover on a free or expired lease. */
  int assertNeverTwoLeaders(Ledger ledger, List<Change> changes) {
    assertEquals(List.of(), List.copyOf(ledger.errors));

    List<Belief> beliefs = new ArrayList<>();
    for (Belief b : ledger.beliefs) {
      long until = b.until();
      for (GaveUp g : ledger.gaveUp) {
        if (g.who().equals(b.who()) && g.at() >= b.from()) {
          until = Math.min(until, g.at());
        }
      }
      if (until > b.from()) {
        beliefs.add(new Belief(b.who(), b.from(), until));
      }
    }
    beliefs.sort(Comparator.comparingLong(Belief::from));
    for (int i = 0; i < beliefs.size(); i++) {
      for (int j = i + 1; j < beliefs.size() && beliefs.get(j).from() < beliefs.get(i).until(); j++) {
        if (!beliefs.get(j).who().equals(beliefs.get(i).who())) {
          fail("two leaders at once: " + beliefs.get(i) + " and " + beliefs.get(j));
        }
      }
    }

    // The store's history: every change of holder took a free or expired lease, with
    // client-go's bookkeeping stored as written.
    int takeovers = 0;
    LeaseSpec before = null;
    for (Change c : changes) {
      LeaseSpec now = spec(c.event().object());
      if (before != null && !now.holder().isEmpty() && !now.holder().equals(before.holder())) {
        takeovers++;
        boolean free = before.holder().isEmpty()
            || c.serverNow() > before.renewTime().toEpochMilli() + before.leaseDurationSeconds() * 1000L;
        assertTrue(free, "taken while held: " + before + " -> " + now);
        assertEquals(before.transitions() + 1, now.transitions());
        assertEquals(now.renewTime(), now.acquireTime());
      } else if (before != null && now.holder().equals(before.holder())) {
        assertEquals(before.acquireTime(), now.acquireTime(), "a renewal keeps acquireTime");
        assertEquals(before.transitions(), now.transitions());
      }
      before = now;
    }
    assertNotNull(before);
    return takeovers;
  }

  @Test
  void candidatesOnTheirOwnTimersUnderManualTimeNeverBothHold() {
    Ledger ledger = new Ledger();
    List<Change> changes = new ArrayList<>();
    store.watch(ResourceType.LEASE, NS, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0,
        e -> changes.add(new Change(e, clock.get())));
    List<ActorRef<Msg>> refs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      refs.add(kit.spawn(candidate("t" + i, i != 1, 2000 + i, api, clock, ledger, true), "t" + i));
    }
    TestProbe<ApiServerActor.Reply> pace = kit.createTestProbe();
    for (int step = 0; step < 150; step++) {
      advance(2_000);
      api.tell(new ApiServerActor.Get(ResourceType.LEASE, NS, NAME, pace.getRef()));
      pace.receiveMessage();
    }
    for (ActorRef<Msg> r : refs) {
      kit.stop(r);
    }
    get();
    int takeovers = assertNeverTwoLeaders(ledger, changes);
    assertTrue(takeovers >= 3, "only " + takeovers + " changes of holder");
    assertTrue(ledger.refusedAsHeld.get() > 3, "the server refused " + ledger.refusedAsHeld + " takeovers");
  }
}
