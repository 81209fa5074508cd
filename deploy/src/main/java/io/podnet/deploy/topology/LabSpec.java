package io.podnet.deploy.topology;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import io.podnet.proto.packet.MacAddress;

/**
 * A lab as its topology file describes it: L2 segments, and hosts with their interfaces, addresses
 * and routes. Nothing about a lab is built into podnet: every name and address comes from here.
 */
public record LabSpec(String name, long seed, String macPrefix, List<SegmentSpec> segments, List<HostSpec> hosts,
    CiliumSpec cilium, List<String> manifests) {
  public LabSpec {
    segments = List.copyOf(segments);
    hosts = List.copyOf(hosts);
    manifests = List.copyOf(manifests);
  }

  /** A lab without Kubernetes workloads or a Cilium installation. */
  public LabSpec(String name, long seed, String macPrefix, List<SegmentSpec> segments, List<HostSpec> hosts) {
    this(name, seed, macPrefix, segments, hosts, null, List.of());
  }

  /**
   * Cilium as {@code helm install cilium cilium/cilium --version VERSION --set ...} installed it:
   * the {@code --set} arguments (helm's syntax) over the chart's defaults.
   */
  public record CiliumSpec(String version, List<String> set) {
    public CiliumSpec {
      set = List.copyOf(set);
    }
  }

  public Optional<HostSpec> host(String name) {
    return hosts.stream().filter(h -> h.name().equals(name)).findFirst();
  }

  /**
   * The MAC of an interface: as the topology sets it, or derived from the lab's seed, the host and
   * the interface (the lab's OUI and three bytes that stay the same from run to run).
   */
  public MacAddress macOf(String host, InterfaceSpec iface) {
    if (iface.mac() != null) {
      return MacAddress.parse(iface.mac());
    }
    long oui = MacAddress.parse(macPrefix + ":00:00:00").value();
    long h = new SplittableRandom(seed ^ (host + "/" + iface.name()).hashCode() * 0x9E3779B97F4A7C15L).nextLong();
    return new MacAddress(oui | (h & 0xffffffL));
  }

  /** A broadcast domain: the L2 switch that connects the interfaces naming it. */
  public record SegmentSpec(String name, int mtu) {}

  public enum HostKind { HOST, ROUTER, NODE }

  /**
   * A host. {@code routes} are {@code ip route add} arguments (e.g. {@code 10.10.0.0/16 via
   * 192.168.20.200 proto static}); {@code etcHosts} maps addresses to the names this host's
   * /etc/hosts gives them (what {@code arp -a} prints instead of {@code ?}); {@code labels} are a node's
   * Kubernetes labels beyond the ones every kubelet sets (e.g. node-role.kubernetes.io/control-plane).
   */
  public record HostSpec(String name, HostKind kind, boolean forwarding, List<InterfaceSpec> interfaces,
      List<String> routes, Map<String, String> etcHosts, Map<String, String> labels) {
    public HostSpec {
      interfaces = List.copyOf(interfaces);
      routes = List.copyOf(routes);
      etcHosts = Map.copyOf(etcHosts);
      labels = Map.copyOf(labels);
    }
  }

  public enum InterfaceKind { ETHERNET, DUMMY }

  /**
   * An interface: on a segment, or a NAT uplink (its own private segment with a gateway, as a
   * VirtualBox NAT adapter), or a dummy device. {@code mac} null means derived from the lab's seed.
   */
  public record InterfaceSpec(String name, InterfaceKind kind, String segment, NatSpec nat, String mac,
      List<String> addresses, int mtu) {
    public InterfaceSpec {
      addresses = List.copyOf(addresses);
    }
  }

  /**
   * A NAT uplink configured by DHCP, as VirtualBox's NAT adapter does it: the host gets
   * {@code address} in {@code network}, a default route via {@code gateway}, host routes to the
   * gateway and the DNS server, all {@code proto dhcp} with {@code metric}. The gateway answers ARP
   * and drops whatever it cannot deliver (there is no internet in a lab).
   */
  public record NatSpec(String network, String address, String gateway, String dns, int metric) {
    public static final NatSpec VIRTUALBOX = new NatSpec("10.0.2.0/24", "10.0.2.15", "10.0.2.2", "10.0.2.3", 100);
  }
}
