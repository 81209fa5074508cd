package io.podnet.node.leader;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.netstack.actor.LabClock;
import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A leader-election client for node agents, with the semantics of client-go's
 * {@code tools/leaderelection} over a coordination.k8s.io/v1 Lease, talking to the API server
 * through a {@link KubeClient} child (GET, CREATE, UPDATE conditional on resourceVersion).
 *
 * <p><b>Acquiring.</b> One attempt is client-go's {@code tryAcquireOrRenew}: a leader whose view is
 * still valid updates the Lease it last wrote at once (the fast path, conditional on that
 * version); otherwise the client reads the Lease, creates it when it is missing (404), and unless
 * someone else holds it and it has not expired, updates it conditional on the resourceVersion it
 * just read. Expiry is judged as client-go judges it: from the <em>observed</em> time, when this
 * client last saw the record change (by its own clock, the {@link LabClock}), plus the record's
 * leaseDurationSeconds; never from the renewTime written in the Lease. "Changed" is client-go's
 * comparison of the JSON LeaderElectionRecord, whose times have whole seconds. A follower attempts
 * at once and then, after each failed attempt, waits {@code retryPeriod * (1 + r * 1.2)}
 * (wait.JitterUntil, {@link #JITTER_FACTOR}).
 *
 * <p><b>Leading.</b> A leader renews in rounds (wait.Until every retryPeriod, sliding): a round
 * tries at once and then on a retryPeriod ticker until it succeeds or {@code renewDeadline} after
 * the round started has passed; then the client steps down, abandoning a request still in flight
 * (client-go cancels it with the round's context). After stepping down it releases the Lease when
 * {@code releaseOnCancel} is set and the record it last saw names it (client-go's {@code release}:
 * holderIdentity "", leaseDurationSeconds 1, acquireTime and renewTime now, leaseTransitions kept),
 * and then runs the election again, as an agent that loops on {@code LeaderElector.Run} does,
 * keeping what it observed.
 *
 * <p><b>Callbacks</b> arrive as {@link Event}s at the {@link ActorRef} given at start:
 * {@link NewLeader} each time the observed holder differs from the last one reported, "" included
 * (client-go's maybeReportTransition: after each acquire attempt, after each renew round), then
 * {@link StartedLeading}; {@link StoppedLeading} when leadership ends: at the renew deadline, when
 * {@link Stop} arrives (before the release is written: the leader's context is cancelled first), or
 * when the actor is stopped by its parent. Unlike client-go's Run, which calls OnStoppedLeading on
 * every return, StoppedLeading is sent only to end a StartedLeading.
 *
 * <p>Times written in the Lease are metav1.MicroTime of lab wall time: {@code wallClockAtStart}
 * plus the lab clock, as the kubelet and the API server compute it. The client never reads the
 * wall clock; every wait is a timer, so it runs under ManualTime.
 *
 * <p><b>Serialization.</b> {@link Stop}, {@link GetLeader}, {@link Leader} and the {@link Event}s
 * are {@link KryoMessage}s registered by {@link LeaderElectionKryo} (ids 3100-3105): the owner
 * may live in another JVM. The private messages (answers of the KubeClient child, timer ticks)
 * never leave this actor and are {@link NoSerializationVerificationNeeded}.
 */
public final class LeaderElection extends AbstractBehavior<LeaderElection.Command> {

  /** client-go's leaderelection.JitterFactor. */
  public static final double JITTER_FACTOR = 1.2;

  // ================================================================== configuration

  /**
   * What to elect on and how, with client-go's meaning: followers wait a full {@code leaseDuration}
   * without seeing the record change before taking over; the leader gives up when a renew round
   * has not succeeded within {@code renewDeadline}; everyone retries every {@code retryPeriod}.
   *
   * @param namespace       the Lease's namespace
   * @param name            the Lease's name
   * @param identity        this candidate's holderIdentity
   * @param releaseOnCancel release the Lease when leadership ends (client-go's ReleaseOnCancel)
   */
  public record Config(String namespace, String name, String identity, Duration leaseDuration,
      Duration renewDeadline, Duration retryPeriod, boolean releaseOnCancel) {

    /**
     * Validates up front, as client-go's NewLeaderElector does.
     *
     * @throws IllegalArgumentException with the first rule broken, in client-go's order and words
     */
    public Config {
      Optional<String> error = check(namespace, name, identity, leaseDuration, renewDeadline, retryPeriod);
      if (error.isPresent()) {
        throw new IllegalArgumentException(error.get());
      }
    }

    /** Core clients' defaults: 15 s, 10 s, 2 s, no release. */
    public static Config defaults(String namespace, String name, String identity) {
      return new Config(namespace, name, identity, Duration.ofSeconds(15), Duration.ofSeconds(10),
          Duration.ofSeconds(2), false);
    }

    /** The first rule the arguments break, with client-go's message; empty when valid. */
    public static Optional<String> check(String namespace, String name, String identity, Duration leaseDuration,
        Duration renewDeadline, Duration retryPeriod) {
      if (leaseDuration == null || renewDeadline == null || retryPeriod == null) {
        return Optional.of("leaseDuration, renewDeadline and retryPeriod must be set");
      }
      long ld = leaseDuration.toNanos();
      long rd = renewDeadline.toNanos();
      long rp = retryPeriod.toNanos();
      if (ld <= rd) {
        return Optional.of("leaseDuration must be greater than renewDeadline");
      }
      if (rd <= (long) (JITTER_FACTOR * (double) rp)) {
        return Optional.of("renewDeadline must be greater than retryPeriod*JitterFactor");
      }
      if (ld < 1) {
        return Optional.of("leaseDuration must be greater than zero");
      }
      if (rd < 1) {
        return Optional.of("renewDeadline must be greater than zero");
      }
      if (rp < 1) {
        return Optional.of("retryPeriod must be greater than zero");
      }
      if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
        // Where client-go checks that it has a Lock; a LeaseLock needs its namespace and name.
        return Optional.of("the Lease's namespace and name must not be empty");
      }
      if (identity == null || identity.isEmpty()) {
        return Optional.of("Lock identity is empty");
      }
      // Not in client-go, where it fails later: spec.leaseDurationSeconds is int(LeaseDuration /
      // time.Second) and the API server refuses 0.
      if (leaseDuration.getSeconds() < 1) {
        return Optional.of("leaseDuration must be at least 1s (Lease.spec.leaseDurationSeconds is whole seconds)");
      }
      return Optional.empty();
    }

    /** What the client writes in spec.leaseDurationSeconds: int(LeaseDuration / time.Second). */
    public int leaseDurationSeconds() {
      return (int) Math.min(Integer.MAX_VALUE, leaseDuration.getSeconds());
    }

    /** "namespace/name", client-go's Describe(). */
    public String describe() {
      return namespace + "/" + name;
    }
  }

  // ================================================================== protocol

  /** What the elector accepts. */
  public sealed interface Command {}

  /**
   * Cancels the election (client-go's cancelled context): a leader steps down (StoppedLeading),
   * releases the Lease if configured to, and the actor stops once the release is answered.
   */
  public record Stop() implements Command, KryoMessage {}

  /** Asks for the elector's view; answered with {@link Leader}. */
  public record GetLeader(ActorRef<Leader> replyTo) implements Command, KryoMessage {
    public GetLeader {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * The elector's view.
   *
   * @param lease          "namespace/name"
   * @param identity       this elector's identity
   * @param observedLeader the holder in the record it last observed, client-go's GetLeader ("" for none)
   * @param leading        true between StartedLeading and StoppedLeading
   * @param requesting     true while a request to the API server is outstanding
   */
  public record Leader(String lease, String identity, String observedLeader, boolean leading, boolean requesting)
      implements KryoMessage {}

  /** The callbacks, as messages to the owner; {@code lease} is "namespace/name". */
  public sealed interface Event extends KryoMessage {
    String lease();
  }

  /** client-go's OnStartedLeading: this elector now leads. */
  public record StartedLeading(String lease) implements Event {}

  /** client-go's OnStoppedLeading: this elector no longer leads; stop acting as leader now. */
  public record StoppedLeading(String lease) implements Event {}

  /** client-go's OnNewLeader: the observed holder changed ("" when the Lease was released). */
  public record NewLeader(String lease, String identity) implements Event {}

  private sealed interface Internal extends Command, NoSerializationVerificationNeeded {}

  /** The KubeClient's answer to a request of attempt {@code epoch}. */
  private record Answered(long epoch, KubeClient.Result result) implements Internal {}

  private enum Tick implements Internal {
    /** The next acquire attempt, renew round, or retry within a round. */
    NEXT,
    /** The renew round's deadline. */
    DEADLINE
  }

  // ================================================================== creation

  /**
   * @param events           where the callbacks go
   * @param wallClockAtStart epoch milliseconds when the lab started; Lease times are that plus the
   *                         lab clock, as the API server computes its own
   */
  public static Behavior<Command> create(Config config, ActorRef<Event> events, long wallClockAtStart) {
    return create(config, events, wallClockAtStart, new SplittableRandom(config.identity().hashCode()));
  }

  /** As {@link #create(Config, ActorRef, long)}, with the jitter drawn from {@code random}. */
  public static Behavior<Command> create(Config config, ActorRef<Event> events, long wallClockAtStart,
      RandomGenerator random) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(random, "random");
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new LeaderElection(ctx, timers, config, events, wallClockAtStart, random)));
  }

  private enum Phase {
    ACQUIRING,
    LEADING,
    /** Stepped down at the renew deadline; the release is in flight. */
    RELEASING,
    /** Stop arrived; the release is in flight. */
    STOPPING
  }

  /** Where the attempt in flight is. */
  private enum Stage {
    NONE,
    FAST_UPDATE,
    GET,
    CREATE,
    UPDATE,
    RELEASE
  }

  private final Config config;
  private final ActorRef<Event> events;
  private final long wallClockAtStart;
  private final RandomGenerator random;
  private final TimerScheduler<Command> timers;
  private final LabClock clock;
  private final ActorRef<KubeClient.Command> client;
  private final Duration askTimeout;
  private final long retryMicros;
  private final long renewDeadlineMicros;

  private Phase phase = Phase.ACQUIRING;
  /** client-go's observedRecord and observedTime (lab micros; MIN_VALUE is the zero time). */
  private LeaseRecord observed = LeaseRecord.EMPTY;
  private long observedTime = Long.MIN_VALUE;
  /** client-go's observedRawRecord: the raw record of the last Get whose record changed; null for none. */
  private LeaseRecord observedRaw;
  private String reportedLeader = "";
  /** client-go's ll.lease: the Lease object last read or written (with its resourceVersion); null for none. */
  private Struct lease;

  /** Answers of older attempts are dropped. */
  private long epoch;
  private Stage stage = Stage.NONE;
  /** The attempt's start (lab micros) and the record it writes. */
  private long attemptNow;
  private LeaseRecord writing;

  /** The renew round: its start and how many attempts it has made. */
  private long roundStart;
  private int roundAttempts;

  private LeaderElection(ActorContext<Command> ctx, TimerScheduler<Command> timers, Config config,
      ActorRef<Event> events, long wallClockAtStart, RandomGenerator random) {
    super(ctx);
    this.config = config;
    this.events = events;
    this.wallClockAtStart = wallClockAtStart;
    this.random = random;
    this.timers = timers;
    this.clock = LabClock.get(ctx.getSystem());
    // client-go's renew cancels a request at the round's deadline; acquiring, a request that never
    // comes back must fail too: each request times out after renewDeadline.
    this.client = ctx.spawn(KubeClient.create(config.renewDeadline()), "kube-client");
    this.askTimeout = config.renewDeadline().plusSeconds(1);
    this.retryMicros = micros(config.retryPeriod());
    this.renewDeadlineMicros = micros(config.renewDeadline());
    ctx.getLog().debug("attempting to acquire leader lease {}...", config.describe());
    startAttempt();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Answered.class, this::onAnswered)
        .onMessageEquals(Tick.NEXT, this::onNext)
        .onMessageEquals(Tick.DEADLINE, this::onDeadline)
        .onMessage(Stop.class, s -> onStop())
        .onMessage(GetLeader.class, this::onGetLeader)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  // ================================================================== tryAcquireOrRenew

  private void startAttempt() {
    attemptNow = now();
    Instant t = wallTime(attemptNow);
    LeaseRecord desired = new LeaseRecord(config.identity(), config.leaseDurationSeconds(), t, t, 0);
    // 1. The leader's fast path: update the Lease it last wrote, assuming it is still current.
    if (isLeader() && isLeaseValid(attemptNow) && lease != null) {
      send(Stage.FAST_UPDATE, desired.withAcquireTime(observed.acquireTime()).withTransitions(observed.transitions()));
      return;
    }
    // 2. Read it.
    send(Stage.GET, desired);
  }

  /** Sends the request of stage {@code s}; {@code record} is what the attempt writes. */
  private void send(Stage s, LeaseRecord record) {
    stage = s;
    writing = record;
    KubeClient.Request r = switch (s) {
      case GET -> KubeClient.Request.get(KubeResource.LEASES, config.namespace(), config.name());
      case CREATE -> KubeClient.Request.create(KubeResource.LEASES, newLease(record));
      case FAST_UPDATE, UPDATE, RELEASE -> KubeClient.Request.update(KubeResource.LEASES, withSpec(lease, record));
      case NONE -> throw new IllegalArgumentException("no request for " + s);
    };
    long e = epoch;
    getContext().ask(KubeClient.Result.class, client, askTimeout, replyTo -> new KubeClient.Call(r, replyTo),
        (res, failure) -> new Answered(e, res != null ? res
            : new KubeClient.Result(0, 504, Struct.getDefaultInstance())));
  }

  private Behavior<Command> onAnswered(Answered a) {
    if (a.epoch() != epoch || stage == Stage.NONE) {
      return this; // an abandoned attempt's (cancelled at a deadline, or by Stop)
    }
    KubeClient.Result r = a.result();
    Stage s = stage;
    stage = Stage.NONE;
    switch (s) {
      case FAST_UPDATE -> {
        if (r.ok()) {
          lease = r.body();
          setObserved(writing);
          return attemptDone(true);
        }
        getContext().getLog().debug("lease {}: optimistic update failed ({} {}), falling back to the slow path",
            config.describe(), r.code(), r.message());
        // As client-go, the slow path goes on with the record the fast path tried.
        send(Stage.GET, writing);
        return this;
      }
      case GET -> {
        return onGot(r);
      }
      case CREATE, UPDATE -> {
        if (r.ok()) {
          lease = r.body();
          setObserved(writing);
          return attemptDone(true);
        }
        if (s == Stage.CREATE) {
          lease = null;
        }
        getContext().getLog().debug("lease {}: {} failed ({} {})", config.describe(), s, r.code(), r.message());
        return attemptDone(false);
      }
      case RELEASE -> {
        if (r.ok()) {
          lease = r.body();
          setObserved(writing);
        } else {
          getContext().getLog().warn("lease {}: failed to release ({} {})", config.describe(), r.code(), r.message());
        }
        return afterRelease();
      }
      default -> throw new IllegalStateException("answer in stage " + s);
    }
  }

  private Behavior<Command> onGot(KubeClient.Result r) {
    LeaseRecord desired = writing;
    if (r.code() == 404) {
      send(Stage.CREATE, desired);
      return this;
    }
    if (!r.ok()) {
      lease = null;
      getContext().getLog().debug("lease {}: error retrieving it ({} {})", config.describe(), r.code(), r.message());
      return attemptDone(false);
    }
    LeaseRecord old;
    try {
      old = LeaseRecord.fromLease(r.body());
    } catch (IllegalArgumentException e) {
      lease = null;
      getContext().getLog().warn("lease {}: cannot read it: {}", config.describe(), e.getMessage());
      return attemptDone(false);
    }
    lease = r.body();
    // 3. Observe the record: observedTime moves only when it changed.
    LeaseRecord raw = old.raw();
    if (!raw.equals(observedRaw)) {
      setObserved(old);
      observedRaw = raw;
    }
    if (!old.holder().isEmpty() && isLeaseValid(attemptNow) && !isLeader()) {
      return attemptDone(false); // held by another and not expired
    }
    // 4. Acquire (one more transition) or renew (keep acquireTime and transitions).
    LeaseRecord next = isLeader() ? desired.withAcquireTime(old.acquireTime()).withTransitions(old.transitions())
        : desired.withTransitions(old.transitions() + 1);
    send(Stage.UPDATE, next);
    return this;
  }

  // ================================================================== the loops

  private Behavior<Command> attemptDone(boolean succeeded) {
    if (phase == Phase.ACQUIRING) {
      maybeReportTransition();
      if (succeeded) {
        getContext().getLog().debug("successfully acquired lease {}", config.describe());
        phase = Phase.LEADING;
        events.tell(new StartedLeading(config.describe()));
        startRound();
      } else {
        timers.startSingleTimer(Tick.NEXT, Tick.NEXT, Duration.ofNanos(jitteredMicros() * 1000));
      }
      return this;
    }
    if (phase == Phase.LEADING) {
      if (succeeded) {
        timers.cancel(Tick.DEADLINE);
        maybeReportTransition();
        timers.startSingleTimer(Tick.NEXT, Tick.NEXT, config.retryPeriod());
      } else {
        // The round's ticker: tries on roundStart + k * retryPeriod; a tick missed while a request
        // was out fires at once. No try at or after the deadline (its context is done).
        long next = Math.max(roundStart + (long) roundAttempts * retryMicros, now());
        if (next < roundStart + renewDeadlineMicros) {
          timers.startSingleTimer(Tick.NEXT, Tick.NEXT, Duration.ofNanos((next - now()) * 1000));
        }
      }
    }
    return this;
  }

  private Behavior<Command> onNext() {
    if (phase == Phase.ACQUIRING) {
      startAttempt();
    } else if (phase == Phase.LEADING) {
      if (!timers.isTimerActive(Tick.DEADLINE)) {
        startRound();
      } else {
        roundAttempts++;
        startAttempt();
      }
    }
    return this;
  }

  private void startRound() {
    roundStart = now();
    roundAttempts = 1;
    timers.startSingleTimer(Tick.DEADLINE, Tick.DEADLINE, config.renewDeadline());
    startAttempt();
  }

  /** The round did not succeed within renewDeadline: step down. */
  private Behavior<Command> onDeadline() {
    if (phase != Phase.LEADING) {
      return this;
    }
    epoch++;
    stage = Stage.NONE;
    timers.cancel(Tick.NEXT);
    maybeReportTransition();
    getContext().getLog().info("lease {}: failed to renew within {}, stepping down", config.describe(),
        config.renewDeadline());
    phase = Phase.RELEASING;
    events.tell(new StoppedLeading(config.describe()));
    if (!release()) {
      return afterRelease();
    }
    return this;
  }

  /** client-go's release: only when the record it last saw names this elector. */
  private boolean release() {
    if (!config.releaseOnCancel() || !isLeader() || lease == null) {
      return false;
    }
    Instant t = wallTime(now());
    send(Stage.RELEASE, new LeaseRecord("", 1, t, t, observed.transitions()));
    return true;
  }

  private Behavior<Command> afterRelease() {
    if (phase == Phase.STOPPING) {
      return Behaviors.stopped();
    }
    // Run again, as an agent looping on LeaderElector.Run does: the first attempt is immediate.
    phase = Phase.ACQUIRING;
    epoch++;
    startAttempt();
    return this;
  }

  private Behavior<Command> onStop() {
    if (phase == Phase.STOPPING) {
      return this;
    }
    timers.cancelAll();
    if (phase == Phase.RELEASING && stage == Stage.RELEASE) {
      phase = Phase.STOPPING; // let the release in flight finish
      return this;
    }
    boolean leading = phase == Phase.LEADING;
    epoch++;
    stage = Stage.NONE;
    phase = Phase.STOPPING;
    if (leading) {
      events.tell(new StoppedLeading(config.describe()));
      if (release()) {
        return this;
      }
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    if (phase == Phase.LEADING) {
      events.tell(new StoppedLeading(config.describe()));
    }
    return this;
  }

  private Behavior<Command> onGetLeader(GetLeader g) {
    g.replyTo().tell(new Leader(config.describe(), config.identity(), observed.holder(), phase == Phase.LEADING,
        stage != Stage.NONE));
    return this;
  }

  // ================================================================== observation

  /** client-go's IsLeader: the last observed record names this elector. */
  private boolean isLeader() {
    return observed.holder().equals(config.identity());
  }

  /** client-go's isLeaseValid: observedTime + the observed leaseDurationSeconds is after now. */
  private boolean isLeaseValid(long nowMicros) {
    return observedTime != Long.MIN_VALUE && observedTime + observed.leaseDurationSeconds() * 1_000_000L > nowMicros;
  }

  private void setObserved(LeaseRecord r) {
    observed = r;
    observedTime = now();
  }

  private void maybeReportTransition() {
    if (observed.holder().equals(reportedLeader)) {
      return;
    }
    reportedLeader = observed.holder();
    events.tell(new NewLeader(config.describe(), reportedLeader));
  }

  // ================================================================== time and JSON

  private long now() {
    return clock.nowMicros();
  }

  private Instant wallTime(long labMicros) {
    return Instant.ofEpochMilli(wallClockAtStart).plusNanos(labMicros * 1000);
  }

  /** wait.Jitter(retryPeriod, 1.2): retryPeriod + rand[0,1) * 1.2 * retryPeriod. */
  private long jitteredMicros() {
    return retryMicros + (long) (random.nextDouble() * JITTER_FACTOR * retryMicros);
  }

  private static long micros(Duration d) {
    return d.toNanos() / 1000;
  }

  private Struct newLease(LeaseRecord r) {
    Struct meta = Struct.newBuilder().putFields("name", str(config.name()))
        .putFields("namespace", str(config.namespace())).build();
    return Struct.newBuilder().putFields("apiVersion", str(KubeResource.LEASES.apiVersion()))
        .putFields("kind", str("Lease"))
        .putFields("metadata", Value.newBuilder().setStructValue(meta).build())
        .putFields("spec", Value.newBuilder().setStructValue(r.toSpec()).build()).build();
  }

  /** client-go's LeaseLock.Update: the Lease last read or written, its spec replaced. */
  private static Struct withSpec(Struct lease, LeaseRecord r) {
    return lease.toBuilder().putFields("spec", Value.newBuilder().setStructValue(r.toSpec()).build()).build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
