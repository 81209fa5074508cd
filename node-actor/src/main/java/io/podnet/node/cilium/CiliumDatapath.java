package io.podnet.node.cilium;

import io.podnet.netstack.core.DatapathProgram;
import io.podnet.netstack.core.DatapathProgram.Packet;
import io.podnet.netstack.core.DatapathProgram.TunnelKey;
import io.podnet.netstack.core.DatapathProgram.Verdict;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteType;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.node.cilium.hubble.FlowRing;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * Cilium's BPF datapath on one node, as {@link DatapathProgram}s on the node's {@link HostCore}:
 * <ul>
 *   <li>{@code cil_from_container} on each endpoint's lxc ingress: ARP answered with the lxc MAC;
 *       services translated per connection (random backend, conntrack for the replies); a local
 *       destination delivered to its lxc (to-endpoint); with tunneling, a destination whose ipcache
 *       entry has a tunnel endpoint encapsulated with VNI = the source identity (to-overlay), after
 *       an MTU check (DF and over the route MTU: ICMP fragmentation needed back to the pod);
 *       anything else handed to the stack (to-stack);
 *   <li>{@code cil_from_overlay} on the tunnel device's ingress: the source identity from the VNI,
 *       local endpoints delivered, the host's own addresses passed to cilium_host, others dropped;
 *   <li>{@code cil_from_host} on cilium_host's egress (the node's own traffic routed to pod CIDRs
 *       with src = the router IP): local endpoints delivered, tunnelled destinations encapsulated
 *       with the host identity;
 *   <li>{@code cil_from_netdev} / {@code cil_to_netdev} on the native devices: natively routed
 *       packets for local endpoints delivered directly; to-network traces;
 *   <li>{@code nodeport_lb4} (kube-proxy replacement, lbMode snat) for TCP/UDP arriving from
 *       outside on a native device (addressed to its MAC) or, for replies, from the overlay: a
 *       NodePort, LoadBalancer or ExternalIPs frontend gets a random backend per connection
 *       (externalTrafficPolicy Local: local backends only). A local backend is reached by DNAT
 *       alone (the client address kept) and its replies, seen by cil_from_container, are
 *       reverse-translated and FIB-redirected out of the native device. A remote backend is
 *       reached by DNAT plus SNAT (snat_v4: the client's port kept when it is in the NodePort NAT
 *       range and free, else a random one there): in tunnel mode, when the backend's ipcache
 *       entry has a tunnel endpoint, to the router IP and encapsulated with the world identity;
 *       otherwise to the node's InternalIP and FIB-redirected (TTL decremented, next hop by the
 *       node's tables, bpf_redirect_neigh). Its replies get reverse SNAT and reverse DNAT and are
 *       FIB-redirected to the client. A frontend without backends drops (Service backend not
 *       found); a ClusterIP reached from outside drops (Is a ClusterIP).
 * </ul>
 * Delivery to an endpoint is {@code ipv4_local_delivery}: TTL decremented, MACs rewritten (lxc MAC
 * to the pod's), then redirected out of the lxc. Policy is allow-all. Flow events go to the
 * node's {@link FlowRing}; with monitor aggregation (Cilium's default, medium) the from-* trace
 * points are not reported.
 */
public final class CiliumDatapath {
  /** Cilium's drop reasons (pkg/monitor/api/drop.go) used here. */
  public static final String DROP_UNSUPPORTED_L3 = "Unsupported L3 protocol";
  public static final String DROP_UNROUTABLE = "Stale or unroutable IP";
  public static final String DROP_NO_TUNNEL = "No tunnel/encapsulation endpoint (datapath BUG!)";
  public static final String DROP_INVALID = "Invalid packet";
  public static final String DROP_INVALID_SIP = "Invalid source ip";
  public static final String DROP_INVALID_IDENTITY = "Invalid identity";
  public static final String DROP_TTL = "TTL exceeded";
  public static final String DROP_FRAG_NEEDED = "Fragmentation needed";
  public static final String DROP_NO_BACKEND = "Service backend not found";
  public static final String DROP_IS_CLUSTER_IP = "Is a ClusterIP";
  public static final String DROP_NO_FIB = "FIB lookup failed";
  public static final String DROP_NAT_NO_PORT = "No mapping for NAT masquerade";

  /** The source ports SNAT picks from for NodePort traffic to remote backends (NODEPORT_PORT_{MIN,MAX}_NAT). */
  public static final int NODEPORT_PORT_MIN_NAT = 32768;
  public static final int NODEPORT_PORT_MAX_NAT = 65535;
  /** How often snat_v4_new_mapping tries another port after a collision (SNAT_COLLISION_RETRIES). */
  static final int SNAT_COLLISION_RETRIES = 128;
  private static final int NODEPORT_CT_SIZE = 65536;

  /** A local endpoint: the pod, its lxc device on this node and the MAC of its eth0. */
  public record LocalEndpoint(EndpointInfo info, String lxc, MacAddress podMac) {}

  private record Tuple(int src, int dst, int sport, int dport, int proto) {
    Tuple reversed() {
      return new Tuple(dst, src, dport, sport, proto);
    }
  }

  /**
   * A NodePort connection from outside: the client's tuple to the frontend, the backend, and for a
   * remote backend the SNAT address and port (null and 0 for a local one).
   */
  private record NodePortConn(Tuple request, Ipv4Address backend, int backendPort, Ipv4Address snatIp,
      int snatPort) {
    /** The tuple the backend's replies carry. */
    Tuple reply() {
      return snatIp == null ? new Tuple(backend.value(), request.src(), backendPort, request.sport(), request.proto())
          : new Tuple(backend.value(), snatIp.value(), backendPort, snatPort, request.proto());
    }
  }

