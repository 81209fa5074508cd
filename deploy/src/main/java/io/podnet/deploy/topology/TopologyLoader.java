package io.podnet.deploy.topology;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.podnet.deploy.topology.LabSpec.HostKind;
import io.podnet.deploy.topology.LabSpec.HostSpec;
import io.podnet.deploy.topology.LabSpec.InterfaceKind;
import io.podnet.deploy.topology.LabSpec.InterfaceSpec;
import io.podnet.deploy.topology.LabSpec.NatSpec;
import io.podnet.deploy.topology.LabSpec.SegmentSpec;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a topology file (YAML). Every problem is reported, each with the path of the field, and
 * nothing is built from a file that has any.
 *
 * <pre>
 * name: my-lab
 * seed: 42                      # all randomness of the lab (MACs, identities, ports) follows it
 * macPrefix: "08:00:27"         # the OUI of derived MACs
 * segments:
 *   lan-a: {}                   # an L2 broadcast domain; mtu: 1500 by default
 * hosts:
 *   router:
 *     kind: router              # host | router | node; routers and nodes forward
 *     interfaces:
 *       eth0: {nat: {}}         # a NAT uplink (VirtualBox's 10.0.2.15/24 via DHCP unless set)
 *       eth1: {segment: lan-a, address: 192.168.10.200/24}
 *       loop1: {kind: dummy, address: 10.10.1.200/24}
 *     routes:
 *       - 10.10.0.0/16 via 192.168.20.200 proto static
 *     etcHosts: {192.168.10.101: k8s-w1}
 * </pre>
 */
