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
 * without confirmation, to PROBE with three unicast solicitations before FAILED.
 *
 * <p>Garbage collection is neigh_periodic_work's: every base_reachable_time/2 (15 s), once the
 * table holds gc_thresh1 (128) entries or more, an entry that is neither PERMANENT, nor in a timed
 * state (INCOMPLETE, REACHABLE, DELAY, PROBE), nor externally learned ({@code extern_learn},
 * NTF_EXT_LEARNED) is removed when FAILED or unused for gc_stale_time (60 s). Below gc_thresh1
 * nothing is collected. (The forced collection of neigh_alloc at gc_thresh2/gc_thresh3 is not
 * modelled.)
 *
 * <p>Managed entries ({@code managed}, NTF_MANAGED, Linux 5.16+) are kept resolved by the kernel:
 * neigh_managed_work runs every interval_probe_time_ms (5 s) from boot and "uses" each of them
 * (neigh_event_send_probe): a STALE entry goes to DELAY and is re-probed, a FAILED one starts
 * resolving again, and the refreshed use time makes an expiring REACHABLE entry go to DELAY and be
 * confirmed by unicast probes instead of going STALE. Administrative updates (neigh_add) carry
 * the flags: NTF_EXT_LEARNED and NTF_MANAGED are set or cleared by every such update, and a
 * managed (or {@code use}) update leaves the address and state alone (only PERMANENT is dropped)
 * and triggers resolution.
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
      int mcastProbes, int appProbes, int mcastReprobes, long locktimeMs, int unresQueueBytes,
      long intervalProbeTimeMs, long gcStaleTimeMs, int gcThresh1) {
    public static final Params LINUX = new Params(30_000, 1_000, 5_000, 3, 3, 0, 0, 1_000, 212_992, 5_000, 60_000,
        128);
  }

  /**
   * The flags of an administrative update (RTM_NEWNEIGH): ndm_flags NTF_USE and NTF_EXT_LEARNED,
   * and NTF_EXT_MANAGED in NDA_FLAGS_EXT ({@code ip neigh ... use | extern_learn | managed}).
   */
  public record AdminFlags(boolean use, boolean externLearn, boolean managed) {
    public static final AdminFlags NONE = new AdminFlags(false, false, false);
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
  /** The next run of neigh_managed_work while there are managed entries, else MAX_VALUE. */
  private long managedWorkAt = Long.MAX_VALUE;
  /** The next run of neigh_periodic_work while the table is at gc_thresh1 or above, else MAX_VALUE. */
  private long gcWorkAt = Long.MAX_VALUE;

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
      armGc(now);
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
      e.used = now;
      entries.put(k, e);
      armGc(now);
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
    long min = Math.min(managedWorkAt, gcWorkAt);
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
    if (managedWorkAt <= now) {
      managedWork(now);
    }
    if (gcWorkAt <= now) {
      periodicWork(now);
    }
  }

  /**
   * neigh_managed_work: every managed entry is used (neigh_event_send_probe, not immediate: a probe
   * due goes out one tick later, from the entry's timer), then the work is queued again.
   */
  private void managedWork(long now) {
    boolean any = false;
    for (Entry<P> e : entries.values()) {
      if (e.managed) {
        any = true;
        eventSend(e, now, false);
      }
    }
    managedWorkAt = any ? nextTick(now, params.intervalProbeTimeMs()) : Long.MAX_VALUE;
  }

  /**
   * neigh_periodic_work: from gc_thresh1 entries on, removes what is neither PERMANENT, nor timed,
   * nor externally learned, and is FAILED or unused for gc_stale_time.
   */
  private void periodicWork(long now) {
    if (entries.size() >= params.gcThresh1()) {
      entries.values().removeIf(e -> {
        if (e.state == State.PERMANENT || inTimer(e.state) || e.externLearned) {
          return false;
        }
        if (e.used < e.confirmed && e.confirmed <= now) {
          e.used = e.confirmed;
        }
        return e.state == State.FAILED || now >= e.used + params.gcStaleTimeMs();
      });
    }
    gcWorkAt = entries.size() >= params.gcThresh1() ? nextTick(now, params.baseReachableMs() / 2) : Long.MAX_VALUE;
  }

  private static boolean inTimer(State s) {
    return s == State.INCOMPLETE || s == State.REACHABLE || s == State.DELAY || s == State.PROBE;
  }

  /** The first multiple of {@code interval} (from boot, time 0) after {@code now}. */
  private static long nextTick(long now, long interval) {
    long iv = Math.max(interval, 1);
    return (Math.floorDiv(now, iv) + 1) * iv;
  }

  /** Keeps neigh_managed_work scheduled exactly while there is a managed entry. */
  private void armManaged(long now) {
    if (entries.values().stream().noneMatch(e -> e.managed)) {
      managedWorkAt = Long.MAX_VALUE;
    } else if (managedWorkAt == Long.MAX_VALUE) {
      managedWorkAt = nextTick(now, params.intervalProbeTimeMs());
    }
  }

  private void armGc(long now) {
    if (gcWorkAt == Long.MAX_VALUE && entries.size() >= params.gcThresh1()) {
      gcWorkAt = nextTick(now, params.baseReachableMs() / 2);
    }
  }

  /**
   * __neigh_event_send without a packet, as neigh_add (NTF_USE, NTF_MANAGED; {@code immediate}:
   * the first solicitation goes out now) and neigh_managed_work (one tick later) call it.
   */
  private void eventSend(Entry<P> e, long now, boolean immediate) {
    e.used = now;
    switch (e.state) {
      case STALE -> {
        e.state = State.DELAY;
        e.updated = now;
        e.deadline = now + params.delayFirstProbeMs();
      }
      case FAILED -> {
        e.updated = now;
        if (params.mcastProbes() + params.appProbes() == 0) {
          return;
        }
        e.state = State.INCOMPLETE;
        e.probes = params.ucastProbes();
        if (immediate) {
          probe(e, now);
        } else {
          e.deadline = now + 1;
        }
      }
      default -> {
        // REACHABLE, NOARP, PERMANENT, DELAY, PROBE: nothing to do; INCOMPLETE: already resolving
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
    armManaged(now);
    armGc(now);
    flush(e);
  }

  /**
   * RTM_NEWNEIGH without flags: {@link #adminUpdate(String, Ipv4Address, MacAddress, State,
   * AdminFlags, boolean, boolean, long)} with {@link AdminFlags#NONE}.
   */
  public void adminUpdate(String dev, Ipv4Address ip, MacAddress mac, State state, boolean create,
      boolean exclusive, long now) throws NetlinkException {
    adminUpdate(dev, ip, mac, state, AdminFlags.NONE, create, exclusive, now);
  }

  /**
   * RTM_NEWNEIGH as neigh_add handles it ({@code ip neigh add|replace|change}): a missing entry is
   * created when {@code create}, else ENOENT (a new PERMANENT entry may not be managed: EINVAL);
   * an existing one (in any state, FAILED included) is refused with EEXIST when {@code exclusive}.
   * The update then sets or clears NTF_EXT_LEARNED and NTF_MANAGED as {@code flags} say.
   *
   * <p>With {@code use} or {@code managed}, the address and {@code state} are ignored: the entry
   * keeps its state (a PERMANENT one drops to none) and is used at once (neigh_event_send): an
   * entry without a valid address starts resolving with a broadcast solicitation, a STALE one goes
   * to DELAY. Otherwise the administrative update always overrides (NEIGH_UPDATE_F_ADMIN, even a
   * PERMANENT entry): without {@code mac} an entry that has no valid address is refused ("No link
   * layer address given") and one that has keeps it. REACHABLE arms the reachable timer; STALE,
   * NOARP and PERMANENT have none. Packets queued while the entry was unresolved go out at once.
   *
   * @param state one of REACHABLE, STALE, NOARP, PERMANENT; or null (NUD_NONE) with use or managed
   * @throws NetlinkException EEXIST, ENOENT, or EINVAL ("No link layer address given", "Invalid
   *     NTF_* flag for permanent entry")
   */
  public void adminUpdate(String dev, Ipv4Address ip, MacAddress mac, State state, AdminFlags flags,
      boolean create, boolean exclusive, long now) throws NetlinkException {
    boolean event = flags.use() || flags.managed();
    if (state == null ? !event
        : state != State.REACHABLE && state != State.STALE && state != State.NOARP && state != State.PERMANENT) {
      throw new IllegalArgumentException("not an administrative state: " + state);
    }
    Key k = new Key(dev, ip);
    Entry<P> e = entries.get(k);
    boolean fresh = e == null;
    if (fresh && !create) {
      throw new NetlinkException(Errno.ENOENT);
    }
    if (fresh && state == State.PERMANENT && flags.managed()) {
      throw new NetlinkException(Errno.EINVAL, "Invalid NTF_* flag for permanent entry");
    }
    if (!fresh && exclusive) {
      throw new NetlinkException(Errno.EEXIST);
    }
    boolean wasValid = !fresh && e.state.valid() && e.mac != null;
    if (!event && mac == null && !wasValid) {
      throw new NetlinkException(Errno.EINVAL, "No link layer address given");
    }
    if (fresh) {
      e = new Entry<>(ip, dev);
      e.state = State.FAILED; // NUD_NONE
      e.updated = now;
      e.used = now;
      e.confirmed = now - 2 * params.baseReachableMs();
      entries.put(k, e);
      armGc(now);
    }
    e.externLearned = flags.externLearn();
    e.managed = flags.managed();
    armManaged(now);
    if (event) {
      if (e.state == State.PERMANENT) {
        e.state = State.FAILED; // old & ~NUD_PERMANENT: NUD_NONE
        e.deadline = Long.MAX_VALUE;
      }
      eventSend(e, now, true);
      return;
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
    disarmIfIdle();
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
    disarmIfIdle();
  }

  public boolean remove(String dev, Ipv4Address ip) {
    boolean removed = entries.remove(new Key(dev, ip)) != null;
    disarmIfIdle();
    return removed;
  }

  /** No managed entry left: no managed work; below gc_thresh1: no periodic work. */
  private void disarmIfIdle() {
    if (entries.values().stream().noneMatch(e -> e.managed)) {
      managedWorkAt = Long.MAX_VALUE;
    }
    if (entries.size() < params.gcThresh1()) {
      gcWorkAt = Long.MAX_VALUE;
    }
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
