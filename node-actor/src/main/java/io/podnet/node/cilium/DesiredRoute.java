package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.route.Protocol;
import io.podnet.netstack.route.RouteRequest;
import io.podnet.netstack.route.RouteTable;
import io.podnet.netstack.route.RouteType;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.Ipv4Address;

/**
 * A route the agent wants in the main table, always {@code proto kernel} as Cilium installs them.
 *
 * @param dst the destination
 * @param gateway {@code via}, or null
 * @param device the output device's name
 * @param prefsrc {@code src}, or null
 * @param scope {@link Scope#LINK} for a device route, {@link Scope#GLOBAL} with a gateway
 * @param mtu the route MTU, 0 for none
 */
public record DesiredRoute(Ipv4Prefix dst, Ipv4Address gateway, String device, Ipv4Address prefsrc, int scope,
    int mtu) {

  /** {@code DST via GW dev DEV proto kernel [src SRC] [mtu MTU]}. */
  public static DesiredRoute via(Ipv4Prefix dst, Ipv4Address gateway, String device, Ipv4Address src, int mtu) {
    return new DesiredRoute(dst, gateway, device, src, Scope.GLOBAL, mtu);
  }

  /** {@code DST dev DEV proto kernel scope link}. */
  public static DesiredRoute link(Ipv4Prefix dst, String device) {
    return new DesiredRoute(dst, null, device, null, Scope.LINK, 0);
  }

  RouteRequest request(int oif) {
    return new RouteRequest(dst, RouteType.UNICAST, RouteTable.MAIN, gateway, oif, prefsrc, 0, mtu, scope,
        Protocol.KERNEL);
  }

  /** As {@code ip route} prints it (without iproute2's trailing blank). */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(dst.toString());
    if (gateway != null) {
      sb.append(" via ").append(gateway);
    }
    sb.append(" dev ").append(device).append(" proto kernel");
    if (scope == Scope.LINK) {
      sb.append(" scope link");
    }
    if (prefsrc != null) {
      sb.append(" src ").append(prefsrc);
    }
    if (mtu != 0) {
      sb.append(" mtu ").append(mtu);
    }
    return sb.toString();
  }
}
