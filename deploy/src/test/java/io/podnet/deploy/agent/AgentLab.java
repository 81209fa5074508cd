package io.podnet.deploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.api.ApiGateway;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.controllers.ControllerManager;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostKeys;
import io.podnet.netstack.actor.LabClock;
import io.podnet.netstack.actor.MachineActor;
import io.podnet.netstack.actor.SegmentActor;
import io.podnet.netstack.actor.ToolOutput;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.netstack.tool.Tools;
import io.podnet.node.agent.CiliumOperator;
import io.podnet.node.agent.HubbleRelay;
import io.podnet.node.agent.NodeAgent;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.cilium.CiliumChart;
import io.podnet.node.cilium.HelmSetParser;
import io.podnet.node.cilium.HelmValues;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A small Cilium cluster for agent tests, on ManualTime: the real API server (ApiServerActor with
 * its controllers, ApiGateway through the Receptionist, as LabApiServer starts them), the
 * cilium-config ConfigMap as LabKubernetes writes it, the operator, Hubble Relay, and nodes that
 * are host actors running a {@link NodeAgent}, their eth0 on one L2 segment. Messages are
 * serialized on the way (Kryo for the hosts' and segments' messages); the API server actor's own
 * protocol is local by design and exempt, as in LeaderElectionLabTest.
 */
final class AgentLab implements AutoCloseable {
  static final long WALL_CLOCK_AT_START = Instant.parse("2025-08-09T12:35:25Z").toEpochMilli();
  static final Duration WAIT = Duration.ofSeconds(30);
  /** How long a machine started by {@link #startNode(String, String, boolean)} is down when it reboots. */
  static final Duration BOOT_TIME = Duration.ofSeconds(5);

  /** Native routing between nodes on one subnet, the reference lab's cluster pool. */
  static final List<String> NATIVE = List.of("kubeProxyReplacement=true", "routingMode=native",
      "autoDirectNodeRoutes=true", "ipv4NativeRoutingCIDR=172.20.0.0/16", "ipam.mode=cluster-pool",
      "ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}", "ipam.operator.clusterPoolIPv4MaskSize=24");

  final ActorTestKit testKit;
  final ManualTime time;
  final ActorRef<ApiServerActor.Command> api;
  final ActorRef<KubeClient.Command> client;
  final ActorRef<SegmentActor.Command> lan;
  final Map<String, ActorRef<HostActor.Command>> nodes = new LinkedHashMap<>();
  final Map<String, Ipv4Address> nodeIps = new LinkedHashMap<>();
  final Map<String, MacAddress> nodeMacs = new LinkedHashMap<>();
  /** Hosts without an agent ({@link #startHost}). */
  final Map<String, ActorRef<HostActor.Command>> others = new LinkedHashMap<>();
  ActorRef<HubbleRelay.Command> relay;
  private final AtomicLong ids = new AtomicLong();

  AgentLab() {
    this(true);
  }

  /** Without {@code gateway}, the API server is not reachable until {@link #startGateway}. */
  AgentLab(boolean gateway) {
    this(gateway, ObjectStore.DEFAULT_HISTORY);
  }

