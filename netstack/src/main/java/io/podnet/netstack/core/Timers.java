package io.podnet.netstack.core;

/**
 * Time inside a host's core: the lab clock in microseconds, and one-shot deadlines. The core never
 * reads a clock of its own; the host actor drives a {@link TimerQueue} from the actor system's
 * scheduler (so tests run on ManualTime).
 */
public interface Timers {
  /** The lab clock, microseconds since the lab started. */
  long nowMicros();

  /** Runs {@code task} once at {@code atMicros} (at once if that is not in the future). */
  Timer at(long atMicros, Runnable task);

  default Timer after(long delayMicros, Runnable task) {
    return at(nowMicros() + delayMicros, task);
  }

  /** A scheduled task; cancelling a task that ran or was cancelled does nothing. */
  interface Timer {
    void cancel();

    boolean active();
  }
}
