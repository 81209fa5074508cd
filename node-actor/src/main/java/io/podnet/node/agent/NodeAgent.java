package io.podnet.node.agent;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostExtension;
import io.podnet.netstack.actor.HostKeys;
import io.podnet.netstack.actor.SegmentActor;
import io.podnet.netstack.actor.ToolOutput;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.netstack.tool.Tools;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.api.Reflector;
import io.podnet.node.cilium.AgentConfig;
import io.podnet.node.cilium.AgentConfigException;
import io.podnet.node.cilium.CiliumDatapath;
import io.podnet.node.cilium.CiliumNodeInfo;
import io.podnet.node.cilium.EndpointInfo;
import io.podnet.node.cilium.HostScopeIpam;
import io.podnet.node.cilium.IpCache;
import io.podnet.node.cilium.IpCacheEntry;
import io.podnet.node.cilium.IpamException;
import io.podnet.node.cilium.L2NeighDiscovery;
import io.podnet.node.cilium.NodeDatapath;
import io.podnet.node.cilium.RoutePlan;
import io.podnet.node.cilium.SecurityLabels;
import io.podnet.node.cilium.ServiceList;
import io.podnet.node.cilium.ServiceTable;
import io.podnet.node.cilium.hubble.FlowRing;
import io.podnet.node.kubelet.Kubelet;
import io.podnet.node.tools.NodeTools;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A Kubernetes node's agents, running on the node's host thread (a {@link HostExtension}): the
 * kubelet (Node registration and lease, as {@link Kubelet}; the pods bound to the node, each a child
 * host actor with its own stack behind a veth pair whose node end is an {@code lxc} device) and
 * the Cilium agent (its CiliumNode, the podCIDR the operator gives it, the router IP on cilium_host,
 * endpoint IPs from the podCIDR, security identities as CiliumIdentity objects, CiliumEndpoints,
 * routes, the ipcache, services and the BPF programs of {@link CiliumDatapath}), all driven by
 * watches on the API server. The agent reads the cilium-config ConfigMap when it starts and
 * restarts (re-plumbs the datapath) when it changes, as the DaemonSet's rollout would.
 */
public final class NodeAgent implements HostExtension, io.podnet.node.cilium.AgentView {
  /** A watch event, tagged with the watch it belongs to (local only). */
  private record Tagged(String watch, KubeClient.Event event) implements NoSerializationVerificationNeeded {}

  private record Replied(Consumer<KubeClient.Result> then, KubeClient.Result result)
      implements NoSerializationVerificationNeeded {}

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
      .withZone(ZoneOffset.UTC);

  /** What the lab knows about the node. */
  public record Settings(String nodeName, Ipv4Address internalIp, List<String> nativeDevices,
      Map<String, String> labels, long wallClockAtStart, long seed) {
    public Settings {
      nativeDevices = List.copyOf(nativeDevices);
      labels = Map.copyOf(labels);
    }
  }

  private final Settings settings;
  private final SplittableRandom random;
  private Context ctx;
  private ActorRef<KubeClient.Command> client;
  private ActorRef<Tagged> events;

  // Cilium agent state
  private Map<String, String> configData;
  private AgentConfig config;
  private Ipv4Prefix podCidr;
  private HostScopeIpam ipam;
  private Ipv4Address routerIp;
  private boolean routerIpPublished;
  private NodeDatapath nodeDatapath;
  private CiliumDatapath datapath;
  /** This node's Hubble observer buffer: the flows stay here until someone asks (lab time). */
  private final FlowRing ring = new FlowRing(FlowRing.DEFAULT_CAPACITY);
  private ActorRef<HubbleRelay.Command> relay;
  /** GetFlows requests following this node's flows (remote ones and local tools alike). */
  private final List<Follower> followers = new ArrayList<>();
  private Runnable unfollowRing;
  private boolean flushScheduled;
  /** hubble observe sessions of this host's tools that go through the relay, by session actor. */
  private final Map<ActorRef<Hubble.Flows>, ObserveSink> sessions = new HashMap<>();
  /** Sessions the relay has answered (their backlog came). */
  private final Set<ActorRef<Hubble.Flows>> answered = new HashSet<>();
  /** How long a hubble observe waits for the relay's first answer (its own node timeout is 5 s). */
  static final long RELAY_ANSWER_MICROS = 10_000_000L;
  private long observeSessions;
  private Map<String, String> latestConfigData = Map.of();
  private Map<String, String> configAnnotations = Map.of();
  private final Map<String, Struct> ciliumNodes = new TreeMap<>();
  private final Map<String, EndpointInfo> ciliumEndpoints = new TreeMap<>();
  /** Each CiliumEndpoint's node address (status.networking.node), to find its node later if unknown. */
  private final Map<String, String> endpointNodeIps = new HashMap<>();
  /** Identity key (labels) -> resourceVersion -> id: the lowest resourceVersion wins. */
  private final Map<String, TreeMap<Long, Integer>> identities = new HashMap<>();
  private final Set<String> identityCreates = new HashSet<>();
  private final Set<String> routeFailuresLogged = new HashSet<>();
  /** What refresh() last gave the datapath: `cilium-dbg bpf ipcache list` shows exactly that. */
  private List<IpCacheEntry> installedIpCache = List.of();
  /** Identities this agent created: one that lost the race to an older one for its labels is deleted. */
  private final Map<Integer, String> createdHere = new HashMap<>();
  private final Map<String, Struct> services = new TreeMap<>();
  /**
   * The BPF reconciler's service IDs: they live in the pinned BPF maps, so a restarted agent
   * restores them (the machine's life, as this extension's).
   */
  private final ServiceList.Ids serviceIds = new ServiceList.Ids();
  /** The frontends table as the agent's API lists it (cilium-dbg service list). */
  private List<ServiceList.Entry> serviceList = List.of();
  private final Map<String, Struct> endpoints = new TreeMap<>();
  /**
   * Service name.namespace -> ClusterIP, read by the pods' resolvers on their own threads: replaced
   * whole, never cleared and refilled, so that a lookup never sees it half built.
   */
  private volatile Map<String, Ipv4Address> serviceIps = Map.of();
  /** The L2 announcer while enable-l2-announcements is on (with kube-proxy replacement). */
  private ActorRef<L2Announcer.Command> l2Announcer;
  /** The pods (by uid) whose containers this boot of the node started: a status rewrite is no restart. */
  private final java.util.Set<String> startedThisBoot = new java.util.HashSet<>();
  /** What the machine runs once the announcer has given its Leases up (a graceful shutdown). */
  private Runnable shutdownDone;
  private long l2Announcers;
  private boolean l2WithoutKprWarned;
  /** The l2-announce table the announcer last reported. */
  private List<io.podnet.node.cilium.L2AnnounceTable.Entry> l2Table = List.of();
  /** enable-l2-neigh-discovery: the next hops the reconciler has written (its Done entries). */
  private final Set<L2NeighDiscovery.Desired> neighApplied = new HashSet<>();
  /** When the desired-neighbour calculator last ran (lab microseconds), for its 15 s rate limit. */
  private long neighLastRun = Long.MIN_VALUE;
  private io.podnet.netstack.core.Timers.Timer neighTimer;

  // kubelet state
  private final Map<String, PodRun> pods = new LinkedHashMap<>();
  /**
   * Numbers the pods' child actors: a pod deleted and created again under its name gets a new host
   * while the old one may still be stopping, whose actor name is not free yet.
   */
  private long podActors;

  /** One pod on this node. */
  private final class PodRun {
    final String namespace;
    final String name;
    Struct object;
    boolean hostNetwork;
    Ipv4Address ip;
    String lxc;
    MacAddress podMac;
    ActorRef<SegmentActor.Command> veth;
    ActorRef<HostActor.Command> host;
    SecurityLabels labels;
    int identity;
    boolean statusWritten;
    boolean endpointWritten;
    int endpointId;

    PodRun(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    String key() {
      return namespace + "/" + name;
    }
  }

  public NodeAgent(Settings settings) {
    this.settings = settings;
    this.random = new SplittableRandom(settings.seed());
  }


