package io.podnet.netstack.route;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;

/**
 * A route as an RTM_NEWROUTE / RTM_DELROUTE request carries it (the kernel's fib_config). For a
 * delete, unset fields match anything: type null, scope {@link Scope#NOWHERE}, protocol 0,
 * metric 0, oif 0, gateway and prefsrc null, mtu 0.
 *
 * @param dst the destination as given (host bits are rejected by the kernel)
 * @param type the type, or null (delete only)
 * @param table the table id
 * @param gateway {@code via}, or null
 * @param oif the device's ifindex, 0 for none
 * @param prefsrc {@code src}, or null
 * @param metric {@code metric}
 * @param mtu the MTU metric, 0 for none
 * @param scope the scope
 * @param protocol {@code proto}
 */
public record RouteRequest(
    Ipv4Prefix dst,
    RouteType type,
    int table,
    Ipv4Address gateway,
    int oif,
    Ipv4Address prefsrc,
    long metric,
    int mtu,
    int scope,
    int protocol) {

  public RouteRequest {
    if (dst == null) {
      throw new IllegalArgumentException("dst is required");
    }
  }

  /**
   * A unicast route into main as {@code ip route add} builds it: proto boot, scope global with a
   * gateway and link without.
   */
  public static RouteRequest unicast(Ipv4Prefix dst, Ipv4Address via, int oif) {
    return new RouteRequest(dst, RouteType.UNICAST, RouteTable.MAIN, via, oif, null, 0, 0,
        via == null ? Scope.LINK : Scope.GLOBAL, Protocol.BOOT);
  }

  /** A delete request matching any route with this destination in main. */
  public static RouteRequest deleteAny(Ipv4Prefix dst) {
    return new RouteRequest(dst, null, RouteTable.MAIN, null, 0, null, 0, 0, Scope.NOWHERE, 0);
  }

  public RouteRequest withPrefsrc(Ipv4Address src) {
    return new RouteRequest(dst, type, table, gateway, oif, src, metric, mtu, scope, protocol);
  }

  public RouteRequest withMetric(long m) {
    return new RouteRequest(dst, type, table, gateway, oif, prefsrc, m, mtu, scope, protocol);
  }

  public RouteRequest withMtu(int m) {
    return new RouteRequest(dst, type, table, gateway, oif, prefsrc, metric, m, scope, protocol);
  }

  public RouteRequest withScope(int s) {
    return new RouteRequest(dst, type, table, gateway, oif, prefsrc, metric, mtu, s, protocol);
  }

  public RouteRequest withProtocol(int p) {
    return new RouteRequest(dst, type, table, gateway, oif, prefsrc, metric, mtu, scope, p);
  }

  public RouteRequest withType(RouteType t) {
    return new RouteRequest(dst, t, table, gateway, oif, prefsrc, metric, mtu, scope, protocol);
  }

  public RouteRequest withTable(int t) {
    return new RouteRequest(dst, type, t, gateway, oif, prefsrc, metric, mtu, scope, protocol);
  }
}
