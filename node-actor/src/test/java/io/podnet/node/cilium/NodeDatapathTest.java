package io.podnet.node.cilium;

import static io.podnet.node.cilium.Hosts.grep;
import static io.podnet.node.cilium.Hosts.out;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.HostStack;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The reference lab's node routes in native and Geneve mode, as {@code ip route} shows them. */
class NodeDatapathTest {
  private static NodeDatapath agent(HostStack h, String node, List<CiliumNodeInfo> nodes, AgentConfig c) {
    NodeDatapath dp = new NodeDatapath(h, new SplittableRandom(7));
    CiliumNodeInfo self = nodes.stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow();
    dp.ensureDevices(self.routerIp(), c);
    dp.reconcile(node, nodes, c);
    return dp;
  }

  @Test
  void nativeRoutingWithAutoDirectNodeRoutesMatchesPart1() throws Exception {
    AgentConfig c = ReferenceLab.config(ReferenceLab.installValues());
    List<CiliumNodeInfo> nodes = ReferenceLab.part1Nodes();
    HostStack ctr = ReferenceLab.k8sCtr();
    HostStack w1 = ReferenceLab.k8sW1();
    HostStack w0 = ReferenceLab.k8sW0();
    NodeDatapath ctrDp = agent(ctr, "k8s-ctr", nodes, c);
    agent(w1, "k8s-w1", nodes, c);
    NodeDatapath w0Dp = agent(w0, "k8s-w0", nodes, c);

    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        172.20.0.0/24 via 172.20.0.98 dev cilium_host proto kernel src 172.20.0.98
        172.20.0.98 dev cilium_host proto kernel scope link
        172.20.1.0/24 via 192.168.10.101 dev eth1 proto kernel
        192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.100
        """, out(ctr, "-c route"));
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        172.20.0.0/24 via 192.168.10.100 dev eth1 proto kernel
        172.20.1.0/24 via 172.20.1.60 dev cilium_host proto kernel src 172.20.1.60
        172.20.1.60 dev cilium_host proto kernel scope link
        192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.101
        """, out(w1, "-c route"));
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        172.20.2.0/24 via 172.20.2.159 dev cilium_host proto kernel src 172.20.2.159
        172.20.2.159 dev cilium_host proto kernel scope link
        192.168.20.0/24 dev eth1 proto kernel scope link src 192.168.20.100
        """, out(w0, "-c route"));

    // k8s-w0 is behind the NAT uplink's gateway: Cilium's error, once per unreachable node.
    RoutePlan ctrPlan = ctrDp.plan("k8s-ctr", nodes, c);
    assertEquals(List.of(new RoutePlan.DirectRouteFailure("k8s-w0",
        "route to destination 192.168.20.100 contains gateway 10.0.2.2, must be directly reachable."
            + " Add `direct-routing-skip-unreachable` to skip unreachable routes")), ctrPlan.failures());
    assertEquals("level=warn msg=\"Unable to install direct node route\" error=\"route to destination 192.168.20.100"
        + " contains gateway 10.0.2.2, must be directly reachable. Add `direct-routing-skip-unreachable` to skip"
        + " unreachable routes\"", ctrPlan.failures().get(0).logLine());
    assertEquals(List.of("k8s-ctr", "k8s-w1"),
        w0Dp.plan("k8s-w0", nodes, c).failures().stream().map(RoutePlan.DirectRouteFailure::node).toList());
  }

  @Test
  void skipUnreachableDropsTheErrorButNotTheReachableRoutes() throws Exception {
    AgentConfig c = ReferenceLab.config(ReferenceLab.installValues()
        .overlay(HelmSetParser.parse("directRoutingSkipUnreachable=true")));
    assertTrue(c.directRoutingSkipUnreachable());
    HostStack ctr = ReferenceLab.k8sCtr();
    NodeDatapath dp = agent(ctr, "k8s-ctr", ReferenceLab.part1Nodes(), c);
    assertEquals(List.of(), dp.plan("k8s-ctr", ReferenceLab.part1Nodes(), c).failures());
    assertEquals("172.20.1.0/24 via 192.168.10.101 dev eth1 proto kernel\n", grep(out(ctr, "route"), "192.168.10.101"));
  }

  @Test
  void geneveModeRoutesEveryPodCidrThroughCiliumHostWithTheTunnelMtu() throws Exception {
    HelmUpgrade up = HelmUpgrade.parse(ReferenceLab.HELM_GENEVE);
    AgentConfig c = ReferenceLab.config(up.userValues(ReferenceLab.installValues()));
    List<CiliumNodeInfo> nodes = ReferenceLab.part2Nodes();
    HostStack ctr = ReferenceLab.k8sCtr();
    HostStack w1 = ReferenceLab.k8sW1();
    HostStack w0 = ReferenceLab.k8sW0();
    ReferenceLab.w0StaticRoutes(w0);
    agent(ctr, "k8s-ctr", nodes, c);
    agent(w1, "k8s-w1", nodes, c);
    agent(w0, "k8s-w0", nodes, c);

    assertEquals("""
        172.20.0.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74
        172.20.0.74 dev cilium_host proto kernel scope link
        172.20.1.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74 mtu 1450
        172.20.2.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74 mtu 1450
        """, grep(out(ctr, "-c route"), "cilium_host"));
    assertEquals("""
        172.20.0.0/24 via 172.20.1.41 dev cilium_host proto kernel src 172.20.1.41 mtu 1450
        172.20.1.0/24 via 172.20.1.41 dev cilium_host proto kernel src 172.20.1.41
        172.20.1.41 dev cilium_host proto kernel scope link
        172.20.2.0/24 via 172.20.1.41 dev cilium_host proto kernel src 172.20.1.41 mtu 1450
        """, grep(out(w1, "-c route"), "cilium_host"));
    assertEquals("""
        default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100
        10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 metric 100
        10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100
        10.10.0.0/16 via 192.168.20.200 dev eth1 proto static
        172.20.0.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.0.0/16 via 192.168.20.200 dev eth1 proto static
        172.20.1.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450
        172.20.2.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204
        172.20.2.204 dev cilium_host proto kernel scope link
        192.168.10.0/24 via 192.168.20.200 dev eth1 proto static
        192.168.20.0/24 dev eth1 proto kernel scope link src 192.168.20.100
        """, out(w0, "-c route"));

    assertEquals("172.20.1.10 dev cilium_host src 172.20.0.74 uid 0\n    cache mtu 1450\n",
        out(ctr, "route get 172.20.1.10"));
    assertEquals("172.20.2.10 dev cilium_host src 172.20.0.74 uid 0\n    cache mtu 1450\n",
        out(ctr, "route get 172.20.2.10"));

    String addr = out(ctr, "addr show cilium_host");
    assertTrue(addr.startsWith("5: cilium_host@cilium_net: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500"), addr);
    assertTrue(addr.contains("    inet 172.20.0.74/32 scope global cilium_host\n"), addr);
    String geneve = out(ctr, "addr show cilium_geneve");
    assertTrue(geneve.startsWith("6: cilium_geneve: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"), geneve);
    assertTrue(ctr.links().byName("cilium_vxlan").isEmpty());
  }

  @Test
  void switchingModesRemovesTheOldModesRoutesAndTheOldRouterIp() throws Exception {
    HostStack ctr = ReferenceLab.k8sCtr();
    NodeDatapath dp = new NodeDatapath(ctr, new SplittableRandom(1));
    AgentConfig nativeCfg = ReferenceLab.config(ReferenceLab.installValues());
    dp.ensureDevices(ReferenceLab.part1Nodes().get(0).routerIp(), nativeCfg);
    dp.reconcile("k8s-ctr", ReferenceLab.part1Nodes(), nativeCfg);
    assertTrue(out(ctr, "route").contains("172.20.1.0/24 via 192.168.10.101 dev eth1 proto kernel\n"));

    // helm upgrade to Geneve, agents restart with a new router IP (.98 -> .74 in the reference).
    AgentConfig geneve = ReferenceLab.config(
        HelmUpgrade.parse(ReferenceLab.HELM_GENEVE).userValues(ReferenceLab.installValues()));
    dp.ensureDevices(ReferenceLab.part2Nodes().get(0).routerIp(), geneve);
    dp.reconcile("k8s-ctr", ReferenceLab.part2Nodes(), geneve);
    String routes = out(ctr, "route");
    assertFalse(routes.contains("192.168.10.101 dev eth1 proto kernel"), routes);
    assertFalse(routes.contains("172.20.0.98"), routes);
    assertEquals(4, grep(routes, "cilium_host").split("\n").length, routes);
    assertFalse(out(ctr, "addr show cilium_host").contains("172.20.0.98"));

    // ... and back to native: the tunnel routes go, the direct route returns, cilium_geneve is down.
    dp.ensureDevices(ReferenceLab.part2Nodes().get(0).routerIp(), nativeCfg);
    dp.reconcile("k8s-ctr", ReferenceLab.part2Nodes(), nativeCfg);
    routes = out(ctr, "route");
    assertFalse(routes.contains("mtu 1450"), routes);
    assertTrue(routes.contains("172.20.1.0/24 via 192.168.10.101 dev eth1 proto kernel\n"), routes);
    assertFalse(ctr.links().byName("cilium_geneve").orElseThrow().up());
  }

  @Test
  void reconcileIsIdempotentAndRestoresARouteDeletedBehindItsBack() throws Exception {
    HostStack ctr = ReferenceLab.k8sCtr();
    AgentConfig c = ReferenceLab.config(ReferenceLab.installValues());
    NodeDatapath dp = agent(ctr, "k8s-ctr", ReferenceLab.part1Nodes(), c);
    String before = out(ctr, "route");
    dp.reconcile("k8s-ctr", ReferenceLab.part1Nodes(), c);
    assertEquals(before, out(ctr, "route"));
    Hosts.ok(ctr, "route del 172.20.1.0/24");
    dp.reconcile("k8s-ctr", ReferenceLab.part1Nodes(), c);
    assertEquals(before, out(ctr, "route"));
  }
}
