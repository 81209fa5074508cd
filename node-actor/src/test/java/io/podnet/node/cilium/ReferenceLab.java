package io.podnet.node.cilium;

import static io.podnet.node.cilium.Hosts.addr;
import static io.podnet.node.cilium.Hosts.natUplink;
import static io.podnet.node.cilium.Hosts.nic;
import static io.podnet.node.cilium.Hosts.ok;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;

/** The reference lab's node hosts and CiliumNodes, from the transcript (test data only). */
final class ReferenceLab {
  private ReferenceLab() {}

  static final List<String> HELM_GENEVE = List.of("cilium", "cilium/cilium", "--namespace", "kube-system",
      "--version", "1.18.0", "--reuse-values", "--set", "routingMode=tunnel", "--set", "tunnelProtocol=geneve",
      "--set", "autoDirectNodeRoutes=false", "--set", "installNoConntrackIptablesRules=false");

  /** The lab's install values (Part 1: native routing with autoDirectNodeRoutes). */
  static HelmValues installValues() throws HelmException {
    HelmValues v = HelmValues.empty();
    for (String s : List.of("routingMode=native", "autoDirectNodeRoutes=true", "ipv4NativeRoutingCIDR=172.20.0.0/16",
        "ipam.mode=cluster-pool", "ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}",
        "ipam.operator.clusterPoolIPv4MaskSize=24", "kubeProxyReplacement=true",
        "installNoConntrackIptablesRules=true")) {
      v = v.overlay(HelmSetParser.parse(s));
    }
    return v;
  }

  static AgentConfig config(HelmValues user) throws Exception {
    return AgentConfig.fromConfigMap(CiliumChart.render(CiliumChart.defaults().overlay(user)));
  }

  static HostStack k8sCtr() {
    HostStack h = Hosts.host();
    natUplink(h, "08:00:27:e0:5f:d1");
    nic(h, "eth1", "08:00:27:04:d1:9c");
    addr(h, "eth1", "192.168.10.100/24", 0);
    return h;
  }

  static HostStack k8sW1() {
    HostStack h = Hosts.host();
    natUplink(h, "08:00:27:5a:1c:02");
    nic(h, "eth1", "08:00:27:af:e6:df");
    addr(h, "eth1", "192.168.10.101/24", 0);
    return h;
  }

  static HostStack k8sW0() {
    HostStack h = Hosts.host();
    natUplink(h, "08:00:27:71:8e:2a");
    nic(h, "eth1", "08:00:27:3a:be:fa");
    addr(h, "eth1", "192.168.20.100/24", 0);
    return h;
  }

  /** Part 2: k8s-w0's static routes through the router. */
  static void w0StaticRoutes(HostStack h) {
    ok(h, "route add 10.10.0.0/16 via 192.168.20.200 dev eth1 proto static");
    ok(h, "route add 172.20.0.0/16 via 192.168.20.200 dev eth1 proto static");
    ok(h, "route add 192.168.10.0/24 via 192.168.20.200 dev eth1 proto static");
  }

  static CiliumNodeInfo node(String name, String ip, String podCidr, String router) {
    return new CiliumNodeInfo(name, Ipv4Address.parse(ip), Ipv4Prefix.parse(podCidr), Ipv4Address.parse(router));
  }

  /** Part 1's CiliumNodes (kubectl get ciliumnode ... spec.addresses). */
  static List<CiliumNodeInfo> part1Nodes() {
    return List.of(node("k8s-ctr", "192.168.10.100", "172.20.0.0/24", "172.20.0.98"),
        node("k8s-w1", "192.168.10.101", "172.20.1.0/24", "172.20.1.60"),
        node("k8s-w0", "192.168.20.100", "172.20.2.0/24", "172.20.2.159"));
  }

  /** Part 2's CiliumNodes, after the agents restarted with new router IPs. */
  static List<CiliumNodeInfo> part2Nodes() {
    return List.of(node("k8s-ctr", "192.168.10.100", "172.20.0.0/24", "172.20.0.74"),
        node("k8s-w1", "192.168.10.101", "172.20.1.0/24", "172.20.1.41"),
        node("k8s-w0", "192.168.20.100", "172.20.2.0/24", "172.20.2.204"));
  }
}
