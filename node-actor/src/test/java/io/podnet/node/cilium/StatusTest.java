package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StatusTest {
  private static AgentConfig geneve() throws Exception {
    return ReferenceLab.config(HelmUpgrade.parse(ReferenceLab.HELM_GENEVE).userValues(ReferenceLab.installValues()));
  }

  @Test
  void routingLineInBothModes() throws Exception {
    HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("172.20.0.0/24"), new SplittableRandom(1));
    assertEquals("Routing:                 Network: Tunnel [geneve]   Host: BPF\n",
        Hosts.grep(CiliumStatus.status(geneve(), ipam, false), "Routing:"));
    assertEquals("Routing:                 Network: Native   Host: BPF\n",
        Hosts.grep(CiliumStatus.status(ReferenceLab.config(ReferenceLab.installValues()), ipam, false), "Routing:"));
  }

  @Test
  void allAddressesListsTheRouterAndEndpoints() throws Exception {
    HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("172.20.0.0/24"), new SplittableRandom(1));
    ipam.allocate(Ipv4Address.parse("172.20.0.74"), "router");
    ipam.allocate(Ipv4Address.parse("172.20.0.163"), "default/curl-pod");
    String s = CiliumStatus.status(geneve(), ipam, true);
    assertEquals("  172.20.0.74 (router)\n", Hosts.grep(s, "router"));
    // "Allocated addresses:" has no tab, so it ends the tabwriter's column block: the lines
    // above it are aligned on their own longest label (KubeProxyReplacement:, 21 + 3).
    assertTrue(s.contains("IPAM:                   IPv4: 2/254 allocated from 172.20.0.0/24, \n"
        + "Allocated addresses:\n  172.20.0.163 (default/curl-pod)\n  172.20.0.74 (router)\n"), s);
  }

  @Test
  void featuresDatapathNetworkRow() throws Exception {
    AgentConfig g = geneve();
    assertEquals("Yes      cilium_feature_datapath_network                                         mode=overlay-geneve"
        + "                               1        1       1\n",
        CiliumStatus.featuresDatapathNetwork(List.of(Map.entry("k8s-ctr", g), Map.entry("k8s-w1", g),
            Map.entry("k8s-w0", g))));
    AgentConfig n = ReferenceLab.config(ReferenceLab.installValues());
    String mixed = CiliumStatus.featuresDatapathNetwork(List.of(Map.entry("node-a", n), Map.entry("node-b", g)));
    assertTrue(mixed.startsWith("No       cilium_feature_datapath_network"), mixed);
    assertTrue(mixed.contains(" mode=native "), mixed);
    assertTrue(mixed.endsWith("1       0\n"), mixed);
  }
}
