package io.podnet.node.tools;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.node.cilium.AgentConfig;
import io.podnet.node.cilium.AgentView;
import io.podnet.node.cilium.CiliumChart;
import io.podnet.node.cilium.CiliumNodeInfo;
import io.podnet.node.cilium.EndpointInfo;
import io.podnet.node.cilium.HelmException;
import io.podnet.node.cilium.HelmSetParser;
import io.podnet.node.cilium.HelmUpgrade;
import io.podnet.node.cilium.HelmValues;
import io.podnet.node.cilium.HostScopeIpam;
import io.podnet.node.cilium.IpCache;
import io.podnet.node.cilium.IpCacheEntry;
import io.podnet.node.cilium.hubble.FlowRing;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * An agent view over the pure Cilium classes, with the reference lab's data (test data only): the
 * k8s-ctr agent after the lab's install values; a helm upgrade completes when the test says so,
 * re-rendering the ConfigMap and "restarting" every agent (their configs reparsed).
 */
final class FakeAgent implements AgentView {
  static final List<String> NODES = List.of("k8s-ctr", "k8s-w1", "k8s-w0");

  final String node = "k8s-ctr";
  HelmValues userValues;
  Map<String, String> data;
  AgentConfig config;
  final HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("172.20.0.0/24"), new SplittableRandom(7));
  final FlowRing ring = new FlowRing(FlowRing.DEFAULT_CAPACITY);
  List<IpCacheEntry> ipcache = new ArrayList<>();
  int revision = 1;
  long nowMicros;

  HelmUpgrade pending;
  Consumer<HelmOutcome> pendingDone;
  volatile int upgrades;

  FakeAgent() throws Exception {
    userValues = HelmValues.empty();
    for (String s : List.of("routingMode=native", "autoDirectNodeRoutes=true", "ipv4NativeRoutingCIDR=172.20.0.0/16",
        "ipam.mode=cluster-pool", "ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}",
        "ipam.operator.clusterPoolIPv4MaskSize=24", "kubeProxyReplacement=true",
        "installNoConntrackIptablesRules=true")) {
      userValues = userValues.overlay(HelmSetParser.parse(s));
    }
    restart();
    ipam.allocate(Ipv4Address.parse("172.20.0.74"), "router");
    ipam.allocate(Ipv4Address.parse("172.20.0.163"), "default/curl-pod");
    ipam.allocate(Ipv4Address.parse("172.20.0.63"), "default/webpod-697b545f57-abcde");
  }

  /** The agents restart on the rendered ConfigMap. */
  private void restart() throws HelmException, io.podnet.node.cilium.AgentConfigException {
    data = CiliumChart.render(CiliumChart.defaults().overlay(userValues));
    config = AgentConfig.fromConfigMap(data);
    List<CiliumNodeInfo> nodes = List.of(
        new CiliumNodeInfo("k8s-ctr", Ipv4Address.parse("192.168.10.100"), Ipv4Prefix.parse("172.20.0.0/24"),
            Ipv4Address.parse("172.20.0.74")),
        new CiliumNodeInfo("k8s-w1", Ipv4Address.parse("192.168.10.101"), Ipv4Prefix.parse("172.20.1.0/24"),
            Ipv4Address.parse("172.20.1.41")),
        new CiliumNodeInfo("k8s-w0", Ipv4Address.parse("192.168.20.100"), Ipv4Prefix.parse("172.20.2.0/24"),
            Ipv4Address.parse("172.20.2.204")));
    List<EndpointInfo> eps = List.of(
        new EndpointInfo("default", "curl-pod", Ipv4Address.parse("172.20.0.163"), 29101, "k8s-ctr"),
        new EndpointInfo("default", "webpod-697b545f57-abcde", Ipv4Address.parse("172.20.0.63"), 11761, "k8s-ctr"),
        new EndpointInfo("default", "webpod-697b545f57-9c7vb", Ipv4Address.parse("172.20.2.54"), 11761, "k8s-w0"));
    ipcache = IpCache.build(node, List.of(Ipv4Address.parse("10.0.2.15"), Ipv4Address.parse("192.168.10.100")),
        nodes, eps, config);
  }

  @Override
  public String nodeName() {
    return node;
  }

  @Override
  public Map<String, String> configData() {
    return data;
  }

  @Override
  public AgentConfig config() {
    return config;
  }

  @Override
  public HostScopeIpam ipam() {
    return ipam;
  }

  List<io.podnet.node.cilium.ServiceList.Entry> services = List.of();

  @Override
  public List<io.podnet.node.cilium.ServiceList.Entry> services() {
    return services;
  }

  List<io.podnet.node.cilium.L2AnnounceTable.Entry> l2Announce = List.of();

  @Override
  public List<io.podnet.node.cilium.L2AnnounceTable.Entry> l2Announce() {
    return l2Announce;
  }

  @Override
  public List<IpCacheEntry> ipcache() {
    return ipcache;
  }

  /** Whether the last observe asked for the cluster's flows (the relay) or this node's. */
  Boolean lastObserveCluster;

  /** Serves observe from {@link #ring} at once (the real agent answers later, on its thread). */
  @Override
  public Runnable observe(List<String> filter, boolean follow, boolean cluster, ObserveSink sink) {
    lastObserveCluster = cluster;
    io.podnet.node.cilium.hubble.ObserveOptions opts;
    try {
      opts = io.podnet.node.cilium.hubble.ObserveOptions.parse(filter);
    } catch (io.podnet.node.cilium.hubble.ObserveOptions.UsageException e) {
      throw new AssertionError("the tool passed a filter it had not checked", e);
    }
    sink.flows(opts.select(ring.flows()), true);
    if (!follow) {
      return () -> { };
    }
    return ring.follow(f -> {
      if (opts.matches(f)) {
        sink.flows(List.of(f), false);
      }
    });
  }

  @Override
  public List<Map.Entry<String, AgentConfig>> nodeConfigs() {
    List<Map.Entry<String, AgentConfig>> l = new ArrayList<>();
    for (String n : NODES) {
      l.add(Map.entry(n, config));
    }
    return l;
  }

  @Override
  public void helmUpgrade(HelmUpgrade upgrade, Consumer<HelmOutcome> done) {
    upgrades++;
    pending = upgrade;
    pendingDone = done;
  }

  /** The API server answered: the upgrade is applied (or fails to render) and reported. */
  void completeUpgrade() throws Exception {
    HelmUpgrade u = pending;
    Consumer<HelmOutcome> done = pendingDone;
    pending = null;
    pendingDone = null;
    HelmValues next = u.userValues(userValues);
    HelmValues computed = CiliumChart.defaults().overlay(next);
    try {
      CiliumChart.render(computed);
    } catch (HelmException e) {
      done.accept(new HelmOutcome.Failed(e.getMessage()));
      return;
    }
    userValues = next;
    revision++;
    restart();
    done.accept(new HelmOutcome.Upgraded(u.release(), u.namespace(), revision, nowMicros, "cilium",
        u.version() == null ? "1.18.0" : u.version(), computed));
  }
}
