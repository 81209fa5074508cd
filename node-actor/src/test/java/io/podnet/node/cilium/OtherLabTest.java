package io.podnet.node.cilium;

import static io.podnet.node.cilium.Hosts.ok;
import static io.podnet.node.cilium.Hosts.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A lab unlike the reference: five nodes in three subnets (one with jumbo frames), cluster pool
 * 10.244.0.0/16 cut into /26s, VXLAN, router IPs and pod IPs from the seeded allocators.
 */
class OtherLabTest {
  record Spec(String name, String ip, int prefixLen, String gw, int mtu) {}

  static final List<Spec> SPECS = List.of(
      new Spec("alpha-1", "10.1.1.11", 24, "10.1.1.1", 1500),
      new Spec("alpha-2", "10.1.1.12", 24, "10.1.1.1", 1500),
      new Spec("beta-1", "10.1.2.21", 24, "10.1.2.1", 1500),
      new Spec("beta-2", "10.1.2.22", 24, "10.1.2.1", 1500),
      new Spec("gamma-1", "172.31.9.5", 25, "172.31.9.1", 9000));

  static HostStack host(Spec s) {
    HostStack h = Hosts.host();
    Hosts.nic(h, "ens3", "52:54:00:00:00:" + String.format("%02x", SPECS.indexOf(s) + 1));
    if (s.mtu() != 1500) {
      ok(h, "link set ens3 mtu " + s.mtu());
    }
    Hosts.addr(h, "ens3", s.ip() + "/" + s.prefixLen(), 0);
    ok(h, "route add default via " + s.gw() + " dev ens3 proto static");
    return h;
  }

  static final class Cluster {
    final Map<String, HostStack> hosts = new LinkedHashMap<>();
    final Map<String, HostScopeIpam> ipams = new LinkedHashMap<>();
    final List<CiliumNodeInfo> nodes = new ArrayList<>();
    final AgentConfig config;

    Cluster(String... sets) throws Exception {
      HelmValues v = HelmValues.empty();
      for (String s : sets) {
        v = v.overlay(HelmSetParser.parse(s));
      }
      config = AgentConfig.fromConfigMap(CiliumChart.render(CiliumChart.defaults().overlay(v)));
      ClusterPoolOperator op = new ClusterPoolOperator(config.clusterPoolCidrs(), config.clusterPoolMaskSize());
      SplittableRandom seed = new SplittableRandom(99);
      for (Spec s : SPECS) {
        Ipv4Prefix podCidr = op.podCidr(s.name());
        HostScopeIpam ipam = new HostScopeIpam(podCidr, seed.split());
        Ipv4Address router = ipam.allocateNext("router");
        hosts.put(s.name(), host(s));
        ipams.put(s.name(), ipam);
        nodes.add(new CiliumNodeInfo(s.name(), Ipv4Address.parse(s.ip()), podCidr, router));
      }
    }

    Map<String, RoutePlan> start() {
      Map<String, RoutePlan> plans = new LinkedHashMap<>();
      for (CiliumNodeInfo n : nodes) {
        NodeDatapath dp = new NodeDatapath(hosts.get(n.name()), new SplittableRandom(n.name().hashCode()));
        dp.ensureDevices(n.routerIp(), config);
        plans.put(n.name(), dp.reconcile(n.name(), nodes, config));
      }
      return plans;
    }
  }

  @Test
  void podCidrsComeFromTheConfiguredPoolAndMask() throws Exception {
    Cluster c = new Cluster("ipam.operator.clusterPoolIPv4PodCIDRList={10.244.0.0/16}",
        "ipam.operator.clusterPoolIPv4MaskSize=26");
    List<String> cidrs = c.nodes.stream().map(n -> n.podCidr().toString()).toList();
    assertEquals(List.of("10.244.0.0/26", "10.244.0.64/26", "10.244.0.128/26", "10.244.0.192/26", "10.244.1.0/26"),
        cidrs);
    for (CiliumNodeInfo n : c.nodes) {
      assertTrue(n.podCidr().contains(n.routerIp()));
    }
  }

