package io.podnet.netstack.route;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;

/**
 * One FIB entry (a fib_alias with its fib_info and single nexthop).
 *
 * @param dst the destination, canonical
 * @param type the route type
 * @param table the table id ({@link RouteTable#MAIN}, {@link RouteTable#LOCAL})
 * @param gateway the nexthop gateway ({@code via}), or null
 * @param oif the nexthop device's ifindex, 0 for none (error routes)
 * @param prefsrc the preferred source ({@code src}), or null
 * @param metric the priority ({@code metric}), u32
 * @param mtu the MTU metric, 0 for none
 * @param scope the route's scope
 * @param protocol who installed it ({@code proto})
 * @param nhScope the nexthop's scope: the scope of the route that resolved the gateway, {@link
 *     Scope#HOST} for a device route, {@link Scope#NOWHERE} for host-scope routes (which survive
 *     their device going down). A gateway is used (shown by {@code ip route get}) only when this
 *     is {@link Scope#LINK}.
 */
public record Route(
    Ipv4Prefix dst,
    RouteType type,
    int table,
    Ipv4Address gateway,
    int oif,
    Ipv4Address prefsrc,
    long metric,
    int mtu,
    int scope,
    int protocol,
    int nhScope) {

  public Route {
    if (dst == null || type == null) {
      throw new IllegalArgumentException("dst and type are required");
    }
    if (!dst.isCanonical()) {
      throw new IllegalArgumentException("route destination has host bits set: " + dst.address() + "/"
          + dst.length());
    }
    if (metric < 0 || metric > 0xffff_ffffL) {
      throw new IllegalArgumentException("metric out of u32: " + metric);
    }
  }

  /** Whether the kernel marks this route's nexthop dead when {@code ifindex} goes down. */
  public boolean diesWithLinkDown(int ifindex) {
    return oif == ifindex && nhScope != Scope.NOWHERE;
  }

  /** Whether a gateway is actually used to reach the destination (rt_uses_gateway). */
  public boolean usesGateway() {
    return gateway != null && nhScope == Scope.LINK;
  }
}
