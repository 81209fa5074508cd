package io.podnet.netstack.route;

import io.podnet.proto.packet.Ipv4Address;

/**
 * The answer to RTM_GETROUTE for an output route ({@code ip route get ADDR}): the cloned route
 * as rt_fill_info reports it.
 *
 * @param dst the destination asked about
 * @param type unicast, local or broadcast
 * @param gateway the gateway when one is used (rt_uses_gateway), else null
 * @param oif the output device
 * @param table the table the FIB result came from
 * @param src the chosen source address, or null when none could be chosen
 * @param mtu the route's MTU metric, 0 for none
 */
public record RouteGet(
    Ipv4Address dst, RouteType type, Ipv4Address gateway, int oif, int table, Ipv4Address src, int mtu) {}
