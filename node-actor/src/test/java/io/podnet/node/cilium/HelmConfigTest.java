package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.TunnelKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelmConfigTest {
  private static String grep(String text, String word) {
    return Hosts.grep(text, word);
  }

  @Test
  void transcriptsUpgradeToGeneve() throws Exception {
    HelmUpgrade up = HelmUpgrade.parse(ReferenceLab.HELM_GENEVE);
    assertEquals("cilium", up.release());
    assertEquals("cilium/cilium", up.chart());
    assertEquals("kube-system", up.namespace());
    assertEquals("1.18.0", up.version());
    assertTrue(up.reuseValues());
    HelmValues user = up.userValues(ReferenceLab.installValues());
    assertEquals("tunnel", user.get("routingMode"));
    assertEquals(Boolean.FALSE, user.get("autoDirectNodeRoutes"));
    assertEquals("172.20.0.0/16", user.get("ipv4NativeRoutingCIDR"), "--reuse-values keeps earlier values");
    Map<String, String> cm = CiliumChart.render(CiliumChart.defaults().overlay(user));
    String view = AgentConfig.configView(cm);
    assertEquals("""
        routing-mode                                      tunnel
        tunnel-protocol                                   geneve
        tunnel-source-port-range                          0-0
        """, grep(view, "tunnel").replace("install-no-conntrack-iptables-rules", "#")
        .lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n").reduce("", String::concat));
    AgentConfig c = AgentConfig.fromConfigMap(cm);
    assertEquals(AgentConfig.RoutingMode.TUNNEL, c.routingMode());
    assertEquals(TunnelKind.GENEVE, c.tunnelProtocol());
    assertEquals(6081, c.tunnelPort());
    assertEquals("cilium_geneve", c.tunnelDevice());
    assertFalse(c.autoDirectNodeRoutes());
    assertFalse(cm.containsKey("tunnel-port"));

    // without --reuse-values the earlier values are gone: chart defaults + these --set
    HelmUpgrade fresh = HelmUpgrade.parse(List.of("cilium", "cilium/cilium", "--set", "tunnelProtocol=vxlan"));
    HelmValues v = fresh.userValues(ReferenceLab.installValues());
    assertNull(v.get("ipv4NativeRoutingCIDR"));
    AgentConfig vx = AgentConfig.fromConfigMap(CiliumChart.render(CiliumChart.defaults().overlay(v)));
    assertEquals(8472, vx.tunnelPort());
    assertEquals(AgentConfig.RoutingMode.TUNNEL, vx.routingMode(), "the chart's default routing mode");
    assertEquals("cilium_vxlan", vx.tunnelDevice());
  }

  @Test
  void l2AnnouncementsAsPart3() throws Exception {
    HelmUpgrade up = HelmUpgrade.parse(List.of("cilium", "cilium/cilium", "--namespace", "kube-system", "--version",
        "1.18.0", "--reuse-values", "--set", "l2announcements.enabled=true", "--set", "l2NeighDiscovery.enabled=true"));
    Map<String, String> cm = CiliumChart.render(CiliumChart.defaults().overlay(up.userValues(ReferenceLab.installValues())));
    assertEquals("""
        enable-l2-announcements                           true
        enable-l2-neigh-discovery                         true
        """, grep(AgentConfig.configView(cm), "enable-l2"));
    AgentConfig c = AgentConfig.fromConfigMap(cm);
    assertEquals("EnableL2Announcements             : true\n", grep(c.dbgConfigAll(), "EnableL2Announcements"));
  }

  @Test
  void configViewWidthFollowsTheLongestKey() {
    assertEquals("a       x\nlong    y\n", AgentConfig.configView(Map.of("long", "y", "a", "x")));
  }

  @Test
  void setSyntax() throws Exception {
    HelmValues v = HelmSetParser.parse("a=b,c.d=true,e=0,f=012,g=-3,h={x,2},i[1]=z,j=null,k=,l=1\\,2,m\\.n=o");
    assertEquals("b", v.get("a"));
    assertEquals(Boolean.TRUE, v.get("c.d"));
    assertEquals(0L, v.get("e"));
    assertEquals("012", v.get("f"));
    assertEquals(-3L, v.get("g"));
    assertEquals(List.of("x", 2L), v.get("h"));
    assertEquals(java.util.Arrays.asList(null, "z"), v.get("i"));
    assertTrue(v.has("j"));
    assertNull(v.get("j"));
    assertEquals("", v.get("k"));
    assertEquals("1,2", v.get("l"));
    assertEquals("o", v.tree().get("m.n"));
    // a null in --set deletes the key on overlay
    HelmValues base = HelmSetParser.parse("j=1,q=2");
    assertFalse(base.overlay(v).has("j"));
    assertEquals(2L, base.overlay(v).get("q"));
  }

  @Test
  void helmErrors() {
    assertEquals("Error: failed parsing --set data: key \"routingMode\" has no value",
        assertThrows(HelmException.class, () -> HelmSetParser.parse("routingMode")).helmLine());
    assertEquals("Error: failed parsing --set data: key \"a\" has no value (cannot end with ,)",
        assertThrows(HelmException.class, () -> HelmSetParser.parse("a,b=c")).helmLine());
    assertEquals("Error: unknown flag: --sett",
        assertThrows(HelmException.class, () -> HelmUpgrade.parse(List.of("cilium", "cilium/cilium", "--sett", "x=y")))
            .helmLine());
    assertEquals("Error: flag needs an argument: --set",
        assertThrows(HelmException.class, () -> HelmUpgrade.parse(List.of("cilium", "cilium/cilium", "--set")))
            .helmLine());
    assertTrue(assertThrows(HelmException.class, () -> HelmUpgrade.parse(List.of("cilium"))).getMessage()
        .startsWith("\"helm upgrade\" requires 2 arguments"));
  }

  @Test
  void chartFailsAndSchemaErrors() throws Exception {
    HelmException noCidr = assertThrows(HelmException.class, () -> CiliumChart.render(CiliumChart.defaults()
        .overlay(HelmSetParser.parse("routingMode=native"))));
    assertEquals("execution error at (cilium/templates/cilium-configmap.yaml):  ipv4NativeRoutingCIDR must be set"
        + " when routingMode is native", noCidr.getMessage());
    HelmException kpr = assertThrows(HelmException.class, () -> CiliumChart.render(CiliumChart.defaults()
        .overlay(HelmSetParser.parse("kubeProxyReplacement=strict"))));
    assertTrue(kpr.getMessage().endsWith(
        "kubeProxyReplacement must be explicitly set to a valid value (true or false) to continue."));
    HelmException schema = assertThrows(HelmException.class, () -> CiliumChart.render(CiliumChart.defaults()
        .overlay(HelmSetParser.parse("tunnelPort=abc"))));
    assertEquals("values don't meet the specifications of the schema(s) in the following chart(s):\ncilium:\n"
        + "- tunnelPort: Invalid type. Expected: integer, given: string", schema.getMessage());
    // a custom port and source range reach the agent
    AgentConfig c = AgentConfig.fromConfigMap(CiliumChart.render(CiliumChart.defaults()
        .overlay(HelmSetParser.parse("tunnelPort=9999,tunnelSourcePortRange=40000-40100"))));
    assertEquals(9999, c.tunnelPort());
    assertEquals(40000, c.sourcePortLow());
    assertEquals(40100, c.sourcePortHigh());
  }

  @Test
  void unknownTunnelProtocolPassesHelmAndStopsTheAgent() throws Exception {
    Map<String, String> cm = CiliumChart.render(CiliumChart.defaults().overlay(HelmSetParser.parse("tunnelProtocol=gre")));
    assertEquals("gre", cm.get("tunnel-protocol"));
    assertEquals("invalid tunnel protocol \"gre\"",
        assertThrows(AgentConfigException.class, () -> AgentConfig.fromConfigMap(cm)).getMessage());
    Map<String, String> badRange = CiliumChart.render(CiliumChart.defaults()
        .overlay(HelmSetParser.parse("tunnelSourcePortRange=lots")));
    assertEquals("invalid tunnel source port range \"lots\"",
        assertThrows(AgentConfigException.class, () -> AgentConfig.fromConfigMap(badRange)).getMessage());
  }
}
