package io.podnet.netstack.core;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteType;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.Decapsulated;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.FlowHash;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.Packets;
import io.podnet.proto.packet.TunnelKind;
import io.podnet.proto.packet.UdpHeader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * One Linux host's IPv4 datapath, as plain single-threaded code: Ethernet in and out of its
 * devices, ARP (net/ipv4/arp.c with arp_ignore=0, arp_announce=0, arp_accept=0), IPv4 receive,
 * local delivery with reassembly, forwarding (ip_forward), fragmentation, ICMP (echo, errors),
 * UDP, packet sockets, and the seam for TCP ({@link IpSender}, {@link IpProtocolHandler}).
 *
 * <p>Driven by its owner: frames come in through {@link #receive}, time through {@link #advanceTo}
 * (ask {@link #nextDeadline()} when to call it), and sockets and tools call in. Frames leave
 * through {@link Output}; every frame in and out is shown to the {@link Tap}s. Configuration
 * (links, addresses, routes) lives in the {@link HostStack}; use {@link #setLinkUp} rather than
 * the stack's own setter so that the neighbour entries of a device going down are flushed.
 *
 * <p>Packets to the host's own addresses go through {@code lo} as in Linux: they appear on the
 * loopback taps (Out, then In) and are processed after the current call's work, like netif_rx's
 * backlog. Nothing thrown by malformed input escapes {@link #receive}: it is counted in
 * {@link #drops()} under a reason.
 *
 * <p>IP identification: one counter per (source, destination, protocol), starting at a random
 * value from the host's seeded generator, one more per datagram (Linux hashes the same triple into
 * its ip_idents counters). Not modelled: ICMP redirects (send_redirects), rp_filter, proxy ARP,
 * the path-MTU cache (an ICMP "fragmentation needed" is reported to the socket only), ICMP rate
 * limits, IP options processing beyond carrying and fragmenting them, multicast group membership
 * (only 224.0.0.1 is received), VLAN devices.
 */
public final class HostCore {
  /**
   * Where frames leave the host: the owner puts them on the segment behind {@code dev}. The core
   * never writes to {@code frame} after handing it over (every rewrite works on a copy), so the
   * owner may keep or share the array without copying it, as long as it does not write to it.
   */
  public interface Output {
    void transmit(String dev, byte[] frame);
  }

  /** Direction of a captured frame, as tcpdump's {@code In} / {@code Out}. */
  public enum Direction {
    IN, OUT
  }

  /**
   * A capture hook. {@code frame} must not be modified. Like the kernel, loopback frames are shown
   * twice (Out when sent, In when received); libpcap skips the Out copy on {@code lo}, so a
   * tcpdump should too.
   */
  public interface Tap {
    void frame(String dev, Direction direction, PacketType type, long timeMicros, byte[] frame);
  }

  /** Something registered with the core (a tap, a protocol handler) that can be removed. */
  public interface Registration {
    void cancel();
  }

  /** Counters of one device, as {@code ip -s link} shows them. */
  public record LinkCounters(long rxBytes, long rxPackets, long rxErrors, long rxDropped, long rxMulticast,
      long txBytes, long txPackets, long txErrors, long txDropped) {
    public static final LinkCounters ZERO = new LinkCounters(0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** The kernel's default TTL (net.ipv4.ip_default_ttl). */
  public static final int DEFAULT_TTL = 64;
  /** net.ipv4.ipfrag_time: 30 s. */
  static final long REASSEMBLY_TIMEOUT_MICROS = 30_000_000L;
  /** Any device, for {@link #addTap}. */
  public static final String ANY = "any";
  static final int EINVAL = 22;
  static final int EADDRNOTAVAIL = 99;
  static final int ENETDOWN = 100;
  static final int ENODEV = 19;
  static final int EADDRINUSE = 98;

  private static final long MAX = Long.MAX_VALUE;
  private static final Ipv4Address ALL_HOSTS = Ipv4Address.of(224, 0, 0, 1);

  /** A datagram waiting for its next hop's MAC. */
  record Pending(byte[] datagram) {}

  private final HostStack stack;
  private final TimerQueue timers;
  private final RandomGenerator random;
  private final Output output;
  private final NeighbourTable<Pending> neigh;
  private boolean forwarding;
  private Timers.Timer neighTimer;
  private long neighTimerAt = MAX;

  private final Map<String, long[]> counters = new HashMap<>();
  private final Map<String, Long> drops = new TreeMap<>();
  private final List<TapEntry> taps = new ArrayList<>();
  private final Map<Integer, IpProtocolHandler> handlers = new HashMap<>();
  // Walked for every packet while a socket's owner may open or close sockets: copy-on-write lists
  // give each walk a snapshot, and copy only when sockets come and go.
  final List<PingSocket> pingSockets = new java.util.concurrent.CopyOnWriteArrayList<>();
  private int pingRover;
  final List<PacketSocket> packetSockets = new java.util.concurrent.CopyOnWriteArrayList<>();
  final List<UdpSocket> udpSockets = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ArrayDeque<byte[]> backlog = new ArrayDeque<>();
  private boolean draining;
  private final Map<IdKey, Integer> ipIds = new HashMap<>();
  private final Map<FragKey, FragQueue> fragQueues = new LinkedHashMap<>();
  private final IpSender ipSender = new Sender();
  private final Map<String, DatapathProgram> ingressPrograms = new HashMap<>();
  private final Map<String, DatapathProgram> egressPrograms = new HashMap<>();
  private final Map<String, TunnelDevice> tunnels = new HashMap<>();
  /** How deep redirects may chain before the frame is dropped (a redirect loop). */
  static final int MAX_REDIRECTS = 8;

  /**
   * A collect-metadata ("external") tunnel device, as {@code ip link add cilium_geneve type geneve
   * external} creates: frames sent through it need a {@link DatapathProgram.TunnelKey}; frames
   * arriving on its UDP port are decapsulated and received on it with the key they carried.
   */
  private record TunnelDevice(String dev, TunnelKind kind, int port, int sourcePortMin, int sourcePortMax,
      int hashSeed) {}

  private record TapEntry(String dev, boolean promiscuous, Tap tap) {}

  private record IdKey(int src, int dst, int protocol) {}

  private record FragKey(int src, int dst, int protocol, int id) {}

  // counter slots
  private static final int RX_BYTES = 0;
  private static final int RX_PACKETS = 1;
  private static final int RX_ERRORS = 2;
  private static final int RX_DROPPED = 3;
  private static final int RX_MULTICAST = 4;
  private static final int TX_BYTES = 5;
  private static final int TX_PACKETS = 6;
  private static final int TX_ERRORS = 7;
  private static final int TX_DROPPED = 8;

  /**
   * @param stack the host's links, addresses and routes
   * @param timers the host's clock and deadlines (shared with its transports)
   * @param random the host's seeded generator (neighbour timers, IP ids, ephemeral ports)
   * @param output where frames leave
   */
  public HostCore(HostStack stack, TimerQueue timers, RandomGenerator random, Output output) {
    this.stack = stack;
    this.timers = timers;
    this.random = random;
    this.output = output;
    this.neigh = new NeighbourTable<>(NeighbourTable.Params.LINUX, random, new NeighEvents());
  }

  public HostStack stack() {
    return stack;
  }

  public Timers timers() {
    return timers;
  }

  /** The neighbour table, for {@code ip neigh} and {@code arp}. */
  public NeighbourTable<?> neighbours() {
    return neigh;
  }

  /** net.ipv4.ip_forward. */
  public void setForwarding(boolean on) {
    this.forwarding = on;
  }

  public boolean forwarding() {
    return forwarding;
  }

  /** {@code ip link set DEV up|down}: the stack's change, and a down device's neighbours flushed. */
  public void setLinkUp(String dev, boolean up) {
    stack.setUp(dev, up);
    if (!up) {
      neigh.flushDevice(dev);
      rearmNeigh();
    }
  }

  /**
   * {@code ip neigh add|replace|change}: {@link NeighbourTable#adminUpdate} at the host's time;
   * packets it releases leave now, and the neighbour timers are rearmed.
   */
  public void neighbourUpdate(String dev, Ipv4Address ip, MacAddress mac, NeighbourTable.State state,
      boolean create, boolean exclusive) throws NetlinkException {
    neighbourUpdate(dev, ip, mac, state, NeighbourTable.AdminFlags.NONE, create, exclusive);
  }

  /**
   * RTM_NEWNEIGH with flags ({@code use}, {@code extern_learn}, {@code managed}), as
   * {@link NeighbourTable#adminUpdate(String, Ipv4Address, MacAddress, NeighbourTable.State,
   * NeighbourTable.AdminFlags, boolean, boolean, long)} handles it at the host's time; a
   * solicitation it triggers leaves now, and the neighbour timers are rearmed.
   */
  public void neighbourUpdate(String dev, Ipv4Address ip, MacAddress mac, NeighbourTable.State state,
      NeighbourTable.AdminFlags flags, boolean create, boolean exclusive) throws NetlinkException {
    try {
      neigh.adminUpdate(dev, ip, mac, state, flags, create, exclusive, nowMs());
    } finally {
      finish();
    }
  }

  /** {@code ip neigh del}: {@link NeighbourTable#adminDelete}, then the timers are rearmed. */
  public void neighbourDelete(String dev, Ipv4Address ip) throws NetlinkException {
    try {
      neigh.adminDelete(dev, ip);
    } finally {
      finish();
    }
  }

  // ================================================================= time

  /** The earliest lab time (microseconds) at which {@link #advanceTo} has work, or Long.MAX_VALUE. */
  public long nextDeadline() {
    return timers.nextDeadline();
  }

  /** Moves the host's clock to {@code nowMicros}, running what fell due. */
  public void advanceTo(long nowMicros) {
    timers.advanceTo(nowMicros);
    finish();
  }

  private long nowMs() {
    return timers.nowMicros() / 1000;
  }

  /** Schedules core work: loopback backlog and neighbour timers are settled after it. */
  private Timers.Timer schedule(long atMicros, Runnable task) {
    return timers.at(atMicros, () -> {
      guarded(task);
      finish();
    });
  }

  private void rearmNeigh() {
    long d = neigh.nextDeadline();
    long at = d == MAX ? MAX : d * 1000;
    if (at == neighTimerAt && (neighTimer == null || neighTimer.active())) {
      return;
    }
    if (neighTimer != null) {
      neighTimer.cancel();
    }
    neighTimerAt = at;
    neighTimer = at == MAX ? null : timers.at(at, this::neighTick);
  }

  private void neighTick() {
    neighTimer = null;
    neighTimerAt = MAX;
    guarded(() -> neigh.advance(nowMs()));
    finish();
  }

  /** Settles deferred work at the end of every entry point. */
  private void finish() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (!backlog.isEmpty()) {
        byte[] f = backlog.removeFirst();
        guarded(() -> loopbackReceive(f));
      }
    } finally {
      draining = false;
    }
    rearmNeigh();
  }

  private void guarded(Runnable r) {
    try {
      r.run();
    } catch (PacketException e) {
      drop(e.reason());
    } catch (RuntimeException e) {
      // A bug, not traffic; counted so that tests see it, never thrown at the frame's sender.
      drop("internal error " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  // ================================================================= taps and counters

  /**
   * Captures frames on {@code dev} (or {@link #ANY}): every frame received on an up device and
   * every frame sent. {@code promiscuous} also shows received frames to other hosts' MACs (what
   * tcpdump's default promiscuous mode shows on one interface; {@code any} is never promiscuous).
   */
  public Registration addTap(String dev, boolean promiscuous, Tap tap) {
    TapEntry e = new TapEntry(dev, promiscuous && !ANY.equals(dev), tap);
    taps.add(e);
    return () -> taps.remove(e);
  }

  private void tap(String dev, Direction dir, PacketType type, byte[] frame) {
    if (taps.isEmpty()) {
      return;
    }
    long now = timers.nowMicros();
    for (TapEntry e : List.copyOf(taps)) {
      if ((e.dev.equals(ANY) || e.dev.equals(dev)) && (type != PacketType.OTHERHOST || e.promiscuous)) {
        e.tap.frame(dev, dir, type, now, frame);
      }
    }
  }

  /** The counters of one device (zeros for a device that has seen nothing). */
  public LinkCounters counters(String dev) {
    long[] c = counters.get(dev);
    if (c == null) {
      return LinkCounters.ZERO;
    }
    return new LinkCounters(c[RX_BYTES], c[RX_PACKETS], c[RX_ERRORS], c[RX_DROPPED], c[RX_MULTICAST], c[TX_BYTES],
        c[TX_PACKETS], c[TX_ERRORS], c[TX_DROPPED]);
  }

  private long[] counter(String dev) {
    return counters.computeIfAbsent(dev, d -> new long[9]);
  }

  /** Frames and datagrams dropped, by reason (e.g. "IPv4 header checksum", "not for us"). */
  public Map<String, Long> drops() {
    return java.util.Collections.unmodifiableMap(new TreeMap<>(drops));
  }

  /** The number dropped for one reason. */
  public long drops(String reason) {
    return drops.getOrDefault(reason, 0L);
  }

  void drop(String reason) {
    drops.merge(reason, 1L, Long::sum);
  }

  private void rxDropped(Link l, String reason) {
    counter(l.name())[RX_DROPPED]++;
    drop(reason);
  }

  // ================================================================= receive (L2)

  private long realtimeOrigin;

  /**
   * Sets the host's CLOCK_REALTIME at lab time 0 (microseconds since the Unix epoch): what tools
   * print as the time of day (tcpdump, HTTP dates, logs). 0 by default: lab time is the epoch.
   */
  public void setRealtimeOrigin(long micros) {
    this.realtimeOrigin = micros;
  }

  /** CLOCK_REALTIME at lab time {@code labMicros}, in microseconds since the Unix epoch. */
  public long realtimeMicros(long labMicros) {
    return realtimeOrigin + labMicros;
  }

  /** A frame arrives on {@code dev}: {@code frame[off, off+len)}, copied before use. */
  public void receive(String dev, byte[] frame, int off, int len) {
    guarded(() -> receive0(dev, frame, off, len));
    finish();
  }

  private void receive0(String dev, byte[] frame, int off, int len) {
    receiveFrame(dev, Arrays.copyOfRange(frame, off, off + len), null, 0);
  }

  /**
   * A frame arrives on {@code dev}: all of {@code frame}, an array others may hold too (the sender,
   * the other ports of a flooded frame, a capture). Not copied: the core never writes to a frame it
   * received (every rewrite, from the TTL of a forwarded packet to a service translation, is made
   * on a copy), and it may keep the array (captures, reassembly) as long as it likes.
   */
  public void receiveShared(String dev, byte[] frame) {
    guarded(() -> receiveFrame(dev, frame, null, 0));
    finish();
  }

  /** A frame received on {@code dev} (owned by the callee): taps, the ingress program, the stack. */
  private void receiveFrame(String dev, byte[] f, DatapathProgram.TunnelKey key, int depth) {
    Link l = stack.links().byName(dev).orElse(null);
    if (l == null) {
      drop("no such device");
      return;
    }
    if (!l.up()) {
      drop("device down");
      return;
    }
    if (f.length < EthernetHeader.LENGTH) {
      counter(dev)[RX_ERRORS]++;
      drop("Ethernet header");
      return;
    }
    EthernetHeader eth = EthernetHeader.decode(f, 0, f.length);
    PacketType type = PacketType.classify(eth.destination(), l.mac());
    tap(dev, Direction.IN, type, f);
    DatapathProgram prog = ingressPrograms.get(dev);
    if (prog != null) {
      DatapathProgram.Verdict v = prog.run(new DatapathProgram.Packet(dev, DatapathProgram.Hook.INGRESS,
          timers.nowMicros(), f, key));
      if (!(v instanceof DatapathProgram.Pass)) {
        long[] c = counter(dev);
        c[RX_PACKETS]++;
        c[RX_BYTES] += f.length;
        apply(v, depth);
        return;
      }
    }
    if (type == PacketType.OTHERHOST) {
      drop("Ethernet destination not ours");
      return;
    }
    long[] c = counter(dev);
    c[RX_PACKETS]++;
    c[RX_BYTES] += f.length;
    if (type == PacketType.MULTICAST || type == PacketType.BROADCAST) {
      c[RX_MULTICAST] += type == PacketType.MULTICAST ? 1 : 0;
    }
    if (eth.vlan() != null) {
      rxDropped(l, "802.1Q tagged, no VLAN device");
      return;
    }
    long now = timers.nowMicros();
    for (PacketSocket s : packetSockets) {
      s.offer(l, eth.etherType(), f, type, now);
    }
    int hl = eth.length();
    switch (eth.etherType()) {
      case EtherType.ARP -> arpReceive(l, type, f, hl, f.length - hl);
      case EtherType.IPV4 -> ipReceive(l, type, f, hl, f.length - hl);
      default -> rxDropped(l, "EtherType " + EtherType.name(eth.etherType()) + " not handled");
    }
  }

  private void loopbackReceive(byte[] f) {
    Link lo = loopback();
    tap(lo.name(), Direction.IN, PacketType.HOST, f);
    long[] c = counter(lo.name());
    c[RX_PACKETS]++;
    c[RX_BYTES] += f.length;
    ipReceive(lo, PacketType.HOST, f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
  }

  // ================================================================= ARP

  /** arp_process with arp_ignore=0, arp_accept=0, no proxy ARP. */
  private void arpReceive(Link l, PacketType type, byte[] f, int off, int len) {
    if (l.noArp() || l.isLoopback()) {
      drop("ARP on a NOARP device");
      return;
    }
    ArpPacket a = ArpPacket.decode(f, off, len);
    Ipv4Address sip = a.senderIp();
    Ipv4Address tip = a.targetIp();
    if (isMulticast(sip) || isLoopbackNet(tip) || isMulticast(tip)) {
      drop("ARP martian address");
      return;
    }
    long now = nowMs();
    if (sip.value() == 0) {
      // RFC 5227 probe (duplicate address detection): answer for a local target, learn nothing.
      if (a.isRequest() && stack.isLocalAddress(tip)) {
        xmitRaw(l, ArpPacket.reply(l.mac(), tip, a.senderMac(), sip).toFrame(a.senderMac()));
      }
      return;
    }
    boolean forUs = a.isRequest() && stack.isLocalAddress(tip) && !stack.isLocalAddress(sip)
        && !isBroadcastOrZeronet(sip);
    if (forUs) {
      // neigh_event_ns: create or refresh a STALE entry for the asker, then answer it unicast.
      neigh.learn(l.name(), sip, a.senderMac(), NeighbourTable.State.STALE, true, false, now);
      xmitRaw(l, ArpPacket.reply(l.mac(), tip, a.senderMac(), sip).toFrame(a.senderMac()));
    }
    if (neigh.get(l.name(), sip).isPresent()) {
      boolean garp = a.isGratuitous() && (a.isRequest() || a.targetMac().equals(a.senderMac()))
          && !stack.isLocalAddress(sip) && !isBroadcastOrZeronet(sip);
      NeighbourTable.State state = a.isReply() && type == PacketType.HOST
          ? NeighbourTable.State.REACHABLE : NeighbourTable.State.STALE;
      neigh.learn(l.name(), sip, a.senderMac(), state, false, garp, now);
    }
  }

  private boolean isBroadcastOrZeronet(Ipv4Address a) {
    if (a.value() == -1 || (a.value() >>> 24) == 0) {
      return true;
    }
    return routeType(a) == RouteType.BROADCAST;
  }

  private RouteType routeType(Ipv4Address a) {
    try {
      return stack.fibLookup(a, 0, Scope.GLOBAL).route().type();
    } catch (NetlinkException e) {
      return null;
    }
  }

  private final class NeighEvents implements NeighbourTable.Events<Pending> {
    @Override
    public void solicit(String dev, Ipv4Address target, MacAddress unicastTo, Ipv4Address sourceHint) {
      Link l = stack.links().byName(dev).orElse(null);
      if (l == null || !l.up()) {
        return;
      }
      // arp_solicit, arp_announce=0: the packet's own source if it is local, else one of dev's.
      Ipv4Address sip = sourceHint != null && stack.isLocalAddress(sourceHint) ? sourceHint
          : stack.selectAddress(l.index(), target, Scope.LINK);
      ArpPacket req = ArpPacket.request(l.mac(), sip == null ? Ipv4Address.ANY : sip, target);
      xmitRaw(l, req.toFrame(unicastTo != null ? unicastTo : MacAddress.BROADCAST));
    }

    @Override
    public void transmit(String dev, MacAddress mac, Pending p) {
      stack.links().byName(dev).ifPresent(l -> xmit(l, mac, p.datagram()));
    }

    @Override
    public void unreachable(String dev, Ipv4Address target, Pending p) {
      // arp_error_report -> ipv4_link_failure: host unreachable to the datagram's source, also
      // when that source is this host (the error then comes back through lo to the socket).
      drop("neighbour unreachable");
      guarded(() -> icmpSend(p.datagram(), 0, p.datagram().length, IcmpMessage.DESTINATION_UNREACHABLE,
          IcmpMessage.CODE_HOST_UNREACHABLE, 0, PacketType.HOST, false));
    }
  }

  // ================================================================= IPv4 receive

  private void ipReceive(Link in, PacketType type, byte[] f, int off, int len) {
    Ipv4Header h = Ipv4Header.decodeHeaderOnly(f, off, len);
    if (!h.checksumValid()) {
      drop("IPv4 header checksum"); // IP MIB InCsumErrors, not the device's rx_dropped
      return;
    }
    if (h.totalLength() > len) {
      drop("IPv4 total length");
      return;
    }
    Ipv4Address src = h.source();
    Ipv4Address dst = h.destination();
    if (!in.isLoopback()) {
      if (isMulticast(src) || src.value() == -1 || isLoopbackNet(src) || stack.isLocalAddress(src)
          || (src.value() == 0 && dst.value() != -1)) {
        drop("martian source");
        return;
      }
      if (isLoopbackNet(dst) || dst.value() == 0) {
        drop("martian destination");
        return;
      }
    }
    if (dst.value() == -1 || dst.equals(ALL_HOSTS)) {
      localDeliver(in, type, h, f, off, true);
      return;
    }
    if (isMulticast(dst)) {
      drop("multicast group not joined");
      return;
    }
    HostStack.Hit hit;
    try {
      hit = stack.fibLookup(dst, 0, Scope.GLOBAL);
    } catch (NetlinkException e) {
      inputRouteError(in, type, f, off, h, e.errno());
      return;
    }
    switch (hit.route().type()) {
      case LOCAL -> localDeliver(in, type, h, f, off, false);
      case BROADCAST -> localDeliver(in, type, h, f, off, true);
      default -> {
        if (!forwarding) {
          drop("not for us");
        } else {
          forward(in, type, h, f, off, hit);
        }
      }
    }
  }

  /** ip_error: what a router does with a datagram whose lookup hit an error route or nothing. */
  private void inputRouteError(Link in, PacketType type, byte[] f, int off, Ipv4Header h, Errno errno) {
    if (!forwarding) {
      drop("not for us");
      return;
    }
    int code;
    switch (errno) {
      case ENETUNREACH -> code = IcmpMessage.CODE_NET_UNREACHABLE;
      case EHOSTUNREACH -> code = IcmpMessage.CODE_HOST_UNREACHABLE;
      case EACCES -> code = IcmpMessage.CODE_ADMIN_PROHIBITED;
      default -> {
        drop("blackhole route");
        return;
      }
    }
    drop(code == IcmpMessage.CODE_NET_UNREACHABLE ? "no route" : "unreachable route");
    icmpSend(f, off, h.totalLength(), IcmpMessage.DESTINATION_UNREACHABLE, code, 0, type, false);
  }

  // ================================================================= forwarding

  private void forward(Link in, PacketType type, Ipv4Header h, byte[] f, int off, HostStack.Hit hit) {
    if (type != PacketType.HOST) {
      drop("forward: not unicast to us at L2");
      return;
    }
    int total = h.totalLength();
    if (h.ttl() <= 1) {
      drop("TTL exceeded");
      icmpSend(f, off, total, IcmpMessage.TIME_EXCEEDED, IcmpMessage.CODE_TTL_EXCEEDED, 0, type, false);
      return;
    }
    var r = hit.route();
    Link out = stack.links().byIndex(r.oif()).orElse(null);
    if (out == null || !out.up()) {
      drop("forward: output device down");
      return;
    }
    int mtu = r.mtu() != 0 ? r.mtu() : out.mtu();
    if (h.dontFragment() && total > mtu) {
      drop("fragmentation needed");
      icmpSend(f, off, total, IcmpMessage.DESTINATION_UNREACHABLE, IcmpMessage.CODE_FRAGMENTATION_NEEDED, mtu,
          type, false);
      return;
    }
    byte[] d = Arrays.copyOfRange(f, off, off + total);
    decreaseTtl(d);
    Ipv4Address nextHop = r.usesGateway() ? r.gateway() : h.destination();
    finishOutput(out, nextHop, d, mtu, null);
  }

  /** ip_decrease_ttl: TTL minus one and the incremental checksum update of RFC 1624. */
  static void decreaseTtl(byte[] d) {
    int check = Bytes.u16(d, Fragmenter.IP_CHECKSUM) + 0x0100;
    check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
    Bytes.put16(d, Fragmenter.IP_CHECKSUM, check);
    d[Fragmenter.IP_TTL]--;
  }

  // ================================================================= output

  /** Fragments if needed, then hands each datagram to the neighbour layer of {@code out}. */
  private void finishOutput(Link out, Ipv4Address nextHop, byte[] d, int mtu, MacAddress l2Dst) {
    if (d.length <= mtu) {
      neighOutput(out, nextHop, d, l2Dst);
      return;
    }
    List<byte[]> frags = Fragmenter.fragment(d, mtu);
    if (frags.isEmpty()) {
      counter(out.name())[TX_DROPPED]++;
      drop("MTU too small to fragment");
      return;
    }
    for (byte[] frag : frags) {
      neighOutput(out, nextHop, frag, l2Dst);
    }
  }

  private void neighOutput(Link out, Ipv4Address nextHop, byte[] d, MacAddress l2Dst) {
    if (out.isLoopback()) {
      loopbackXmit(d);
      return;
    }
    if (l2Dst != null) {
      xmit(out, l2Dst, d);
      return;
    }
    if (out.noArp()) {
      xmit(out, out.mac(), d);
      return;
    }
    Ipv4Address hint = Ipv4Address.read(d, 12);
    NeighbourTable.Resolution res = neigh.resolve(out.name(), nextHop, new Pending(d), d.length, hint, nowMs());
    if (res instanceof NeighbourTable.Resolved r) {
      xmit(out, r.mac(), d);
    }
  }

  private void loopbackXmit(byte[] d) {
    Link lo = loopback();
    byte[] frame = EthernetHeader.of(MacAddress.ZERO, MacAddress.ZERO, EtherType.IPV4).frame(d, false);
    tap(lo.name(), Direction.OUT, PacketType.OUTGOING, frame);
    long[] c = counter(lo.name());
    c[TX_PACKETS]++;
    c[TX_BYTES] += frame.length;
    backlog.addLast(frame);
  }

  private void xmit(Link out, MacAddress dstMac, byte[] d) {
    xmitRaw(out, EthernetHeader.of(dstMac, out.mac(), EtherType.IPV4).frame(d, false));
  }

  /** A whole frame out of {@code out}: its egress program, taps, counters, then the wire. */
  void xmitRaw(Link out, byte[] frame) {
    egress(out, frame, null, 0);
  }

  private void egress(Link out, byte[] frame, DatapathProgram.TunnelKey key, int depth) {
    DatapathProgram prog = egressPrograms.get(out.name());
    if (prog != null) {
      DatapathProgram.Verdict v = prog.run(new DatapathProgram.Packet(out.name(), DatapathProgram.Hook.EGRESS,
          timers.nowMicros(), frame, key));
      if (!(v instanceof DatapathProgram.Pass)) {
        apply(v, depth);
        return;
      }
    }
    xmitWire(out, frame, key);
  }

  /**
   * Taps, counters, then the wire: a dummy device eats the frame, a tunnel device encapsulates it
   * (see {@link #addTunnelDevice}), anything else hands it to the {@link Output}.
   */
  private void xmitWire(Link out, byte[] frame, DatapathProgram.TunnelKey key) {
    TunnelDevice t = tunnels.get(out.name());
    if (t != null && key == null) {
      counter(out.name())[TX_ERRORS]++;
      drop("tunnel: no tunnel metadata"); // geneve_xmit: "missing tunnel metadata", tx_errors
      return;
    }
    tap(out.name(), Direction.OUT, PacketType.OUTGOING, frame);
    long[] c = counter(out.name());
    c[TX_PACKETS]++;
    c[TX_BYTES] += frame.length;
    if (out.kind() == LinkKind.DUMMY) {
      return;
    }
    if (t != null) {
      tunnelXmit(t, frame, key);
      return;
    }
    output.transmit(out.name(), frame);
  }

  /** Carries out a program's verdict (anything but PASS). */
  private void apply(DatapathProgram.Verdict v, int depth) {
    if (v instanceof DatapathProgram.Drop d) {
      drop(d.reason());
    } else if (v instanceof DatapathProgram.Transmit t) {
      Link l = link(t.dev());
      if (l == null || !l.up()) {
        drop("redirect: device " + t.dev() + " missing or down");
        return;
      }
      xmitWire(l, t.frame(), null);
    } else if (v instanceof DatapathProgram.RedirectNeigh n) {
      Link l = link(n.dev());
      if (l == null || !l.up()) {
        drop("redirect: device " + n.dev() + " missing or down");
        return;
      }
      byte[] f = n.frame();
      if (f.length < EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH
          || Bytes.u16(f, EthernetHeader.TYPE_OFFSET) != EtherType.IPV4) {
        drop("redirect_neigh: not IPv4");
        return;
      }
      byte[] d = Arrays.copyOfRange(f, EthernetHeader.LENGTH, f.length);
      if (d.length > l.mtu()) {
        counter(l.name())[TX_DROPPED]++;
        drop("redirect_neigh: over the MTU");
        return;
      }
      neighOutput(l, n.nextHop(), d, null);
    } else if (v instanceof DatapathProgram.Redirect r) {
      if (depth >= MAX_REDIRECTS) {
        drop("redirect loop");
        return;
      }
      Link l = link(r.dev());
      if (l == null || !l.up()) {
        drop("redirect: device " + r.dev() + " missing or down");
        return;
      }
      if (r.ingress()) {
        receiveFrame(r.dev(), r.frame(), r.tunnel(), depth + 1);
      } else {
        egress(l, r.frame(), r.tunnel(), depth + 1);
      }
    }
  }

  // ================================================================= programs and tunnels

  /**
   * Attaches {@code program} to {@code dev}'s {@code hook} (replacing what was there, as {@code tc
   * filter replace} does). The device need not exist yet.
   */
  public Registration attach(String dev, DatapathProgram.Hook hook, DatapathProgram program) {
    Map<String, DatapathProgram> m = hook == DatapathProgram.Hook.INGRESS ? ingressPrograms : egressPrograms;
    m.put(dev, program);
    return () -> m.remove(dev, program);
  }

  /**
   * Makes {@code dev} (a {@link LinkKind#TUNNEL} device of the stack) a collect-metadata tunnel of
   * {@code kind} on UDP {@code port}, as the Linux geneve/vxlan drivers in external mode:
   * <ul>
   *   <li>transmit: a frame with a {@link DatapathProgram.TunnelKey} is encapsulated (VNI from the
   *       key, outer TTL 64, DF clear, UDP checksum 0, outer source port from the inner flow's
   *       hash with {@code hashSeed} in [sourcePortMin, sourcePortMax), or the driver's default
   *       range when both are 0: 1-65535 for Geneve, the local port range for VXLAN), routed to
   *       the key's remote by this host's tables (source address as the route selects) and sent;
   *       a frame without a key is dropped (tx_errors);
   *   <li>receive: a UDP datagram to a local address on {@code port} is decapsulated and the
   *       inner frame received on {@code dev} with the outer source and the VNI as its key.
   * </ul>
   */
  public void addTunnelDevice(String dev, TunnelKind kind, int port, int sourcePortMin, int sourcePortMax,
      int hashSeed) {
    Link l = link(dev);
    if (l == null || l.kind() != LinkKind.TUNNEL) {
      throw new IllegalArgumentException("no tunnel device " + dev);
    }
    tunnels.values().removeIf(t -> t.port() == port);
    tunnels.put(dev, new TunnelDevice(dev, kind, port, sourcePortMin, sourcePortMax, hashSeed));
  }

  /**
   * Sends a whole frame out of {@code dev} now, as a program's {@code bpf_clone_redirect} of a
   * frame it built (an ICMP error, an ARP reply): taps, counters, the wire; no program runs.
   * Meant to be called while a program runs; false when the device is missing or down.
   */
  public boolean transmitNow(String dev, byte[] frame) {
    Link l = link(dev);
    if (l == null || !l.up()) {
      return false;
    }
    xmitWire(l, frame, null);
    return true;
  }

  /** Stops treating {@code dev} as a tunnel (its UDP port is no longer taken). */
  public void removeTunnelDevice(String dev) {
    tunnels.remove(dev);
  }

  private void tunnelXmit(TunnelDevice t, byte[] inner, DatapathProgram.TunnelKey key) {
    if (inner.length < EthernetHeader.LENGTH) {
      drop("tunnel: inner frame too short");
      return;
    }
    RouteGet rg;
    try {
      rg = stack.routeGet(key.remote(), 0);
    } catch (NetlinkException e) {
      counter(t.dev())[TX_ERRORS]++;
      drop("tunnel: no route to " + key.remote());
      return;
    }
    Link out = rg.type() == RouteType.LOCAL ? loopback() : stack.links().byIndex(rg.oif()).orElse(null);
    if (out == null || !out.up() || rg.src() == null || tunnels.containsKey(out.name())) {
      counter(t.dev())[TX_ERRORS]++;
      drop("tunnel: no route to " + key.remote());
      return;
    }
    int min = t.sourcePortMin();
    int max = t.sourcePortMax();
    if (min == 0 && max == 0 && t.kind() == TunnelKind.GENEVE) {
      min = FlowHash.GENEVE_PORT_MIN;
      max = FlowHash.GENEVE_PORT_MAX;
    }
    int sport = FlowHash.udpFlowSourcePort(FlowHash.innerFrameHash(inner, 0, inner.length, t.hashSeed()), min, max);
    Ipv4Address src = rg.src();
    int id = nextId(src, key.remote(), IpProtocol.UDP);
    byte[] frame = t.kind() == TunnelKind.GENEVE
        ? Encapsulation.geneve(inner, 0, inner.length, MacAddress.ZERO, MacAddress.ZERO, src, key.remote(),
            DEFAULT_TTL, id, sport, t.port(), key.vni(), List.of())
        : Encapsulation.vxlan(inner, 0, inner.length, MacAddress.ZERO, MacAddress.ZERO, src, key.remote(),
            DEFAULT_TTL, id, sport, t.port(), key.vni());
    byte[] d = Arrays.copyOfRange(frame, EthernetHeader.LENGTH, frame.length);
    int mtu = rg.mtu() != 0 ? rg.mtu() : out.mtu();
    Ipv4Address nextHop = rg.gateway() != null ? rg.gateway() : key.remote();
    finishOutput(out, nextHop, d, mtu, null);
  }

  /** udp_tunnel encap_rcv: true when the datagram was a tunnel's (taken, decapsulated or dropped). */
  private boolean tunnelReceive(Ipv4Header h, UdpHeader u, byte[] f, int off) {
    if (tunnels.isEmpty()) {
      return false;
    }
    TunnelDevice t = null;
    for (TunnelDevice c : tunnels.values()) {
      if (c.port() == u.destinationPort()) {
        t = c;
      }
    }
    if (t == null) {
      return false;
    }
    Link l = link(t.dev());
    if (l == null || !l.up()) {
      return false;
    }
    int total = h.totalLength();
    byte[] buf = new byte[EthernetHeader.LENGTH + total];
    Bytes.put16(buf, EthernetHeader.TYPE_OFFSET, EtherType.IPV4);
    System.arraycopy(f, off, buf, EthernetHeader.LENGTH, total);
    Decapsulated d;
    try {
      d = Encapsulation.decapsulate(buf, 0, buf.length, t.kind());
    } catch (PacketException e) {
      counter(t.dev())[RX_ERRORS]++;
      drop("tunnel: " + e.reason());
      return true;
    }
    byte[] inner = Arrays.copyOfRange(buf, d.innerOffset(), d.innerOffset() + d.innerLength());
    receiveFrame(t.dev(), inner, new DatapathProgram.TunnelKey(d.outerSource(), d.vni()), 0);
    return true;
  }

  /**
   * ip_local_out for a datagram built by the caller (a datapath program's reply, say): routed by
   * destination, fragmented if allowed and needed, resolved and sent. Returns 0 or an errno.
   */
  public int sendDatagram(byte[] datagram) {
    return enter(() -> {
      Ipv4Header h = Ipv4Header.decodeHeaderOnly(datagram, 0, datagram.length);
      RouteGet rg;
      try {
        rg = stack.routeGet(h.destination(), 0);
      } catch (NetlinkException e) {
        return errno(e.errno());
      }
      Link out = rg.type() == RouteType.LOCAL ? loopback() : stack.links().byIndex(rg.oif()).orElse(null);
      if (out == null || !out.up()) {
        return IpSender.ENETUNREACH;
      }
      int mtu = rg.mtu() != 0 ? rg.mtu() : out.mtu();
      if (h.dontFragment() && datagram.length > mtu) {
        return IpSender.EMSGSIZE;
      }
      Ipv4Address nextHop = rg.gateway() != null ? rg.gateway() : h.destination();
      finishOutput(out, nextHop, datagram.clone(), mtu, null);
      return IpSender.OK;
    });
  }

  private Link loopback() {
    for (Link l : stack.links().all()) {
      if (l.isLoopback()) {
        return l;
      }
    }
    throw new IllegalStateException("host has no loopback device");
  }

  /** Path-MTU discovery setting of a socket (IP_MTU_DISCOVER). */
  public enum Pmtu {
    /** IP_PMTUDISC_WANT, the default: DF when the datagram fits the route, else fragment. */
    WANT,
    /** IP_PMTUDISC_DO: DF always; larger than the route's MTU fails with EMSGSIZE. */
    DO,
    /** IP_PMTUDISC_DONT: never DF. */
    DONT
  }

  /**
   * Local output (ip_route_output + ip_queue_xmit / ip_append_data): routes {@code dst} (through
   * {@code oifName} when given), picks the source when {@code src} is null, builds the header
   * and sends. Returns 0 or an errno.
   */
  int sendLocal(Ipv4Address src, Ipv4Address dst, int protocol, int ttl, int tos, Pmtu pmtu, byte[] payload,
      int off, int len, String oifName) {
    int oif = 0;
    if (oifName != null) {
      Link l = stack.links().byName(oifName).orElse(null);
      if (l == null) {
        return ENODEV;
      }
      oif = l.index();
    }
    RouteGet rg;
    try {
      rg = stack.routeGet(dst, oif);
    } catch (NetlinkException e) {
      return errno(e.errno());
    }
    Ipv4Address source = src != null ? src : rg.src();
    if (source == null) {
      return EADDRNOTAVAIL;
    }
    Link out = rg.type() == RouteType.LOCAL ? loopback() : stack.links().byIndex(rg.oif()).orElse(null);
    if (out == null || !out.up()) {
      return IpSender.ENETUNREACH;
    }
    int mtu = rg.mtu() != 0 ? rg.mtu() : out.mtu();
    int total = Ipv4Header.MIN_LENGTH + len;
    if (total > 0xffff || (pmtu == Pmtu.DO && total > mtu)) {
      return IpSender.EMSGSIZE;
    }
    boolean df = pmtu == Pmtu.DO || (pmtu == Pmtu.WANT && total <= mtu);
    Ipv4Header h = Ipv4Header.builder().source(source).destination(dst).protocol(protocol)
        .ttl(ttl == 0 ? DEFAULT_TTL : ttl).dscp(tos >>> 2).ecn(tos & 3).dontFragment(df)
        .identification(nextId(source, dst, protocol)).payloadLength(len).build();
    byte[] d = new byte[total];
    h.encode(d, 0);
    System.arraycopy(payload, off, d, Ipv4Header.MIN_LENGTH, len);
    MacAddress l2 = null;
    if (rg.type() == RouteType.BROADCAST || dst.value() == -1) {
      l2 = MacAddress.BROADCAST;
    } else if (isMulticast(dst)) {
      l2 = new MacAddress(0x01005e000000L | (dst.value() & 0x7fffff));
    }
    Ipv4Address nextHop = rg.gateway() != null ? rg.gateway() : dst;
    finishOutput(out, nextHop, d, mtu, l2);
    return IpSender.OK;
  }

  /** The MTU of the route to {@code dst} (for ping's "message too long, mtu=N"), 0 when unroutable. */
  public int routeMtu(Ipv4Address dst) {
    try {
      RouteGet rg = stack.routeGet(dst, 0);
      if (rg.mtu() != 0) {
        return rg.mtu();
      }
      Link out = rg.type() == RouteType.LOCAL ? loopback() : stack.links().byIndex(rg.oif()).orElse(null);
      return out == null ? 0 : out.mtu();
    } catch (NetlinkException e) {
      return 0;
    }
  }

  /** The errno number the kernel returns to a socket for a routing error. */
  static int errno(Errno e) {
    return switch (e) {
      case ENETUNREACH -> IpSender.ENETUNREACH;
      case EHOSTUNREACH -> IpSender.EHOSTUNREACH;
      case EACCES -> IpSender.EACCES;
      case ENODEV -> ENODEV;
      case ENETDOWN -> ENETDOWN;
      case EADDRNOTAVAIL -> EADDRNOTAVAIL;
      default -> EINVAL;
    };
  }

  /** strerror for the errnos this core returns. */
  public static String strerror(int errno) {
    return switch (errno) {
      case IpSender.ENETUNREACH -> "Network is unreachable";
      case IpSender.EHOSTUNREACH -> "No route to host";
      case IpSender.EACCES -> "Permission denied";
      case IpSender.EMSGSIZE -> "Message too long";
      case EINVAL -> "Invalid argument";
      case EADDRNOTAVAIL -> "Cannot assign requested address";
      case ENETDOWN -> "Network is down";
      case ENODEV -> "No such device";
      case EADDRINUSE -> "Address already in use";
      case UdpSocket.ECONNREFUSED -> "Connection refused";
      default -> "Unknown error " + errno;
    };
  }

  private int nextId(Ipv4Address src, Ipv4Address dst, int protocol) {
    IdKey k = new IdKey(src.value(), dst.value(), protocol);
    Integer cur = ipIds.get(k);
    int id = cur == null ? random.nextInt(0x10000) : cur;
    ipIds.put(k, (id + 1) & 0xffff);
    return id;
  }

  // ================================================================= ICMP errors

  /**
   * __icmp_send: an error about the datagram {@code f[off, off+len)}, back to its source, unless
   * RFC 1122 forbids it (errors about errors, non-first fragments, broadcasts). The source is the
   * datagram's destination when that was us, otherwise what the route back selects.
   */
  void icmpSend(byte[] f, int off, int len, int type, int code, long rest, PacketType rxType, boolean dstLocal) {
    if (rxType != PacketType.HOST) {
      return;
    }
    if (!IcmpMessage.errorAllowedFor(f, off, len)) {
      return;
    }
    Ipv4Header h = Ipv4Header.decodeHeaderOnly(f, off, len);
    if (isBroadcastOrZeronet(h.destination()) && !dstLocal) {
      return;
    }
    int routeMtu = routeMtu(h.source());
    if (routeMtu == 0) {
      drop("ICMP error: no route back");
      return;
    }
    IcmpMessage m = IcmpMessage.error(type, code, rest, f, off, Math.min(len, h.totalLength()),
        Math.max(routeMtu, IcmpMessage.MIN_MTU));
    int tos = (h.dscp() << 2 | h.ecn()) & Packets.IPTOS_TOS_MASK | Packets.IPTOS_PREC_INTERNETCONTROL;
    byte[] icmp = m.toBytes();
    sendLocal(dstLocal ? h.destination() : null, h.source(), IpProtocol.ICMP, DEFAULT_TTL, tos, Pmtu.DONT, icmp, 0,
        icmp.length, null);
  }

  // ================================================================= local delivery

  private void localDeliver(Link in, PacketType type, Ipv4Header h, byte[] f, int off, boolean bcast) {
    if (h.isFragment()) {
      byte[] whole = reassemble(in, type, h, f, off);
      if (whole == null) {
        return;
      }
      f = whole;
      off = 0;
      h = Ipv4Header.decode(whole, 0, whole.length);
    }
    switch (h.protocol()) {
      case IpProtocol.ICMP -> icmpReceive(in, type, h, f, off, bcast);
      case IpProtocol.UDP -> udpReceive(in, type, h, f, off, bcast);
      default -> {
        IpProtocolHandler handler = handlers.get(h.protocol());
        if (handler == null) {
          drop("protocol " + h.protocol() + " unreachable");
          if (!bcast) {
            icmpSend(f, off, h.totalLength(), IcmpMessage.DESTINATION_UNREACHABLE,
                IcmpMessage.CODE_PROTOCOL_UNREACHABLE, 0, type, true);
          }
        } else if (!handler.receive(h, f, off, in.name()) && !bcast) {
          icmpSend(f, off, h.totalLength(), IcmpMessage.DESTINATION_UNREACHABLE, IcmpMessage.CODE_PORT_UNREACHABLE,
              0, type, true);
        }
      }
    }
  }

  private void icmpReceive(Link in, PacketType type, Ipv4Header h, byte[] f, int off, boolean bcast) {
    int io = off + h.length();
    int il = h.payloadLength();
    if (il < IcmpMessage.HEADER_LENGTH) {
      drop("ICMP header");
      return;
    }
    if (!Checksum.verify(f, io, il)) {
      drop("ICMP checksum");
      return;
    }
    IcmpMessage m = IcmpMessage.decode(f, io, il);
    long now = timers.nowMicros();
    switch (m.type()) {
      case IcmpMessage.ECHO_REQUEST -> {
        if (bcast) {
          drop("ICMP echo to broadcast ignored"); // icmp_echo_ignore_broadcasts=1
          return;
        }
        byte[] reply = IcmpMessage.of(IcmpMessage.ECHO_REPLY, m.code(), m.restOfHeader(), m.body()).toBytes();
        sendLocal(h.destination(), h.source(), IpProtocol.ICMP, DEFAULT_TTL, h.dscp() << 2 | h.ecn(), Pmtu.DONT,
            reply, 0, reply.length, null);
      }
      case IcmpMessage.ECHO_REPLY -> {
        boolean taken = false;
        for (PingSocket s : pingSockets) {
          taken |= s.offerReply(h, m, now);
        }
        if (!taken) {
          drop("ICMP echo reply: no socket");
        }
      }
      default -> {
        if (m.isError()) {
          icmpErrorReceive(h, m, now);
        }
      }
    }
  }

  /** icmp_unreach: hands the error to the protocol of the datagram it quotes. */
  private void icmpErrorReceive(Ipv4Header h, IcmpMessage m, long now) {
    Ipv4Header q = m.quotedHeader();
    byte[] body = m.body().toByteArray();
    int qo = q.length();
    switch (q.protocol()) {
      case IpProtocol.ICMP -> {
        if (body.length >= qo + 8 && (body[qo] & 0xff) == IcmpMessage.ECHO_REQUEST) {
          int id = Bytes.u16(body, qo + 4);
          int seq = Bytes.u16(body, qo + 6);
          for (PingSocket s : pingSockets) {
            s.offerError(h.source(), q, id, seq, m, now);
          }
        }
      }
      case IpProtocol.UDP -> {
        if (body.length >= qo + 4) {
          int sport = Bytes.u16(body, qo);
          int dport = Bytes.u16(body, qo + 2);
          for (UdpSocket s : udpSockets) {
            s.offerError(q, sport, dport, m);
          }
        }
      }
      default -> {
        IpProtocolHandler handler = handlers.get(q.protocol());
        if (handler != null) {
          handler.icmpError(m.type(), m.code(), m.restOfHeader(), body, 0, body.length);
        }
      }
    }
  }

  private void udpReceive(Link in, PacketType type, Ipv4Header h, byte[] f, int off, boolean bcast) {
    int uo = off + h.length();
    UdpHeader u = UdpHeader.decode(f, uo, h.payloadLength());
    if (!u.checksumValid(h.source(), h.destination(), f, uo)) {
      drop("UDP checksum");
      return;
    }
    if (!bcast && tunnelReceive(h, u, f, off)) {
      return;
    }
    byte[] data = Arrays.copyOfRange(f, uo + UdpHeader.LENGTH, uo + u.length());
    long now = timers.nowMicros();
    if (bcast) {
      boolean any = false;
      for (UdpSocket s : udpSockets) {
        if (s.matches(h.destination(), u.destinationPort(), true, h.source(), u.sourcePort())) {
          s.offer(h, u, data, in.name(), now);
          any = true;
        }
      }
      if (!any) {
        drop("UDP no socket");
      }
      return;
    }
    UdpSocket best = null;
    int bestScore = -1;
    for (UdpSocket s : udpSockets) {
      int score = s.score(h.destination(), u.destinationPort(), h.source(), u.sourcePort());
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    if (best == null) {
      drop("UDP no socket");
      icmpSend(f, off, h.totalLength(), IcmpMessage.DESTINATION_UNREACHABLE, IcmpMessage.CODE_PORT_UNREACHABLE, 0,
          type, true);
      return;
    }
    best.offer(h, u, data, in.name(), now);
  }

  // ================================================================= reassembly

  private final class FragQueue {
    final TreeMap<Integer, byte[]> parts = new TreeMap<>();
    byte[] firstHeader;
    byte[] firstFragment;
    int total = -1;
    int bytes;
    PacketType type;
    Timers.Timer timer;
  }

  /** ip_defrag: the whole datagram once every piece is in, else null. */
  private byte[] reassemble(Link in, PacketType type, Ipv4Header h, byte[] f, int off) {
    FragKey k = new FragKey(h.source().value(), h.destination().value(), h.protocol(), h.identification());
    int start = h.fragmentOffset() * 8;
    int n = h.payloadLength();
    int end = start + n;
    int po = off + h.length();
    if ((h.moreFragments() && (n % 8 != 0 || n == 0)) || end > 0xffff - h.length()) {
      drop("IPv4 fragment malformed");
      return null;
    }
    FragQueue q = fragQueues.get(k);
    if (q == null) {
      q = new FragQueue();
      FragQueue qq = q;
      q.timer = schedule(timers.nowMicros() + REASSEMBLY_TIMEOUT_MICROS, () -> expire(k, qq));
      fragQueues.put(k, q);
    }
    if (!h.moreFragments()) {
      if ((q.total >= 0 && q.total != end) || (!q.parts.isEmpty() && q.parts.lastEntry().getKey()
          + q.parts.lastEntry().getValue().length > end)) {
        discard(k, q, "IPv4 fragment overlap");
        return null;
      }
      q.total = end;
    } else if (q.total >= 0 && end > q.total) {
      discard(k, q, "IPv4 fragment overlap");
      return null;
    }
    // Linux (since 4.19) drops the whole queue on any overlap; an exact duplicate is just dropped.
    var floor = q.parts.floorEntry(start);
    var ceil = q.parts.ceilingEntry(start);
    if (floor != null && floor.getKey() == start && floor.getValue().length == n) {
      drop("IPv4 fragment duplicate");
      return null;
    }
    if ((floor != null && floor.getKey() + floor.getValue().length > start) || (ceil != null && ceil.getKey() < end)) {
      discard(k, q, "IPv4 fragment overlap");
      return null;
    }
    q.parts.put(start, Arrays.copyOfRange(f, po, po + n));
    q.bytes += n;
    if (start == 0) {
      q.firstHeader = Arrays.copyOfRange(f, off, po);
      q.firstFragment = Arrays.copyOfRange(f, off, off + h.totalLength());
      q.type = type;
    }
    if (q.total < 0 || q.firstHeader == null || q.bytes != q.total) {
      return null;
    }
    q.timer.cancel();
    fragQueues.remove(k);
    int hlen = q.firstHeader.length;
    byte[] whole = new byte[hlen + q.total];
    System.arraycopy(q.firstHeader, 0, whole, 0, hlen);
    for (var e : q.parts.entrySet()) {
      System.arraycopy(e.getValue(), 0, whole, hlen + e.getKey(), e.getValue().length);
    }
    int ff = Bytes.u16(whole, Fragmenter.IP_FLAGS_FRAGMENT) & (Ipv4Header.FLAG_DF << 13 | Ipv4Header.FLAG_RESERVED << 13);
    Bytes.put16(whole, Fragmenter.IP_FLAGS_FRAGMENT, ff);
    Bytes.put16(whole, Fragmenter.IP_TOTAL_LENGTH, whole.length);
    Bytes.put16(whole, Fragmenter.IP_CHECKSUM, 0);
    Bytes.put16(whole, Fragmenter.IP_CHECKSUM, Checksum.compute(whole, 0, hlen));
    return whole;
  }

  private void discard(FragKey k, FragQueue q, String reason) {
    q.timer.cancel();
    fragQueues.remove(k);
    drop(reason);
  }

  /** ip_expire: time exceeded (reassembly) to the source, if the first fragment came. */
  private void expire(FragKey k, FragQueue q) {
    if (fragQueues.get(k) != q) {
      return;
    }
    fragQueues.remove(k);
    drop("IPv4 reassembly timeout");
    if (q.firstFragment != null) {
      icmpSend(q.firstFragment, 0, q.firstFragment.length, IcmpMessage.TIME_EXCEEDED,
          IcmpMessage.CODE_REASSEMBLY_TIME_EXCEEDED, 0, q.type, true);
    }
  }

  /** Datagrams waiting for their other fragments. */
  public int reassemblyQueues() {
    return fragQueues.size();
  }

  // ================================================================= sockets and transports

  /** An ICMP echo socket with identifier {@code id} (ping's). */
  public PingSocket openPing(int id) {
    PingSocket s = new PingSocket(this, id);
    pingSockets.add(s);
    return s;
  }

  /**
   * An ICMP echo socket whose identifier the kernel picks, as for an unbound ping socket
   * (net/ipv4/ping.c ping_get_port): the next free one after a per-host rover, so the first ping
   * on a host gets id 1, the next 2, and so on.
   */
  public PingSocket openPing() {
    for (int i = 0; i < 0x10000; i++) {
      pingRover = (pingRover + 1) & 0xffff;
      if (pingRover == 0) {
        continue;
      }
      int id = pingRover;
      if (pingSockets.stream().noneMatch(s -> s.identifier() == id)) {
        return openPing(id);
      }
    }
    throw new IllegalStateException("no free ICMP echo identifier");
  }

  /** A packet socket on {@code dev} for frames of {@code etherType} ({@link PacketSocket#ALL} for all). */
  public PacketSocket openPacket(String dev, int etherType) {
    Link l = stack.links().byName(dev).orElseThrow(() -> new IllegalArgumentException("no device " + dev));
    PacketSocket s = new PacketSocket(this, l.name(), etherType);
    packetSockets.add(s);
    return s;
  }

  /** An unbound UDP socket. */
  public UdpSocket openUdp() {
    UdpSocket s = new UdpSocket(this);
    udpSockets.add(s);
    return s;
  }

  /** Registers the transport for {@code protocol} (TCP: 6). ICMP and UDP are the core's own. */
  public Registration register(int protocol, IpProtocolHandler handler) {
    if (protocol == IpProtocol.ICMP || protocol == IpProtocol.UDP) {
      throw new IllegalArgumentException("protocol " + protocol + " is handled by the core");
    }
    if (handlers.putIfAbsent(protocol, handler) != null) {
      throw new IllegalStateException("protocol " + protocol + " already registered");
    }
    return () -> handlers.remove(protocol, handler);
  }

  /** How transports send: DF as asked (TCP sets it), routed and resolved by this core. */
  public IpSender ipSender() {
    return ipSender;
  }

  private final class Sender implements IpSender {
    @Override
    public Ipv4Address sourceFor(Ipv4Address dst) {
      try {
        return stack.routeGet(dst, 0).src();
      } catch (NetlinkException e) {
        return null;
      }
    }

    @Override
    public int send(Ipv4Address src, Ipv4Address dst, int protocol, int ttl, boolean df, byte[] payload, int off,
        int len) {
      int[] rc = {EINVAL};
      guarded(() -> rc[0] = sendLocal(src, dst, protocol, ttl, 0, df ? Pmtu.DO : Pmtu.DONT, payload, off, len, null));
      finish();
      return rc[0];
    }
  }

  /** Runs socket work as an entry point: guarded, then deferred work settled. */
  int enter(java.util.function.IntSupplier work) {
    int[] rc = {EINVAL};
    guarded(() -> rc[0] = work.getAsInt());
    finish();
    return rc[0];
  }

  /** A free ephemeral port in net.ipv4.ip_local_port_range (32768-60999), chosen at random. */
  int ephemeralPort() {
    TreeSet<Integer> used = new TreeSet<>();
    for (UdpSocket s : udpSockets) {
      used.add(s.localPort());
    }
    int span = 60999 - 32768 + 1;
    int start = random.nextInt(span);
    for (int i = 0; i < span; i++) {
      int p = 32768 + (start + i) % span;
      if (!used.contains(p)) {
        return p;
      }
    }
    return 0;
  }

  Link link(String dev) {
    return stack.links().byName(dev).orElse(null);
  }

  long now() {
    return timers.nowMicros();
  }

  private static boolean isMulticast(Ipv4Address a) {
    return (a.value() >>> 28) == 0xe;
  }

  private static boolean isLoopbackNet(Ipv4Address a) {
    return (a.value() >>> 24) == 127;
  }
}
