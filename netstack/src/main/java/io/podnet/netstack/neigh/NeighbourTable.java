package io.podnet.netstack.neigh;

import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The IPv4 neighbour (ARP) table of one host, with the Linux kernel's state machine
 * (net/core/neighbour.c, net/ipv4/arp.c) and its default parameters: an unresolved address goes
 * INCOMPLETE and is solicited by broadcast three times a second apart, then FAILED (queued
 * packets are reported unreachable); a resolved one is REACHABLE for a random 15-45 s after its
 * last confirmation, then STALE; using a STALE entry moves it to DELAY, and five seconds later,
 * without confirmation, to PROBE with three unicast solicitations before FAILED. Entries are not
 * garbage collected while the table is small, as in Linux below gc_thresh1 (128).
 *
 * <p>Plain code: time comes in as milliseconds of the lab clock, randomness from the lab's seeded
 * generator, and what the table wants done goes out through {@link Events}. The host calls
 * {@link #advance(long)} at {@link #nextDeadline()}.
 *
 * @param <P> a packet waiting for resolution (opaque to the table)
 */
public final class NeighbourTable<P> {
  /** NUD states, as {@code ip neigh} prints them. */
  public enum State {
    INCOMPLETE, REACHABLE, STALE, DELAY, PROBE, FAILED, NOARP, PERMANENT;

    /** NUD_VALID: the entry has a link-layer address that may be used. */
    public boolean valid() {
      return this != INCOMPLETE && this != FAILED;
    }

    boolean connected() {
      return this == REACHABLE || this == NOARP || this == PERMANENT;
    }
  }

  /** What the table asks its host to do. */
  public interface Events<P> {
    /**
     * Send an ARP request for {@code target} out of {@code dev}: to {@code unicastTo}, or to
     * broadcast when it is null. {@code sourceHint} is the source address of the packet that
     * caused it (Linux's arp_announce=0 choice), or null.
     */
    void solicit(String dev, Ipv4Address target, MacAddress unicastTo, Ipv4Address sourceHint);

    /** A queued packet can go now, to {@code mac}. */
    void transmit(String dev, MacAddress mac, P packet);

    /** Resolution failed: the packet is dropped (the host reports "host unreachable"). */
    void unreachable(String dev, Ipv4Address target, P packet);
  }

  /** Linux's defaults for ARP (net.ipv4.neigh.default.*). */
  public record Params(long baseReachableMs, long retransMs, long delayFirstProbeMs, int ucastProbes,
      int mcastProbes, int appProbes, int mcastReprobes, long locktimeMs, int unresQueueBytes) {
    public static final Params LINUX = new Params(30_000, 1_000, 5_000, 3, 3, 0, 0, 1_000, 212_992);
  }

  /** A read-only view of an entry, for {@code ip neigh} and {@code arp -a}. */
  public record Snapshot(Ipv4Address ip, String dev, MacAddress mac, State state, boolean managed,
      boolean externLearned, boolean router) {}

  /** Outcome of asking for a neighbour's address. */
  public sealed interface Resolution {}

  /** The address is known: send now. */
  public record Resolved(MacAddress mac) implements Resolution {}

  /** The packet was queued until the address resolves (or fails). */
  public enum Queued implements Resolution { INSTANCE }

  private static final class Entry<P> {
    final Ipv4Address ip;
    final String dev;
    MacAddress mac;
    State state;
    long updated;
    long confirmed;
    long used;
    long reachableTime;
    int probes;
    long deadline = Long.MAX_VALUE;
    boolean managed;
    boolean externLearned;
    final Deque<P> queue = new ArrayDeque<>();
    final Deque<Integer> queueSizes = new ArrayDeque<>();
    int queueBytes;
    Ipv4Address lastSourceHint;

    Entry(Ipv4Address ip, String dev) {
      this.ip = ip;
      this.dev = dev;
    }
  }

  private record Key(String dev, Ipv4Address ip) {}

  private final Params params;
  private final RandomGenerator random;
  private final Events<P> events;
  private final Map<Key, Entry<P>> entries = new LinkedHashMap<>();

  public NeighbourTable(Params params, RandomGenerator random, Events<P> events) {
    this.params = params;
    this.random = random;
    this.events = events;
  }

  /** Linux's neigh_rand_reach_time: uniformly in [base/2, 3*base/2). */
  private long randomReachable() {
    long base = params.baseReachableMs();
    return base <= 0 ? 0 : (base >> 1) + random.nextLong(base);
  }

  /**
   * The host wants to send {@code packet} (of {@code size} bytes) to {@code ip} on {@code dev}.
   * Returns the MAC to use now, or queues the packet and starts (or continues) resolution.
   */
  public Resolution resolve(String dev, Ipv4Address ip, P packet, int size, Ipv4Address sourceHint, long now) {
    Entry<P> e = entries.get(new Key(dev, ip));
    if (e == null) {
      e = new Entry<>(ip, dev);
      e.state = State.FAILED; // NUD_NONE behaves as FAILED below
      e.updated = now;
      entries.put(new Key(dev, ip), e);
    }
    e.used = now;
    e.lastSourceHint = sourceHint;
    switch (e.state) {
      case REACHABLE, DELAY, PROBE, NOARP, PERMANENT -> {
        return new Resolved(e.mac);
      }
      case STALE -> {
        e.state = State.DELAY;
        e.updated = now;
        e.deadline = now + params.delayFirstProbeMs();
        return new Resolved(e.mac);
      }
      case FAILED -> {
        e.state = State.INCOMPLETE;
        e.updated = now;
        e.probes = params.ucastProbes();
        enqueue(e, packet, size);
        probe(e, now);
        return Queued.INSTANCE;
      }
      case INCOMPLETE -> {
        enqueue(e, packet, size);
        return Queued.INSTANCE;
      }
      default -> throw new IllegalStateException("unhandled state " + e.state);
    }
  }

  private void enqueue(Entry<P> e, P packet, int size) {
    // Linux accounts the skb truesize against unres_qlen_bytes and drops the oldest on overflow.
    int truesize = size + 768;
    while (!e.queue.isEmpty() && e.queueBytes + truesize > params.unresQueueBytes()) {
      e.queue.removeFirst();
      e.queueBytes -= e.queueSizes.removeFirst();
    }
    e.queue.addLast(packet);
    e.queueSizes.addLast(truesize);
    e.queueBytes += truesize;
  }

  private void probe(Entry<P> e, long now) {
    MacAddress unicast = e.probes < params.ucastProbes() && e.mac != null ? e.mac : null;
    e.probes++;
    e.deadline = now + Math.max(params.retransMs(), 10);
    events.solicit(e.dev, e.ip, unicast, e.lastSourceHint);
  }

  private int maxProbes(Entry<P> e) {
    return params.ucastProbes() + params.appProbes()
        + (e.state == State.PROBE ? params.mcastReprobes() : params.mcastProbes());
  }

  /**
   * An ARP packet told us {@code ip} is at {@code mac} (Linux's neigh_update from arp_process).
   * {@code create} when the kernel would create a missing entry (a request addressed to us, or a
   * gratuitous ARP accepted by arp_accept); {@code newState} is REACHABLE for a unicast reply to us
   * and STALE otherwise; {@code gratuitous} always overrides a known address.
   */
  public void learn(String dev, Ipv4Address ip, MacAddress mac, State newState, boolean create, boolean gratuitous,
      long now) {
    Key k = new Key(dev, ip);
    Entry<P> e = entries.get(k);
    if (e == null) {
      if (!create) {
        return;
      }
      e = new Entry<>(ip, dev);
      e.state = State.FAILED;
      e.updated = now - params.locktimeMs() - 1;
      entries.put(k, e);
    }
    if (e.state == State.PERMANENT || e.state == State.NOARP) {
      return;
    }
    boolean override = create || gratuitous || now > e.updated + params.locktimeMs();
    if (e.mac != null && !e.mac.equals(mac) && e.state.valid() && !override) {
      // Back-to-back answers with different addresses: the first one wins (arp thrashing guard).
      return;
    }
    boolean changed = e.mac == null || !e.mac.equals(mac);
    if (!changed && newState == State.STALE && e.state.valid() && e.state != State.FAILED) {
      // Same address, weaker news: Linux keeps the stronger state.
      if (e.state == State.REACHABLE || e.state == State.DELAY || e.state == State.PROBE) {
        return;
      }
    }
    e.mac = mac;
    e.updated = now;
    setState(e, newState, now);
    flush(e);
  }

  private void setState(Entry<P> e, State s, long now) {
    e.state = s;
    if (s == State.REACHABLE) {
      e.confirmed = now;
      e.reachableTime = randomReachable();
      e.deadline = now + e.reachableTime;
    } else {
      e.deadline = Long.MAX_VALUE;
    }
    e.probes = 0;
  }

  private void flush(Entry<P> e) {
    while (!e.queue.isEmpty()) {
      P p = e.queue.removeFirst();
      e.queueBytes -= e.queueSizes.removeFirst();
      events.transmit(e.dev, e.mac, p);
    }
  }

  /** Upper-layer proof of reachability (a TCP ACK for data we sent): Linux's neigh_confirm. */
  public void confirm(String dev, Ipv4Address ip, long now) {
    Entry<P> e = entries.get(new Key(dev, ip));
    if (e != null && e.state.valid() && e.state != State.PERMANENT && e.state != State.NOARP) {
      e.confirmed = now;
      if (e.state != State.REACHABLE) {
        setState(e, State.REACHABLE, now);
      }
    }
  }

  /** The earliest time {@link #advance} has work to do, or {@link Long#MAX_VALUE}. */
  public long nextDeadline() {
    long min = Long.MAX_VALUE;
    for (Entry<P> e : entries.values()) {
      min = Math.min(min, e.deadline);
    }
    return min;
  }

  /** Runs the timers due at {@code now} (Linux's neigh_timer_handler). */
  public void advance(long now) {
    for (Entry<P> e : new ArrayList<>(entries.values())) {
      if (e.deadline > now) {
        continue;
      }
      switch (e.state) {
        case REACHABLE -> {
          if (now < e.confirmed + e.reachableTime) {
            e.deadline = e.confirmed + e.reachableTime;
          } else if (now < e.used + params.delayFirstProbeMs()) {
            e.state = State.DELAY;
            e.updated = now;
            e.deadline = now + params.delayFirstProbeMs();
          } else {
            e.state = State.STALE;
            e.updated = now;
            e.deadline = Long.MAX_VALUE;
          }
        }
        case DELAY -> {
          if (now < e.confirmed + params.delayFirstProbeMs()) {
            setState(e, State.REACHABLE, e.confirmed);
          } else {
            e.state = State.PROBE;
            e.updated = now;
            e.probes = 0;
            probe(e, now);
          }
        }
        case INCOMPLETE, PROBE -> {
          if (e.probes >= maxProbes(e)) {
            e.state = State.FAILED;
            e.updated = now;
            e.deadline = Long.MAX_VALUE;
            while (!e.queue.isEmpty()) {
              P p = e.queue.removeFirst();
              e.queueBytes -= e.queueSizes.removeFirst();
              events.unreachable(e.dev, e.ip, p);
            }
          } else {
            probe(e, now);
          }
        }
        default -> e.deadline = Long.MAX_VALUE;
      }
    }
  }

  /** Adds or replaces a static entry ({@code ip neigh replace ... nud permanent}). */
  public void setPermanent(String dev, Ipv4Address ip, MacAddress mac, boolean managed, boolean externLearned,
      long now) {
    Entry<P> e = entries.computeIfAbsent(new Key(dev, ip), k -> new Entry<>(ip, dev));
    e.mac = mac;
    e.state = State.PERMANENT;
    e.managed = managed;
    e.externLearned = externLearned;
    e.updated = now;
    e.deadline = Long.MAX_VALUE;
    flush(e);
  }

  /**
   * RTM_NEWNEIGH as neigh_add handles it ({@code ip neigh add|replace|change}): a missing entry is
   * created when {@code create}, else ENOENT; an existing one (in any state, FAILED included) is
   * refused with EEXIST when {@code exclusive}. The administrative update then always overrides
   * (NEIGH_UPDATE_F_ADMIN, even a PERMANENT entry): without {@code mac} an entry that has no valid
   * address is refused ("No link layer address given") and one that has keeps it. REACHABLE arms
   * the reachable timer; STALE, NOARP and PERMANENT have none. Packets queued while the entry was
   * unresolved go out at once.
   *
   * @param state one of REACHABLE, STALE, NOARP, PERMANENT
   * @throws NetlinkException EEXIST, ENOENT, or EINVAL ("No link layer address given")
   */
  public void adminUpdate(String dev, Ipv4Address ip, MacAddress mac, State state, boolean create,
      boolean exclusive, long now) throws NetlinkException {
    if (state != State.REACHABLE && state != State.STALE && state != State.NOARP && state != State.PERMANENT) {
      throw new IllegalArgumentException("not an administrative state: " + state);
    }
    Key k = new Key(dev, ip);
    Entry<P> e = entries.get(k);
    boolean fresh = e == null;
    if (fresh && !create) {
      throw new NetlinkException(Errno.ENOENT);
    }
    if (!fresh && exclusive) {
      throw new NetlinkException(Errno.EEXIST);
    }
    boolean wasValid = !fresh && e.state.valid() && e.mac != null;
    if (mac == null && !wasValid) {
      throw new NetlinkException(Errno.EINVAL, "No link layer address given");
    }
    if (fresh) {
      e = new Entry<>(ip, dev);
      entries.put(k, e);
    }
    e.mac = mac != null ? mac : e.mac;
    e.updated = now;
    setState(e, state, now);
    if (state == State.PERMANENT || state == State.NOARP) {
      e.confirmed = now;
    }
    flush(e);
  }

  /**
   * RTM_DELNEIGH as neigh_delete handles it ({@code ip neigh del}, and each entry of
   * {@code ip neigh flush}): the entry goes to FAILED (an INCOMPLETE or PROBE one reports its
   * queued packets unreachable, as neigh_invalidate does) and is removed.
   *
   * @throws NetlinkException ENOENT when there is no such entry
   */
  public void adminDelete(String dev, Ipv4Address ip) throws NetlinkException {
    Entry<P> e = entries.remove(new Key(dev, ip));
    if (e == null) {
      throw new NetlinkException(Errno.ENOENT);
    }
    boolean invalidate = e.state == State.INCOMPLETE || e.state == State.PROBE;
    while (!e.queue.isEmpty()) {
      P p = e.queue.removeFirst();
      e.queueBytes -= e.queueSizes.removeFirst();
      if (invalidate) {
        events.unreachable(e.dev, e.ip, p);
      }
    }
  }

  /** Removes every entry on {@code dev} (the link went down); queued packets are dropped. */
  public void flushDevice(String dev) {
    entries.values().removeIf(e -> e.dev.equals(dev));
  }

  public boolean remove(String dev, Ipv4Address ip) {
    return entries.remove(new Key(dev, ip)) != null;
  }

  /** The current state of one entry, if any. */
  public java.util.Optional<Snapshot> get(String dev, Ipv4Address ip) {
    Entry<P> e = entries.get(new Key(dev, ip));
    return e == null ? java.util.Optional.empty() : java.util.Optional.of(snapshot(e));
  }

  /** All entries, newest first (Linux dumps in hash order; newest-first is stable and plausible). */
  public List<Snapshot> list() {
    List<Snapshot> out = new ArrayList<>(entries.size());
    for (Entry<P> e : entries.values()) {
      out.add(0, snapshot(e));
    }
    return out;
  }

  private Snapshot snapshot(Entry<P> e) {
    return new Snapshot(e.ip, e.dev, e.state.valid() ? e.mac : null, e.state, e.managed, e.externLearned, false);
  }

  /** The number of packets waiting for {@code ip} on {@code dev}. */
  public int queued(String dev, Ipv4Address ip) {
    Entry<P> e = entries.get(new Key(dev, ip));
    return e == null ? 0 : e.queue.size();
  }
}
