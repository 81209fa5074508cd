package io.podnet.apiserver.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Timings of a leader-election client, with client-go's meaning: a follower waits a full
 * {@code leaseDuration} without seeing the lease change before it tries to take it; the leader
 * gives up when it has not renewed within {@code renewDeadline}; every client tries again each
 * {@code retryPeriod} (followers with jitter up to {@link #JITTER_FACTOR} times more).
 */
public record LeaderElectionConfig(String identity, Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {

  /** client-go's leaderelection.JitterFactor. */
  public static final double JITTER_FACTOR = 1.2;

  /**
   * Validates up front, as client-go's NewLeaderElector does, but reports every error at once.
   *
   * @throws IllegalArgumentException listing every violated rule, separated by "; "
   */
  public LeaderElectionConfig {
    List<String> errors = validate(identity, leaseDuration, renewDeadline, retryPeriod);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
  }

  /** Core clients' defaults: 15 s, 10 s, 2 s. */
  public static LeaderElectionConfig defaults(String identity) {
    return new LeaderElectionConfig(identity, Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
  }

  /** Every rule the timings and identity break, with client-go's messages; empty when valid. */
  public static List<String> validate(String identity, Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    List<String> errors = new ArrayList<>();
    if (leaseDuration == null || renewDeadline == null || retryPeriod == null) {
      errors.add("leaseDuration, renewDeadline and retryPeriod must be set");
    } else {
      long ld = leaseDuration.toNanos();
      long rd = renewDeadline.toNanos();
      long rp = retryPeriod.toNanos();
      if (ld <= rd) {
        errors.add("leaseDuration must be greater than renewDeadline");
      }
      if (rd <= (long) (JITTER_FACTOR * rp)) {
        errors.add("renewDeadline must be greater than retryPeriod*JitterFactor");
      }
      if (ld < 1) {
        errors.add("leaseDuration must be greater than zero");
      }
      if (rd < 1) {
        errors.add("renewDeadline must be greater than zero");
      }
      if (rp < 1) {
        errors.add("retryPeriod must be greater than zero");
      }
      // Not in client-go, where it fails later: Lease.spec.leaseDurationSeconds is whole seconds
      // and must be > 0, so a shorter leaseDuration could never be written.
      if (ld >= 1 && leaseDuration.getSeconds() < 1) {
        errors.add("leaseDuration must be at least 1s (Lease.spec.leaseDurationSeconds is whole seconds)");
      }
    }
    if (identity == null || identity.isEmpty()) {
      errors.add("Lock identity is empty");
    }
    return errors;
  }

  /** What the client writes in spec.leaseDurationSeconds: int(LeaseDuration / time.Second). */
  public int leaseDurationSeconds() {
    return (int) Math.min(Integer.MAX_VALUE, leaseDuration.getSeconds());
  }
}
