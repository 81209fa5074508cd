package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's ipcache as the agent fills it from what it knows about the cluster:
 * <ul>
 *   <li>its own host addresses and router IP: identity host (1), no tunnel;
 *   <li>other nodes' InternalIPs: remote-node (6), no tunnel;
 *   <li>other nodes' router IPs: remote-node (6), tunnel endpoint = that node's InternalIP;
 *   <li>local endpoints: their identity, no tunnel; remote endpoints: their identity, tunnel
 *       endpoint = their node's InternalIP (the agent records the host IP in both modes);
 *   <li>in tunnel mode, other nodes' podCIDRs: world (2) with the node as tunnel endpoint, so
 *       traffic to a not-yet-known pod is still encapsulated to the right node;
 *   <li>0.0.0.0/0: world (2).
 * </ul>
 */
public final class IpCache {
  private IpCache() {}

  /**
   * The entries for {@code localNode}.
   *
   * @param localNode this node's name
   * @param localHostAddresses this host's own addresses (every global address of its devices)
   * @param nodes every CiliumNode, this one included
   * @param endpoints every CiliumEndpoint in the cluster
   * @param config the agent configuration
   */
  public static List<IpCacheEntry> build(String localNode, Collection<Ipv4Address> localHostAddresses,
      Collection<CiliumNodeInfo> nodes, Collection<EndpointInfo> endpoints, AgentConfig config) {
    Map<Ipv4Prefix, IpCacheEntry> m = new LinkedHashMap<>();
    Map<String, CiliumNodeInfo> byName = new LinkedHashMap<>();
    for (CiliumNodeInfo n : nodes) {
      byName.put(n.name(), n);
    }
    put(m, Ipv4Prefix.DEFAULT, ReservedIdentity.WORLD.id(), null);
    for (CiliumNodeInfo n : nodes) {
      if (n.name().equals(localNode)) {
        continue;
      }
      if (config.tunneling()) {
        put(m, n.podCidr().network(), ReservedIdentity.WORLD.id(), n.internalIp());
      }
      put(m, Ipv4Prefix.host(n.internalIp()), ReservedIdentity.REMOTE_NODE.id(), null);
      put(m, Ipv4Prefix.host(n.routerIp()), ReservedIdentity.REMOTE_NODE.id(), n.internalIp());
    }
    for (EndpointInfo e : endpoints) {
      CiliumNodeInfo n = byName.get(e.nodeName());
      boolean local = e.nodeName().equals(localNode);
      if (!local && n == null) {
        continue; // the node is not known yet: the agent cannot tunnel to it
      }
      put(m, Ipv4Prefix.host(e.ip()), e.identity(), local ? null : n.internalIp());
    }
    CiliumNodeInfo self = byName.get(localNode);
    if (self != null) {
      put(m, Ipv4Prefix.host(self.routerIp()), ReservedIdentity.HOST.id(), null);
      put(m, Ipv4Prefix.host(self.internalIp()), ReservedIdentity.HOST.id(), null);
    }
    for (Ipv4Address a : localHostAddresses) {
      put(m, Ipv4Prefix.host(a), ReservedIdentity.HOST.id(), null);
    }
    return new ArrayList<>(m.values());
  }

  private static void put(Map<Ipv4Prefix, IpCacheEntry> m, Ipv4Prefix p, int id, Ipv4Address tunnel) {
    m.put(p, new IpCacheEntry(p, id, tunnel, 0));
  }

  /** The order {@link #list} prints in: by address, then longer prefixes first. */
  public static final Comparator<IpCacheEntry> LIST_ORDER =
      Comparator.comparing(IpCacheEntry::prefix);

  /**
   * {@code cilium-dbg bpf ipcache list}: TablePrinter's tabwriter (minwidth 5, padding 3), the
   * header {@code IP PREFIX/ADDRESS\tIDENTITY}, one {@code key\tvalue\t} line per entry (so the
   * value column carries trailing blanks up to the widest value plus 3). cilium-dbg walks a Go
   * map, so its row order changes from run to run; this prints rows in {@link #LIST_ORDER}.
   */
  public static String list(Collection<IpCacheEntry> entries) {
    if (entries.isEmpty()) {
      return "";
    }
    TabWriter w = new TabWriter(5, 3);
    w.line("IP PREFIX/ADDRESS\tIDENTITY");
    entries.stream().sorted(LIST_ORDER).forEach(e -> w.line(e.key() + "\t" + e.value() + "\t"));
    return w.flush();
  }

  /** What cilium-dbg prints on stderr for an empty map. */
  public static final String NO_ENTRIES = "No entries found.\n";
}
