package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of the cilium Helm chart (1.18) that decides the agent's networking: its default
 * values for those keys, the type checks of values.schema.json for them, and the
 * {@code cilium-config} ConfigMap keys templates/cilium-configmap.yaml renders from them, with
 * its {@code fail}s. Keys the lab never touches are rendered with the chart's defaults so the
 * ConfigMap (and {@code cilium config view}) has the chart's shape.
 *
 * <p>As in the real chart, an unknown {@code tunnelProtocol} is not rejected here: the template
 * copies it into {@code tunnel-protocol} and the agent refuses it at start-up ({@link
 * AgentConfig#fromConfigMap}).
 */
public final class CiliumChart {
  private CiliumChart() {}

  /** The template that renders the ConfigMap, as helm names it in execution errors. */
  public static final String CONFIGMAP_TEMPLATE = "cilium/templates/cilium-configmap.yaml";

  /** The chart's values.yaml for the keys modelled here. */
  public static HelmValues defaults() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("MTU", 0L);
    v.put("debug", map("enabled", false));
    v.put("cluster", map("name", "default"));
    v.put("identityAllocationMode", "crd");
    v.put("ipv4", map("enabled", true));
    v.put("ipv6", map("enabled", false));
    v.put("routingMode", "");
    v.put("tunnelProtocol", "");
    v.put("tunnelPort", 0L);
    v.put("tunnelSourcePortRange", "0-0");
    v.put("autoDirectNodeRoutes", false);
    v.put("directRoutingSkipUnreachable", false);
    v.put("ipv4NativeRoutingCIDR", "");
    v.put("enableIPv4Masquerade", true);
    v.put("installNoConntrackIptablesRules", false);
    v.put("kubeProxyReplacement", "false");
    Map<String, Object> operator = new LinkedHashMap<>();
    operator.put("clusterPoolIPv4PodCIDRList", new ArrayList<>(List.of("10.0.0.0/8")));
    operator.put("clusterPoolIPv4MaskSize", 24L);
    Map<String, Object> ipam = new LinkedHashMap<>();
    ipam.put("mode", "cluster-pool");
    ipam.put("operator", operator);
    v.put("ipam", ipam);
    Map<String, Object> l2 = new LinkedHashMap<>();
    l2.put("enabled", false);
    v.put("l2announcements", l2);
    v.put("l2NeighDiscovery", map("enabled", false));
    v.put("egressGateway", map("reconciliationTriggerInterval", "1s"));
    v.put("hubble", map("enabled", true));
    return HelmValues.of(v);
  }

  private static Map<String, Object> map(String k, Object v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(k, v);
    return m;
  }

  private enum Type {
    BOOLEAN("boolean"),
    INTEGER("integer"),
    STRING("string"),
    ARRAY("array");

    final String json;

    Type(String json) {
      this.json = json;
    }

    boolean accepts(Object v) {
      return switch (this) {
        case BOOLEAN -> v instanceof Boolean;
        case INTEGER -> v instanceof Long;
        case STRING -> v instanceof String;
        case ARRAY -> v instanceof List<?>;
      };
    }

    static String of(Object v) {
      if (v instanceof Boolean) {
        return "boolean";
      }
      if (v instanceof Long) {
        return "integer";
      }
      if (v instanceof List<?>) {
        return "array";
      }
      if (v instanceof Map<?, ?>) {
        return "object";
      }
      return "string";
    }
  }

  /** values.schema.json's types for the modelled keys (some accept two types). */
  private static final Map<String, List<Type>> SCHEMA = new LinkedHashMap<>();

  static {
    SCHEMA.put("MTU", List.of(Type.INTEGER));
    SCHEMA.put("autoDirectNodeRoutes", List.of(Type.BOOLEAN, Type.STRING));
    SCHEMA.put("directRoutingSkipUnreachable", List.of(Type.BOOLEAN));
    SCHEMA.put("enableIPv4Masquerade", List.of(Type.BOOLEAN));
    SCHEMA.put("installNoConntrackIptablesRules", List.of(Type.BOOLEAN));
    SCHEMA.put("ipam.mode", List.of(Type.STRING));
    SCHEMA.put("ipam.operator.clusterPoolIPv4MaskSize", List.of(Type.INTEGER));
    SCHEMA.put("ipam.operator.clusterPoolIPv4PodCIDRList", List.of(Type.ARRAY, Type.STRING));
    SCHEMA.put("ipv4NativeRoutingCIDR", List.of(Type.STRING));
    SCHEMA.put("kubeProxyReplacement", List.of(Type.BOOLEAN, Type.STRING));
    SCHEMA.put("l2NeighDiscovery.enabled", List.of(Type.BOOLEAN));
    SCHEMA.put("l2announcements.enabled", List.of(Type.BOOLEAN));
    SCHEMA.put("routingMode", List.of(Type.STRING));
    SCHEMA.put("tunnelPort", List.of(Type.INTEGER));
    SCHEMA.put("tunnelProtocol", List.of(Type.STRING));
    SCHEMA.put("tunnelSourcePortRange", List.of(Type.STRING));
  }

  /**
   * Renders {@code cilium-config}'s data from the computed values (chart defaults overlaid with
   * the user values).
   *
   * @throws HelmException a schema violation or a template {@code fail}, in helm's wording
   *     (without the {@code UPGRADE FAILED: } prefix helm adds for an upgrade)
   */
  public static Map<String, String> render(HelmValues v) throws HelmException {
    checkSchema(v);
    Map<String, String> d = new TreeMap<>();
    String kpr = v.get("kubeProxyReplacement") == null ? "" : HelmValues.render(v.get("kubeProxyReplacement"));
    if (kpr.isEmpty()) {
      kpr = "false";
    }
    if (!kpr.equals("true") && !kpr.equals("false")) {
      throw fail("kubeProxyReplacement must be explicitly set to a valid value (true or false) to continue.");
    }
    String ipamMode = v.truthy("ipam.mode") ? str(v, "ipam.mode") : "cluster-pool";
    d.put("identity-allocation-mode", str(v, "identityAllocationMode"));
    d.put("debug", str(v, "debug.enabled"));
    d.put("enable-ipv4", str(v, "ipv4.enabled"));
    d.put("enable-ipv6", str(v, "ipv6.enabled"));
    d.put("cluster-name", str(v, "cluster.name"));
    d.put("routing-mode", v.truthy("routingMode") ? str(v, "routingMode") : "tunnel");
    d.put("tunnel-protocol", v.truthy("tunnelProtocol") ? str(v, "tunnelProtocol") : "vxlan");
    if ("native".equals(v.get("routingMode")) && v.truthy("ipv4.enabled") && v.truthy("enableIPv4Masquerade")
        && !v.truthy("ipv4NativeRoutingCIDR")) {
      throw fail(" ipv4NativeRoutingCIDR must be set when routingMode is native");
    }
    if (v.truthy("tunnelPort")) {
      d.put("tunnel-port", str(v, "tunnelPort"));
    }
    if (v.truthy("tunnelSourcePortRange")) {
      d.put("tunnel-source-port-range", str(v, "tunnelSourcePortRange"));
    }
    if (v.truthy("MTU")) {
      d.put("mtu", str(v, "MTU"));
    }
    d.put("enable-ipv4-masquerade", str(v, "enableIPv4Masquerade"));
    d.put("install-no-conntrack-iptables-rules", str(v, "installNoConntrackIptablesRules"));
    d.put("auto-direct-node-routes", str(v, "autoDirectNodeRoutes"));
    d.put("direct-routing-skip-unreachable", str(v, "directRoutingSkipUnreachable"));
    if (v.truthy("ipv4NativeRoutingCIDR")) {
      d.put("ipv4-native-routing-cidr", str(v, "ipv4NativeRoutingCIDR"));
    }
    d.put("kube-proxy-replacement", kpr);
    if (kpr.equals("true")) {
      d.put("kube-proxy-replacement-healthz-bind-address", "");
    }
    if (v.has("l2NeighDiscovery.enabled")) {
      d.put("enable-l2-neigh-discovery", str(v, "l2NeighDiscovery.enabled"));
    }
    d.put("ipam", ipamMode);
    if (ipamMode.equals("cluster-pool")) {
      Object list = v.get("ipam.operator.clusterPoolIPv4PodCIDRList");
      d.put("cluster-pool-ipv4-cidr", list instanceof List<?> l ? join(l) : HelmValues.render(list));
      d.put("cluster-pool-ipv4-mask-size", str(v, "ipam.operator.clusterPoolIPv4MaskSize"));
    }
    if (v.truthy("l2announcements.enabled")) {
      d.put("enable-l2-announcements", "true");
      d.put("l2-announcements-lease-duration", "15s");
      d.put("l2-announcements-renew-deadline", "5s");
      d.put("l2-announcements-retry-period", "2s");
    }
    d.put("egress-gateway-reconciliation-trigger-interval", str(v, "egressGateway.reconciliationTriggerInterval"));
    d.put("enable-hubble", str(v, "hubble.enabled"));
    return d;
  }

  private static String join(List<?> l) {
    StringBuilder sb = new StringBuilder();
    for (Object o : l) {
      sb.append(sb.length() == 0 ? "" : " ").append(HelmValues.render(o));
    }
    return sb.toString();
  }

  private static String str(HelmValues v, String path) {
    return HelmValues.render(v.get(path));
  }

  private static HelmException fail(String msg) {
    return new HelmException("execution error at (" + CONFIGMAP_TEMPLATE + "): " + msg);
  }

  private static void checkSchema(HelmValues v) throws HelmException {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, List<Type>> e : SCHEMA.entrySet()) {
      if (!v.has(e.getKey()) || v.get(e.getKey()) == null) {
        continue;
      }
      Object val = v.get(e.getKey());
      if (e.getValue().stream().noneMatch(t -> t.accepts(val))) {
        List<Type> types = e.getValue();
        String expected = types.size() == 1 ? types.get(0).json
            : String.join(", ", types.stream().map(t -> t.json).toList());
        problems.add("- " + e.getKey() + ": Invalid type. Expected: " + expected + ", given: " + Type.of(val));
      }
    }
    if (!problems.isEmpty()) {
      throw new HelmException("values don't meet the specifications of the schema(s) in the following chart(s):\ncilium:\n"
          + String.join("\n", problems));
    }
  }
}