  private record L4(int proto, int sport, int dport, int flags, int icmpType, int icmpCode, int l4Offset) {}

  private final String nodeName;
  private final HostCore core;
  private final AgentConfig config;
  private final CiliumNodeInfo self;
  private final List<String> nativeDevices;
  private final RandomGenerator random;
  private final FlowRing ring;
  private final int hashSeed;
  private boolean aggregate = true;
  private final Map<Ipv4Address, LocalEndpoint> local = new HashMap<>();
  private final Map<Ipv4Address, EndpointInfo> endpoints = new HashMap<>();
  /** The endpoints' pod names ({@code namespace/name}) by IP, built once per endpoint, not per flow. */
  private final Map<Ipv4Address, String> podNames = new HashMap<>();
  private List<IpCacheEntry> ipcache = List.of();
  private final Map<Tuple, ServiceTable.Frontend> frontends = new HashMap<>();
  private final Map<Tuple, Tuple> lbForward = new HashMap<>();
  private final Map<Tuple, Tuple> lbReverse = new HashMap<>();
  private final Map<Tuple, Boolean> ct = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Tuple, Boolean> e) {
      return size() > 65536;
    }
  };
  /** nodeport_lb4's conntrack, by the client's tuple; evicting an entry forgets its reply tuple too. */
  private final Map<Tuple, NodePortConn> nodePortConns = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Tuple, NodePortConn> e) {
      if (size() > NODEPORT_CT_SIZE) {
        nodePortReplies.remove(e.getValue().reply());
        return true;
      }
      return false;
    }
  };
  /** The same connections by the tuple of the backend's replies (the SNAT map's reverse entries). */
  private final Map<Tuple, NodePortConn> nodePortReplies = new HashMap<>();
  private final List<HostCore.Registration> attached = new ArrayList<>();
  private Map<String, Set<Ipv4Address>> l2Responder = Map.of();
  private final Map<Ipv4Address, HostCore.Registration> endpointHooks = new HashMap<>();

  /**
   * @param nodeName this node
   * @param core the node's host datapath
   * @param config the agent configuration (routing mode, tunnel protocol, port, source port range)
   * @param self this node's CiliumNode (InternalIP, podCIDR, router IP)
   * @param nativeDevices the devices Cilium attaches its netdev programs to (e.g. eth1)
   * @param random the node's seeded generator (backend choice, the tunnel flow-hash seed)
   * @param ring where flow events go
   */
  public CiliumDatapath(String nodeName, HostCore core, AgentConfig config, CiliumNodeInfo self,
      List<String> nativeDevices, RandomGenerator random, FlowRing ring) {
    this.nodeName = nodeName;
    this.core = core;
    this.config = config;
    this.self = self;
    this.nativeDevices = List.copyOf(nativeDevices);
    this.random = random;
    this.ring = ring;
    this.hashSeed = random.nextInt();
  }

  /** monitor-aggregation: medium (true, the default) hides the from-* trace points; none shows all. */
  public void setMonitorAggregation(boolean on) {
    this.aggregate = on;
  }

  /**
   * Attaches the programs: cilium_host egress, the tunnel device (as a collect-metadata tunnel on
   * the configured port, source port range and this node's hash seed) in tunnel mode, the native
   * devices. The devices must exist ({@link NodeDatapath#ensureDevices}).
   */
  public void install() {
    attached.add(core.attach(NodeDatapath.HOST_DEVICE, DatapathProgram.Hook.EGRESS, this::fromHost));
    if (config.tunneling()) {
      String dev = config.tunnelDevice();
      core.addTunnelDevice(dev, config.tunnelProtocol(), config.tunnelPort(), config.sourcePortLow(),
          config.sourcePortHigh(), hashSeed);
      attached.add(core.attach(dev, DatapathProgram.Hook.INGRESS, this::fromOverlay));
    }
    for (String dev : nativeDevices) {
      attached.add(core.attach(dev, DatapathProgram.Hook.INGRESS, this::fromNetdev));
      attached.add(core.attach(dev, DatapathProgram.Hook.EGRESS, this::toNetdev));
    }
    for (LocalEndpoint ep : local.values()) {
      HostCore.Registration r = core.attach(ep.lxc(), DatapathProgram.Hook.INGRESS, p -> fromContainer(p, ep));
      attached.add(r);
      endpointHooks.put(ep.info().ip(), r);
    }
  }

  /** Detaches everything (an agent restart or a mode switch re-installs). */
  public void uninstall() {
    attached.forEach(HostCore.Registration::cancel);
    attached.clear();
    endpointHooks.clear();
    if (config.tunneling()) {
      core.removeTunnelDevice(config.tunnelDevice());
    }
  }

  /** The tunnel flow-hash seed of this node (the kernel's per-boot hash secret). */
  public int hashSeed() {
    return hashSeed;
  }

  public void setIpCache(Collection<IpCacheEntry> entries) {
    this.ipcache = List.copyOf(entries);
  }

  /** Every endpoint of the cluster (for names in flows). */
  public void setEndpoints(Collection<EndpointInfo> all) {
    endpoints.clear();
    podNames.clear();
    for (EndpointInfo e : all) {
      endpoints.put(e.ip(), e);
      podNames.put(e.ip(), e.podName());
    }
  }

  /** A local endpoint; from-container is attached to its lxc at once. */
  public void addLocalEndpoint(LocalEndpoint ep) {
    local.put(ep.info().ip(), ep);
    endpoints.put(ep.info().ip(), ep.info());
    podNames.put(ep.info().ip(), ep.info().podName());
    HostCore.Registration r = core.attach(ep.lxc(), DatapathProgram.Hook.INGRESS, p -> fromContainer(p, ep));
    attached.add(r);
    endpointHooks.put(ep.info().ip(), r);
  }

  /** A local endpoint gone (its pod deleted, or its identity changed): its program detached. */
  public void removeLocalEndpoint(Ipv4Address ip) {
    local.remove(ip);
    HostCore.Registration r = endpointHooks.remove(ip);
    if (r != null) {
      r.cancel();
      attached.remove(r);
    }
  }

  public void setServices(Collection<ServiceTable.Frontend> services) {
    frontends.clear();
    for (ServiceTable.Frontend f : services) {
      frontends.put(new Tuple(0, f.ip().value(), 0, f.port(), f.protocol()), f);
    }
  }

  /**
   * The socket-level load balancer (cil_sock4_connect): a connect to a service frontend goes to a
   * random backend; null when {@code ip:port} is no frontend or has no backend.
   */
  public ServiceTable.Backend selectBackend(Ipv4Address ip, int port, int proto) {
    ServiceTable.Frontend f = frontends.get(new Tuple(0, ip.value(), 0, port, proto));
    if (f == null || f.backends().isEmpty()) {
      return null;
    }
    return f.backends().get(random.nextInt(f.backends().size()));
  }

  // ================================================================= lookups

  /** Longest-prefix match in the ipcache, or null. */
  IpCacheEntry lookup(Ipv4Address a) {
    IpCacheEntry best = null;
    for (IpCacheEntry e : ipcache) {
      if (e.prefix().contains(a) && (best == null || e.prefix().length() > best.prefix().length())) {
        best = e;
      }
    }
    return best;
  }

  private int identityOf(Ipv4Address a) {
    LocalEndpoint ep = local.get(a);
    if (ep != null) {
      return ep.info().identity();
    }
    if (core.stack().isLocalAddress(a)) {
      return ReservedIdentity.HOST.id();
    }
    IpCacheEntry e = lookup(a);
    return e == null ? ReservedIdentity.WORLD.id() : e.identity();
  }

  private String podOf(Ipv4Address a) {
    return podNames.get(a);
  }

  private MacAddress lxcMac(LocalEndpoint ep) {
    return core.stack().links().byName(ep.lxc()).map(Link::mac).orElse(MacAddress.ZERO);
  }

  // ================================================================= parsing and events

  private static L4 l4(byte[] f, Ipv4Header h) {
    int o = EthernetHeader.LENGTH + h.length();
    int end = EthernetHeader.LENGTH + h.totalLength();
    boolean first = h.fragmentOffset() == 0;
    return switch (h.protocol()) {
      case IpProtocol.TCP -> first && end - o >= 14
          ? new L4(h.protocol(), Bytes.u16(f, o), Bytes.u16(f, o + 2), Bytes.u16(f, o + 12) & 0x1ff, -1, 0, o)
          : new L4(h.protocol(), 0, 0, 0, -1, 0, o);
      case IpProtocol.UDP -> first && end - o >= 4
          ? new L4(h.protocol(), Bytes.u16(f, o), Bytes.u16(f, o + 2), 0, -1, 0, o)
          : new L4(h.protocol(), 0, 0, 0, -1, 0, o);
      case IpProtocol.ICMP -> {
        if (!first || end - o < 8) {
          yield new L4(h.protocol(), 0, 0, 0, -1, 0, o);
        }
        int type = Bytes.u8(f, o);
        int id = type == IcmpMessage.ECHO_REQUEST || type == IcmpMessage.ECHO_REPLY ? Bytes.u16(f, o + 4) : 0;
        // conntrack keys echo by identifier: request id->0, reply 0->id, so a reply reverses its request
        yield type == IcmpMessage.ECHO_REPLY ? new L4(h.protocol(), 0, id, 0, type, Bytes.u8(f, o + 1), o)
            : new L4(h.protocol(), id, 0, 0, type, Bytes.u8(f, o + 1), o);
      }
      default -> new L4(h.protocol(), 0, 0, 0, -1, 0, o);
    };
  }

  /** Conntrack for the is-reply bit: a packet is a reply when its reverse tuple was seen first. */
  private boolean isReply(Ipv4Header h, L4 l4) {
    Tuple t = new Tuple(h.source().value(), h.destination().value(), l4.sport(), l4.dport(), l4.proto());
    if (ct.containsKey(t.reversed()) && !ct.containsKey(t)) {
      return true;
    }
    ct.put(t, Boolean.TRUE);
    return false;
  }

  private void emit(long now, Ipv4Header h, L4 l4, int srcId, int dstId, Flow.Kind kind, Flow.Verdict verdict,
      String type, Boolean reply) {
    boolean icmp = l4.proto() == IpProtocol.ICMP;
    ring.add(new Flow(now, nodeName, h.source(), h.destination(), l4.proto(), icmp ? 0 : l4.sport(),
        icmp ? 0 : l4.dport(), l4.flags(), l4.icmpType(), l4.icmpCode(), srcId, dstId, podOf(h.source()),
        podOf(h.destination()), kind, verdict, type, reply));
  }

  /**
   * A translation event in the shape of Cilium's socket-LB trace (trace-sock): the side whose port
   * the translation point does not know is printed without one.
   */
  private void sockTrace(long now, Ipv4Address src, int sport, int srcId, Ipv4Address dst, int dport, int dstId,
      int proto, String point) {
    ring.add(new Flow(now, nodeName, src, dst, proto, sport, dport, 0, -1, 0, srcId, dstId, podOf(src), podOf(dst),
        Flow.Kind.TRACE_SOCK, Flow.Verdict.TRACED, point, null));
  }

  private void trace(Packet p, Ipv4Header h, L4 l4, int srcId, int dstId, String point) {
    if (aggregate && point.startsWith("from-")) {
      return;
    }
    emit(p.timeMicros(), h, l4, srcId, dstId, Flow.Kind.TRACE, Flow.Verdict.FORWARDED, point, isReply(h, l4));
  }

  private Verdict dropped(Packet p, Ipv4Header h, L4 l4, int srcId, int dstId, String reason) {
    if (h != null) {
      emit(p.timeMicros(), h, l4, srcId, dstId, Flow.Kind.DROP, Flow.Verdict.DROPPED, reason, null);
    }
    return DatapathProgram.drop(reason);
  }

  // ================================================================= programs

  /** cil_from_container. */
  Verdict fromContainer(Packet p, LocalEndpoint ep) {
    byte[] f = p.frame();
    int type = Bytes.u16(f, EthernetHeader.TYPE_OFFSET);
    if (type == EtherType.ARP) {
      return arpRespond(p, ep);
    }
    if (type != EtherType.IPV4) {
      return dropped(p, null, null, 0, 0, DROP_UNSUPPORTED_L3);
    }
    Ipv4Header h;
    try {
      h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
      if (!h.checksumValid() || h.totalLength() > f.length - EthernetHeader.LENGTH) {
        return dropped(p, null, null, 0, 0, DROP_INVALID);
      }
    } catch (PacketException e) {
      return dropped(p, null, null, 0, 0, DROP_INVALID);
    }
    L4 l4 = l4(f, h);
    int srcId = ep.info().identity();
    if (!h.source().equals(ep.info().ip())) {
      return dropped(p, h, l4, srcId, identityOf(h.destination()), DROP_INVALID_SIP);
    }
    trace(p, h, l4, srcId, identityOf(h.destination()), "from-endpoint");
    NodePortConn np = nodePortReply(l4, h);
    if (np != null && np.snatIp() == null) {
      // a local backend's reply to an outside client: rev_nodeport_lb4
      Ipv4Address client = new Ipv4Address(np.request().src());
      byte[] g = rewrite(f, h, l4, true, new Ipv4Address(np.request().dst()), np.request().dport());
      return toClient(p, g, srcId, identityOf(client));
    }
    // Service translation (lb4_lookup_service / lb4_local)
    ServiceTable.Frontend svc = frontends.get(new Tuple(0, h.destination().value(), 0, l4.dport(), l4.proto()));
    if (svc != null && (l4.proto() == IpProtocol.TCP || l4.proto() == IpProtocol.UDP)) {
      Tuple fwd = new Tuple(h.source().value(), h.destination().value(), l4.sport(), l4.dport(), l4.proto());
      sockTrace(p.timeMicros(), h.source(), 0, srcId, h.destination(), l4.dport(), identityOf(h.destination()),
          l4.proto(), "pre-xlate-fwd");
      Tuple be = lbForward.get(fwd);
      if (be == null) {
        if (svc.backends().isEmpty()) {
          return dropped(p, h, l4, srcId, ReservedIdentity.WORLD.id(), DROP_NO_BACKEND);
        }
        ServiceTable.Backend b = svc.backends().get(random.nextInt(svc.backends().size()));
        be = new Tuple(0, b.ip().value(), 0, b.port(), l4.proto());
        lbForward.put(fwd, be);
        lbReverse.put(new Tuple(b.ip().value(), h.source().value(), b.port(), l4.sport(), l4.proto()),
            new Tuple(h.destination().value(), 0, l4.dport(), 0, l4.proto()));
      }
      f = rewrite(f, h, l4, false, new Ipv4Address(be.dst()), be.dport());
      h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
      l4 = l4(f, h);
    }
    Ipv4Address dst = h.destination();
    int dstId = identityOf(dst);
    LocalEndpoint to = local.get(dst);
    if (to != null) {
      return deliver(p, f, h, l4, srcId, to);
    }
    IpCacheEntry e = lookup(dst);
    if (config.tunneling() && e != null && e.hasTunnel()) {
      int mtu = core.routeMtu(dst);
      if (mtu > 0 && h.dontFragment() && h.totalLength() > mtu) {
        fragNeeded(p, f, h, ep, mtu);
        return dropped(p, h, l4, srcId, dstId, DROP_FRAG_NEEDED);
      }
      trace(p, h, l4, srcId, dstId, "to-overlay");
      return DatapathProgram.encapsulate(config.tunnelDevice(), f, new TunnelKey(e.tunnelEndpoint(), srcId));
    }
    trace(p, h, l4, srcId, dstId, "to-stack");
    if (f != p.frame()) {
      return DatapathProgram.redirectIngress(p.dev(), f);
    }
    return DatapathProgram.PASS;
  }

  /** cil_from_overlay. */
  Verdict fromOverlay(Packet p) {
    byte[] f = p.frame();
    if (p.tunnel() == null) {
      return dropped(p, null, null, 0, 0, DROP_NO_TUNNEL);
    }
    if (Bytes.u16(f, EthernetHeader.TYPE_OFFSET) != EtherType.IPV4) {
      return dropped(p, null, null, 0, 0, DROP_UNSUPPORTED_L3);
    }
    Ipv4Header h;
    try {
      h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
      if (!h.checksumValid() || h.totalLength() > f.length - EthernetHeader.LENGTH) {
        return dropped(p, null, null, 0, 0, DROP_INVALID);
      }
    } catch (PacketException e) {
      return dropped(p, null, null, 0, 0, DROP_INVALID);
    }
    L4 l4 = l4(f, h);
    int srcId = p.tunnel().vni();
    if (srcId == ReservedIdentity.HOST.id()) {
      srcId = ReservedIdentity.REMOTE_NODE.id(); // the sender's host is a remote node here
    }
    int dstId = identityOf(h.destination());
    if (srcId == 0) {
      return dropped(p, h, l4, srcId, dstId, DROP_INVALID_IDENTITY);
    }
    trace(p, h, l4, srcId, dstId, "from-overlay");
    NodePortConn np = nodePortReply(l4, h);
    if (np != null && np.snatIp() != null) {
      return fromRemoteBackend(p, f, h, l4, srcId, np);
    }
    LocalEndpoint to = local.get(h.destination());
    if (to != null) {
      return deliver(p, f, h, l4, srcId, to);
    }
    if (core.stack().isLocalAddress(h.destination())) {
      Link host = core.stack().links().byName(NodeDatapath.HOST_DEVICE).orElse(null);
      if (host == null) {
        return dropped(p, h, l4, srcId, dstId, DROP_UNROUTABLE);
      }
      byte[] g = f.clone();
      Bytes.put48(g, EthernetHeader.DST_OFFSET, host.mac().value());
      trace(p, h, l4, srcId, dstId, "to-stack");
      return DatapathProgram.redirectIngress(NodeDatapath.HOST_DEVICE, g);
    }
    return dropped(p, h, l4, srcId, dstId, DROP_UNROUTABLE);
  }

  /** cil_from_host, on cilium_host's egress. */
  Verdict fromHost(Packet p) {
    byte[] f = p.frame();
    if (Bytes.u16(f, EthernetHeader.TYPE_OFFSET) != EtherType.IPV4) {
      return dropped(p, null, null, 0, 0, DROP_UNSUPPORTED_L3);
    }
    Ipv4Header h;
    try {
      h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
    } catch (PacketException e) {
      return dropped(p, null, null, 0, 0, DROP_INVALID);
    }
    L4 l4 = l4(f, h);
    int srcId = ReservedIdentity.HOST.id();
    int dstId = identityOf(h.destination());
    trace(p, h, l4, srcId, dstId, "from-host");
    LocalEndpoint to = local.get(h.destination());
    if (to != null) {
      return deliver(p, f, h, l4, srcId, to);
    }
    IpCacheEntry e = lookup(h.destination());
    if (config.tunneling() && e != null && e.hasTunnel()) {
      trace(p, h, l4, srcId, dstId, "to-overlay");
      return DatapathProgram.encapsulate(config.tunnelDevice(), f, new TunnelKey(e.tunnelEndpoint(), srcId));
    }
    return dropped(p, h, l4, srcId, dstId, DROP_UNROUTABLE);
  }

  /**
   * The L2 responder map (cilium_l2_responder_v4, keyed by IP and ifindex), as the L2 announcer's
   * table is reconciled into it: per native device, the IPs whose ARP requests cil_from_netdev
   * answers with that device's MAC.
   */
  public void setL2Responder(Map<String, Set<Ipv4Address>> byDevice) {
    Map<String, Set<Ipv4Address>> m = new HashMap<>();
    byDevice.forEach((dev, ips) -> m.put(dev, Set.copyOf(ips)));
    this.l2Responder = Map.copyOf(m);
  }

  /**
   * cil_from_netdev: nodeport_lb4 for service traffic and replies from remote backends; natively
   * routed packets for local endpoints go straight to them; ARP for
   * announced IPs answered (handle_l2_announcement).
   */
  Verdict fromNetdev(Packet p) {
    byte[] f = p.frame();
    if (f.length >= EthernetHeader.LENGTH && Bytes.u16(f, EthernetHeader.TYPE_OFFSET) == EtherType.ARP) {
      return l2Announcement(p);
    }
    if (f.length < EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH
        || Bytes.u16(f, EthernetHeader.TYPE_OFFSET) != EtherType.IPV4) {
      return DatapathProgram.PASS;
    }
    Ipv4Header h;
    try {
      h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
    } catch (PacketException e) {
      return DatapathProgram.PASS; // the stack counts it
    }
    if (!h.checksumValid() || h.totalLength() > f.length - EthernetHeader.LENGTH) {
      return DatapathProgram.PASS;
    }
    Link l = core.stack().links().byName(p.dev()).orElse(null);
    if (l == null || Bytes.u48(f, EthernetHeader.DST_OFFSET) != l.mac().value()) {
      return DatapathProgram.PASS;
    }
    L4 l4 = l4(f, h);
    if (isService(l4)) {
      NodePortConn np = nodePortReply(l4, h);
      if (np != null && np.snatIp() != null) {
        return fromRemoteBackend(p, f, h, l4, identityOf(h.source()), np);
      }
      ServiceTable.Frontend svc = frontends.get(new Tuple(0, h.destination().value(), 0, l4.dport(), l4.proto()));
      if (svc != null) {
        return nodePort(p, f, h, l4, svc);
      }
    }
    LocalEndpoint to = local.get(h.destination());
    if (to == null) {
      return DatapathProgram.PASS;
    }
    int srcId = identityOf(h.source());
    trace(p, h, l4, srcId, to.info().identity(), "from-network");
    return deliver(p, f, h, l4, srcId, to);
  }

  // ================================================================= nodeport_lb4

  /** A request from outside to a frontend: backend chosen (or found), translated, sent on. */
  private Verdict nodePort(Packet p, byte[] f, Ipv4Header h, L4 l4, ServiceTable.Frontend svc) {
    int srcId = identityOf(h.source());
    trace(p, h, l4, srcId, ReservedIdentity.WORLD.id(), "from-network");
    if (svc.type().equals("ClusterIP")) {
      return dropped(p, h, l4, srcId, ReservedIdentity.WORLD.id(), DROP_IS_CLUSTER_IP);
    }
    isReply(h, l4); // the connection's conntrack entry (ct_create4 in nodeport_lb4), so replies show as such
    Tuple request = tuple(h, l4);
    NodePortConn c = nodePortConns.get(request);
    if (c == null) {
      List<ServiceTable.Backend> candidates = svc.externalLocal()
          ? svc.backends().stream().filter(b -> local.containsKey(b.ip())).toList() : svc.backends();
      if (candidates.isEmpty()) {
        return dropped(p, h, l4, srcId, ReservedIdentity.WORLD.id(), DROP_NO_BACKEND);
      }
      ServiceTable.Backend b = candidates.get(random.nextInt(candidates.size()));
      if (local.containsKey(b.ip())) {
        c = new NodePortConn(request, b.ip(), b.port(), null, 0);
      } else {
        IpCacheEntry e = lookup(b.ip());
        // tail_nodeport_nat_egress_ipv4: IPV4_GATEWAY when the backend is behind a tunnel, else IPV4_DIRECT_ROUTING
        Ipv4Address snat = config.tunneling() && e != null && e.hasTunnel() ? self.routerIp() : self.internalIp();
        int port = snatPort(request, b, snat);
        if (port < 0) {
          return dropped(p, h, l4, srcId, ReservedIdentity.WORLD.id(), DROP_NAT_NO_PORT);
        }
        c = new NodePortConn(request, b.ip(), b.port(), snat, port);
      }
      nodePortConns.put(request, c);
      nodePortReplies.put(c.reply(), c);
    }
    if (c.snatIp() == null) {
      LocalEndpoint to = local.get(c.backend());
      if (to == null) {
        return dropped(p, h, l4, srcId, ReservedIdentity.WORLD.id(), DROP_UNROUTABLE); // the endpoint went away
      }
      byte[] g = rewrite(f, h, l4, false, c.backend(), c.backendPort());
      Ipv4Header gh = Ipv4Header.decodeHeaderOnly(g, EthernetHeader.LENGTH, g.length - EthernetHeader.LENGTH);
      return deliver(p, g, gh, l4(g, gh), srcId, to);
    }
    byte[] g = translate(f, h, l4, c.snatIp(), c.snatPort(), c.backend(), c.backendPort());
    Ipv4Header gh = Ipv4Header.decodeHeaderOnly(g, EthernetHeader.LENGTH, g.length - EthernetHeader.LENGTH);
    L4 gl4 = l4(g, gh);
    IpCacheEntry e = lookup(c.backend());
    int dstId = identityOf(c.backend());
    if (config.tunneling() && e != null && e.hasTunnel()) {
      // "The request came from outside, so we need to set the security id in the tunnel header to WORLD_ID"
      trace(p, gh, gl4, ReservedIdentity.WORLD.id(), dstId, "to-overlay");
      return DatapathProgram.encapsulate(config.tunnelDevice(), g,
          new TunnelKey(e.tunnelEndpoint(), ReservedIdentity.WORLD.id()));
    }
    return fibRedirect(p, g, srcId, dstId);
  }

  /**
   * snat_v4_new_mapping's port: the client's when it is in the NAT range, else a random one there;
   * on a collision (the reply tuple taken) a random one, then the next ones; -1 when all tries collide.
   */
  private int snatPort(Tuple request, ServiceTable.Backend b, Ipv4Address snat) {
    int port = request.sport() >= NODEPORT_PORT_MIN_NAT && request.sport() <= NODEPORT_PORT_MAX_NAT
        ? request.sport() : clampPort(random.nextInt(0x10000));
    for (int retries = 0; retries < SNAT_COLLISION_RETRIES; retries++) {
      if (!nodePortReplies.containsKey(new Tuple(b.ip().value(), snat.value(), b.port(), port, request.proto()))) {
        return port;
      }
      port = clampPort(retries > 0 ? (port + 1) & 0xffff : random.nextInt(0x10000));
    }
    return -1;
  }

  /** __snat_clamp_port_range: a 16-bit value scaled into [NODEPORT_PORT_MIN_NAT, NODEPORT_PORT_MAX_NAT]. */
  private static int clampPort(int val) {
    int n = NODEPORT_PORT_MAX_NAT - NODEPORT_PORT_MIN_NAT + 1;
    return NODEPORT_PORT_MIN_NAT + (int) (((long) val * n) >>> 16);
  }

  /** A remote backend's reply to our SNAT address: reverse SNAT, reverse DNAT, out to the client. */
  private Verdict fromRemoteBackend(Packet p, byte[] f, Ipv4Header h, L4 l4, int srcId, NodePortConn c) {
    Tuple req = c.request();
    byte[] g = translate(f, h, l4, new Ipv4Address(req.dst()), req.dport(), new Ipv4Address(req.src()), req.sport());
    return toClient(p, g, srcId, identityOf(new Ipv4Address(req.src())));
  }

  /** rev_nodeport_lb4 after the reverse translation: encapsulated when the client is behind a tunnel, else FIB. */
  private Verdict toClient(Packet p, byte[] g, int srcId, int dstId) {
    Ipv4Header gh = Ipv4Header.decodeHeaderOnly(g, EthernetHeader.LENGTH, g.length - EthernetHeader.LENGTH);
    IpCacheEntry e = lookup(gh.destination());
    if (config.tunneling() && e != null && e.hasTunnel()) {
      trace(p, gh, l4(g, gh), srcId, dstId, "to-overlay");
      return DatapathProgram.encapsulate(config.tunnelDevice(), g, new TunnelKey(e.tunnelEndpoint(), srcId));
    }
    return fibRedirect(p, g, srcId, dstId);
  }

  /**
   * fib_redirect_v4: the node's tables pick the device and next hop, ipv4_l3 decrements the TTL,
   * bpf_redirect_neigh sends it (through the device's egress program: to-network).
   */
  private Verdict fibRedirect(Packet p, byte[] g, int srcId, int dstId) {
    Ipv4Header gh = Ipv4Header.decodeHeaderOnly(g, EthernetHeader.LENGTH, g.length - EthernetHeader.LENGTH);
    L4 gl4 = l4(g, gh);
    RouteGet rg;
    try {
      rg = core.stack().routeGet(gh.destination(), 0);
    } catch (NetlinkException e) {
      return dropped(p, gh, gl4, srcId, dstId, DROP_NO_FIB);
    }
    Link out = core.stack().links().byIndex(rg.oif()).orElse(null);
    if (rg.type() != RouteType.UNICAST || out == null) {
      return dropped(p, gh, gl4, srcId, dstId, DROP_NO_FIB);
    }
    if (gh.ttl() <= 1) {
      return dropped(p, gh, gl4, srcId, dstId, DROP_TTL);
    }
    decrementTtl(g);
    return DatapathProgram.redirectNeigh(out.name(), g, rg.gateway() != null ? rg.gateway() : gh.destination());
  }

  // ================================================================= L2 announcements

  /**
   * handle_l2_announcement: an ARP request (Ethernet hardware type, to broadcast or this device's
   * MAC) on a native device for an IP in the responder map for that device is turned into the
   * reply in place, as arp_respond does (the frame keeps its length and padding), and sent back out
   * of the device: the device's MAC for the target IP, to the asker's Ethernet source. Anything
   * else goes on to the stack.
   */
  private Verdict l2Announcement(Packet p) {
    byte[] f = p.frame();
    Set<Ipv4Address> ips = l2Responder.get(p.dev());
    int a = EthernetHeader.LENGTH;
    if (ips == null || f.length < a + ArpPacket.LENGTH || Bytes.u16(f, a + ARP_OP) != ArpPacket.OP_REQUEST
        || Bytes.u16(f, a) != ArpPacket.HTYPE_ETHERNET) {
      return DatapathProgram.PASS;
    }
    Link l = core.stack().links().byName(p.dev()).orElse(null);
    long dmac = Bytes.u48(f, EthernetHeader.DST_OFFSET);
    if (l == null || (dmac != MacAddress.BROADCAST.value() && dmac != l.mac().value())) {
      return DatapathProgram.PASS;
    }
    int tip = Bytes.i32(f, a + ARP_TPA);
    if (!ips.contains(new Ipv4Address(tip))) {
      return DatapathProgram.PASS;
    }
    long smac = Bytes.u48(f, EthernetHeader.SRC_OFFSET);
    int sip = Bytes.i32(f, a + ARP_SPA);
    byte[] g = f.clone();
    Bytes.put48(g, EthernetHeader.SRC_OFFSET, l.mac().value());
    Bytes.put48(g, EthernetHeader.DST_OFFSET, smac);
    Bytes.put16(g, a + ARP_OP, ArpPacket.OP_REPLY);
    Bytes.put48(g, a + ARP_SHA, l.mac().value());
    Bytes.put32(g, a + ARP_SPA, tip);
    Bytes.put48(g, a + ARP_THA, smac);
    Bytes.put32(g, a + ARP_TPA, sip);
    return DatapathProgram.transmit(p.dev(), g);
  }

  /**
   * The L2 responder's garpOnNewEntry: a gratuitous ARP <em>reply</em> out of {@code dev} as
   * Cilium's garp package sends it (sender MAC = the device's, sender IP = target IP = {@code ip},
   * target MAC and Ethernet destination broadcast, padded to 60 bytes). Linux neighbours update an
   * entry they already have for {@code ip} (its locktime permitting: it is no gratuitous ARP to
   * arp_is_garp, whose replies need the target MAC to equal the sender's); none is created.
   *
   * @return false when the device does not exist or is down
   */
  public boolean sendGratuitousArp(String dev, Ipv4Address ip) {
    Link l = core.stack().links().byName(dev).orElse(null);
    if (l == null) {
      return false;
    }
    return core.transmitNow(dev, new ArpPacket(ArpPacket.OP_REPLY, l.mac(), ip, MacAddress.BROADCAST, ip)
        .toFrame(MacAddress.BROADCAST));
  }

  /** Offsets in the ARP packet (RFC 826, Ethernet/IPv4) that arp_prepare_response writes. */
  private static final int ARP_OP = 6;
  private static final int ARP_SHA = 8;
  private static final int ARP_SPA = 14;
  private static final int ARP_THA = 18;
  private static final int ARP_TPA = 24;

  /** cil_to_netdev: reports IPv4 packets leaving a native device. */
  Verdict toNetdev(Packet p) {
    byte[] f = p.frame();
    if (f.length >= EthernetHeader.LENGTH + Ipv4Header.MIN_LENGTH
        && Bytes.u16(f, EthernetHeader.TYPE_OFFSET) == EtherType.IPV4) {
      try {
        Ipv4Header h = Ipv4Header.decodeHeaderOnly(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
        L4 l4 = l4(f, h);
        if (!(config.tunneling() && l4.proto() == IpProtocol.UDP && l4.dport() == config.tunnelPort())) {
          trace(p, h, l4, identityOf(h.source()), identityOf(h.destination()), "to-network");
        }
      } catch (PacketException e) {
        // not ours to judge
      }
    }
    return DatapathProgram.PASS;
  }

  // ================================================================= helpers

  /** ipv4_local_delivery: TTL, MACs, reverse translation, out of the endpoint's lxc. */
  private Verdict deliver(Packet p, byte[] f, Ipv4Header h, L4 l4, int srcId, LocalEndpoint to) {
    if (h.ttl() <= 1) {
      return dropped(p, h, l4, srcId, to.info().identity(), DROP_TTL);
    }
    Tuple rev = lbReverse.get(new Tuple(h.source().value(), h.destination().value(), l4.sport(), l4.dport(),
        l4.proto()));
    byte[] g;
    if (rev != null) {
      // shown from the client's side (its address and port, the backend's address), as the
      // socket-level reverse translation reports it
      sockTrace(p.timeMicros(), h.destination(), l4.dport(), to.info().identity(), h.source(), 0, srcId, l4.proto(),
          "pre-xlate-rev");
      g = rewrite(f, h, l4, true, new Ipv4Address(rev.src()), rev.sport());
    } else {
      g = f.clone();
    }
    decrementTtl(g);
    Bytes.put48(g, EthernetHeader.DST_OFFSET, to.podMac().value());
    Bytes.put48(g, EthernetHeader.SRC_OFFSET, lxcMac(to).value());
    trace(p, h, l4, srcId, to.info().identity(), "to-endpoint");
    return DatapathProgram.redirectEgress(to.lxc(), g);
  }

  /** ipv4_dec_ttl on a frame: TTL minus one, the header checksum updated incrementally (RFC 1624). */
  private static void decrementTtl(byte[] g) {
    int ipo = EthernetHeader.LENGTH;
    int check = Bytes.u16(g, ipo + 10) + 0x0100;
    check = (check + (check >= 0xffff ? 1 : 0)) & 0xffff;
    Bytes.put16(g, ipo + 10, check);
    g[ipo + 8]--;
  }

  /** The NodePort connection a packet is a backend's reply of, or null; no lookup while there is none. */
  private NodePortConn nodePortReply(L4 l4, Ipv4Header h) {
    return nodePortReplies.isEmpty() || !isService(l4) ? null : nodePortReplies.get(tuple(h, l4));
  }

  private static boolean isService(L4 l4) {
    return l4.proto() == IpProtocol.TCP || l4.proto() == IpProtocol.UDP;
  }

  private static Tuple tuple(Ipv4Header h, L4 l4) {
    return new Tuple(h.source().value(), h.destination().value(), l4.sport(), l4.dport(), l4.proto());
  }

  /** A copy of the frame with its source (reverse) or destination (forward) address and port replaced. */
  private static byte[] rewrite(byte[] f, Ipv4Header h, L4 l4, boolean source, Ipv4Address ip, int port) {
    return source ? translate(f, h, l4, ip, port, null, 0) : translate(f, h, l4, null, 0, ip, port);
  }

  /**
   * A copy of the frame with its source and/or destination address and port replaced (null: kept),
   * the IP and transport checksums computed once.
   */
  private static byte[] translate(byte[] f, Ipv4Header h, L4 l4, Ipv4Address src, int sport, Ipv4Address dst,
      int dport) {
    byte[] g = f.clone();
    int ipo = EthernetHeader.LENGTH;
    int o = l4.l4Offset();
    if (src != null) {
      Bytes.put32(g, ipo + 12, src.value());
      Bytes.put16(g, o, sport);
    }
    if (dst != null) {
      Bytes.put32(g, ipo + 16, dst.value());
      Bytes.put16(g, o + 2, dport);
    }
    Bytes.put16(g, ipo + 10, 0);
    Bytes.put16(g, ipo + 10, Checksum.compute(g, ipo, h.length()));
    int len = h.totalLength() - h.length();
    int csum = l4.proto() == IpProtocol.TCP ? o + 16 : o + 6;
    if (l4.proto() == IpProtocol.UDP && Bytes.u16(g, csum) == 0) {
      return g; // no UDP checksum to update
    }
    Bytes.put16(g, csum, 0);
    int c = Checksum.transport(Bytes.i32(g, ipo + 12), Bytes.i32(g, ipo + 16), l4.proto(), g, o, len);
    Bytes.put16(g, csum, l4.proto() == IpProtocol.UDP && c == 0 ? 0xffff : c);
    return g;
  }

  private Verdict arpRespond(Packet p, LocalEndpoint ep) {
    byte[] f = p.frame();
    ArpPacket a;
    try {
      a = ArpPacket.decode(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH);
    } catch (PacketException e) {
      return DatapathProgram.drop(DROP_INVALID);
    }
    if (!a.isRequest() || a.targetIp().equals(ep.info().ip())) {
      return DatapathProgram.drop("Unsupported L2 protocol");
    }
    MacAddress mine = lxcMac(ep);
    return DatapathProgram.transmit(ep.lxc(),
        ArpPacket.reply(mine, a.targetIp(), a.senderMac(), a.senderIp()).toFrame(a.senderMac()));
  }

  /** ICMP fragmentation needed to the pod, from the router IP, out of its lxc. */
  private void fragNeeded(Packet p, byte[] f, Ipv4Header h, LocalEndpoint ep, int mtu) {
    IcmpMessage m = IcmpMessage.fragmentationNeeded(mtu, f, EthernetHeader.LENGTH, h.totalLength());
    byte[] icmp = m.toBytes();
    Ipv4Header ih = Ipv4Header.builder().source(self.routerIp()).destination(h.source()).protocol(IpProtocol.ICMP)
        .ttl(HostCore.DEFAULT_TTL).dscp(0x30 >>> 2).identification(random.nextInt(0x10000))
        .payloadLength(icmp.length).build();
    byte[] d = new byte[Ipv4Header.MIN_LENGTH + icmp.length];
    ih.encode(d, 0);
    System.arraycopy(icmp, 0, d, Ipv4Header.MIN_LENGTH, icmp.length);
    byte[] frame = EthernetHeader.of(ep.podMac(), lxcMac(ep), EtherType.IPV4).frame(d, false);
    core.transmitNow(ep.lxc(), frame);
  }
}
