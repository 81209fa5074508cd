package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;

/**
 * One entry of the BPF ipcache (cilium_ipcache_v2): a prefix and its RemoteEndpointInfo.
 *
 * @param prefix the key
 * @param identity the security identity
 * @param tunnelEndpoint the node to tunnel to, or null (printed 0.0.0.0)
 * @param encryptKey the IPsec key index (0: none)
 */
public record IpCacheEntry(Ipv4Prefix prefix, int identity, Ipv4Address tunnelEndpoint, int encryptKey) {
  public IpCacheEntry {
    if (prefix == null || !prefix.isCanonical()) {
      throw new IllegalArgumentException("canonical prefix required: " + prefix);
    }
  }

  /** FlagHasTunnelEndpoint: set exactly when a tunnel endpoint is. */
  public boolean hasTunnel() {
    return tunnelEndpoint != null;
  }

  /** RemoteEndpointInfoFlags.String(). */
  public String flags() {
    return hasTunnel() ? "hastunnel" : "<none>";
  }

  /** The key as cilium-dbg prints it: always with the length ({@code 10.0.2.15/32}). */
  public String key() {
    return prefix.address() + "/" + prefix.length();
  }

  /** RemoteEndpointInfo.String(). */
  public String value() {
    return "identity=" + identity + " encryptkey=" + encryptKey + " tunnelendpoint="
        + (tunnelEndpoint == null ? Ipv4Address.ANY : tunnelEndpoint) + " flags=" + flags();
  }
}