  /**
   * An API server whose store keeps {@code history} changes for watches to resume from, run by a
   * parent that restarts it when it fails (see {@link #crashApiServer}); its store (etcd) outlives it.
   */
  AgentLab(boolean gateway, int history) {
    testKit = ActorTestKit.create("agent-lab", ManualTime.config().withFallback(ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.actor.serialize-messages = on
        pekko.actor.no-serialization-verification-needed-class-prefix = [
          "org.apache.pekko.", "io.podnet.apiserver.api.ApiServerActor$"]
        """)));
    time = ManualTime.get(testKit.system());
    LabClock labClock = LabClock.get(testKit.system());
    LongSupplier clock = () -> WALL_CLOCK_AT_START + labClock.nowMicros() / 1000;
    ApiResources resources = ApiResources.standard();
    SplittableRandom random = new SplittableRandom(11);
    ControllerManager controllers = ControllerManager.standard(resources, "10.96.0.0/12", 40_000, random.split());
    api = testKit.spawn(Behaviors.supervise(ApiServerActor.create(new ObjectStore(clock, random.split(), history, 0),
        resources, controllers, clock, Duration.ofSeconds(1))).onFailure(SupervisorStrategy.restart()), "apiserver");
    TestProbe<ApiServerActor.Reply> reply = testKit.createTestProbe();
    for (String ns : List.of("default", "kube-system", "other")) {
      api.tell(new ApiServerActor.Create(ApiResources.NAMESPACE, KubeObject.of(ApiResources.NAMESPACE,
          ObjectMeta.of("", ns, Map.of("kubernetes.io/metadata.name", ns)), Struct.getDefaultInstance()),
          reply.ref()));
      assertTrue(reply.receiveMessage().ok());
    }
    if (gateway) {
      startGateway();
    }
    client = testKit.spawn(KubeClient.create(), "test-client");
    lan = testKit.spawn(SegmentActor.create("lan"), "segment-lan");
  }

  /** The API server's gateway for actors, once it is registered with the Receptionist. */
  void startGateway() {
    ActorRef<ApiRequest> gateway = testKit.spawn(ApiGateway.create(api), "apiserver-gateway");
    TestProbe<Receptionist.Listing> l = testKit.createTestProbe();
    l.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(ApiGateway.SERVICE_KEY, l.ref()));
      assertTrue(l.receiveMessage().getServiceInstances(ApiGateway.SERVICE_KEY).contains(gateway));
      return null;
    });
  }

  /**
   * The API server actor fails (a request it cannot handle: a create without an object) and its
   * parent restarts it: same ref, same store, but the watches it ran are gone.
   */
  void crashApiServer() {
    api.tell(new ApiServerActor.Create(ApiResources.CONFIG_MAP, null, testKit.<ApiServerActor.Reply>createTestProbe()
        .ref()));
  }

  /** cilium-config, the operator and the relay, as {@code helm install cilium --set ...} installs them. */
  void installCilium(List<String> sets) {
    installCilium(sets, Map.of());
  }

  /** The same, with {@code extra} keys in cilium-config (the operator's settings). */
  void installCilium(List<String> sets, Map<String, String> extra) {
    createConfig(sets, extra);
    testKit.spawn(CiliumOperator.create(WALL_CLOCK_AT_START), "cilium-operator");
    relay = testKit.spawn(HubbleRelay.create(), "hubble-relay");
  }

  /** cilium-config as helm renders it, with the release annotations. */
  void createConfig(List<String> sets) {
    createConfig(sets, Map.of());
  }

  void createConfig(List<String> sets, Map<String, String> extra) {
    Map<String, String> data = new TreeMap<>(render(sets));
    data.putAll(extra);
    Struct cm = json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cilium-config\","
        + "\"namespace\":\"kube-system\",\"annotations\":{\"podnet.io/helm-set\":" + quote(String.join("\n", sets))
        + ",\"podnet.io/helm-revision\":\"1\"}},\"data\":" + dataJson(data) + "}");
    ok(call(KubeClient.Request.create(KubeResource.CONFIG_MAPS, cm)));
  }

  static Map<String, String> render(List<String> sets) {
    try {
      Map<String, Object> tree = new LinkedHashMap<>();
      for (String s : sets) {
        HelmSetParser.parseInto(s, tree);
      }
      return CiliumChart.render(CiliumChart.defaults().overlay(HelmValues.of(tree)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Replaces cilium-config's data, as a {@code helm upgrade} does. */
  void setConfig(Map<String, String> data) {
    Struct cm = get(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config");
    Struct meta = cm.getFieldsOrThrow("metadata").getStructValue();
    Struct next = json("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":" + print(meta) + ",\"data\":"
        + dataJson(data) + "}");
    ok(call(KubeClient.Request.update(KubeResource.CONFIG_MAPS, next)));
  }

  /** A node: a host with eth0 on the LAN at {@code ip}/24, running its agents. */
  ActorRef<HostActor.Command> startNode(String name, String ip) {
    return startNode(name, ip, false, DEFAULT_ROUTES);
  }

  /** A node with eth0 on the LAN at {@code ip}/24 and {@code routes} ({@code ip route add} syntax). */
  ActorRef<HostActor.Command> startNode(String name, String ip, List<String> routes) {
    return startNode(name, ip, false, routes);
  }

  /**
   * A node as {@link #startNode(String, String)}; with {@code machine}, its host runs in a
   * {@link MachineActor}, as deploy's Lab starts hosts: {@code reboot} on it stops its agent
   * gracefully, powers the host off and, {@link #BOOT_TIME} later, boots a fresh host with a new
   * agent (same settings). Commands go through the machine.
   */
  ActorRef<HostActor.Command> startNode(String name, String ip, boolean machine) {
    return startNode(name, ip, machine, DEFAULT_ROUTES);
  }

  private static final List<String> DEFAULT_ROUTES = List.of("default via 192.168.10.1 dev eth0");

  private ActorRef<HostActor.Command> startNode(String name, String ip, boolean machine, List<String> routes) {
    Ipv4Address addr = Ipv4Address.parse(ip);
    long n = nodes.size() + 1;
    HostConfig hc = hostConfig(name, n, ip, routes);
    Supplier<NodeAgent> agent = () -> new NodeAgent(new NodeAgent.Settings(name, addr, List.of("eth0"),
        new TreeMap<>(Map.of("kubernetes.io/hostname", name, "kubernetes.io/os", "linux")), WALL_CLOCK_AT_START,
        77 * n));
    ActorRef<HostActor.Command> host = machine
        ? testKit.spawn(MachineActor.create(name, BOOT_TIME, reboot -> {
            Map<String, ToolFactory> tools = new HashMap<>(Tools.standard());
            tools.put("reboot", reboot);
            return HostActor.create(hc, Map.of("eth0", lan), tools, agent.get());
          }), "machine-" + name)
        : testKit.spawn(HostActor.create(hc, Map.of("eth0", lan), Tools.standard(), agent.get()), "host-" + name);
    nodes.put(name, host);
    nodeIps.put(name, addr);
    nodeMacs.put(name, MacAddress.parse(hc.links().get(0).mac()));
    return host;
  }

  /**
   * A plain host on the LAN (no agent), eth0 at {@code ip}/24 with MAC 02:00:00:00:00:81 and up, as
   * the lab's router is on the nodes' segment.
   */
  ActorRef<HostActor.Command> startHost(String name, String ip) {
    long n = 0x80 + others.size() + 1;
    ActorRef<HostActor.Command> host = testKit.spawn(HostActor.create(hostConfig(name, n, ip, DEFAULT_ROUTES),
        Map.of("eth0", lan), Tools.standard()), "host-" + name);
    others.put(name, host);
    return host;
  }

  /** The n-th host's configuration: eth0 on the LAN with MAC 02:00:00:00:00:nn. */
  private static HostConfig hostConfig(String name, long n, String ip, List<String> routes) {
    return new HostConfig(name, 1000 + n, false, List.of(new HostConfig.LinkConfig("eth0", "ethernet", "lan",
        String.format("02:00:00:00:00:%02x", n), 1500, List.of(ip + "/24"), 0)),
        routes, Map.of());
  }

  /** A plain host (no agents) on the LAN with eth0 at {@code cidrs}, forwarding between them: a router. */
  ActorRef<HostActor.Command> startRouter(String name, String mac, List<String> cidrs) {
    HostConfig hc = new HostConfig(name, 900, true, List.of(new HostConfig.LinkConfig("eth0", "ethernet", "lan", mac,
        1500, cidrs, 0)), List.of(), Map.of());
    return testKit.spawn(HostActor.create(hc, Map.of("eth0", lan), Tools.standard()), "host-" + name);
  }

  // ------------------------------------------------------------ the API

  KubeClient.Result call(KubeClient.Request r) {
    TestProbe<KubeClient.Result> p = testKit.createTestProbe();
    client.tell(new KubeClient.Call(r, p.ref()));
    return p.receiveMessage(Duration.ofSeconds(10));
  }

  static KubeClient.Result ok(KubeClient.Result r) {
    assertTrue(r.ok(), () -> r.code() + " " + r.message());
    return r;
  }

  Struct get(KubeResource r, String ns, String name) {
    return ok(call(KubeClient.Request.get(r, ns, name))).body();
  }

  /** The object, or null when there is none (404). */
  Struct find(KubeResource r, String ns, String name) {
    KubeClient.Result res = call(KubeClient.Request.get(r, ns, name));
    if (res.code() == 404) {
      return null;
    }
    return ok(res).body();
  }

  List<Struct> list(KubeResource r) {
    return ok(call(KubeClient.Request.list(r, ""))).items();
  }

  void createPod(String ns, String name, String node, Map<String, String> labels, boolean hostNetwork) {
    createPod(ns, name, node, labels, hostNetwork, "nicolaka/netshoot");
  }

  void createPod(String ns, String name, String node, Map<String, String> labels, boolean hostNetwork,
      String image) {
    ok(call(KubeClient.Request.create(KubeResource.PODS, json("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
        + "{\"name\":" + quote(name) + ",\"namespace\":" + quote(ns) + ",\"labels\":" + dataJson(labels) + "},"
        + "\"spec\":{\"nodeName\":" + quote(node) + (hostNetwork ? ",\"hostNetwork\":true" : "")
        + ",\"containers\":[{\"name\":\"main\",\"image\":" + quote(image) + "}]}}"))));
  }

  /** Deletes a pod at once (grace period 0), as the kubelet would confirm it. */
  void deletePod(String ns, String name) {
    ok(call(KubeClient.Request.delete(KubeResource.PODS, ns, name)));
  }

  // ------------------------------------------------------------ hosts

  /** The host a node registered for pod ns/name, if any. */
  List<ActorRef<HostActor.Command>> podHosts(String ns, String name) {
    TestProbe<Receptionist.Listing> p = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.find(HostKeys.pod(ns, name), p.ref()));
    return new ArrayList<>(p.receiveMessage().getServiceInstances(HostKeys.pod(ns, name)));
  }

  ActorRef<HostActor.Command> podHost(String ns, String name) {
    return awaitValue(() -> {
      List<ActorRef<HostActor.Command>> hs = podHosts(ns, name);
      assertEquals(1, hs.size(), "registered hosts of pod " + ns + "/" + name);
      return hs.get(0);
    });
  }

  /** What a command prints; it must end without time passing. */
  Output run(ActorRef<HostActor.Command> host, String... argv) {
    TestProbe<ToolOutput> p = testKit.createTestProbe();
    String id = "t" + ids.incrementAndGet();
    host.tell(new HostActor.RunTool(id, List.of(argv), "/", p.ref()));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    while (true) {
      ToolOutput o = p.receiveMessage(Duration.ofSeconds(10));
      if (o instanceof ToolOutput.Stdout s) {
        out.append(s.text());
      } else if (o instanceof ToolOutput.Stderr s) {
        err.append(s.text());
      } else if (o instanceof ToolOutput.Exited x) {
        return new Output(out.toString(), err.toString(), x.code());
      }
    }
  }

  /** The first line a long-running command prints; then it is killed. */
  String firstLine(ActorRef<HostActor.Command> host, String... argv) {
    TestProbe<ToolOutput> p = testKit.createTestProbe();
    String id = "t" + ids.incrementAndGet();
    host.tell(new HostActor.RunTool(id, List.of(argv), "/", p.ref()));
    StringBuilder all = new StringBuilder();
    try {
      while (all.indexOf("\n") < 0) {
        ToolOutput o = p.receiveMessage(Duration.ofSeconds(10));
        if (o instanceof ToolOutput.Stdout s) {
          all.append(s.text());
        } else if (o instanceof ToolOutput.Stderr s) {
          all.append(s.text());
        } else if (o instanceof ToolOutput.Exited) {
          break;
        }
      }
    } finally {
      host.tell(new HostActor.KillTool(id));
    }
    int nl = all.indexOf("\n");
    return nl < 0 ? all.toString() : all.substring(0, nl);
  }

  /** Runs a command while lab time passes in 1 ms steps, up to {@code limit}; it must end by then. */
  Output runTimed(ActorRef<HostActor.Command> host, Duration limit, String... argv) {
    TestProbe<ToolOutput> p = testKit.createTestProbe();
    String id = "t" + ids.incrementAndGet();
    host.tell(new HostActor.RunTool(id, List.of(argv), "/", p.ref()));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    for (long ms = 0; ms <= limit.toMillis(); ms++) {
      while (true) {
        ToolOutput o;
        try {
          o = p.receiveMessage(Duration.ofMillis(ms == 0 ? 200 : 5));
        } catch (AssertionError noneYet) {
          break;
        }
        if (o instanceof ToolOutput.Stdout s) {
          out.append(s.text());
        } else if (o instanceof ToolOutput.Stderr s) {
          err.append(s.text());
        } else if (o instanceof ToolOutput.Exited x) {
          return new Output(out.toString(), err.toString(), x.code());
        }
      }
      time.timePasses(Duration.ofMillis(1));
    }
    host.tell(new HostActor.KillTool(id));
    throw new AssertionError(String.join(" ", argv) + " still runs after " + limit + ": " + out + err);
  }

  record Output(String out, String err, int code) {}

  // ------------------------------------------------------------ waiting

  /** Retries {@code check} (no lab time passes) until it holds. */
  void await(Runnable check) {
    awaitValue(() -> {
      check.run();
      return null;
    });
  }

  void await(Duration max, Runnable check) {
    awaitValue(max, () -> {
      check.run();
      return null;
    });
  }

  /** The pod once it runs with an IP. */
  Struct awaitRunning(String ns, String name) {
    return awaitValue(() -> {
      Struct pod = get(KubeResource.PODS, ns, name);
      assertEquals("Running", str(pod, "status.phase"), () -> "pod " + name + ": " + print(pod));
      assertTrue(!str(pod, "status.podIP").isEmpty(), () -> "pod " + name + " has no IP yet");
      return pod;
    });
  }

  <T> T awaitValue(Supplier<T> check) {
    return awaitValue(WAIT, check);
  }

  <T> T awaitValue(Duration max, Supplier<T> check) {
    TestProbe<Object> p = testKit.createTestProbe();
    List<T> got = new ArrayList<>();
    p.awaitAssert(max, Duration.ofMillis(20), () -> {
      got.clear();
      got.add(check.get());
      return null;
    });
    return got.get(0);
  }

  /** Lab time passes in 1 ms steps, so that the hosts' timers fire in order. */
  void pass(Duration d) {
    pass(d, Duration.ofMillis(1));
  }

  /**
   * Lab time passes in steps of {@code step} (timers due within one step fire in one go). Each
   * step costs 100 ms of real time (ManualTime lets the dispatchers settle first): long waits
   * take coarse steps.
   */
  void pass(Duration d, Duration step) {
    for (long ms = 0; ms < d.toMillis(); ms += step.toMillis()) {
      time.timePasses(step);
    }
  }

  // ------------------------------------------------------------ JSON

  static Struct json(String s) {
    Struct.Builder b = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(s, b);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(s, e);
    }
    return b.build();
  }

  static String print(Struct s) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(s);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static String quote(String s) {
    return print(Struct.newBuilder().putFields("v", Value.newBuilder().setStringValue(s).build()).build())
        .replaceFirst("^\\{\"v\":", "").replaceFirst("\\}$", "");
  }

  static String dataJson(Map<String, String> m) {
    StringBuilder b = new StringBuilder("{");
    new TreeMap<>(m).forEach((k, v) -> b.append(b.length() == 1 ? "" : ",").append(quote(k)).append(':')
        .append(quote(v)));
    return b.append('}').toString();
  }

  /** The value at a dotted path ("" when missing); list items by index ("spec.addresses.1.ip"). */
  static Value at(Struct s, String path) {
    Value cur = Value.newBuilder().setStructValue(s).build();
    for (String part : path.split("\\.")) {
      if (cur.hasStructValue()) {
        cur = cur.getStructValue().getFieldsMap().get(part);
      } else if (cur.hasListValue() && part.matches("\\d+")
          && Integer.parseInt(part) < cur.getListValue().getValuesCount()) {
        cur = cur.getListValue().getValues(Integer.parseInt(part));
      } else {
        cur = null;
      }
      if (cur == null) {
        return Value.getDefaultInstance();
      }
    }
    return cur;
  }

  static String str(Struct s, String path) {
    Value v = at(s, path);
    return v.hasNumberValue() ? Long.toString((long) v.getNumberValue()) : v.getStringValue();
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
  }
}
