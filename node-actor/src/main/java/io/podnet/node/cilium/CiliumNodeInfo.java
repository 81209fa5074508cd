package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;

/**
 * What a CiliumNode tells every agent about a node: its name, InternalIP, podCIDR and
 * CiliumInternalIP (the router IP on its cilium_host).
 */
public record CiliumNodeInfo(String name, Ipv4Address internalIp, Ipv4Prefix podCidr, Ipv4Address routerIp) {
  public CiliumNodeInfo {
    if (name == null || internalIp == null || podCidr == null || routerIp == null) {
      throw new IllegalArgumentException("name, internalIp, podCidr and routerIp are required");
    }
    if (!podCidr.contains(routerIp)) {
      throw new IllegalArgumentException("router IP " + routerIp + " is not in podCIDR " + podCidr);
    }
  }
}