  @Override
  public void start(Context c) {
    this.ctx = c;
    client = c.spawn(KubeClient.create(), "kube-client");
    events = c.adapter(Tagged.class);

    c.spawn(Kubelet.create(settings.nodeName(), settings.internalIp().toString(), settings.labels(),
        settings.wallClockAtStart()), "kubelet");
    c.setResolver(this::resolveFromNode);
    NodeTools.standard(this).forEach(c::addTool);
    c.system().receptionist().tell(Receptionist.subscribe(HubbleRelay.KEY, c.adapter(Receptionist.Listing.class)));
    // The observer: a child that hands GetFlows to the agent's thread (a child, not an adapter, so
    // that the Receptionist and the relay can watch it).
    ActorRef<Hubble.Observe> toAgent = c.adapter(Hubble.Observe.class);
    ActorRef<Hubble.Observe> observer = c.spawn(Behaviors.receive(Hubble.Observe.class)
        .onAnyMessage(o -> {
          toAgent.tell(o);
          return Behaviors.same();
        }).build(), "hubble-observer");
    c.system().receptionist().tell(Receptionist.register(Hubble.OBSERVER, observer));
    call(KubeClient.Request.create(KubeResource.CILIUM_NODES, Json.parse("{\"apiVersion\":\"cilium.io/v2\","
        + "\"kind\":\"CiliumNode\",\"metadata\":{\"name\":" + Json.q(settings.nodeName()) + ",\"labels\":"
        + Json.object(new TreeMap<>(settings.labels())) + "},\"spec\":{\"addresses\":[{\"ip\":"
        + Json.q(settings.internalIp().toString()) + ",\"type\":\"InternalIP\"}]}}")), r -> {
          if (!r.ok() && r.code() != 409) {
            warn("cannot create CiliumNode: " + r.code() + " " + r.message());
          }
        });
    watch("config", KubeClient.Request.watchOne(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config", ""));
    watch("ciliumnodes", KubeClient.Request.watch(KubeResource.CILIUM_NODES, "", "", "", ""));
    watch("identities", KubeClient.Request.watch(KubeResource.CILIUM_IDENTITIES, "", "", "", ""));
    watch("endpoints", KubeClient.Request.watch(KubeResource.CILIUM_ENDPOINTS, "", "", "", ""));
    watch("services", KubeClient.Request.watch(KubeResource.SERVICES, "", "", "", ""));
    watch("svc-endpoints", KubeClient.Request.watch(KubeResource.ENDPOINTS, "", "", "", ""));
    watch("pods", KubeClient.Request.watch(KubeResource.PODS, "", "", "spec.nodeName=" + settings.nodeName(), ""));
  }

  // ============================================================ API plumbing

  /**
   * Keeps the agent's view of what {@code r} watches, through a {@link Reflector}: list, then watch,
   * watched again when the watch ends and listed again when that is not possible, so that the
   * agent hears of every change (a vanished object as DELETED) even across API server restarts.
   */
  private void watch(String tag, KubeClient.Request r) {
    ActorRef<KubeClient.Event> relay = ctx.spawn(Behaviors.receive(KubeClient.Event.class)
        .onAnyMessage(e -> {
          events.tell(new Tagged(tag, e));
          return Behaviors.same();
        }).build(), "watch-" + tag);
    ctx.spawn(Reflector.create(client, settings.nodeName(), r, relay), "reflector-" + tag);
  }

  private void call(KubeClient.Request r, Consumer<KubeClient.Result> then) {
    ctx.ask(KubeClient.Result.class, client, Duration.ofSeconds(30), reply -> new KubeClient.Call(r, reply),
        (res, failure) -> new Replied(then, res != null ? res : new KubeClient.Result(0, 504,
            Struct.getDefaultInstance())));
  }

  private void warn(String s) {
    ctx.system().log().warn("{}: {}", settings.nodeName(), s);
  }

  @Override
  public void onMessage(Object message) {
    if (message instanceof Replied r) {
      r.then().accept(r.result());
    } else if (message instanceof Hubble.Observe o) {
      serveObserve(o);
    } else if (message instanceof SessionFlows sf) {
      ObserveSink sink = sessions.get(sf.session());
      if (sink != null) {
        answered.add(sf.session());
        sink.flows(sf.flows().flows(), sf.flows().backlog());
      }
    } else if (message instanceof FollowerGone g) {
      followers.removeIf(f -> g.ref().equals(f.remote));
      unfollowRingIfIdle();
    } else if (message instanceof Receptionist.Listing l) {
      var found = l.getServiceInstances(HubbleRelay.KEY);
      if (relay == null || !found.contains(relay)) {
        // The first relay, or the one we had went away: the one there is now (none: hubble
        // observe shows this node's flows).
        relay = found.isEmpty() ? null : found.iterator().next();
      }
    } else if (message instanceof L2Announcer.Table t) {
      if (l2Announcer != null && t.announcer().equals(l2Announcer.path().name())) {
        onL2Table(t.entries()); // not a stopped announcer's last word
      }
    } else if (message instanceof L2Announcer.Stopped) {
      // a stopped agent's announcer released its leases: a machine shutting down may go on
      if (shutdownDone != null) {
        Runnable done = shutdownDone;
        shutdownDone = null;
        done.run();
      }
    } else if (message instanceof Tagged t) {
      onEvent(t.watch(), t.event());
    }
  }

  private void onEvent(String watch, KubeClient.Event e) {
    if (e.type() == ApiWatchEvent.Type.ERROR) {
      return; // the reflector handles the end of a watch
    }
    boolean deleted = e.type() == ApiWatchEvent.Type.DELETED;
    Struct o = e.object();
    String key = Json.str(o, "metadata.namespace") + "/" + Json.str(o, "metadata.name");
    switch (watch) {
      case "config" -> {
        if (!deleted) {
          latestConfigData = Json.strings(o, "data");
          configAnnotations = Json.strings(o, "metadata.annotations");
        }
        onConfig(deleted ? null : Json.strings(o, "data"));
      }
      case "ciliumnodes" -> {
        if (deleted) {
          ciliumNodes.remove(Json.str(o, "metadata.name"));
        } else {
          ciliumNodes.put(Json.str(o, "metadata.name"), o);
        }
        onOwnNode();
        refresh();
      }
      case "identities" -> onIdentity(o, deleted);
      case "endpoints" -> {
        if (deleted) {
          ciliumEndpoints.remove(key);
          endpointNodeIps.remove(key);
        } else {
          EndpointInfo info = endpointOf(o);
          if (info != null) {
            ciliumEndpoints.put(key, info);
            endpointNodeIps.put(key, Json.str(o, "status.networking.node"));
          }
        }
        refresh();
      }
      case "services" -> {
        if (deleted) {
          services.remove(key);
        } else {
          services.put(key, o);
        }
        refreshServices();
      }
      case "svc-endpoints" -> {
        if (deleted) {
          endpoints.remove(key);
        } else {
          endpoints.put(key, o);
        }
        refreshServices();
      }
      case "pods" -> onPod(o, deleted);
      default -> { }
    }
  }

  // ============================================================ the Cilium agent

  private void onConfig(Map<String, String> data) {
    if (data == null || data.equals(configData)) {
      return;
    }
    AgentConfig next;
    try {
      next = AgentConfig.fromConfigMap(data);
    } catch (AgentConfigException ex) {
      warn("cilium-config: " + ex.getMessage() + "; the agent keeps its configuration");
      return;
    }
    configData = data;
    boolean restart = config != null;
    config = next;
    if (restart) {
      // The agent restarts with the new configuration: programs detached, devices and routes
      // made to match, programs and endpoints installed again.
      if (datapath != null) {
        datapath.uninstall();
        datapath = null;
        serviceIds.restarted();
      }
      stopL2Announcer();
      // a new agent process: its desired-neighbour table and rate limiter start afresh (the
      // kernel's entries stay; an agent with the feature off leaves them alone)
      neighApplied.clear();
      neighLastRun = Long.MIN_VALUE;
      if (neighTimer != null) {
        neighTimer.cancel();
        neighTimer = null;
      }
    }
    bringUp();
  }

  private void onOwnNode() {
    Struct self = ciliumNodes.get(settings.nodeName());
    if (self == null || ipam != null) {
      return;
    }
    List<Value> cidrs = Json.list(self, "spec.ipam.podCIDRs");
    if (cidrs.isEmpty()) {
      return;
    }
    podCidr = Ipv4Prefix.parse(cidrs.get(0).getStringValue());
    ipam = new HostScopeIpam(podCidr, random.split());
    // A restarted agent keeps the router IP its CiliumNode announces.
    for (Struct a : Json.structs(self, "spec.addresses")) {
      if ("CiliumInternalIP".equals(Json.str(a, "type"))) {
        Ipv4Address ip = Ipv4Address.parse(Json.str(a, "ip"));
        if (podCidr.contains(ip)) {
          try {
            ipam.allocate(ip, "router");
            routerIp = ip;
            routerIpPublished = true;
          } catch (IpamException ex) {
            warn("router IP " + ip + ": " + ex.getMessage());
          }
        }
      }
    }
    if (routerIp == null) {
      try {
        routerIp = ipam.allocateNext("router");
      } catch (IpamException ex) {
        warn("cannot allocate the router IP: " + ex.getMessage());
        return;
      }
    }
    if (!routerIpPublished) {
      routerIpPublished = true;
      call(KubeClient.Request.patch(KubeResource.CILIUM_NODES, "", settings.nodeName(), PatchType.MERGE,
          Json.parse("{\"spec\":{\"addresses\":[{\"ip\":" + Json.q(settings.internalIp().toString())
              + ",\"type\":\"InternalIP\"},{\"ip\":" + Json.q(routerIp.toString())
              + ",\"type\":\"CiliumInternalIP\"}],\"ipam\":{\"podCIDRs\":[" + Json.q(podCidr.toString())
              + "]}}}")), r -> {
                if (!r.ok()) {
                  warn("cannot publish the router IP: " + r.code() + " " + r.message());
                }
              });
    }
    bringUp();
  }

  /** With a configuration and a router IP: devices, programs, endpoints; then the pods that waited. */
  private void bringUp() {
    if (config == null || routerIp == null) {
      return;
    }
    if (nodeDatapath == null) {
      nodeDatapath = new NodeDatapath(ctx.core().stack(), random.split());
    }
    nodeDatapath.ensureDevices(routerIp, config);
    CiliumNodeInfo self = new CiliumNodeInfo(settings.nodeName(), settings.internalIp(), podCidr, routerIp);
    if (datapath == null) {
      ctx.core().setForwarding(true);
      datapath = new CiliumDatapath(settings.nodeName(), ctx.core(), config, self, settings.nativeDevices(),
          random.split(), ring);
      datapath.install();
      applyL2Responder();
      // kube-proxy replacement: the node's own connects to a Service go straight to a backend
      // (cil_sock4_connect), as Cilium's socket-level load balancer does in the host namespace.
      CiliumDatapath dp = datapath;
      ctx.tcp().setConnectHook(!config.kubeProxyReplacement() ? null : (dst, port) -> {
        ServiceTable.Backend b = dp.selectBackend(dst, port, 6);
        return b == null ? null : new io.podnet.netstack.tcp.TcpLayer.Destination(b.ip(), b.port());
      });
      for (PodRun p : pods.values()) {
        if (p.host != null && p.identity != 0) {
          datapath.addLocalEndpoint(new CiliumDatapath.LocalEndpoint(infoOf(p), p.lxc, p.podMac));
        }
      }
    }
    refresh();
    refreshServices();
    startL2Announcer();
    for (PodRun p : List.copyOf(pods.values())) {
      advance(p);
    }
  }

  // ============================================================ L2 announcements

  /**
   * With enable-l2-announcements the agent runs its {@link L2Announcer}; the feature needs the
   * kube-proxy replacement (its services' datapath), without which the agent does not start it.
   */
  private void startL2Announcer() {
    if (l2Announcer != null || !config.l2Announcements()) {
      return;
    }
    if (!config.kubeProxyReplacement()) {
      if (!l2WithoutKprWarned) {
        l2WithoutKprWarned = true;
        warn("L2 announcements require kube-proxy replacement: the L2 announcer is not started");
      }
      return;
    }
    l2Announcer = ctx.spawn(L2Announcer.create(settings.nodeName(), "kube-system", settings.nativeDevices(),
        config.data(), settings.wallClockAtStart(), ctx.adapter(L2Announcer.Table.class)),
        "l2-announcer-" + ++l2Announcers);
  }

  /**
   * The machine shuts down (a reboot): as systemd stops cilium-agent, whose leader electors release
   * the leases they hold (ReleaseOnCancel), the announcer gives its Leases up; then the machine may
   * go down.
   */
  @Override
  public void shutdown(Runnable done) {
    if (l2Announcer == null) {
      done.run();
      return;
    }
    shutdownDone = done;
    stopL2Announcer();
  }

  /** The agent restarts: its announcer releases the leases it holds (ReleaseOnCancel) and stops. */
  private void stopL2Announcer() {
    if (l2Announcer != null) {
      l2Announcer.tell(new L2Announcer.Shutdown(ctx.adapter(L2Announcer.Stopped.class)));
      l2Announcer = null;
    }
    onL2Table(List.of());
  }

  /**
   * The l2-announce table reconciled into the datapath's L2 responder map; an (IP, device) pair new
   * to the map is announced with a gratuitous ARP reply out of that device (the L2 responder's
   * garpOnNewEntry: op reply, sender = target = the IP, target MAC broadcast, to broadcast), so
   * that the neighbours' caches move to this node after a failover.
   */
  private void onL2Table(List<io.podnet.node.cilium.L2AnnounceTable.Entry> entries) {
    Set<io.podnet.node.cilium.L2AnnounceTable.Entry> before = new HashSet<>(l2Table);
    l2Table = List.copyOf(entries);
    applyL2Responder();
    for (io.podnet.node.cilium.L2AnnounceTable.Entry e : l2Table) {
      if (before.contains(e) || datapath == null) {
        continue;
      }
      datapath.sendGratuitousArp(e.networkInterface(), e.ip());
    }
  }

  private void applyL2Responder() {
    if (datapath == null) {
      return;
    }
    Map<String, Set<Ipv4Address>> byDevice = new HashMap<>();
    for (io.podnet.node.cilium.L2AnnounceTable.Entry e : l2Table) {
      byDevice.computeIfAbsent(e.networkInterface(), d -> new HashSet<>()).add(e.ip());
    }
    datapath.setL2Responder(byDevice);
  }

  @Override
  public List<io.podnet.node.cilium.L2AnnounceTable.Entry> l2Announce() {
    return l2Table;
  }

  private List<CiliumNodeInfo> nodeInfos() {
    List<CiliumNodeInfo> out = new ArrayList<>();
    for (Struct n : ciliumNodes.values()) {
      Ipv4Address internal = null;
      Ipv4Address router = null;
      for (Struct a : Json.structs(n, "spec.addresses")) {
        try {
          if ("InternalIP".equals(Json.str(a, "type"))) {
            internal = Ipv4Address.parse(Json.str(a, "ip"));
          } else if ("CiliumInternalIP".equals(Json.str(a, "type"))) {
            router = Ipv4Address.parse(Json.str(a, "ip"));
          }
        } catch (IllegalArgumentException ignored) {
          // not IPv4
        }
      }
      List<Value> cidrs = Json.list(n, "spec.ipam.podCIDRs");
      if (internal == null || router == null || cidrs.isEmpty()) {
        continue;
      }
      try {
        out.add(new CiliumNodeInfo(Json.str(n, "metadata.name"), internal, Ipv4Prefix.parse(cidrs.get(0)
            .getStringValue()), router));
      } catch (IllegalArgumentException ex) {
        warn("CiliumNode " + Json.str(n, "metadata.name") + ": " + ex.getMessage());
      }
    }
    return out;
  }

  /** Routes and the ipcache follow the cluster's nodes and endpoints. */
  private void refresh() {
    if (datapath == null) {
      return;
    }
    List<CiliumNodeInfo> nodes = nodeInfos();
    if (nodes.stream().anyMatch(n -> n.name().equals(settings.nodeName()))) {
      RoutePlan plan = nodeDatapath.reconcile(settings.nodeName(), nodes, config);
      // The agent's log (not the user's terminal), each failure once, as Cilium logs it per node event.
      for (RoutePlan.DirectRouteFailure f : plan.failures()) {
        if (routeFailuresLogged.add(f.logLine())) {
          ctx.system().log().info("{}: {}", settings.nodeName(), f.logLine());
        }
      }
    }
    List<EndpointInfo> eps = allEndpoints();
    List<Ipv4Address> addrs = new ArrayList<>();
    ctx.core().stack().links().all().forEach(l -> {
      if (!l.isLoopback()) {
        l.addresses().forEach(a -> addrs.add(a.local()));
      }
    });
    installedIpCache = IpCache.build(settings.nodeName(), addrs, nodes, eps, config);
    datapath.setIpCache(installedIpCache);
    datapath.setEndpoints(eps);
    scheduleNeighDiscovery();
  }

  // ============================================================ L2 neighbour discovery

  /** Cilium's desired-neighbour calculator reruns on node and route changes, at most every 15 s. */
  private static final long NEIGH_RATE_MICROS = 15_000_000L;

  /**
   * With enable-l2-neigh-discovery, the calculator runs now, or when its rate limiter lets it
   * (15 s after its last run); without it, the agent does not touch neighbour entries at all.
   */
  private void scheduleNeighDiscovery() {
    if (config == null || !config.l2NeighDiscovery() || (neighTimer != null && neighTimer.active())) {
      return;
    }
    long now = ctx.core().timers().nowMicros();
    if (neighLastRun == Long.MIN_VALUE || now >= neighLastRun + NEIGH_RATE_MICROS) {
      runNeighDiscovery();
    } else {
      neighTimer = ctx.core().timers().at(neighLastRun + NEIGH_RATE_MICROS, this::runNeighDiscovery);
    }
  }

  /** A full sync: the other nodes' IPs through every L2 device to their next hops, reconciled. */
  private void runNeighDiscovery() {
    neighTimer = null;
    if (config == null || !config.l2NeighDiscovery() || datapath == null) {
      return;
    }
    neighLastRun = ctx.core().timers().nowMicros();
    List<Ipv4Address> nodeIps = new ArrayList<>();
    for (CiliumNodeInfo n : nodeInfos()) {
      if (!n.name().equals(settings.nodeName())) {
        nodeIps.add(n.internalIp());
      }
    }
    L2NeighDiscovery.reconcile(ctx.core(), L2NeighDiscovery.desired(ctx.core().stack(), nodeIps), neighApplied);
  }

  private List<EndpointInfo> allEndpoints() {
    // An endpoint seen before its node's CiliumNode (a restarted lab lists both at once, in any
    // order) has no node yet: find it now that more nodes may be known.
    for (Map.Entry<String, EndpointInfo> e : ciliumEndpoints.entrySet()) {
      EndpointInfo i = e.getValue();
      if (i.nodeName().isEmpty()) {
        String node = nodeNameOf(endpointNodeIps.getOrDefault(e.getKey(), ""));
        if (!node.isEmpty()) {
          e.setValue(new EndpointInfo(i.namespace(), i.name(), i.ip(), i.identity(), node));
        }
      }
    }
    Map<String, EndpointInfo> all = new TreeMap<>(ciliumEndpoints);
    for (PodRun p : pods.values()) {
      if (p.ip != null && p.identity != 0 && !p.hostNetwork) {
        all.put(p.key(), infoOf(p));
      }
    }
    return new ArrayList<>(all.values());
  }

  private EndpointInfo infoOf(PodRun p) {
    return new EndpointInfo(p.namespace, p.name, p.ip, p.identity, settings.nodeName());
  }

  /** The node whose address (internal IP, or any address of its CiliumNode) is {@code nodeIp}; "" if none is known. */
  private String nodeNameOf(String nodeIp) {
    String nodeName = "";
    for (CiliumNodeInfo n : nodeInfos()) {
      if (n.internalIp().toString().equals(nodeIp)) {
        nodeName = n.name();
      }
    }
    if (nodeName.isEmpty()) {
      for (Map.Entry<String, Struct> n : ciliumNodes.entrySet()) {
        for (Struct a : Json.structs(n.getValue(), "spec.addresses")) {
          if (nodeIp.equals(Json.str(a, "ip"))) {
            nodeName = n.getKey();
          }
        }
      }
    }
    return nodeName;
  }

  private EndpointInfo endpointOf(Struct cep) {
    try {
      String ip = "";
      for (Struct a : Json.structs(cep, "status.networking.addressing")) {
        ip = Json.str(a, "ipv4");
      }
      String nodeName = nodeNameOf(Json.str(cep, "status.networking.node"));
      int id = (int) Double.parseDouble(Json.str(cep, "status.identity.id"));
      return new EndpointInfo(Json.str(cep, "metadata.namespace"), Json.str(cep, "metadata.name"),
          Ipv4Address.parse(ip), id, nodeName);
    } catch (RuntimeException ex) {
      return null;
    }
  }

  private void refreshServices() {
    Map<String, Ipv4Address> ips = new HashMap<>();
    List<ServiceTable.Frontend> fronts = new ArrayList<>();
    for (Map.Entry<String, Struct> e : services.entrySet()) {
      Struct svc = e.getValue();
      String ns = Json.str(svc, "metadata.namespace");
      String name = Json.str(svc, "metadata.name");
      String clusterIp = Json.str(svc, "spec.clusterIP");
      String type = Json.str(svc, "spec.type");
      Ipv4Address cip = null;
      try {
        cip = clusterIp.isEmpty() || clusterIp.equals("None") ? null : Ipv4Address.parse(clusterIp);
      } catch (IllegalArgumentException ignored) {
        // headless or IPv6
      }
      if (cip != null) {
        ips.put(name + "." + ns, cip);
      }
      Struct ep = endpoints.get(e.getKey());
      boolean etpLocal = "Local".equals(Json.str(svc, "spec.externalTrafficPolicy"));
      for (Struct port : Json.structs(svc, "spec.ports")) {
        int proto = "UDP".equals(Json.str(port, "protocol")) ? 17 : 6;
        int portNo = Integer.parseInt(Json.str(port, "port"));
        List<ServiceTable.Backend> backends = backendsOf(ep, Json.str(port, "name"), proto);
        if (cip != null) {
          fronts.add(new ServiceTable.Frontend(ns, name, "ClusterIP", cip, portNo, proto, backends));
        }
        String nodePort = Json.str(port, "nodePort");
        if (!nodePort.isEmpty() && (type.equals("NodePort") || type.equals("LoadBalancer"))) {
          fronts.add(new ServiceTable.Frontend(ns, name, "NodePort", settings.internalIp(),
              Integer.parseInt(nodePort), proto, backends, etpLocal));
        }
        if (type.equals("LoadBalancer")) {
          for (Struct ing : Json.structs(svc, "status.loadBalancer.ingress")) {
            try {
              fronts.add(new ServiceTable.Frontend(ns, name, "LoadBalancer", Ipv4Address.parse(Json.str(ing, "ip")),
                  portNo, proto, backends, etpLocal));
            } catch (IllegalArgumentException ignored) {
              // a hostname ingress
            }
          }
        }
        for (Value ext : Json.list(svc, "spec.externalIPs")) {
          Ipv4Address ip = parseIpv4(ext.getStringValue()); // null for an IPv6 external IP
          if (ip != null) {
            fronts.add(new ServiceTable.Frontend(ns, name, "ExternalIPs", ip, portNo, proto, backends, etpLocal));
          }
        }
      }
    }
    serviceIps = Map.copyOf(ips);
    if (datapath != null) {
      datapath.setServices(fronts);
      List<ServiceList.Params> listed = new ArrayList<>();
      for (Map.Entry<String, Struct> e : services.entrySet()) {
        listed.addAll(listedFrontends(e.getValue(), endpoints.get(e.getKey())));
      }
      serviceList = serviceIds.reconcile(listed, List.of(settings.internalIp()));
    }
  }

  /**
   * A Service's frontends as Cilium 1.18's reflector writes them to its frontends table
   * ({@link ServiceList#frontends}): none for a headless Service; NodePort ones with the kube-proxy
   * replacement only; LoadBalancer ones for VIP ingress IPs.
   */
  private List<ServiceList.Params> listedFrontends(Struct svc, Struct ep) {
    String clusterIp = Json.str(svc, "spec.clusterIP");
    if (clusterIp.equalsIgnoreCase("None")
        || Json.strings(svc, "metadata.labels").containsKey("service.kubernetes.io/headless")) {
      return List.of();
    }
    String type = Json.str(svc, "spec.type");
    Ipv4Address cip = parseIpv4(clusterIp);
    List<Ipv4Address> lbIps = new ArrayList<>();
    if (type.equals("LoadBalancer")) {
      for (Struct ing : Json.structs(svc, "status.loadBalancer.ingress")) {
        String mode = Json.str(ing, "ipMode");
        Ipv4Address ip = parseIpv4(Json.str(ing, "ip"));
        if (ip != null && (mode.isEmpty() || mode.equals("VIP"))) {
          lbIps.add(ip);
        }
      }
    }
    List<Ipv4Address> externalIps = new ArrayList<>();
    for (Value v : Json.list(svc, "spec.externalIPs")) {
      Ipv4Address ip = parseIpv4(v.getStringValue());
      if (ip != null) {
        externalIps.add(ip);
      }
    }
    boolean etpLocal = "Local".equals(Json.str(svc, "spec.externalTrafficPolicy"));
    boolean itpLocal = "Local".equals(Json.str(svc, "spec.internalTrafficPolicy"));
    List<ServiceList.Port> ports = new ArrayList<>();
    for (Struct port : Json.structs(svc, "spec.ports")) {
      String protocol = Json.str(port, "protocol");
      int proto = protocol.equals("UDP") ? ServiceList.UDP : protocol.equals("SCTP") ? ServiceList.SCTP
          : ServiceList.TCP;
      String nodePort = Json.str(port, "nodePort");
      try {
        ports.add(new ServiceList.Port((int) Double.parseDouble(Json.str(port, "port")), proto,
            nodePort.isEmpty() ? 0 : (int) Double.parseDouble(nodePort), backendsOf(ep, Json.str(port, "name"), proto)));
      } catch (IllegalArgumentException ex) {
        // a port the API server would not have accepted
      }
    }
    boolean nodePorts = config.kubeProxyReplacement() && (type.equals("NodePort") || type.equals("LoadBalancer"));
    return ServiceList.frontends(cip, nodePorts, lbIps, externalIps, etpLocal != itpLocal, ports);
  }

  private static Ipv4Address parseIpv4(String s) {
    try {
      return s.isEmpty() ? null : Ipv4Address.parse(s);
    } catch (IllegalArgumentException ex) {
      return null; // IPv6, or not an address
    }
  }

  @Override
  public List<ServiceList.Entry> services() {
    return serviceList;
  }

  private static List<ServiceTable.Backend> backendsOf(Struct ep, String portName, int proto) {
    List<ServiceTable.Backend> out = new ArrayList<>();
    if (ep == null) {
      return out;
    }
    for (Struct subset : Json.structs(ep, "subsets")) {
      int port = -1;
      for (Struct p : Json.structs(subset, "ports")) {
        int pp = "UDP".equals(Json.str(p, "protocol")) ? 17 : 6;
        if (pp == proto && (portName.isEmpty() || portName.equals(Json.str(p, "name")))) {
          port = Integer.parseInt(Json.str(p, "port"));
        }
      }
      if (port < 0) {
        continue;
      }
      for (Struct a : Json.structs(subset, "addresses")) {
        try {
          out.add(new ServiceTable.Backend(Ipv4Address.parse(Json.str(a, "ip")), port));
        } catch (IllegalArgumentException ignored) {
          // IPv6
        }
      }
    }
    return out;
  }

  /**
   * Service names as the cluster DNS answers them, with the pod's namespace as the search domain:
   * NAME (in the pod's namespace), NAME.NAMESPACE, and NAME.NAMESPACE.svc[.cluster.local][.], in
   * any letter case. A name qualified with .svc must name the namespace: {@code webpod.svc} is
   * the namespace "webpod", no Service.
   */
  Ipv4Address resolveService(String name, String namespace) {
    String n = name.toLowerCase(java.util.Locale.ROOT); // DNS names are case-insensitive
    n = n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    boolean qualified = false;
    for (String suffix : List.of(".svc.cluster.local", ".svc")) {
      if (n.endsWith(suffix)) {
        n = n.substring(0, n.length() - suffix.length());
        qualified = true;
        break;
      }
    }
    Map<String, Ipv4Address> known = serviceIps;
    Ipv4Address ip = n.contains(".") ? known.get(n) : null;
    return ip != null || qualified ? ip : known.get(n + "." + namespace);
  }

  private Ipv4Address resolveFromNode(String name) {
    // The node's resolver (systemd-resolved) does not search cluster domains: only FQDNs.
    String n = name.toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".svc.cluster.local") || n.endsWith(".svc.cluster.local.") ? resolveService(n, "default")
        : null;
  }

  // ============================================================ identities

  private void onIdentity(Struct o, boolean deleted) {
    int id;
    try {
      id = Integer.parseInt(Json.str(o, "metadata.name"));
    } catch (NumberFormatException ex) {
      return;
    }
    List<String> labels = new ArrayList<>();
    Json.strings(o, "security-labels").forEach((k, v) -> labels.add(k + "=" + v));
    String key = String.join(",", new java.util.TreeSet<>(labels));
    long rv = Long.parseLong(Json.str(o, "metadata.resourceVersion").isEmpty() ? "0"
        : Json.str(o, "metadata.resourceVersion"));
    if (!deleted) {
      // Ranked by the resourceVersion it was first seen with (its creation, as a rule): a later
      // change (the operator's GC mark) must not make an older identity lose to a younger one.
      TreeMap<Long, Integer> ids = identities.computeIfAbsent(key, k -> new TreeMap<>());
      if (!ids.containsValue(id)) {
        ids.put(rv, id);
      }
    } else {
      // By ID: a deletion inferred after a re-list carries no labels.
      for (var e : identities.entrySet()) {
        if (e.getValue().values().remove(id)) {
          recreateIfInUse(id, e.getKey());
        }
      }
    }
    reconcileIdentities();
  }

  /**
   * An identity this node's endpoints still use was deleted (by hand, or a GC that raced with a
   * new endpoint): as Cilium's allocator protects the master keys it holds locally, the agent
   * creates it again under the same ID and labels.
   */
  private void recreateIfInUse(int id, String key) {
    for (PodRun p : pods.values()) {
      if (p.identity == id && p.labels != null && keyOf(p.labels).equals(key)) {
        ctx.system().log().info("{}: identity {} was deleted while in use by {}: re-creating it", settings.nodeName(),
            id, p.key());
        call(KubeClient.Request.create(KubeResource.CILIUM_IDENTITIES, identityObject(id, p.labels)), r -> {
          if (r.ok()) {
            long rv = Long.parseLong(r.resourceVersion().isEmpty() ? "0" : r.resourceVersion());
            identities.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(rv, id);
            reconcileIdentities();
          } else if (r.code() != 409) {
            warn("cannot re-create identity " + id + ": " + r.code() + " " + r.message());
          }
        });
        return;
      }
    }
  }

  /** A CiliumIdentity as the CRD allocator backend writes it. */
  private static Struct identityObject(int id, SecurityLabels labels) {
    Map<String, String> sec = new TreeMap<>();
    Map<String, String> plain = new TreeMap<>();
    for (String l : labels.labels()) {
      int eq = l.indexOf('=');
      sec.put(l.substring(0, eq), l.substring(eq + 1));
      plain.put(l.substring(l.indexOf(':') + 1, eq), l.substring(eq + 1));
    }
    return Json.parse("{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumIdentity\",\"metadata\":{\"name\":\"" + id
        + "\",\"labels\":" + Json.object(plain) + "},\"security-labels\":" + Json.object(sec) + "}");
  }

  private static String keyOf(SecurityLabels l) {
    return String.join(",", new java.util.TreeSet<>(l.labels()));
  }

  /** Local endpoints follow the canonical (first created) identity of their labels. */
  private void reconcileIdentities() {
    for (Map.Entry<Integer, String> c : List.copyOf(createdHere.entrySet())) {
      TreeMap<Long, Integer> ids = identities.get(c.getValue());
      if (ids != null && ids.size() > 1 && !ids.firstEntry().getValue().equals(c.getKey())) {
        createdHere.remove(c.getKey());
        call(KubeClient.Request.delete(KubeResource.CILIUM_IDENTITIES, "", Integer.toString(c.getKey())), r -> { });
      }
    }
    for (PodRun p : List.copyOf(pods.values())) {
      if (p.labels == null) {
        continue;
      }
      TreeMap<Long, Integer> ids = identities.get(keyOf(p.labels));
      if (ids == null || ids.isEmpty()) {
        continue;
      }
      int canonical = ids.firstEntry().getValue();
      if (p.identity != canonical) {
        int old = p.identity;
        p.identity = canonical;
        p.endpointWritten = false;
        if (old != 0 && p.host != null && datapath != null) {
          datapath.removeLocalEndpoint(p.ip);
          datapath.addLocalEndpoint(new CiliumDatapath.LocalEndpoint(infoOf(p), p.lxc, p.podMac));
        }
        advance(p);
      }
    }
    refresh();
  }

  private void ensureIdentity(PodRun p) {
    String key = keyOf(p.labels);
    TreeMap<Long, Integer> ids = identities.get(key);
    if (ids != null && !ids.isEmpty()) {
      p.identity = ids.firstEntry().getValue();
      return;
    }
    if (!identityCreates.add(key)) {
      return;
    }
    Set<Integer> used = new HashSet<>();
    identities.values().forEach(m -> used.addAll(m.values()));
    int id;
    do {
      id = 256 + random.nextInt(65535 - 256 + 1);
    } while (used.contains(id));
    int chosen = id;
    call(KubeClient.Request.create(KubeResource.CILIUM_IDENTITIES, identityObject(id, p.labels)), r -> {
          identityCreates.remove(key);
          if (r.ok()) {
            long rv = Long.parseLong(r.resourceVersion().isEmpty() ? "0" : r.resourceVersion());
            identities.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(rv, chosen);
            createdHere.put(chosen, key);
            reconcileIdentities();
          } else if (r.code() == 409) {
            for (PodRun q : pods.values()) {
              if (q.labels != null && keyOf(q.labels).equals(key) && q.identity == 0) {
                ensureIdentity(q);
                break;
              }
            }
          } else {
            warn("cannot create identity " + chosen + ": " + r.code() + " " + r.message());
          }
        });
  }

  // ============================================================ the kubelet's pods

  private void onPod(Struct o, boolean deleted) {
    String ns = Json.str(o, "metadata.namespace");
    String name = Json.str(o, "metadata.name");
    String key = ns + "/" + name;
    // (A deletion the reflector inferred after a re-list carries only metadata: the key decides.)
    if (!deleted && !settings.nodeName().equals(Json.str(o, "spec.nodeName"))) {
      return;
    }
    if (deleted || !Json.str(o, "metadata.deletionTimestamp").isEmpty()) {
      PodRun p = pods.remove(key);
      if (p != null) {
        teardown(p);
      }
      return;
    }
    PodRun p = pods.computeIfAbsent(key, k -> new PodRun(ns, name));
    p.object = o;
    p.hostNetwork = Json.bool(o, "spec.hostNetwork");
    relabel(p);
    advance(p);
  }

  private SecurityLabels securityLabelsOf(PodRun p) {
    Map<String, String> labels = Json.strings(p.object, "metadata.labels");
    String sa = Json.str(p.object, "spec.serviceAccountName");
    return SecurityLabels.forPod(p.namespace, labels, SecurityLabels.defaultNamespaceLabels(p.namespace),
        sa.isEmpty() ? "default" : sa, configData.getOrDefault("cluster-name", "default"));
  }

  /**
   * A running pod's labels changed: its endpoint takes the identity of the new label set (allocated
   * if new), as the agent resolves an endpoint's identity again on a pod update; address and host stay.
   */
  private void relabel(PodRun p) {
    if (p.hostNetwork || p.labels == null || p.identity == 0) {
      return; // not labelled yet: advance computes them from the current object
    }
    SecurityLabels next = securityLabelsOf(p);
    if (keyOf(next).equals(keyOf(p.labels))) {
      return;
    }
    p.labels = next;
    TreeMap<Long, Integer> ids = identities.get(keyOf(next));
    if (ids == null || ids.isEmpty()) {
      ensureIdentity(p); // the create's reply (or the watch) reconciles
    } else {
      reconcileIdentities();
    }
  }

  /** Moves a pod on as far as the agent's state allows: address, identity, host, endpoint, status. */
  private void advance(PodRun p) {
    if (!pods.containsKey(p.key())) {
      return;
    }
    if (p.hostNetwork) {
      if (p.host == null) {
        p.host = ctx.spawn(containerView(ctx.self(), isCiliumAgent(p)), "hostnet-" + p.namespace + "-" + p.name
            + "-" + ++podActors);
        p.ip = settings.internalIp();
        ctx.system().receptionist().tell(Receptionist.register(HostKeys.pod(p.namespace, p.name), p.host));
      }
      writeStatus(p);
      return;
    }
    if (ipam == null || config == null || datapath == null) {
      return; // waits for the podCIDR and the configuration
    }
    if (p.ip == null) {
      Ipv4Address previous = null;
      try {
        String have = Json.str(p.object, "status.podIP");
        previous = have.isEmpty() ? null : Ipv4Address.parse(have);
      } catch (IllegalArgumentException ignored) {
        // none
      }
      try {
        if (previous != null && podCidr.contains(previous)) {
          ipam.allocate(previous, p.key());
          p.ip = previous;
        } else {
          p.ip = ipam.allocateNext(p.key());
        }
      } catch (IpamException ex) {
        warn("pod " + p.key() + ": " + ex.getMessage());
        return;
      }
      p.labels = securityLabelsOf(p);
    }
    if (p.identity == 0) {
      ensureIdentity(p);
      if (p.identity == 0) {
        return; // the create's reply (or the watch) brings it
      }
    }
    if (p.host == null) {
      startPodHost(p);
    }
    if (!p.endpointWritten) {
      writeEndpoint(p);
    }
    writeStatus(p);
    refresh();
  }

  private static String hex(long v, int digits) {
    String s = Long.toHexString(v);
    while (s.length() < digits) {
      s = "0" + s;
    }
    return s.substring(s.length() - digits);
  }

  private MacAddress randomMac() {
    return MacAddress.randomLocal(random);
  }

  private void startPodHost(PodRun p) {
    p.lxc = "lxc" + hex(random.nextLong(), 12);
    p.podMac = randomMac();
    p.endpointId = 1 + random.nextInt(4095);
    String seg = "veth-" + p.lxc;
    p.veth = ctx.spawn(SegmentActor.create(seg), seg);
    try {
      ctx.core().stack().addLink(p.lxc, LinkKind.VETH, randomMac());
      ctx.core().stack().setUp(p.lxc, true);
    } catch (RuntimeException ex) {
      warn("pod " + p.key() + ": " + ex.getMessage());
    }
    ctx.attachLink(p.lxc, p.veth);
    int mtu = config.tunneling() ? 1450 : 1500;
    HostConfig hc = new HostConfig(p.name, random.nextLong(), false,
        List.of(new HostConfig.LinkConfig("eth0", "veth", seg, p.podMac.toString(), mtu,
            List.of(p.ip + "/32"), 0)),
        List.of(routerIp + " dev eth0 scope link", "default via " + routerIp + " dev eth0 mtu " + mtu),
        Map.of(p.ip.toString(), p.name));
    Map<String, ToolFactory> tools = new HashMap<>(Tools.standard());
    String ns = p.namespace;
    p.host = ctx.spawn(HostActor.create(hc, Map.of("eth0", p.veth), tools, new PodDns(this::podResolve, ns)),
        "pod-" + p.namespace + "-" + p.name + "-" + ++podActors);
    ctx.system().receptionist().tell(Receptionist.register(HostKeys.pod(p.namespace, p.name), p.host));
    datapath.addLocalEndpoint(new CiliumDatapath.LocalEndpoint(infoOf(p), p.lxc, p.podMac));
    startContainers(p);
  }

  /** Called from pod host threads: reads a concurrent map only. */
  private Ipv4Address podResolve(String name, String namespace) {
    return resolveService(name, namespace);
  }

  /** The containers' processes: a whoami-style image serves HTTP as the reference's webpod does. */
  private void startContainers(PodRun p) {
    for (Struct c : Json.structs(p.object, "spec.containers")) {
      String image = Json.str(c, "image");
      if (image.contains("whoami")) {
        List<String> argv = new ArrayList<>(List.of("whoami"));
        for (Value a : Json.list(c, "args")) {
          argv.add(a.getStringValue());
        }
        for (Struct e : Json.structs(c, "env")) {
          if ("WHOAMI_PORT_NUMBER".equals(Json.str(e, "name"))) {
            argv.addAll(List.of("-port", Json.str(e, "value")));
          }
        }
        p.host.tell(new HostActor.RunTool("container-" + Json.str(c, "name"), argv, "/",
            ctx.system().ignoreRef().unsafeUpcast()));
      }
    }
  }

  private void writeEndpoint(PodRun p) {
    p.endpointWritten = true;
    List<String> labels = p.labels.labels();
    StringBuilder ls = new StringBuilder();
    for (String l : labels) {
      ls.append(ls.length() == 0 ? "" : ",").append(Json.q(l));
    }
    String body = "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumEndpoint\",\"metadata\":{\"name\":"
        + Json.q(p.name) + ",\"namespace\":" + Json.q(p.namespace) + ",\"ownerReferences\":[{\"apiVersion\":\"v1\","
        + "\"kind\":\"Pod\",\"name\":" + Json.q(p.name) + ",\"uid\":" + Json.q(Json.str(p.object, "metadata.uid"))
        + "}]},\"status\":{\"id\":" + p.endpointId + ",\"identity\":{\"id\":" + p.identity + ",\"labels\":[" + ls
        + "]},\"networking\":{\"addressing\":[{\"ipv4\":" + Json.q(p.ip.toString()) + "}],\"node\":"
        + Json.q(settings.internalIp().toString()) + "},\"state\":\"ready\",\"encryption\":{}}}";
    Struct obj = Json.parse(body);
    call(KubeClient.Request.create(KubeResource.CILIUM_ENDPOINTS, obj), r -> {
      if (r.code() == 409) {
        call(KubeClient.Request.patch(KubeResource.CILIUM_ENDPOINTS, p.namespace, p.name, PatchType.MERGE,
            Struct.newBuilder().putFields("status", Json.at(obj, "status")).build()), x -> { });
      } else if (!r.ok()) {
        warn("cannot write CiliumEndpoint " + p.key() + ": " + r.code() + " " + r.message());
      }
    });
  }

  private void writeStatus(PodRun p) {
    if (p.statusWritten && p.ip.toString().equals(Json.str(p.object, "status.podIP"))) {
      return;
    }
    p.statusWritten = true;
    String t = TIME.format(Instant.ofEpochMilli(settings.wallClockAtStart() + ctx.core().timers().nowMicros() / 1000));
    // The containers' statuses the pod had: from this boot (a status rewritten, the same
    // containers), or from before the node rebooted (the kubelet starts them again: restartCount
    // + 1, the old container in lastState as terminated "Unknown" 255, as after a reboot).
    Map<String, Struct> before = new HashMap<>();
    for (Struct c : Json.structs(p.object, "status.containerStatuses")) {
      before.put(Json.str(c, "name"), c);
    }
    String uid = Json.str(p.object, "metadata.uid");
    boolean restarted = !startedThisBoot.contains(uid) && !before.isEmpty();
    startedThisBoot.add(uid);
    StringBuilder cs = new StringBuilder();
    for (Struct c : Json.structs(p.object, "spec.containers")) {
      Struct old = before.get(Json.str(c, "name"));
      String oldId = old == null ? "" : Json.str(old, "containerID");
      String count = old == null ? "" : Json.str(old, "restartCount");
      long restarts = count.isEmpty() ? 0 : Long.parseLong(count);
      String id;
      String started;
      String last = "";
      if (old != null && !oldId.isEmpty() && !restarted) {
        id = oldId;
        String was = Json.str(old, "state.running.startedAt");
        started = was.isEmpty() ? t : was;
        if (!Json.struct(old, "lastState").getFieldsMap().isEmpty()) {
          last = ",\"lastState\":" + Json.toJson(Json.struct(old, "lastState"));
        }
      } else {
        id = "containerd://" + hex(random.nextLong(), 16) + hex(random.nextLong(), 16) + hex(random.nextLong(), 16)
            + hex(random.nextLong(), 16);
        started = t;
        if (restarted && !oldId.isEmpty()) {
          restarts++;
          last = ",\"lastState\":{\"terminated\":{\"exitCode\":255,\"reason\":\"Unknown\",\"startedAt\":"
              + Json.q(Json.str(old, "state.running.startedAt")) + ",\"finishedAt\":" + Json.q(t)
              + ",\"containerID\":" + Json.q(oldId) + "}}";
        }
      }
      cs.append(cs.length() == 0 ? "" : ",").append("{\"name\":").append(Json.q(Json.str(c, "name")))
          .append(",\"image\":").append(Json.q(Json.str(c, "image"))).append(",\"imageID\":\"\",\"containerID\":")
          .append(Json.q(id)).append(",\"ready\":true,\"started\":true,\"restartCount\":").append(restarts)
          .append(",\"state\":{\"running\":{\"startedAt\":\"").append(started).append("\"}}").append(last).append("}");
    }
    String startTime = Json.str(p.object, "status.startTime").isEmpty() ? t : Json.str(p.object, "status.startTime");
    String cond = "";
    for (String type : List.of("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
        "PodScheduled")) {
      cond += (cond.isEmpty() ? "" : ",") + "{\"type\":\"" + type + "\",\"status\":\"True\",\"lastTransitionTime\":\""
          + t + "\"}";
    }
    String ip = p.ip.toString();
    String node = settings.internalIp().toString();
    call(KubeClient.Request.patchStatus(KubeResource.PODS, p.namespace, p.name, PatchType.MERGE, Json.parse(
        "{\"status\":{\"phase\":\"Running\",\"conditions\":[" + cond + "],\"hostIP\":\"" + node
            + "\",\"hostIPs\":[{\"ip\":\"" + node + "\"}],\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip
            + "\"}],\"startTime\":\"" + startTime + "\",\"containerStatuses\":[" + cs + "]}}")), r -> {
              if (!r.ok() && r.code() != 404) {
                warn("cannot write the status of pod " + p.key() + ": " + r.code() + " " + r.message());
                p.statusWritten = false;
              }
            });
  }

  private void teardown(PodRun p) {
    if (p.hostNetwork) {
      if (p.host != null) {
        ctx.system().receptionist().tell(Receptionist.deregister(HostKeys.pod(p.namespace, p.name), p.host));
        ctx.stop(p.host);
      }
      return;
    }
    if (p.host != null) {
      ctx.system().receptionist().tell(Receptionist.deregister(HostKeys.pod(p.namespace, p.name), p.host));
      ctx.stop(p.host);
      ctx.stop(p.veth);
      ctx.detachLink(p.lxc);
      if (datapath != null) {
        datapath.removeLocalEndpoint(p.ip);
      }
      try {
        ctx.core().stack().deleteLink(p.lxc);
      } catch (RuntimeException ex) {
        warn("lxc " + p.lxc + ": " + ex.getMessage());
      }
    }
    if (p.ip != null && ipam != null) {
      ipam.release(p.ip);
    }
    if (p.endpointWritten) {
      call(KubeClient.Request.delete(KubeResource.CILIUM_ENDPOINTS, p.namespace, p.name), r -> { });
    }
    refresh();
  }

  private static boolean isCiliumAgent(PodRun p) {
    for (Struct c : Json.structs(p.object, "spec.containers")) {
      if (Json.str(c, "image").contains("cilium/cilium:") || "cilium-agent".equals(Json.str(c, "name"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * A host-network container: its commands run on the node's host; in the cilium-agent container
   * {@code cilium} is the agent's own client (cilium-dbg), not cilium-cli.
   */
  private static org.apache.pekko.actor.typed.Behavior<HostActor.Command> containerView(
      ActorRef<HostActor.Command> node, boolean ciliumAgent) {
    return Behaviors.receive(HostActor.Command.class)
        .onMessage(HostActor.RunTool.class, r -> {
          List<String> argv = r.argv();
          if (ciliumAgent && !argv.isEmpty() && argv.get(0).equals("cilium")) {
            argv = new ArrayList<>(argv);
            argv.set(0, "cilium-dbg");
          }
          node.tell(new HostActor.RunTool(r.id(), argv, r.cwd(), r.replyTo()));
          return Behaviors.same();
        })
        .onAnyMessage(m -> {
          node.tell(m);
          return Behaviors.same();
        })
        .build();
  }

  // ============================================================ what the node's tools see

  // ============================================================ Hubble observer

  /** A GetFlows following this node's flows: a remote requester (the relay) or a tool on this host. */
  private static final class Follower {
    final io.podnet.node.cilium.hubble.ObserveOptions opts;
    final ActorRef<Hubble.Flows> remote;
    final ObserveSink local;
    final List<io.podnet.node.cilium.hubble.Flow> pending = new ArrayList<>();

    Follower(io.podnet.node.cilium.hubble.ObserveOptions opts, ActorRef<Hubble.Flows> remote, ObserveSink local) {
      this.opts = opts;
      this.remote = remote;
      this.local = local;
    }

    void send(List<io.podnet.node.cilium.hubble.Flow> flows, boolean backlog) {
      if (remote != null) {
        remote.tell(new Hubble.Flows(flows, backlog));
      } else {
        local.flows(flows, backlog);
      }
    }
  }

  private record FollowerGone(ActorRef<?> ref) implements NoSerializationVerificationNeeded {}

  private record SessionFlows(ActorRef<Hubble.Flows> session, Hubble.Flows flows)
      implements NoSerializationVerificationNeeded {}

  /** Observers stamp flows with the node's clock: the lab's start in wall time plus lab time. */
  private io.podnet.node.cilium.hubble.Flow wall(io.podnet.node.cilium.hubble.Flow labTime) {
    return labTime.shifted(settings.wallClockAtStart() * 1000);
  }

  private List<io.podnet.node.cilium.hubble.Flow> backlog(io.podnet.node.cilium.hubble.ObserveOptions opts) {
    return opts.select(ring.flows()).stream().map(this::wall).toList();
  }

  /** GetFlows from the relay (or anyone): the backlog now, then followed flows in 1 ms batches. */
  private void serveObserve(Hubble.Observe o) {
    io.podnet.node.cilium.hubble.ObserveOptions opts;
    try {
      opts = io.podnet.node.cilium.hubble.ObserveOptions.parse(o.filter());
    } catch (io.podnet.node.cilium.hubble.ObserveOptions.UsageException e) {
      o.replyTo().tell(new Hubble.Flows(List.of(), true));
      return;
    }
    o.replyTo().tell(new Hubble.Flows(backlog(opts), true));
    if (o.follow() && followers.stream().noneMatch(f -> o.replyTo().equals(f.remote))) {
      addFollower(new Follower(opts, o.replyTo(), null));
      ctx.watchWith(o.replyTo(), new FollowerGone(o.replyTo()));
    }
  }

  private void addFollower(Follower f) {
    followers.add(f);
    if (unfollowRing == null) {
      unfollowRing = ring.follow(this::onFlow);
    }
  }

  private void unfollowRingIfIdle() {
    if (followers.isEmpty() && unfollowRing != null) {
      unfollowRing.run();
      unfollowRing = null;
    }
  }

  private void onFlow(io.podnet.node.cilium.hubble.Flow f) {
    io.podnet.node.cilium.hubble.Flow stamped = null;
    for (Follower fl : followers) {
      if (fl.opts.matches(f)) {
        fl.pending.add(stamped != null ? stamped : (stamped = wall(f)));
        if (!flushScheduled) {
          flushScheduled = true;
          ctx.core().timers().after(1000, this::flushFollowers);
        }
      }
    }
  }

  private void flushFollowers() {
    flushScheduled = false;
    for (Follower fl : List.copyOf(followers)) {
      if (!fl.pending.isEmpty()) {
        List<io.podnet.node.cilium.hubble.Flow> batch = List.copyOf(fl.pending);
        fl.pending.clear();
        fl.send(batch, false);
      }
    }
  }

  @Override
  public Runnable observe(List<String> filter, boolean follow, boolean cluster, ObserveSink sink) {
    if (cluster && relay != null) {
      ActorRef<SessionFlows> toAgent = ctx.adapter(SessionFlows.class);
      ActorRef<Hubble.Flows> session = ctx.spawn(Behaviors.setup(sc -> {
        ActorRef<Hubble.Flows> me = sc.getSelf();
        return Behaviors.receive(Hubble.Flows.class).onAnyMessage(f -> {
          toAgent.tell(new SessionFlows(me, f));
          return Behaviors.same();
        }).build();
      }), "hubble-observe-" + ++observeSessions);
      sessions.put(session, sink);
      relay.tell(new Hubble.Observe(filter, follow, session));
      // A relay that went away before the Receptionist said so never answers: hubble gives up
      // as its client does when the relay cannot be reached.
      ctx.core().timers().after(RELAY_ANSWER_MICROS, () -> {
        if (sessions.containsKey(session) && !answered.contains(session)) {
          sessions.remove(session);
          ctx.stop(session);
          sink.failed("failed to connect to 'localhost:4245': context deadline exceeded");
        }
      });
      return () -> {
        answered.remove(session);
        if (sessions.remove(session) != null) {
          ctx.stop(session);
        }
      };
    }
    io.podnet.node.cilium.hubble.ObserveOptions opts;
    try {
      opts = io.podnet.node.cilium.hubble.ObserveOptions.parse(filter);
    } catch (io.podnet.node.cilium.hubble.ObserveOptions.UsageException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    List<io.podnet.node.cilium.hubble.Flow> backlog = backlog(opts);
    boolean[] cancelled = {false};
    ctx.core().timers().after(0, () -> {
      if (!cancelled[0]) {
        sink.flows(backlog, true);
      }
    });
    if (!follow) {
      return () -> cancelled[0] = true;
    }
    Follower f = new Follower(opts, null, (flows, b) -> {
      if (!cancelled[0]) {
        sink.flows(flows, b);
      }
    });
    addFollower(f);
    return () -> {
      cancelled[0] = true;
      followers.remove(f);
      unfollowRingIfIdle();
    };
  }

  @Override
  public String nodeName() {
    return settings.nodeName();
  }

  @Override
  public Map<String, String> configData() {
    return latestConfigData;
  }

  @Override
  public AgentConfig config() {
    return config;
  }

  @Override
  public HostScopeIpam ipam() {
    return ipam;
  }

  /** Every node's running configuration: agents restart on the same ConfigMap, so this node's stands for all. */
  @Override
  public List<Map.Entry<String, AgentConfig>> nodeConfigs() {
    List<Map.Entry<String, AgentConfig>> out = new ArrayList<>();
    if (config != null) {
      for (String n : ciliumNodes.keySet()) {
        out.add(Map.entry(n, config));
      }
    }
    return out;
  }

  @Override
  public void helmUpgrade(io.podnet.node.cilium.HelmUpgrade upgrade, Consumer<HelmOutcome> done) {
    if (!"cilium".equals(upgrade.release()) || configAnnotations.isEmpty()) {
      ctx.core().timers().after(0, () -> done.accept(new HelmOutcome.Failed("\"" + upgrade.release()
          + "\" has no deployed releases")));
      return;
    }
    Map<String, Object> previous = new LinkedHashMap<>();
    try {
      for (String line : configAnnotations.getOrDefault(HELM_SET, "").split("\n")) {
        if (!line.isBlank()) {
          io.podnet.node.cilium.HelmSetParser.parseInto(line, previous);
        }
      }
    } catch (io.podnet.node.cilium.HelmException e) {
      warn("release values: " + e.getMessage());
    }
    io.podnet.node.cilium.HelmValues user = upgrade.userValues(io.podnet.node.cilium.HelmValues.of(previous));
    io.podnet.node.cilium.HelmValues computed = io.podnet.node.cilium.CiliumChart.defaults().overlay(user);
    Map<String, String> data;
    try {
      data = io.podnet.node.cilium.CiliumChart.render(computed);
    } catch (io.podnet.node.cilium.HelmException e) {
      ctx.core().timers().after(0, () -> done.accept(new HelmOutcome.Failed(e.getMessage())));
      return;
    }
    int revision = 1;
    try {
      revision = Integer.parseInt(configAnnotations.getOrDefault(HELM_REVISION, "1")) + 1;
    } catch (NumberFormatException ignored) {
      // keep 1 + 1
    }
    String version = upgrade.version() != null ? upgrade.version()
        : configAnnotations.getOrDefault("podnet.io/chart-version", "1.18.0");
    List<String> sets = new ArrayList<>();
    for (String line : HelmSets.flatten(user)) {
      sets.add(line);
    }
    StringBuilder patch = new StringBuilder("{\"metadata\":{\"annotations\":{");
    patch.append(Json.q(HELM_SET)).append(':').append(Json.q(String.join("\n", sets))).append(',')
        .append(Json.q(HELM_REVISION)).append(':').append(Json.q(Integer.toString(revision))).append(',')
        .append(Json.q("podnet.io/chart-version")).append(':').append(Json.q(version)).append("}},\"data\":{");
    // A merge patch: keys the new values no longer render are deleted (null).
    Map<String, String> all = new TreeMap<>(data);
    boolean first = true;
    for (String k : new java.util.TreeSet<>(java.util.Set.copyOf(concat(latestConfigData.keySet(), data.keySet())))) {
      patch.append(first ? "" : ",").append(Json.q(k)).append(':')
          .append(all.containsKey(k) ? Json.q(all.get(k)) : "null");
      first = false;
    }
    patch.append("}}");
    int rev = revision;
    long deployed = settings.wallClockAtStart() * 1000 + ctx.core().timers().nowMicros();
    call(KubeClient.Request.patch(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config", PatchType.MERGE,
        Json.parse(patch.toString())), r -> done.accept(r.ok()
            ? new HelmOutcome.Upgraded("cilium", upgrade.namespace(), rev, deployed, "cilium", version, computed)
            : new HelmOutcome.Failed(r.message())));
  }

  private static List<String> concat(Collection<String> a, Collection<String> b) {
    List<String> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  static final String HELM_SET = "podnet.io/helm-set";
  static final String HELM_REVISION = "podnet.io/helm-revision";

  /** The node's ipcache as the datapath has it (for cilium-dbg). */
  @Override
  public List<IpCacheEntry> ipcache() {
    return datapath == null ? List.of() : installedIpCache;
  }
}
