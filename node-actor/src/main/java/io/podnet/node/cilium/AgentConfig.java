package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.TunnelKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The agent's networking configuration, read from {@code cilium-config} as the agent reads its
 * flags (pkg/option, pkg/datapath/tunnel): tunnel protocol and port (8472 for VXLAN, 6081 for
 * Geneve when tunnel-port is 0), the source port range hint, direct routing, cluster-pool IPAM.
 *
 * @param routingMode native or tunnel
 * @param tunnelProtocol the encapsulation, set in both modes (as the agent keeps it)
 * @param tunnelPort the UDP port (default by protocol when the ConfigMap has none)
 * @param sourcePortLow low end of tunnel-source-port-range (0 = kernel default range)
 * @param sourcePortHigh high end of tunnel-source-port-range
 * @param autoDirectNodeRoutes auto-direct-node-routes
 * @param directRoutingSkipUnreachable direct-routing-skip-unreachable
 * @param ipv4NativeRoutingCidr ipv4-native-routing-cidr, or null
 * @param clusterPoolCidrs cluster-pool-ipv4-cidr
 * @param clusterPoolMaskSize cluster-pool-ipv4-mask-size
 * @param mtu the mtu key (0: detect from the node's device)
 * @param kubeProxyReplacement kube-proxy-replacement
 * @param l2Announcements enable-l2-announcements
 * @param l2NeighDiscovery enable-l2-neigh-discovery
 * @param installNoConntrackIptablesRules install-no-conntrack-iptables-rules
 * @param data the ConfigMap it was read from
 */
public record AgentConfig(
    RoutingMode routingMode,
    TunnelKind tunnelProtocol,
    int tunnelPort,
    int sourcePortLow,
    int sourcePortHigh,
    boolean autoDirectNodeRoutes,
    boolean directRoutingSkipUnreachable,
    Ipv4Prefix ipv4NativeRoutingCidr,
    List<Ipv4Prefix> clusterPoolCidrs,
    int clusterPoolMaskSize,
    int mtu,
    boolean kubeProxyReplacement,
    boolean l2Announcements,
    boolean l2NeighDiscovery,
    boolean installNoConntrackIptablesRules,
    Map<String, String> data) {

  /** routing-mode. */
  public enum RoutingMode {
    NATIVE("native"),
    TUNNEL("tunnel");

    private final String value;

    RoutingMode(String value) {
      this.value = value;
    }

    public String value() {
      return value;
    }
  }

  public AgentConfig {
    clusterPoolCidrs = List.copyOf(clusterPoolCidrs);
    data = Map.copyOf(data);
  }

  /** Whether packets to other nodes' pods are encapsulated. */
  public boolean tunneling() {
    return routingMode == RoutingMode.TUNNEL;
  }

  /** The tunnel device's name (cilium_vxlan / cilium_geneve, pkg/defaults). */
  public String tunnelDevice() {
    return tunnelProtocol == TunnelKind.VXLAN ? "cilium_vxlan" : "cilium_geneve";
  }

  /**
   * Reads a ConfigMap as the agent does at start-up.
   *
   * @throws AgentConfigException the agent's start-up error for a value it refuses
   */
  public static AgentConfig fromConfigMap(Map<String, String> d) throws AgentConfigException {
    String rm = d.getOrDefault("routing-mode", "tunnel");
    RoutingMode mode = switch (rm) {
      case "native" -> RoutingMode.NATIVE;
      case "tunnel" -> RoutingMode.TUNNEL;
      default -> throw new AgentConfigException("invalid routing mode \"" + rm + "\", valid modes = {native, tunnel}");
    };
    String tp = d.getOrDefault("tunnel-protocol", "vxlan");
    TunnelKind kind = switch (tp) {
      case "vxlan" -> TunnelKind.VXLAN;
      case "geneve" -> TunnelKind.GENEVE;
      default -> throw new AgentConfigException("invalid tunnel protocol \"" + tp + "\"");
    };
    int port = intValue(d, "tunnel-port", 0, 0, 65535);
    if (port == 0) {
      port = kind == TunnelKind.VXLAN ? TunnelKind.VXLAN_LINUX_PORT : TunnelKind.GENEVE_PORT;
    }
    String range = d.getOrDefault("tunnel-source-port-range", "0-0");
    int[] lh = parseRange(range);
    Ipv4Prefix nativeCidr = null;
    if (d.containsKey("ipv4-native-routing-cidr")) {
      nativeCidr = prefix(d.get("ipv4-native-routing-cidr"), "ipv4-native-routing-cidr");
    }
    List<Ipv4Prefix> pool = new ArrayList<>();
    for (String c : d.getOrDefault("cluster-pool-ipv4-cidr", "").split("[ ,]+")) {
      if (!c.isEmpty()) {
        pool.add(prefix(c, "cluster-pool-ipv4-cidr"));
      }
    }
    int mask = intValue(d, "cluster-pool-ipv4-mask-size", 24, 1, 32);
    return new AgentConfig(mode, kind, port, lh[0], lh[1], bool(d, "auto-direct-node-routes"),
        bool(d, "direct-routing-skip-unreachable"), nativeCidr, pool, mask, intValue(d, "mtu", 0, 0, 65535),
        bool(d, "kube-proxy-replacement"), bool(d, "enable-l2-announcements"), bool(d, "enable-l2-neigh-discovery"),
        bool(d, "install-no-conntrack-iptables-rules"), d);
  }

  /** fmt.Sscanf("%d-%d") as pkg/datapath/tunnel does. */
  private static int[] parseRange(String range) throws AgentConfigException {
    int dash = range.indexOf('-', 1);
    try {
      if (dash < 0) {
        throw new NumberFormatException();
      }
      int lo = Integer.parseInt(range.substring(0, dash));
      int hi = Integer.parseInt(range.substring(dash + 1));
      if (lo < 0 || lo > 65535 || hi < 0 || hi > 65535) {
        throw new NumberFormatException();
      }
      return new int[] {lo, hi};
    } catch (NumberFormatException e) {
      throw new AgentConfigException("invalid tunnel source port range \"" + range + "\"");
    }
  }

  private static Ipv4Prefix prefix(String s, String key) throws AgentConfigException {
    try {
      Ipv4Prefix p = Ipv4Prefix.parse(s);
      if (s.indexOf('/') < 0) {
        throw new IllegalArgumentException();
      }
      return p.network();
    } catch (IllegalArgumentException e) {
      throw new AgentConfigException("invalid CIDR address: " + s + " (" + key + ")");
    }
  }

  private static boolean bool(Map<String, String> d, String key) {
    String v = d.getOrDefault(key, "false");
    return v.equals("true") || v.equals("1") || v.equalsIgnoreCase("t");
  }

  private static int intValue(Map<String, String> d, String key, int dflt, int min, int max)
      throws AgentConfigException {
    String v = d.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        throw new NumberFormatException();
      }
      return i;
    } catch (NumberFormatException e) {
      throw new AgentConfigException("invalid argument \"" + v + "\" for \"--" + key + "\" flag");
    }
  }

  /**
   * {@code cilium config view}: the ConfigMap's keys in order, each value in a column 4 blanks
   * after the longest key (cilium-cli prints through a tabwriter with padding 4).
   */
  public static String configView(Map<String, String> data) {
    TabWriter w = new TabWriter(0, 4);
    for (Map.Entry<String, String> e : new TreeMap<>(data).entrySet()) {
      w.line(e.getKey() + "\t" + e.getValue());
    }
    return w.flush();
  }

  /**
   * {@code cilium-dbg config --all}'s lines for the options modelled here: {@code %-34s: %v},
   * sorted by name.
   */
  public String dbgConfigAll() {
    Map<String, String> m = new TreeMap<>();
    m.put("AutoDirectNodeRoutes", Boolean.toString(autoDirectNodeRoutes));
    m.put("DirectRoutingSkipUnreachable", Boolean.toString(directRoutingSkipUnreachable));
    m.put("EnableL2Announcements", Boolean.toString(l2Announcements));
    m.put("EnableL2NeighDiscovery", Boolean.toString(l2NeighDiscovery));
    m.put("IPv4NativeRoutingCIDR", ipv4NativeRoutingCidr == null ? "<nil>" : ipv4NativeRoutingCidr.toString());
    m.put("InstallNoConntrackIptRules", Boolean.toString(installNoConntrackIptablesRules));
    m.put("KubeProxyReplacement", Boolean.toString(kubeProxyReplacement));
    m.put("RoutingMode", routingMode.value());
    m.put("TunnelPort", Integer.toString(tunnelPort));
    m.put("TunnelProtocol", tunnelProtocol.name().toLowerCase());
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : m.entrySet()) {
      sb.append(String.format("%-34s: %s\n", e.getKey(), e.getValue()));
    }
    return sb.toString();
  }
}
