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
  }

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