  @Test
  void nativeAutoDirectRoutesOnlyWithinEachSubnet() throws Exception {
    Cluster c = new Cluster("routingMode=native", "autoDirectNodeRoutes=true", "ipv4NativeRoutingCIDR=10.244.0.0/16",
        "ipam.operator.clusterPoolIPv4PodCIDRList={10.244.0.0/16}", "ipam.operator.clusterPoolIPv4MaskSize=26");
    Map<String, RoutePlan> plans = c.start();
    CiliumNodeInfo a2 = c.nodes.get(1);
    CiliumNodeInfo b2 = c.nodes.get(3);
    String alpha1 = out(c.hosts.get("alpha-1"), "route");
    assertTrue(alpha1.contains(a2.podCidr() + " via 10.1.1.12 dev ens3 proto kernel\n"), alpha1);
    assertEquals(1, alpha1.lines().filter(l -> l.endsWith(" via 10.1.1.12 dev ens3 proto kernel")).count(), alpha1);
    assertEquals(0, alpha1.lines().filter(l -> l.contains(" via 10.1.2.") || l.contains(" via 172.31.")).count());
    assertEquals(List.of("beta-1", "beta-2", "gamma-1"),
        plans.get("alpha-1").failures().stream().map(RoutePlan.DirectRouteFailure::node).toList());
    assertEquals("route to destination 172.31.9.5 contains gateway 10.1.1.1, must be directly reachable."
        + " Add `direct-routing-skip-unreachable` to skip unreachable routes", plans.get("alpha-1").failures().get(2).error());
    String beta1 = out(c.hosts.get("beta-1"), "route");
    assertTrue(beta1.contains(b2.podCidr() + " via 10.1.2.22 dev ens3 proto kernel\n"), beta1);
    assertEquals(4, plans.get("gamma-1").failures().size());
  }

  @Test
  void vxlanRoutesCarryTheMtuOfEachNodesUnderlay() throws Exception {
    Cluster c = new Cluster("routingMode=tunnel", "tunnelProtocol=vxlan",
        "ipam.operator.clusterPoolIPv4PodCIDRList={10.244.0.0/16}", "ipam.operator.clusterPoolIPv4MaskSize=26");
    Map<String, RoutePlan> plans = c.start();
    for (CiliumNodeInfo self : c.nodes) {
      HostStack h = c.hosts.get(self.name());
      int mtu = self.name().startsWith("gamma") ? 8950 : 1450;
      String routes = Hosts.grep(out(h, "route"), "cilium_host");
      assertEquals(6, routes.split("\n").length, routes);
      for (CiliumNodeInfo n : c.nodes) {
        String line = n.podCidr() + " via " + self.routerIp() + " dev cilium_host proto kernel src " + self.routerIp()
            + (n == self ? "" : " mtu " + mtu) + "\n";
        assertTrue(routes.contains(line), routes + " lacks " + line);
      }
      assertTrue(h.links().byName("cilium_vxlan").orElseThrow().up());
      assertEquals(List.of(), plans.get(self.name()).failures());
      CiliumNodeInfo other = c.nodes.get((c.nodes.indexOf(self) + 2) % c.nodes.size());
      Ipv4Address probe = new Ipv4Address(other.podCidr().address().value() + 10);
      assertEquals(probe + " dev cilium_host src " + self.routerIp() + " uid 0\n    cache mtu " + mtu + "\n",
          out(h, "route get " + probe));
    }
    assertEquals(8472, c.config.tunnelPort());
  }

  @Test
  void ipcacheAndStatusFollowTheLab() throws Exception {
    Cluster c = new Cluster("routingMode=tunnel", "tunnelProtocol=vxlan",
        "ipam.operator.clusterPoolIPv4PodCIDRList={10.244.0.0/16}", "ipam.operator.clusterPoolIPv4MaskSize=26");
    IdentityAllocator ids = new IdentityAllocator(new SplittableRandom(5));
    List<EndpointInfo> eps = new ArrayList<>();
    for (CiliumNodeInfo n : c.nodes) {
      String pod = "api-" + n.name();
      int id = ids.allocate(SecurityLabels.forPod("shop", Map.of("app", "api"),
          SecurityLabels.defaultNamespaceLabels("shop"), "api", "default"));
      eps.add(new EndpointInfo("shop", pod, c.ipams.get(n.name()).allocateNext("shop/" + pod), id, n.name()));
    }
    List<IpCacheEntry> entries = IpCache.build("beta-2", List.of(Ipv4Address.parse("10.1.2.22")), c.nodes, eps,
        c.config);
    // 0/0, 4 remote podCIDRs, 4 remote node IPs, 4 remote router IPs, 5 pods, own router and node IP
    assertEquals(1 + 4 + 4 + 4 + 5 + 2, entries.size());
    assertEquals(4, entries.stream().filter(e -> e.prefix().length() == 26 && e.identity() == 2 && e.hasTunnel())
        .count());
    assertEquals(1, eps.stream().map(EndpointInfo::identity).distinct().count());
    String status = CiliumStatus.status(c.config, c.ipams.get("beta-2"), true);
    assertTrue(status.contains("Routing:                 Network: Tunnel [vxlan]   Host: BPF\n"), status);
    assertTrue(status.contains("IPv4: 2/62 allocated from " + c.nodes.get(3).podCidr() + ", "), status);
    assertTrue(status.contains("  " + c.nodes.get(3).routerIp() + " (router)\n"), status);
  }
}
