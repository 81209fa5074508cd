package io.podnet.netstack.actor;

import java.lang.reflect.Method;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The lab clock: microseconds since the actor system started, read from the actor system's own
 * scheduler clock. In a running lab that is the monotonic clock the scheduler itself runs on; under
 * Pekko's ManualTime it is the manual scheduler's time, so that everything timed (ARP ageing, ping
 * timeouts, lease expiry) moves only when a test says so. Actors never read another clock.
 */
public final class LabClock implements Extension {
  private final Method manual;
  private final Object scheduler;
  private final long origin;
  private final long realtimeOrigin;

  private LabClock(ActorSystem<?> system) {
    this.scheduler = Adapter.toClassic(system).scheduler();
    Method m = null;
    try {
      // org.apache.pekko.testkit.ExplicitlyTriggeredScheduler (ManualTime) exposes its clock.
      m = scheduler.getClass().getMethod("currentTimeMs");
    } catch (NoSuchMethodException e) {
      // A real scheduler: it runs on the monotonic clock.
    }
    this.manual = m;
    this.origin = manual == null ? System.nanoTime() : 0;
    com.typesafe.config.Config c = system.settings().config();
    if (c.hasPath(REALTIME_ORIGIN)) {
      this.realtimeOrigin = c.getLong(REALTIME_ORIGIN) * 1000L;
    } else {
      // A real lab's CLOCK_REALTIME starts at the wall clock; a test's at the Unix epoch, so that
      // what it prints is the same on every run.
      this.realtimeOrigin = manual == null ? System.currentTimeMillis() * 1000L : 0;
    }
  }

  /**
   * The wall-clock time (epoch milliseconds) at the lab's epoch, when a lab sets it (so that the
   * API server, Hubble and the hosts agree on one); otherwise the wall clock when the clock was
   * first used, or the Unix epoch under ManualTime.
   */
  public static final String REALTIME_ORIGIN = "podnet.clock.realtime-origin-ms";

  public static LabClock get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Microseconds since the lab's epoch (the actor system's start). */
  public long nowMicros() {
    if (manual != null) {
      try {
        return ((Long) manual.invoke(scheduler)) * 1000L;
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read the manual scheduler's clock", e);
      }
    }
    return (System.nanoTime() - origin) / 1000L;
  }

  /** The hosts' CLOCK_REALTIME at the lab's epoch, in microseconds since the Unix epoch. */
  public long realtimeOriginMicros() {
    return realtimeOrigin;
  }

  /** The hosts' CLOCK_REALTIME now: the origin plus lab time (microseconds since the Unix epoch). */
  public long realtimeMicros() {
    return realtimeOrigin + nowMicros();
  }

  /** True when time is driven by a test (ManualTime). */
  public boolean manual() {
    return manual != null;
  }

  static final class Id extends ExtensionId<LabClock> {
    static final Id INSTANCE = new Id();

    @Override
    public LabClock createExtension(ActorSystem<?> system) {
      return new LabClock(system);
    }
  }
}
