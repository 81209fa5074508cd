package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Text of the Cilium tools' status views for the parts modelled here.
 */
public final class CiliumStatus {
  private CiliumStatus() {}

  /** {@code Network: Tunnel [geneve]} or {@code Network: Native}. */
  static String network(AgentConfig c) {
    return c.tunneling() ? "Tunnel [" + c.tunnelProtocol().name().toLowerCase() + "]" : "Native";
  }

  /**
   * {@code cilium status [--all-addresses]} (the agent's status, printed through a tabwriter
   * with minwidth 2 and padding 3): the lines for kube-proxy replacement, IPAM (and with
   * {@code allAddresses} every allocated address with its owner, sorted as strings), routing and
   * the identity range. Lines without a tab end a column block, as in Go's tabwriter.
   */
  public static String status(AgentConfig c, HostScopeIpam ipam, boolean allAddresses) {
    TabWriter w = new TabWriter(2, 3);
    w.line("KubeProxyReplacement:\t" + (c.kubeProxyReplacement() ? "True" : "False"));
    w.line("IPAM:\tIPv4: " + ipam.used() + "/" + ipam.size() + " allocated from " + ipam.cidr() + ", ");
    if (allAddresses) {
      w.line("Allocated addresses:");
      List<String> lines = new ArrayList<>();
      for (Map.Entry<Ipv4Address, String> e : ipam.allocations().entrySet()) {
        lines.add("  " + e.getKey() + " (" + e.getValue() + ")");
      }
      Collections.sort(lines);
      lines.forEach(w::line);
    }
    w.line("Routing:\tNetwork: " + network(c) + "\tHost: BPF");
    w.line("Global Identity Range:\tmin " + IdentityAllocator.MIN + ", max " + IdentityAllocator.MAX);
    return w.flush();
  }

  /** {@code datapath_network}'s mode label: native, overlay-vxlan or overlay-geneve. */
  static String datapathNetworkMode(AgentConfig c) {
    return c.tunneling() ? "overlay-" + c.tunnelProtocol().name().toLowerCase() : "native";
  }

  /**
   * Column widths of {@code cilium features status}'s name and labels columns in cilium-cli
   * 0.18 (set by the longest feature name and label in its full table, which is not modelled).
   */
  static final int FEATURE_NAME_WIDTH = 72;
  static final int FEATURE_LABELS_WIDTH = 50;

  /**
   * The {@code cilium_feature_datapath_network} row of {@code cilium features status}: "Yes" when
   * every node reports the same mode, the mode label, then a 1 per node, each node column as
   * wide as the node's name plus 2.
   *
   * @param perNode each node's name and configuration, in the CLI's column order
   */
  public static String featuresDatapathNetwork(List<Map.Entry<String, AgentConfig>> perNode) {
    String mode = perNode.isEmpty() ? "native" : datapathNetworkMode(perNode.get(0).getValue());
    boolean uniform = perNode.stream().allMatch(e -> datapathNetworkMode(e.getValue()).equals(mode));
    StringBuilder sb = new StringBuilder();
    sb.append(pad(uniform ? "Yes" : "No", "Uniform".length() + 2));
    sb.append(pad("cilium_feature_datapath_network", FEATURE_NAME_WIDTH));
    sb.append(pad("mode=" + mode, FEATURE_LABELS_WIDTH));
    for (int i = 0; i < perNode.size(); i++) {
      String v = datapathNetworkMode(perNode.get(i).getValue()).equals(mode) ? "1" : "0";
      sb.append(i == perNode.size() - 1 ? v : pad(v, perNode.get(i).getKey().length() + 2));
    }
    return sb.append('\n').toString();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
  }
}
