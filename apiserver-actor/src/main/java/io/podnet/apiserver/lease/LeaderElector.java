package io.podnet.apiserver.lease;

import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The pure core of a leader-election client, with client-go's semantics, driven by its owner
 * (an actor) with the time. It never performs I/O: each method returns the next {@link Action}
 * (read the lease, write it through the arbiter, release it, or wait until a time), and the owner
 * reports the answer back.
 *
 * <p>One attempt is client-go's {@code tryAcquireOrRenew}: a leader whose view of the lease is
 * still valid writes at once on the version it last wrote (the fast path); otherwise the client
 * reads the lease, and unless someone else holds it and it has not expired, writes on the version
 * it just read. Expiry is judged, as in client-go, from {@code observedTime}: when this client last
 * saw the lease record change, by its own clock, plus the lease's leaseDurationSeconds.
 *
 * <p>A follower attempts immediately and then every {@code retryPeriod * (1 + r * 1.2)}, r drawn
 * from the injected random source (wait.JitterUntil). A leader attempts every {@code retryPeriod}
 * and believes it leads until {@code renewDeadline} after it sent its last successful write; when
 * that passes it steps down. Client-go counts renewDeadline from the start of the failing retry
 * round, up to a retryPeriod later; counting from the last successful request keeps the leader's
 * belief strictly inside the lease the server granted (renewTime is stamped no earlier than the
 * request was sent, and no one else may acquire before renewTime + leaseDuration &gt;
 * sent + renewDeadline). After stepping down the client goes on as a follower.
 *
 * <p>Callbacks run synchronously inside these methods: {@code onNewLeader} each time the observed
 * holder differs from the last one reported (client-go's maybeReportTransition, called before
 * {@code onStartedLeading}), {@code onStartedLeading} and {@code onStoppedLeading} on each change of
 * role. Not thread-safe.
 */
public final class LeaderElector {

  /** Callbacks of client-go's LeaderCallbacks. */
  public interface Callbacks {
    void onStartedLeading();

    void onStoppedLeading();

    void onNewLeader(String identity);
  }

  public enum Role {
    FOLLOWER,
    LEADER,
    STOPPED
  }

  /** What the owner must do next. */
  public sealed interface Action {}

  /** Read the lease; answer with {@link #onGetResult}. */
  public record Get() implements Action {}

  /**
   * Ask the arbiter to acquire or renew for this identity with this duration, conditional on
   * {@code expectedResourceVersion} ("" for a lease this client found missing: a create); answer
   * with {@link #onWriteResult}.
   */
  public record TryAcquireOrRenew(String expectedResourceVersion, int leaseDurationSeconds) implements Action {}

  /** Ask the arbiter to release, conditional on {@code expectedResourceVersion}; no answer needed. */
  public record Release(String expectedResourceVersion) implements Action {}

  /** Call {@link #onTimer} at {@code atMillis}. */
  public record WaitUntil(long atMillis) implements Action {}

  /** A request is outstanding: wait for its answer (or call {@link #onTimer} at a deadline). */
  public record AwaitReply(long leadershipDeadlineMillis) implements Action {}

  /** Stopped: nothing more to do. */
  public record Done() implements Action {}

  private enum Pending {
    NONE,
    GET,
    WRITE
  }

  private final LeaderElectionConfig config;
  private final long retryMillis;
  private final long renewDeadlineMillis;
  private final RandomGenerator random;
  private final Callbacks callbacks;

  private Role role = Role.FOLLOWER;
  private Pending pending = Pending.NONE;
  private boolean fastPath;
  private long attemptStartedAt;
  private long nextAttemptAt;
  /** Valid while LEADER: the time this client stops believing it leads. */
  private long leadershipDeadline;

  private LeaseSpec observed = LeaseSpec.EMPTY;
  private long observedTime = Long.MIN_VALUE;
  /** The resourceVersion of the latest version read or written, "" when none yet. */
  private String latestResourceVersion = "";
  private String reportedLeader = "";

  public LeaderElector(LeaderElectionConfig config, RandomGenerator random, Callbacks callbacks) {
    this.config = Objects.requireNonNull(config, "config");
    this.random = Objects.requireNonNull(random, "random");
    this.callbacks = Objects.requireNonNull(callbacks, "callbacks");
    this.retryMillis = config.retryPeriod().toMillis();
    this.renewDeadlineMillis = config.renewDeadline().toMillis();
  }

  public Role role() {
    return role;
  }

  public String identity() {
    return config.identity();
  }

  /** True when this client believes it leads at {@code now}. */
  public boolean isLeader(long now) {
    return role == Role.LEADER && now < leadershipDeadline;
  }

  /** The last observed holder ("" when none), client-go's GetLeader. */
  public String observedLeader() {
    return observed.holder();
  }

  /** Starts the election: the first attempt is immediate. */
  public Action start(long now) {
    checkNotStopped();
    return beginAttempt(now);
  }

  /** A timer the owner set for a {@link WaitUntil} or {@link AwaitReply} deadline fired. */
  public Action onTimer(long now) {
    if (role == Role.STOPPED) {
      return new Done();
    }
    checkDeadline(now);
    if (pending != Pending.NONE) {
      return new AwaitReply(role == Role.LEADER ? leadershipDeadline : Long.MAX_VALUE);
    }
    if (now >= nextAttemptAt) {
      return beginAttempt(now);
    }
    return waitAction();
  }

