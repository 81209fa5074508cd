package io.podnet.netstack.actor;

import io.podnet.netstack.serialization.KryoMessage;
import java.util.List;
import java.util.Map;

/**
 * Everything a host actor needs to build its kernel state: links with their addresses, routes (as
 * {@code ip route add} arguments, applied in order), forwarding, /etc/hosts, and the seed of its
 * randomness. Plain data, so that a host can be started in another JVM.
 */
public record HostConfig(String name, long seed, boolean forwarding, List<LinkConfig> links, List<String> routes,
    Map<String, String> etcHosts) implements KryoMessage {
  public HostConfig {
    links = List.copyOf(links);
    routes = List.copyOf(routes);
    etcHosts = Map.copyOf(etcHosts);
  }

  /**
   * A link: {@code kind} "ethernet" (attached to {@code segment}) or "dummy"; addresses as
   * {@code A/len}; {@code addressMetric} the metric of their connected routes (DHCP sets 100).
   */
  public record LinkConfig(String name, String kind, String segment, String mac, int mtu, List<String> addresses,
      long addressMetric) implements KryoMessage {
    public LinkConfig {
      addresses = List.copyOf(addresses);
    }
  }
}
