package io.podnet.node.cilium;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.Route;
import io.podnet.netstack.route.RouteTable;
import io.podnet.netstack.route.RouteType;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cilium 1.18's L2 neighbour discovery ({@code enable-l2-neigh-discovery}, pkg/datapath/neighbor),
 * as plain code on a host's {@link HostCore}.
 *
 * <p>The forwardable IPs are the other nodes' IPs (GetNodeIP: the InternalIP). For every
 * forwardable IP and every selected L2 device (a device with a MAC that Cilium's device detection
 * selects), the desired-neighbour calculator asks the FIB for the route to the IP through that
 * device ({@code RouteGetWithOptions(ip, OifIndex, FIBMatch)}): a route with a gateway makes the
 * gateway the next hop, a route without one the IP itself, no route (EHOSTUNREACH/ENETUNREACH)
 * nothing. So a node on a shared subnet is its own next hop on that subnet's device, a routed
 * node's next hop is the router, and through a device that only has the default route (a NAT
 * uplink) the next hop of every node is the default gateway.
 *
 * <p>The reconciler then writes each desired next hop with RTM_NEWNEIGH (create|replace), no
 * address, NTF_EXT_LEARNED and, the kernel having managed neighbours (5.16+), NTF_EXT_MANAGED:
 * the kernel resolves the entry and keeps it resolved ({@code ip neigh}: {@code managed
 * extern_learn}). Cilium owns the NTF_EXT_LEARNED entries: those no longer desired are deleted
 * (the reconciler's Delete and Prune).
 */
public final class L2NeighDiscovery {
  /** One desired neighbour entry: a next hop on a device (DesiredNeighborKey). */
  public record Desired(String dev, Ipv4Address nextHop) {}

  /** Name prefixes device detection never selects (excludedDevicePrefixes). */
  static final List<String> EXCLUDED_PREFIXES = List.of("cilium_", "lo", "lxc", "cni", "docker");

  static final NeighbourTable.AdminFlags FLAGS = new NeighbourTable.AdminFlags(false, true, true);

  private L2NeighDiscovery() {}

  /**
   * The selected devices with a link-layer address (l2Devices), in ifindex order: up, not
   * loopback, not excluded by name, not a veth without a default route, and carrying a route to a
   * global unicast destination (hasGlobalRoute).
   */
  public static List<Link> l2Devices(HostStack stack) {
    List<Link> out = new ArrayList<>();
    for (Link l : stack.links().all()) {
      if (l.isLoopback() || !l.up() || l.mac() == null || l.mac().equals(MacAddress.ZERO)
          || l.kind() == LinkKind.TUNNEL || EXCLUDED_PREFIXES.stream().anyMatch(p -> l.name().startsWith(p))) {
        continue;
      }
      if (l.kind() == LinkKind.VETH && !hasRoute(stack, l, true)) {
        continue;
      }
      if (hasRoute(stack, l, false)) {
        out.add(l);
      }
    }
    out.sort((a, b) -> Integer.compare(a.index(), b.index()));
    return out;
  }

  /** A route through {@code l} (main and local tables): the default one, or any to a global unicast destination. */
  private static boolean hasRoute(HostStack stack, Link l, boolean defaultRoute) {
    for (int t : new int[] {RouteTable.MAIN, RouteTable.LOCAL}) {
      for (Route r : stack.table(t).routes()) {
        if (r.oif() != l.index()) {
          continue;
        }
        if (defaultRoute ? r.dst().length() == 0 : isGlobalUnicast(r.dst().address())) {
          return true;
        }
      }
    }
    return false;
  }

  /** Go's net.IP.IsGlobalUnicast for IPv4. */
  static boolean isGlobalUnicast(Ipv4Address a) {
    int v = a.value();
    int first = v >>> 24;
    return v != 0 && v != -1 && first != 127 && (first & 0xf0) != 0xe0 && (v >>> 16) != 0xa9fe;
  }

  /** The desired next hops for {@code nodeIps} (the other nodes' IPs) over the host's L2 devices. */
  public static Set<Desired> desired(HostStack stack, Collection<Ipv4Address> nodeIps) {
    Set<Desired> out = new LinkedHashSet<>();
    List<Link> devices = l2Devices(stack);
    for (Ipv4Address ip : nodeIps) {
      for (Link dev : devices) {
        Route r;
        try {
          r = stack.fibLookup(ip, dev.index(), Scope.GLOBAL).route();
        } catch (NetlinkException e) {
          continue; // errNodeIPNotRoutable
        }
        if (r.type() != RouteType.UNICAST) {
          continue;
        }
        out.add(new Desired(dev.name(), r.gateway() != null ? r.gateway() : ip));
      }
    }
    return out;
  }

  /**
   * Makes the host's neighbour table match {@code desired}: each desired entry not yet written
   * ({@code applied} does not hold it) or gone from the table is written (managed, extern_learn,
   * resolved by the kernel), and every extern_learn entry not desired is deleted. {@code applied}
   * is updated to what was written.
   */
  public static void reconcile(HostCore core, Set<Desired> desired, Set<Desired> applied) {
    Set<Desired> present = new LinkedHashSet<>();
    for (NeighbourTable.Snapshot s : core.neighbours().list()) {
      Desired d = new Desired(s.dev(), s.ip());
      if (!s.externLearned()) {
        continue;
      }
      if (desired.contains(d)) {
        present.add(d);
      } else {
        try {
          core.neighbourDelete(s.dev(), s.ip());
        } catch (NetlinkException e) {
          // already gone (ENOENT)
        }
      }
    }
    applied.retainAll(desired);
    for (Desired d : desired) {
      if (applied.contains(d) && present.contains(d)) {
        continue;
      }
      try {
        core.neighbourUpdate(d.dev(), d.nextHop(), null, null, FLAGS, true, false);
        applied.add(d);
      } catch (NetlinkException e) {
        applied.remove(d);
      }
    }
  }
}
