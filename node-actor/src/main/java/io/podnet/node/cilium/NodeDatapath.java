package io.podnet.node.cilium;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.Protocol;
import io.podnet.netstack.route.Route;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteTable;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * What the Cilium agent does to its node's kernel networking, as plain code on a {@link
 * HostStack}: the cilium_net / cilium_host veth pair with the router IP, the tunnel device, and
 * the node routes.
 *
 * <p>Routes ({@link #plan}):
 * <ul>
 *   <li>always: {@code ROUTER dev cilium_host proto kernel scope link} and the own podCIDR
 *       {@code via ROUTER dev cilium_host proto kernel src ROUTER};
 *   <li>tunnel mode: every other node's podCIDR the same way, with {@code mtu} = the underlay
 *       MTU minus the encapsulation overhead (1450 on a 1500 underlay);
 *   <li>native mode with auto-direct-node-routes: {@code PODCIDR via NODEIP dev DEV proto kernel}
 *       for every other node whose InternalIP the kernel reaches without a gateway (Cilium asks
 *       {@code ip route get NODEIP}); for the others Cilium's error, or nothing with
 *       direct-routing-skip-unreachable.
 * </ul>
 * {@link #reconcile} applies the plan: routes this datapath installed earlier and no longer
 * wanted are deleted (a mode switch drops the old mode's routes), missing ones are written with
 * replace semantics.
 */
public final class NodeDatapath {
  public static final String HOST_DEVICE = "cilium_host";
  public static final String NET_DEVICE = "cilium_net";
  static final String UNREACHABLE_FORMAT = "route to destination %s contains gateway %s, must be directly reachable."
      + " Add `direct-routing-skip-unreachable` to skip unreachable routes";

  private final HostStack host;
  private final RandomGenerator random;
  private final Set<DesiredRoute> installed = new LinkedHashSet<>();

  public NodeDatapath(HostStack host, RandomGenerator random) {
    this.host = host;
    this.random = random;
  }

  public HostStack host() {
    return host;
  }

  private MacAddress randomMac() {
    return MacAddress.randomLocal(random);
  }

  /**
   * Creates cilium_net and cilium_host (in that order, as the agent does) if missing, puts the
   * router IP on cilium_host as a /32 (dropping a previous router IP), and makes the tunnel
   * device match the configuration: created and up in tunnel mode; another protocol's device is
   * set down (HostStack cannot delete devices yet).
   */
  public void ensureDevices(Ipv4Address routerIp, AgentConfig config) {
    if (host.links().byName(HOST_DEVICE).isEmpty()) {
      host.updateLink(host.addLink(NET_DEVICE, LinkKind.VETH, randomMac()).withPeer(HOST_DEVICE));
      Link h = host.addLink(HOST_DEVICE, LinkKind.VETH, randomMac());
      host.updateLink(h.withPeer(NET_DEVICE).withNoArp(true));
    }
    host.setUp(NET_DEVICE, true);
    host.setUp(HOST_DEVICE, true);
    Link h = host.links().byName(HOST_DEVICE).orElseThrow();
    try {
      for (IfAddress a : List.copyOf(h.addresses())) {
        if (!a.local().equals(routerIp)) {
          host.deleteAddress(HOST_DEVICE, a.local(), a.prefixLength());
        }
      }
      if (h.addresses().stream().noneMatch(a -> a.local().equals(routerIp))) {
        host.addAddress(HOST_DEVICE, IfAddress.of(Ipv4Prefix.host(routerIp), HOST_DEVICE));
      }
    } catch (NetlinkException e) {
      throw new IllegalStateException("cilium_host address: " + e.getMessage(), e);
    }
    for (String dev : List.of("cilium_vxlan", "cilium_geneve")) {
      boolean wanted = config.tunneling() && dev.equals(config.tunnelDevice());
      boolean exists = host.links().byName(dev).isPresent();
      if (wanted && !exists) {
        host.addLink(dev, LinkKind.TUNNEL, randomMac());
      }
      if (wanted || exists) {
        host.setUp(dev, wanted);
      }
    }
  }

  /** The MTU under the tunnel: the {@code mtu} option, else the MTU of the device holding the node IP. */
  int underlayMtu(Ipv4Address nodeIp, AgentConfig config) {
    if (config.mtu() > 0) {
      return config.mtu();
    }
    for (Link l : host.links().all()) {
      for (IfAddress a : l.addresses()) {
        if (a.local().equals(nodeIp)) {
          return l.mtu();
        }
      }
    }
    return LinkKind.ETHERNET.defaultMtu();
  }

  /** The routes the agent on {@code localNode} wants, given every node of the cluster. */
  public RoutePlan plan(String localNode, Collection<CiliumNodeInfo> nodes, AgentConfig config) {
    CiliumNodeInfo self = nodes.stream().filter(n -> n.name().equals(localNode)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no CiliumNode " + localNode));
    Ipv4Address router = self.routerIp();
    List<DesiredRoute> routes = new ArrayList<>();
    List<RoutePlan.DirectRouteFailure> failures = new ArrayList<>();
    routes.add(DesiredRoute.link(Ipv4Prefix.host(router), HOST_DEVICE));
    routes.add(DesiredRoute.via(self.podCidr().network(), router, HOST_DEVICE, router, 0));
    List<CiliumNodeInfo> others = nodes.stream().filter(n -> !n.name().equals(localNode))
        .sorted(Comparator.comparing(CiliumNodeInfo::podCidr)).toList();
    if (config.tunneling()) {
      int mtu = underlayMtu(self.internalIp(), config) - Encapsulation.overhead(config.tunnelProtocol(), 0);
      for (CiliumNodeInfo n : others) {
        routes.add(DesiredRoute.via(n.podCidr().network(), router, HOST_DEVICE, router, mtu));
      }
    } else if (config.autoDirectNodeRoutes()) {
      for (CiliumNodeInfo n : others) {
        RouteGet rg;
        try {
          rg = host.routeGet(n.internalIp(), 0);
        } catch (NetlinkException e) {
          failures.add(new RoutePlan.DirectRouteFailure(n.name(),
              "unable to lookup route for node " + n.internalIp() + ": " + e.errno().message()));
          continue;
        }
        if (rg.gateway() != null && !rg.gateway().equals(Ipv4Address.ANY) && !rg.gateway().equals(n.internalIp())) {
          if (!config.directRoutingSkipUnreachable()) {
            failures.add(new RoutePlan.DirectRouteFailure(n.name(),
                String.format(UNREACHABLE_FORMAT, n.internalIp(), rg.gateway())));
          }
          continue;
        }
        String dev = host.links().nameOf(rg.oif());
        if (host.links().byIndex(rg.oif()).map(Link::isLoopback).orElse(false)) {
          failures.add(new RoutePlan.DirectRouteFailure(n.name(), "unable to find local route for destination "
              + n.internalIp() + " which is routed over loopback"));
          continue;
        }
        routes.add(DesiredRoute.via(n.podCidr().network(), n.internalIp(), dev, null, 0));
      }
    }
    return new RoutePlan(routes, failures);
  }

  /** Plans, then makes the main table match: stale routes of ours deleted, missing ones written. */
  public RoutePlan reconcile(String localNode, Collection<CiliumNodeInfo> nodes, AgentConfig config) {
    RoutePlan plan = plan(localNode, nodes, config);
    Set<DesiredRoute> want = new LinkedHashSet<>(plan.routes());
    for (DesiredRoute r : List.copyOf(installed)) {
      if (!want.contains(r)) {
        delete(r);
        installed.remove(r);
      }
    }
    for (DesiredRoute r : want) {
      if (!present(r)) {
        write(r);
      }
      installed.add(r);
    }
    return plan;
  }

  /** The routes this datapath owns on the host now. */
  public Set<DesiredRoute> installed() {
    return Set.copyOf(installed);
  }

  private int oif(DesiredRoute r) {
    return host.links().byName(r.device()).map(Link::index).orElse(0);
  }

  private boolean present(DesiredRoute r) {
    int oif = oif(r);
    for (Route e : host.table(RouteTable.MAIN).leaf(r.dst())) {
      if (e.protocol() == Protocol.KERNEL && e.oif() == oif && e.scope() == r.scope() && e.mtu() == r.mtu()
          && Objects.equals(e.gateway(), r.gateway()) && Objects.equals(e.prefsrc(), r.prefsrc())) {
        return true;
      }
    }
    return false;
  }

  private void write(DesiredRoute r) {
    try {
      host.writeRoute(r.request(oif(r)), HostStack.WriteMode.REPLACE);
    } catch (NetlinkException e) {
      throw new IllegalStateException("Unable to update route " + r + ": " + e.iproute2Line(), e);
    }
  }

  private void delete(DesiredRoute r) {
    int oif = oif(r);
    if (oif == 0) {
      return; // the device went, and its routes with it
    }
    try {
      host.deleteRoute(r.request(oif));
    } catch (NetlinkException e) {
      if (e.errno() != Errno.ESRCH) {
        throw new IllegalStateException("Unable to delete route " + r + ": " + e.iproute2Line(), e);
      }
    }
  }
}
