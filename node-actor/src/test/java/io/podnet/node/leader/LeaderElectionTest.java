package io.podnet.node.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.actor.LabClock;
import io.podnet.node.api.KubeClient;
import io.podnet.node.leader.LeaderElection.Config;
import io.podnet.node.leader.LeaderElection.Event;
import io.podnet.node.leader.LeaderElection.GetLeader;
import io.podnet.node.leader.LeaderElection.Leader;
import io.podnet.node.leader.LeaderElection.NewLeader;
import io.podnet.node.leader.LeaderElection.StartedLeading;
import io.podnet.node.leader.LeaderElection.Stop;
import io.podnet.node.leader.LeaderElection.StoppedLeading;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The elector against a stub gateway that keeps one Lease by the API server's rules
 * ({@link LeaseServer}). Time is {@link ManualTime}; every message is serialized on the way
 * (serialize-messages = on), the elector's protocol and events through Kryo.
 *
 * <p>Timings are client-go's core defaults (15 s, 10 s, 2 s); the jitter source is fixed, so each
 * test knows when each attempt happens. After each step of time the test waits until every
 * elector has answered what came due and has no request out ({@link #settle}).
 */
class LeaderElectionTest {

  static final Instant T0 = Instant.parse("2025-08-09T12:35:25Z");
  static final String NS = "kube-system";
  static final String LEASE = "cilium-l2announce-default-webpod";

  ActorTestKit testKit;
  ManualTime time;
  LeaseServer server;
  final Map<String, ActorRef<LeaderElection.Command>> electors = new LinkedHashMap<>();
  TestProbe<Leader> statusProbe;
  /** Every timer of a test with jitter 0 falls on a multiple of 2 s. */
  long gridMs = 2000;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create("leader-election-test", ManualTime.config().withFallback(ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.actor.serialize-messages = on
        """)));
    time = ManualTime.get(testKit.system());
    server = new LeaseServer(NS, LEASE);
    ActorRef<ApiRequest> g = testKit.spawn(server.gateway(), "gateway");
    TestProbe<Receptionist.Listing> l = testKit.createTestProbe();
    l.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(KubeClient.GATEWAY_KEY, l.ref()));
      assertTrue(l.receiveMessage().getServiceInstances(KubeClient.GATEWAY_KEY).contains(g));
      return null;
    });
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  // ------------------------------------------------------------------ helpers

  static Config config(String identity, boolean releaseOnCancel) {
    return new Config(NS, LEASE, identity, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2),
        releaseOnCancel);
  }

  /** A jitter source whose every draw is {@code r}: a follower waits retryPeriod * (1 + 1.2 r). */
  static RandomGenerator fixed(double r) {
    long bits = ((long) (r * (1L << 53))) << 11;
    return () -> bits;
  }

  ActorRef<LeaderElection.Command> elector(String name, Config c, TestProbe<Event> events, RandomGenerator random) {
    ActorRef<LeaderElection.Command> e = testKit.spawn(LeaderElection.create(c, events.ref(), T0.toEpochMilli(),
        random), name);
    electors.put(name, e);
    settle();
    return e;
  }

  Leader status(ActorRef<LeaderElection.Command> e) {
    if (statusProbe == null) {
      statusProbe = testKit.createTestProbe();
    }
    e.tell(new GetLeader(statusProbe.ref()));
    return statusProbe.receiveMessage();
  }

  /** Waits (without moving time) until each elector has no request out. */
  void settle() {
    for (ActorRef<LeaderElection.Command> e : electors.values()) {
      for (int i = 0; status(e).requesting(); i++) {
        assertTrue(i < 10_000, "elector " + e + " never finished its request");
      }
    }
  }

  void advance(Duration d) {
    time.timePasses(d);
    settle();
  }

  /**
   * Moves time to {@code T0 + at} in steps that stop on every multiple of {@link #gridMs}, settling
   * after each, so that a timer an elector starts when another fires starts on time (every timer
   * of the test must fall on the grid). Each step costs ManualTime's 100 ms of real time.
   */
  void advanceTo(Duration at) {
    long target = at.toMillis();
    for (long now = nowMs(); now < target; now = nowMs()) {
      advance(Duration.ofMillis(Math.min(target, (now / gridMs + 1) * gridMs) - now));
    }
  }

  long nowMs() {
    return LabClock.get(testKit.system()).nowMicros() / 1000;
  }

  static Duration s(double seconds) {
    return Duration.ofMillis(Math.round(seconds * 1000));
  }

  static Struct body(ApiRequest r) {
    return LeaseServer.parse(r.getBody());
  }

  static String rvOf(Struct lease) {
    return lease.getFieldsOrThrow("metadata").getStructValue().getFieldsOrThrow("resourceVersion").getStringValue();
  }

  static String micro(Duration since) {
    return LeaseRecord.microTime(T0.plus(since));
  }

  static String spec(Struct lease, String field) {
    var v = lease.getFieldsOrThrow("spec").getStructValue().getFieldsOrThrow(field);
    return v.hasStringValue() ? v.getStringValue() : Long.toString((long) v.getNumberValue());
  }

  List<Verb> verbs(String elector) {
    return server.requestsOf(elector).stream().map(ApiRequest::getVerb).toList();
  }

  // ------------------------------------------------------------------ acquiring

  @Test
  void acquiresAMissingLeaseByCreatingIt() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));

    // client-go's renew loop (wait.Until) runs at once: the first renewal follows the create.
    assertEquals(List.of(Verb.GET, Verb.CREATE, Verb.UPDATE), verbs("a"));
    ApiRequest create = server.requestsOf("a").get(1);
    assertEquals("coordination.k8s.io", create.getGroup());
    assertEquals("leases", create.getResource());
    assertEquals(NS, create.getNamespace());
    Struct created = body(create);
    assertEquals("Lease", created.getFieldsOrThrow("kind").getStringValue());
    assertEquals("coordination.k8s.io/v1", created.getFieldsOrThrow("apiVersion").getStringValue());
    assertEquals("node-a", spec(created, "holderIdentity"));
    assertEquals("15", spec(created, "leaseDurationSeconds"));
    assertEquals("2025-08-09T12:35:25.000000Z", spec(created, "acquireTime"));
    assertEquals("2025-08-09T12:35:25.000000Z", spec(created, "renewTime"));
    assertEquals("0", spec(created, "leaseTransitions"));
    Struct renew = body(server.requestsOf("a").get(2));
    assertEquals("101", rvOf(renew), "the renewal is conditional on the created version");
    assertEquals("node-a", spec(renew, "holderIdentity"));

    assertEquals(new NewLeader(NS + "/" + LEASE, "node-a"), events.receiveMessage());
    assertEquals(new StartedLeading(NS + "/" + LEASE), events.receiveMessage());
    Leader st = status(a);
    assertTrue(st.leading());
    assertEquals("node-a", st.observedLeader());
    assertEquals(NS + "/" + LEASE, st.lease());
  }

  @Test
  void acquiresAReleasedLeaseAtOnceConditionalOnWhatItRead() {
    server.put(LeaseServer.held("", 1, T0.minusSeconds(3), 4));
    String rv = server.resourceVersion();
    TestProbe<Event> events = testKit.createTestProbe();
    elector("a", config("node-a", false), events, fixed(0));

    assertEquals(List.of(Verb.GET, Verb.UPDATE, Verb.UPDATE), verbs("a"));
    Struct update = body(server.requestsOf("a").get(1));
    assertEquals(rv, rvOf(update), "conditional on the version read");
    assertEquals("node-a", spec(update, "holderIdentity"));
    assertEquals("5", spec(update, "leaseTransitions"), "one more transition");
    assertEquals(micro(Duration.ZERO), spec(update, "acquireTime"));
    assertInstanceOf(NewLeader.class, events.receiveMessage());
    assertInstanceOf(StartedLeading.class, events.receiveMessage());
  }

  @Test
  void doesNotAcquireALeaseHeldAndUnexpiredWhateverItsRenewTimeSays() {
    // Renewed a day ago by the Lease's own clock: client-go ignores that and waits a full
    // leaseDuration from when it first saw the record.
    server.put(LeaseServer.held("node-x", 15, T0.minus(Duration.ofDays(1)), 2));
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> b = elector("b", config("node-b", false), events, fixed(0));

    assertEquals(new NewLeader(NS + "/" + LEASE, "node-x"), events.receiveMessage());
    advanceTo(s(14));
    events.expectNoMessage(Duration.ofMillis(20));
    assertTrue(verbs("b").stream().allMatch(v -> v == Verb.GET), "only reads: " + verbs("b"));
    assertEquals(8, verbs("b").size(), "attempts at 0, 2, ..., 14 (jitter 0)");
    assertFalse(status(b).leading());
    assertEquals("node-x", server.record().holder());
  }

  @Test
  void takesOverExactlyWhenClientGoWouldJudgingExpiryByItsObservedTime() {
    server.put(LeaseServer.held("node-x", 15, T0, 2));
    TestProbe<Event> events = testKit.createTestProbe();
    // r = 0.5: a follower retries every 2 s * (1 + 0.6) = 3.2 s: at 0, 3.2, 6.4, 9.6, 12.8, 16, ...
    gridMs = 400;
    ActorRef<LeaderElection.Command> b = elector("b", config("node-b", false), events, fixed(0.5));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-x"), events.receiveMessage());

    // node-x renews at 10 s; b sees it at 12.8 s, so the lease is valid until 12.8 + 15 = 27.8 s.
    advanceTo(s(10));
    server.put(LeaseServer.held("node-x", 15, T0.plusSeconds(10), 2));
    // A renewal whose record differs only within the same second is no change to client-go.
    advanceTo(s(12.8));
    advanceTo(s(25.6));
    server.put(LeaseServer.held("node-x", 15, T0.plusMillis(10_400), 2));
    assertEquals(9, verbs("b").size());
    events.expectNoMessage(Duration.ofMillis(20));
    assertFalse(status(b).leading());

    // 28.8 s is the first attempt at or after 27.8 s.
    advanceTo(s(28.799));
    events.expectNoMessage(Duration.ofMillis(20));
    assertEquals(9, verbs("b").size());
    String rv = server.resourceVersion();
    advanceTo(s(28.8));
    assertEquals(List.of(Verb.GET, Verb.UPDATE, Verb.UPDATE), verbs("b").subList(9, 12));
    Struct update = body(server.requestsOf("b").get(10));
    assertEquals(rv, rvOf(update));
    assertEquals("3", spec(update, "leaseTransitions"));
    assertEquals(micro(s(28.8)), spec(update, "acquireTime"));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-b"), events.receiveMessage());
    assertEquals(new StartedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertEquals("node-b", server.record().holder());
  }

  @Test
  void aLostRaceIsAConflictAndNotLeadership() {
    server.put(LeaseServer.held("", 1, T0.minusSeconds(5), 3));
    // node-x takes the released Lease between b's read and b's update: b's update is on a stale version.
    server.beforeUpdate("b", LeaseServer.held("node-x", 15, T0, 4));
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> b = elector("b", config("node-b", false), events, fixed(0));
    assertEquals(List.of(Verb.GET, Verb.UPDATE), verbs("b"));
    assertEquals("node-x", server.record().holder());
    assertFalse(status(b).leading());
    events.expectNoMessage(Duration.ofMillis(20));
    // Its next attempt reads node-x's record, which it must now wait out.
    advanceTo(s(2));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-x"), events.receiveMessage());
    assertEquals(List.of(Verb.GET, Verb.UPDATE, Verb.GET), verbs("b"));
    assertFalse(status(b).leading());
  }

  // ------------------------------------------------------------------ leading

  @Test
  void theLeaderRenewsEveryRetryPeriodOnTheVersionItWrote() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    for (int i = 1; i <= 5; i++) {
      String rv = server.resourceVersion();
      advanceTo(s(2 * i));
      List<ApiRequest> rs = server.requestsOf("a");
      assertEquals(3 + i, rs.size(), "one update per round, no read (the fast path)");
      Struct u = body(rs.get(rs.size() - 1));
      assertEquals(Verb.UPDATE, rs.get(rs.size() - 1).getVerb());
      assertEquals(rv, rvOf(u));
      assertEquals(micro(s(2 * i)), spec(u, "renewTime"));
      assertEquals(micro(Duration.ZERO), spec(u, "acquireTime"), "acquireTime kept");
      assertEquals("0", spec(u, "leaseTransitions"));
    }
    assertTrue(status(a).leading());
    events.expectNoMessage(Duration.ofMillis(20));
  }

  @Test
  void aConflictOnTheFastPathFallsBackToReadingAndRenewing() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    // Someone rewrites the same record (a new resourceVersion): the optimistic update conflicts.
    server.put(server.record());
    advanceTo(s(2));
    assertEquals(List.of(Verb.GET, Verb.CREATE, Verb.UPDATE, Verb.UPDATE, Verb.GET, Verb.UPDATE), verbs("a"));
    assertEquals(micro(s(2)), spec(server.lease(), "renewTime"));
    assertEquals("node-a", server.record().holder());
    assertTrue(status(a).leading());
  }

  @Test
  void stepsDownWhenRenewDeadlinePassesWithoutASuccessfulRenew() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    advanceTo(s(4));
    server.fault("a", LeaseServer.Fault.ERROR);
    // The round of 6 s fails (the optimistic update, then the read: 500) and retries at 8, 10,
    // 12, 14 s (reads only: a failed read leaves client-go's lock without an object to update);
    // its deadline is 16 s.
    advanceTo(s(15.999));
    assertEquals(List.of(Verb.UPDATE, Verb.GET, Verb.GET, Verb.GET, Verb.GET, Verb.GET),
        verbs("a").subList(5, verbs("a").size()));
    events.expectNoMessage(Duration.ofMillis(20));
    assertTrue(status(a).leading());
    advanceTo(s(16));
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertFalse(status(a).leading());
    // It runs the election again at once (and fails again), then retries with jitter.
    assertEquals(12, verbs("a").size());
    server.fault("a", null);
    // At 18 s it reads the record, which names it: it takes it again keeping acquireTime and
    // transitions, and renews at once.
    advanceTo(s(17.999));
    events.expectNoMessage(Duration.ofMillis(20));
    advanceTo(s(18));
    assertEquals(new StartedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertEquals(List.of(Verb.GET, Verb.UPDATE, Verb.UPDATE), verbs("a").subList(12, 15));
    assertEquals(micro(s(18)), spec(server.lease(), "renewTime"));
    assertEquals(micro(Duration.ZERO), spec(server.lease(), "acquireTime"));
    assertEquals("0", spec(server.lease(), "leaseTransitions"));
  }

  @Test
  void stepsDownAtTheDeadlineWhenTheGatewayStopsAnswering() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    advanceTo(s(4));
    server.fault("a", LeaseServer.Fault.DROP);
    time.timePasses(s(2)); // the round of 6 s: its update is never answered
    events.awaitAssert(() -> {
      assertEquals(6, server.requestsOf("a").size());
      return null;
    });
    events.expectNoMessage(Duration.ofMillis(20));
    time.timePasses(s(9.999));
    events.expectNoMessage(Duration.ofMillis(20));
    assertTrue(status(a).leading());
    time.timePasses(s(0.001));
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertFalse(status(a).leading());
  }

  @Test
  void aLeaderThatSeesAnotherHolderStepsDown() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    server.put(LeaseServer.held("node-x", 15, T0.plusSeconds(1), 1));
    // Its renew round at 2 s conflicts, reads node-x's record and retries until the deadline at
    // 12 s; client-go reports the new leader when the round ends.
    advanceTo(s(11.999));
    events.expectNoMessage(Duration.ofMillis(20));
    assertTrue(status(a).leading());
    advanceTo(s(12));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-x"), events.receiveMessage());
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertEquals("node-x", server.record().holder(), "never overwritten");
    assertFalse(status(a).leading());
  }

  // ------------------------------------------------------------------ stopping

  @Test
  void stopReleasesTheLeaseAsClientGoWritesIt() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", true), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    advanceTo(s(3));
    String rv = server.resourceVersion();
    a.tell(new Stop());
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    events.expectTerminated(a);
    List<ApiRequest> rs = server.requestsOf("a");
    ApiRequest release = rs.get(rs.size() - 1);
    assertEquals(Verb.UPDATE, release.getVerb());
    Struct u = body(release);
    assertEquals(rv, rvOf(u));
    assertEquals("", spec(u, "holderIdentity"));
    assertEquals("1", spec(u, "leaseDurationSeconds"));
    assertEquals(micro(s(3)), spec(u, "acquireTime"));
    assertEquals(micro(s(3)), spec(u, "renewTime"));
    assertEquals("0", spec(u, "leaseTransitions"));
    assertEquals("", server.record().holder());
  }

  @Test
  void aReleasedLeaseIsTakenOnTheFollowersNextAttempt() {
    TestProbe<Event> ea = testKit.createTestProbe();
    TestProbe<Event> eb = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", true), ea, fixed(0));
    ActorRef<LeaderElection.Command> b = elector("b", config("node-b", true), eb, fixed(0));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-a"), eb.receiveMessage());
    advanceTo(s(1));
    a.tell(new Stop());
    ea.expectTerminated(a);
    electors.remove("a");
    advanceTo(s(1.999));
    eb.expectNoMessage(Duration.ofMillis(20));
    advanceTo(s(2));
    assertEquals(new NewLeader(NS + "/" + LEASE, "node-b"), eb.receiveMessage(), "no NewLeader(\"\"): "
        + "b read the released record and took it in one attempt");
    assertEquals(new StartedLeading(NS + "/" + LEASE), eb.receiveMessage());
    assertEquals("1", spec(server.lease(), "leaseTransitions"));
    assertTrue(status(b).leading());
  }

  @Test
  void withoutReleaseOnCancelStopWritesNothing() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", false), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    int before = server.requests().size();
    a.tell(new Stop());
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    events.expectTerminated(a);
    assertEquals(before, server.requests().size());
    assertEquals("node-a", server.record().holder());
  }

  @Test
  void aFollowerStopsWithoutCallbacksOrWrites() {
    server.put(LeaseServer.held("node-x", 15, T0, 0));
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> b = elector("b", config("node-b", true), events, fixed(0));
    events.receiveMessage();
    b.tell(new Stop());
    events.expectTerminated(b);
    events.expectNoMessage(Duration.ofMillis(20));
    assertEquals(List.of(Verb.GET), verbs("b"));
  }

  @Test
  void aLeaderStoppedByItsParentTellsItsOwner() {
    TestProbe<Event> events = testKit.createTestProbe();
    ActorRef<LeaderElection.Command> a = elector("a", config("node-a", true), events, fixed(0));
    events.receiveMessage();
    events.receiveMessage();
    testKit.stop(a);
    electors.remove("a");
    assertEquals(new StoppedLeading(NS + "/" + LEASE), events.receiveMessage());
    assertEquals("node-a", server.record().holder(), "no release from a stopped actor");
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void configurationIsValidatedWithClientGosMessages() {
    Duration s15 = Duration.ofSeconds(15);
    Duration s10 = Duration.ofSeconds(10);
    Duration s2 = Duration.ofSeconds(2);
    assertEquals("leaseDuration must be greater than renewDeadline", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", s10, s10, s2, false)).getMessage());
    assertEquals("renewDeadline must be greater than retryPeriod*JitterFactor",
        assertThrows(IllegalArgumentException.class,
            () -> new Config(NS, LEASE, "a", s15, Duration.ofMillis(2400), s2, false)).getMessage());
    new Config(NS, LEASE, "a", s15, Duration.ofMillis(2401), s2, false);
    assertEquals("leaseDuration must be greater than renewDeadline", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", Duration.ZERO, Duration.ZERO, Duration.ZERO, false)).getMessage(),
        "client-go checks the order before the signs");
    assertEquals("renewDeadline must be greater than zero", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", s15, Duration.ZERO, Duration.ofSeconds(-1), false)).getMessage());
    assertEquals("leaseDuration must be greater than zero", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", Duration.ZERO, Duration.ofSeconds(-1), Duration.ofSeconds(-1), false))
            .getMessage());
    assertEquals("retryPeriod must be greater than zero", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", s15, s10, Duration.ZERO, false)).getMessage());
    assertEquals("renewDeadline must be greater than zero", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "a", s15, Duration.ofSeconds(-1), Duration.ofSeconds(-2), false)).getMessage());
    assertEquals("Lock identity is empty", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, "", s15, s10, s2, false)).getMessage());
    assertEquals("Lock identity is empty", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, LEASE, null, s15, s10, s2, false)).getMessage());
    assertEquals("the Lease's namespace and name must not be empty", assertThrows(IllegalArgumentException.class,
        () -> new Config(NS, "", "a", s15, s10, s2, false)).getMessage());
    assertEquals("the Lease's namespace and name must not be empty", assertThrows(IllegalArgumentException.class,
        () -> new Config(null, LEASE, "a", s15, s10, s2, false)).getMessage());
    assertEquals("leaseDuration, renewDeadline and retryPeriod must be set",
        assertThrows(IllegalArgumentException.class, () -> new Config(NS, LEASE, "a", null, s10, s2, false))
            .getMessage());
    assertEquals("leaseDuration must be at least 1s (Lease.spec.leaseDurationSeconds is whole seconds)",
        assertThrows(IllegalArgumentException.class, () -> new Config(NS, LEASE, "a", Duration.ofMillis(900),
            Duration.ofMillis(500), Duration.ofMillis(100), false)).getMessage());
    Config d = Config.defaults(NS, LEASE, "a");
    assertEquals(15, d.leaseDurationSeconds());
    assertEquals(s10, d.renewDeadline());
    assertEquals(s2, d.retryPeriod());
    assertFalse(d.releaseOnCancel());
    assertEquals(3, new Config(NS, LEASE, "a", Duration.ofMillis(3999), Duration.ofSeconds(3), s2, false)
        .leaseDurationSeconds(), "int(LeaseDuration / time.Second)");
  }

  // ------------------------------------------------------------------ safety

  /**
   * Three electors over two simulated minutes in 500 ms steps, with seeded jitter and electors
   * cut off from the API server (500s) for random spells: after every step at most one believes
   * it leads, and the one that does is the Lease's holder.
   */
  @Test
  void neverTwoLeadersAtOnce() {
    Map<String, Queue<Event>> seen = new LinkedHashMap<>();
    SplittableRandom seeds = new SplittableRandom(20250809);
    for (String n : List.of("a", "b", "c")) {
      Queue<Event> q = new ConcurrentLinkedQueue<>();
      seen.put(n, q);
      ActorRef<Event> collector = testKit.spawn(Behaviors.receiveMessage(e -> {
        q.add(e);
        return Behaviors.same();
      }));
      electors.put(n, testKit.spawn(LeaderElection.create(config("node-" + n, n.equals("c")), collector,
          T0.toEpochMilli(), seeds.split()), n));
    }
    settle();
    SplittableRandom faults = new SplittableRandom(7);
    Map<String, Long> cutUntil = new LinkedHashMap<>();
    List<String> leaders = new ArrayList<>();
    int stepsWithALeader = 0;
    for (long t = 500; t <= 120_000; t += 500) {
      if (t % 5_000 == 0 && faults.nextBoolean()) {
        // Mostly the holder, so that leaders lose the API server long enough to step down.
        LeaseRecord held = server.record();
        String victim = held != null && !held.holder().isEmpty() && faults.nextInt(4) != 0
            ? held.holder().substring("node-".length()) : List.of("a", "b", "c").get(faults.nextInt(3));
        cutUntil.put(victim, t + 2_000L * faults.nextInt(1, 12));
        server.fault(victim, LeaseServer.Fault.ERROR);
      }
      for (Map.Entry<String, Long> c : List.copyOf(cutUntil.entrySet())) {
        if (c.getValue() <= t) {
          server.fault(c.getKey(), null);
          cutUntil.remove(c.getKey());
        }
      }
      advance(Duration.ofMillis(500));
      List<String> leading = new ArrayList<>();
      for (Map.Entry<String, ActorRef<LeaderElection.Command>> e : electors.entrySet()) {
        if (status(e.getValue()).leading()) {
          leading.add("node-" + e.getKey());
        }
      }
      assertTrue(leading.size() <= 1, "two leaders at " + t + " ms: " + leading);
      if (!leading.isEmpty()) {
        stepsWithALeader++;
        LeaseRecord r = server.record();
        assertNotNull(r);
        assertEquals(leading.get(0), r.holder(), "the leader at " + t + " ms holds the Lease");
        if (leaders.isEmpty() || !leaders.get(leaders.size() - 1).equals(leading.get(0))) {
          leaders.add(leading.get(0));
        }
      }
    }
    // The faults must have moved the leadership at least once; how often depends on when each
    // elector's retries land between the 500 ms steps, which a loaded machine shifts (CI saw 2).
    assertTrue(leaders.size() >= 2, "leadership changed hands: " + leaders);
    assertTrue(stepsWithALeader > 120, "a leader most of the time: " + stepsWithALeader + " of 240 steps");
    // Each elector's callbacks alternate Started/Stopped.
    for (Queue<Event> q : seen.values()) {
      boolean leadingNow = false;
      for (Event e : q) {
        if (e instanceof StartedLeading) {
          assertFalse(leadingNow);
          leadingNow = true;
        } else if (e instanceof StoppedLeading) {
          assertTrue(leadingNow);
          leadingNow = false;
        }
      }
    }
  }
}
