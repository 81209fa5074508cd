package io.podnet.node.cilium.hubble;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The per-node flow buffer of Hubble's observer (hubble-event-buffer-capacity, 4095 by default):
 * the newest flows, the oldest overwritten; followers get every flow as it is added.
 */
public final class FlowRing {
  public static final int DEFAULT_CAPACITY = 4095;

  private final int capacity;
  private final ArrayDeque<Flow> flows = new ArrayDeque<>();
  private final List<Consumer<Flow>> followers = new ArrayList<>();
  private long seen;

  public FlowRing(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive: " + capacity);
    }
    this.capacity = capacity;
  }

  public void add(Flow f) {
    if (flows.size() == capacity) {
      flows.removeFirst();
    }
    flows.addLast(f);
    seen++;
    // A follower may stop following (or another start) while it is called: with more than one,
    // call a snapshot. The common cases, none or one (the agent publishing to the relay), copy
    // nothing: this runs for every flow of every frame.
    int n = followers.size();
    if (n == 1) {
      followers.get(0).accept(f);
    } else if (n > 1) {
      for (Consumer<Flow> c : List.copyOf(followers)) {
        c.accept(f);
      }
    }
  }

  /** The flows held, oldest first. */
  public List<Flow> flows() {
    return List.copyOf(flows);
  }

  /** Flows ever added (SEEN FLOWS). */
  public long seen() {
    return seen;
  }

  public int capacity() {
    return capacity;
  }

  /** Calls {@code c} with every flow added from now on, until the returned handle runs. */
  public Runnable follow(Consumer<Flow> c) {
    followers.add(c);
    return () -> followers.remove(c);
  }
}
