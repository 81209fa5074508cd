package io.podnet.netstack.core;

import java.util.PriorityQueue;

/**
 * The deadlines of one host core, in time order (ties in the order they were set). The owner
 * calls {@link #advanceTo} with the lab clock when it wakes up, and asks {@link #nextDeadline} when
 * to wake up next. Single-threaded, like the core it serves.
 */
public final class TimerQueue implements Timers {
  private final PriorityQueue<Entry> queue = new PriorityQueue<>();
  private long now;
  private long seq;

  public TimerQueue(long startMicros) {
    this.now = startMicros;
  }

  private final class Entry implements Timer, Comparable<Entry> {
    final long at;
    final long order;
    final Runnable task;
    boolean active = true;

    Entry(long at, long order, Runnable task) {
      this.at = at;
      this.order = order;
      this.task = task;
    }

    @Override
    public void cancel() {
      if (active) {
        active = false;
        queue.remove(this);
      }
    }

    @Override
    public boolean active() {
      return active;
    }

    @Override
    public int compareTo(Entry o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  @Override
  public long nowMicros() {
    return now;
  }

  @Override
  public Timer at(long atMicros, Runnable task) {
    Entry e = new Entry(Math.max(atMicros, now), seq++, task);
    queue.add(e);
    return e;
  }

  /** The earliest pending deadline, or {@link Long#MAX_VALUE} when nothing is pending. */
  public long nextDeadline() {
    Entry e = queue.peek();
    return e == null ? Long.MAX_VALUE : e.at;
  }

  /**
   * Moves the clock to {@code t} (never backwards), running every task due by then in deadline
   * order, each with the clock set to its own deadline, as a kernel timer would see it. Tasks set
   * by tasks run too if they fall due by {@code t}.
   */
  public void advanceTo(long t) {
    while (true) {
      Entry e = queue.peek();
      if (e == null || e.at > t) {
        break;
      }
      queue.poll();
      e.active = false;
      now = Math.max(now, e.at);
      e.task.run();
    }
    now = Math.max(now, t);
  }

  public int pending() {
    return queue.size();
  }
}