public final class TopologyLoader {
  static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
  static final Pattern OUI = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){2}");

  private final String source;
  private final List<String> problems = new ArrayList<>();

  private TopologyLoader(String source) {
    this.source = source;
  }

  public static LabSpec load(Path file) throws TopologyException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new TopologyException(file.toString(), List.of("cannot read: " + e.getMessage()));
    }
    return parse(file.toString(), text);
  }

  public static LabSpec parse(String source, String yaml) throws TopologyException {
    TopologyLoader l = new TopologyLoader(source);
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? ""
          : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
      throw new TopologyException(source, List.of(where + "not valid YAML: " + e.getOriginalMessage()));
    }
    LabSpec spec = l.lab(root);
    if (!l.problems.isEmpty()) {
      throw new TopologyException(source, l.problems);
    }
    return spec;
  }

  /** Allowed fields in the order error messages list them. */
  private static Set<String> fields(String... names) {
    return new java.util.LinkedHashSet<>(List.of(names));
  }

  private void problem(String path, String message) {
    problems.add(path + ": " + message);
  }

  private boolean object(JsonNode n, String path, Set<String> allowed) {
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isObject()) {
      problem(path, "expected a mapping, found " + kind(n));
      return false;
    }
    Iterator<String> it = n.fieldNames();
    while (it.hasNext()) {
      String f = it.next();
      if (!allowed.contains(f)) {
        problem(path + "." + f, "unknown field (expected one of: " + String.join(", ", allowed) + ")");
      }
    }
    return true;
  }

  private static String kind(JsonNode n) {
    return n.isTextual() ? "a string" : n.isNumber() ? "a number" : n.isArray() ? "a list" : n.isObject() ? "a mapping"
        : n.isBoolean() ? "a boolean" : "null";
  }

  private String text(JsonNode n, String path, String dflt, boolean required) {
    if (n == null || n.isNull()) {
      if (required) {
        problem(path, "is required");
      }
      return dflt;
    }
    if (!n.isValueNode()) {
      problem(path, "expected a string, found " + kind(n));
      return dflt;
    }
    return n.asText();
  }

  private int integer(JsonNode n, String path, int dflt, int min, int max) {
    if (n == null || n.isNull()) {
      return dflt;
    }
    if (!n.canConvertToInt() || !n.isIntegralNumber()) {
      problem(path, "expected a whole number, found " + (n.isValueNode() ? "\"" + n.asText() + "\"" : kind(n)));
      return dflt;
    }
    int v = n.asInt();
    if (v < min || v > max) {
      problem(path, v + " is out of range " + min + "-" + max);
      return dflt;
    }
    return v;
  }

  private LabSpec lab(JsonNode root) {
    if (root == null || root.isNull() || root.isMissingNode()) {
      problem("(file)", "is empty");
      return null;
    }
    if (!object(root, "(top)", fields("name", "seed", "macPrefix", "segments", "hosts", "cilium", "manifests"))) {
      return null;
    }
    String name = text(root.get("name"), "name", "", true);
    if (!name.isEmpty() && !NAME.matcher(name).matches()) {
      problem("name", "\"" + name + "\" is not a valid lab name (lower-case letters, digits and '-')");
    }
    long seed = 1;
    JsonNode s = root.get("seed");
    if (s != null && !s.isNull()) {
      if (!s.isIntegralNumber()) {
        problem("seed", "expected a whole number, found " + kind(s));
      } else {
        seed = s.asLong();
      }
    }
    String oui = text(root.get("macPrefix"), "macPrefix", "08:00:27", false);
    if (!OUI.matcher(oui).matches()) {
      problem("macPrefix", "\"" + oui + "\" is not three hex octets such as 08:00:27");
      oui = "08:00:27";
    }
    Map<String, SegmentSpec> segments = new LinkedHashMap<>();
    JsonNode segs = root.get("segments");
    if (segs != null && !segs.isNull()) {
      if (!segs.isObject()) {
        problem("segments", "expected a mapping of segment names, found " + kind(segs));
      } else {
        segs.fields().forEachRemaining(e -> {
          String path = "segments." + e.getKey();
          if (!NAME.matcher(e.getKey()).matches()) {
            problem(path, "\"" + e.getKey() + "\" is not a valid segment name");
          }
          int mtu = 1500;
          if (object(e.getValue(), path, fields("mtu"))) {
            mtu = integer(e.getValue().get("mtu"), path + ".mtu", 1500, 68, 65535);
          }
          segments.put(e.getKey(), new SegmentSpec(e.getKey(), mtu));
        });
      }
    }
    List<HostSpec> hosts = new ArrayList<>();
    JsonNode hs = root.get("hosts");
    if (hs == null || hs.isNull()) {
      problem("hosts", "is required");
    } else if (!hs.isObject()) {
      problem("hosts", "expected a mapping of host names, found " + kind(hs));
    } else {
      hs.fields().forEachRemaining(e -> hosts.add(host(e.getKey(), e.getValue(), segments)));
    }
    checkAddresses(hosts);
    LabSpec.CiliumSpec cilium = cilium(root.get("cilium"));
    List<String> manifests = new ArrayList<>();
    JsonNode ms = root.get("manifests");
    if (ms != null && !ms.isNull()) {
      if (!ms.isArray()) {
        problem("manifests", "expected a list of YAML files (relative to the topology file), found " + kind(ms));
      } else {
        for (int i = 0; i < ms.size(); i++) {
          String f = text(ms.get(i), "manifests[" + i + "]", "", true);
          if (f.isEmpty()) {
            continue;
          }
          Path base = Path.of(source).toAbsolutePath().getParent();
          Path file = base == null ? Path.of(f) : base.resolve(f);
          if (!Files.isRegularFile(file)) {
            problem("manifests[" + i + "]", "no such file: " + file);
          }
          manifests.add(file.toString());
        }
      }
    }
    if (!manifests.isEmpty() && hosts.stream().noneMatch(h -> h.kind() == LabSpec.HostKind.NODE)) {
      problem("manifests", "a lab with manifests needs at least one host of kind: node");
    }
    return new LabSpec(name, seed, oui, List.copyOf(segments.values()), hosts, cilium, manifests);
  }

  private LabSpec.CiliumSpec cilium(JsonNode n) {
    if (n == null || n.isNull() || !object(n, "cilium", fields("version", "set"))) {
      return null;
    }
    String version = text(n.get("version"), "cilium.version", "1.18.0", false);
    List<String> set = new ArrayList<>();
    JsonNode s = n.get("set");
    if (s != null && !s.isNull()) {
      if (!s.isArray()) {
        problem("cilium.set", "expected a list of helm --set arguments (key=value), found " + kind(s));
        return null;
      }
      java.util.Map<String, Object> tree = new java.util.LinkedHashMap<>();
      for (int i = 0; i < s.size(); i++) {
        String arg = text(s.get(i), "cilium.set[" + i + "]", "", true);
        try {
          io.podnet.node.cilium.HelmSetParser.parseInto(arg, tree);
          set.add(arg);
        } catch (io.podnet.node.cilium.HelmException e) {
          problem("cilium.set[" + i + "]", e.getMessage());
        }
      }
      try {
        io.podnet.node.cilium.CiliumChart.render(io.podnet.node.cilium.CiliumChart.defaults()
            .overlay(io.podnet.node.cilium.HelmValues.of(tree)));
      } catch (io.podnet.node.cilium.HelmException e) {
        problem("cilium.set", e.getMessage());
      }
    }
    return new LabSpec.CiliumSpec(version, set);
  }

  private HostSpec host(String name, JsonNode n, Map<String, SegmentSpec> segments) {
    String path = "hosts." + name;
    if (!NAME.matcher(name).matches()) {
      problem(path, "\"" + name + "\" is not a valid host name (lower-case letters, digits and '-')");
    }
    if (!object(n, path, fields("kind", "forwarding", "interfaces", "routes", "etcHosts", "labels"))) {
      if (n == null || n.isNull()) {
        problem(path, "needs at least interfaces");
      }
      return new HostSpec(name, HostKind.HOST, false, List.of(), List.of(), Map.of(), Map.of());
    }
    String k = text(n.get("kind"), path + ".kind", "host", false);
    HostKind kind = switch (k) {
      case "host" -> HostKind.HOST;
      case "router" -> HostKind.ROUTER;
      case "node" -> HostKind.NODE;
      default -> {
        problem(path + ".kind", "\"" + k + "\" is not one of host, router, node");
        yield HostKind.HOST;
      }
    };
    boolean forwarding = kind != HostKind.HOST;
    JsonNode fw = n.get("forwarding");
    if (fw != null && !fw.isNull()) {
      if (!fw.isBoolean()) {
        problem(path + ".forwarding", "expected true or false, found " + kind(fw));
      } else {
        forwarding = fw.asBoolean();
      }
    }
    List<InterfaceSpec> ifaces = new ArrayList<>();
    JsonNode is = n.get("interfaces");
    if (is == null || is.isNull()) {
      problem(path + ".interfaces", "is required");
    } else if (!is.isObject()) {
      problem(path + ".interfaces", "expected a mapping of interface names, found " + kind(is));
    } else {
      is.fields().forEachRemaining(e -> ifaces.add(iface(path + ".interfaces." + e.getKey(), e.getKey(), e.getValue(),
          segments)));
    }
    List<String> routes = new ArrayList<>();
    JsonNode rs = n.get("routes");
    if (rs != null && !rs.isNull()) {
      if (!rs.isArray()) {
        problem(path + ".routes", "expected a list of routes, found " + kind(rs));
      } else {
        for (int i = 0; i < rs.size(); i++) {
          routes.add(text(rs.get(i), path + ".routes[" + i + "]", "", true));
        }
      }
    }
    Map<String, String> etcHosts = new LinkedHashMap<>();
    JsonNode eh = n.get("etcHosts");
    if (eh != null && !eh.isNull()) {
      if (!eh.isObject()) {
        problem(path + ".etcHosts", "expected a mapping of address to name, found " + kind(eh));
      } else {
        eh.fields().forEachRemaining(e -> {
          address(e.getKey(), path + ".etcHosts." + e.getKey());
          etcHosts.put(e.getKey(), text(e.getValue(), path + ".etcHosts." + e.getKey(), "", true));
        });
      }
    }
    Map<String, String> labels = new LinkedHashMap<>();
    JsonNode ls = n.get("labels");
    if (ls != null && !ls.isNull()) {
      if (!ls.isObject()) {
        problem(path + ".labels", "expected a mapping of label to value, found " + kind(ls));
      } else if (kind != HostKind.NODE) {
        problem(path + ".labels", "only nodes (kind: node) have Kubernetes labels");
      } else {
        ls.fields().forEachRemaining(e -> labels.put(e.getKey(), text(e.getValue(), path + ".labels." + e.getKey(),
            "", false)));
      }
    }
    return new HostSpec(name, kind, forwarding, ifaces, routes, etcHosts, labels);
  }

  private InterfaceSpec iface(String path, String name, JsonNode n, Map<String, SegmentSpec> segments) {
    if (!IFNAME.matcher(name).matches()) {
      problem(path, "\"" + name + "\" is not a valid interface name (at most 15 characters)");
    }
    if (!object(n, path, fields("segment", "nat", "kind", "mac", "address", "addresses", "mtu"))) {
      if (n == null || n.isNull()) {
        problem(path, "needs a segment, nat or kind: dummy");
      }
      return new InterfaceSpec(name, InterfaceKind.ETHERNET, null, null, null, List.of(), 1500);
    }
    String k = text(n.get("kind"), path + ".kind", "ethernet", false);
    InterfaceKind kind = switch (k) {
      case "ethernet" -> InterfaceKind.ETHERNET;
      case "dummy" -> InterfaceKind.DUMMY;
      default -> {
        problem(path + ".kind", "\"" + k + "\" is not one of ethernet, dummy");
        yield InterfaceKind.ETHERNET;
      }
    };
    String segment = text(n.get("segment"), path + ".segment", null, false);
    NatSpec nat = null;
    JsonNode natNode = n.get("nat");
    if (natNode != null && !natNode.isNull() && !(natNode.isBoolean() && !natNode.asBoolean())) {
      nat = nat(path + ".nat", natNode);
    }
    int mtu = 1500;
    if (segment != null) {
      SegmentSpec seg = segments.get(segment);
      if (seg == null) {
        problem(path + ".segment", "no segment named \"" + segment + "\" (segments: "
            + (segments.isEmpty() ? "none" : String.join(", ", segments.keySet())) + ")");
      } else {
        mtu = seg.mtu();
      }
    }
    mtu = integer(n.get("mtu"), path + ".mtu", mtu, 68, 65535);
    int attachments = (segment != null ? 1 : 0) + (nat != null ? 1 : 0) + (kind == InterfaceKind.DUMMY ? 1 : 0);
    if (attachments == 0) {
      problem(path, "needs one of segment, nat, or kind: dummy");
    } else if (attachments > 1) {
      problem(path, "takes only one of segment, nat, or kind: dummy");
    }
    String mac = text(n.get("mac"), path + ".mac", null, false);
    if (mac != null) {
      try {
        MacAddress m = MacAddress.parse(mac);
        if (m.isMulticast()) {
          problem(path + ".mac", "\"" + mac + "\" is a multicast address");
        }
      } catch (IllegalArgumentException e) {
        problem(path + ".mac", "\"" + mac + "\" is not a MAC address such as 08:00:27:af:e6:df");
      }
    }
    List<String> addrs = new ArrayList<>();
    if (n.has("address") && n.has("addresses")) {
      problem(path, "takes address or addresses, not both");
    }
    JsonNode a = n.has("address") ? n.get("address") : n.get("addresses");
    String apath = path + (n.has("address") ? ".address" : ".addresses");
    if (a != null && !a.isNull()) {
      if (a.isArray()) {
        for (int i = 0; i < a.size(); i++) {
          addrs.add(prefix(text(a.get(i), apath + "[" + i + "]", "", true), apath + "[" + i + "]"));
        }
      } else {
        addrs.add(prefix(text(a, apath, "", true), apath));
      }
    }
    if (nat != null) {
      if (!addrs.isEmpty()) {
        problem(path, "a NAT uplink gets its address by DHCP: set nat.address instead");
      }
      Ipv4Prefix net = Ipv4Prefix.parse(nat.network());
      addrs = List.of(nat.address() + "/" + net.length());
    }
    return new InterfaceSpec(name, kind, segment, nat, mac, addrs, mtu);
  }

  private NatSpec nat(String path, JsonNode n) {
    NatSpec d = NatSpec.VIRTUALBOX;
    if (n.isBoolean()) {
      return d;
    }
    if (!object(n, path, fields("network", "address", "gateway", "dns", "metric"))) {
      return d;
    }
    String network = text(n.get("network"), path + ".network", d.network(), false);
    String address = text(n.get("address"), path + ".address", d.address(), false);
    String gateway = text(n.get("gateway"), path + ".gateway", d.gateway(), false);
    String dns = text(n.get("dns"), path + ".dns", d.dns(), false);
    int metric = integer(n.get("metric"), path + ".metric", d.metric(), 0, Integer.MAX_VALUE);
    Ipv4Prefix net = null;
    try {
      net = Ipv4Prefix.parse(network);
    } catch (IllegalArgumentException e) {
      problem(path + ".network", "\"" + network + "\" is not an IPv4 prefix such as 10.0.2.0/24");
    }
    for (String[] f : new String[][] {{"address", address}, {"gateway", gateway}, {"dns", dns}}) {
      Ipv4Address ip = address(f[1], path + "." + f[0]);
      if (ip != null && net != null && !net.contains(ip)) {
        problem(path + "." + f[0], f[1] + " is not in the NAT network " + network);
      }
    }
    return new NatSpec(network, address, gateway, dns, metric);
  }

  private Ipv4Address address(String s, String path) {
    try {
      return Ipv4Address.parse(s);
    } catch (IllegalArgumentException e) {
      problem(path, "\"" + s + "\" is not an IPv4 address");
      return null;
    }
  }

  private String prefix(String s, String path) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      problem(path, "\"" + s + "\" needs a prefix length, such as " + s + "/24");
      return s;
    }
    try {
      Ipv4Address.parse(s.substring(0, slash));
      int len = Integer.parseInt(s.substring(slash + 1));
      if (len < 0 || len > 32) {
        throw new NumberFormatException();
      }
    } catch (IllegalArgumentException e) {
      problem(path, "\"" + s + "\" is not an IPv4 address with a prefix length, such as 192.168.10.100/24");
    }
    return s;
  }

  /** Addresses must be unique per segment, and MACs per lab. */
  private void checkAddresses(List<HostSpec> hosts) {
    Map<String, String> seen = new HashMap<>();
    Map<String, String> macs = new HashMap<>();
    for (HostSpec h : hosts) {
      for (InterfaceSpec i : h.interfaces()) {
        String where = "hosts." + h.name() + ".interfaces." + i.name();
        if (i.mac() != null) {
          String prev = macs.putIfAbsent(i.mac().toLowerCase(), where);
          if (prev != null) {
            problem(where + ".mac", i.mac() + " is also the MAC of " + prev);
          }
        }
        if (i.segment() == null) {
          continue;
        }
        for (String a : i.addresses()) {
          String ip = a.contains("/") ? a.substring(0, a.indexOf('/')) : a;
          String prev = seen.putIfAbsent(i.segment() + " " + ip, where);
          if (prev != null) {
            problem(where, ip + " is also configured on " + prev + " (same segment " + i.segment() + ")");
          }
        }
      }
    }
  }
}