  /** The answer to {@link Get}: the lease, or empty when it does not exist. */
  public Action onGetResult(long now, Optional<Lease> lease) {
    if (role == Role.STOPPED) {
      return new Done();
    }
    expect(Pending.GET);
    pending = Pending.NONE;
    checkDeadline(now);
    if (lease.isEmpty()) {
      latestResourceVersion = "";
      return write();
    }
    observe(lease.get(), now);
    maybeReportTransition();
    if (!observed.holder().isEmpty() && isLeaseValid(now) && !observed.holder().equals(config.identity())) {
      return attemptFailed(now);
    }
    return write();
  }

  /**
   * The answer to {@link TryAcquireOrRenew}.
   *
   * @param outcome the arbiter's answer; a Failed one (a timeout, a Conflict) is a failed write
   */
  public Action onWriteResult(long now, LeaseOutcome outcome) {
    if (role == Role.STOPPED) {
      return new Done();
    }
    expect(Pending.WRITE);
    pending = Pending.NONE;
    checkDeadline(now);
    if (outcome.wrote()) {
      Lease written = outcome.lease();
      observed = written.spec();
      observedTime = now;
      latestResourceVersion = written.resourceVersion();
      maybeReportTransition();
      return attemptSucceeded(now);
    }
    if (outcome.lease() != null) {
      observe(outcome.lease(), now);
      maybeReportTransition();
    }
    if (fastPath) {
      fastPath = false;
      pending = Pending.GET;
      return new Get();
    }
    return attemptFailed(now);
  }

  /**
   * Stops the client. A leader steps down (onStoppedLeading) and, when the last observed record
   * names it, the owner must send the returned {@link Release}.
   */
  public Action stop(long now) {
    if (role == Role.STOPPED) {
      return new Done();
    }
    boolean wasLeader = role == Role.LEADER;
    role = Role.STOPPED;
    pending = Pending.NONE;
    if (wasLeader) {
      callbacks.onStoppedLeading();
    }
    if (observed.holder().equals(config.identity()) && !latestResourceVersion.isEmpty()) {
      return new Release(latestResourceVersion);
    }
    return new Done();
  }

  // ---------------------------------------------------------------- internals

  private Action beginAttempt(long now) {
    attemptStartedAt = now;
    if (role == Role.LEADER && isLeaseValid(now) && !latestResourceVersion.isEmpty()) {
      fastPath = true;
      return write();
    }
    fastPath = false;
    pending = Pending.GET;
    return new Get();
  }

  private Action write() {
    pending = Pending.WRITE;
    return new TryAcquireOrRenew(latestResourceVersion, config.leaseDurationSeconds());
  }

  private Action attemptSucceeded(long now) {
    long deadline = attemptStartedAt + renewDeadlineMillis;
    if (now < deadline) {
      leadershipDeadline = deadline;
      if (role == Role.FOLLOWER) {
        role = Role.LEADER;
        callbacks.onStartedLeading();
      }
    }
    nextAttemptAt = now + retryMillis; // wait.Until(renew, RetryPeriod): no jitter
    return waitAction();
  }

  private Action attemptFailed(long now) {
    nextAttemptAt = role == Role.LEADER ? now + retryMillis : now + jittered();
    return waitAction();
  }

  /** wait.Jitter(retryPeriod, JitterFactor): retryPeriod + rand[0,1) * 1.2 * retryPeriod. */
  private long jittered() {
    return retryMillis + (long) (random.nextDouble() * LeaderElectionConfig.JITTER_FACTOR * retryMillis);
  }

  private Action waitAction() {
    long at = role == Role.LEADER ? Math.min(nextAttemptAt, leadershipDeadline) : nextAttemptAt;
    return new WaitUntil(at);
  }

  private void checkDeadline(long now) {
    if (role == Role.LEADER && now >= leadershipDeadline) {
      role = Role.FOLLOWER;
      callbacks.onStoppedLeading();
      if (pending == Pending.NONE) {
        nextAttemptAt = Math.min(nextAttemptAt, now + jittered());
      }
    }
  }

  /** client-go: observedTime moves only when the record differs from the one last observed. */
  private void observe(Lease lease, long now) {
    latestResourceVersion = lease.resourceVersion();
    if (!lease.spec().equals(observed)) {
      observed = lease.spec();
      observedTime = now;
    }
  }

  /** client-go's isLeaseValid: observedTime + observed leaseDurationSeconds is after now. */
  private boolean isLeaseValid(long now) {
    if (observedTime == Long.MIN_VALUE) {
      return false;
    }
    long seconds = observed.leaseDurationSeconds() == null ? 0 : observed.leaseDurationSeconds();
    return observedTime + seconds * 1000 > now;
  }

  private void maybeReportTransition() {
    if (observed.holder().equals(reportedLeader)) {
      return;
    }
    reportedLeader = observed.holder();
    callbacks.onNewLeader(reportedLeader);
  }

  private void expect(Pending p) {
    if (pending != p) {
      throw new IllegalStateException("answer to " + p + " while " + pending + " is pending");
    }
  }

  private void checkNotStopped() {
    if (role == Role.STOPPED) {
      throw new IllegalStateException("stopped");
    }
  }
}
