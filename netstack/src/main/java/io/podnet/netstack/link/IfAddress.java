package io.podnet.netstack.link;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.Ipv4Address;

/**
 * An IPv4 address on a link ({@code inet A/len}), as the kernel's in_ifaddr holds it.
 *
 * @param local the address
 * @param prefixLength its subnet's length
 * @param broadcast the broadcast address given with {@code brd}, or null
 * @param scope its scope (global, or host for 127/8)
 * @param metric the metric its prefix route gets (IFA_RT_PRIORITY), 0 for none
 * @param label the label (the device name unless set)
 * @param secondary whether it is a secondary address (another primary covers its subnet)
 * @param noPrefixRoute IFA_F_NOPREFIXROUTE: the kernel adds no prefix route for it
 */
public record IfAddress(
    Ipv4Address local,
    int prefixLength,
    Ipv4Address broadcast,
    int scope,
    long metric,
    String label,
    boolean secondary,
    boolean noPrefixRoute) {

  /** An address without flags other than {@code secondary}. */
  public IfAddress(Ipv4Address local, int prefixLength, Ipv4Address broadcast, int scope, long metric, String label,
      boolean secondary) {
    this(local, prefixLength, broadcast, scope, metric, label, secondary, false);
  }

  public IfAddress {
    if (local == null || label == null) {
      throw new IllegalArgumentException("local and label are required");
    }
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("prefix length out of 0..32: " + prefixLength);
    }
    if (metric < 0 || metric > 0xffff_ffffL) {
      throw new IllegalArgumentException("metric out of u32: " + metric);
    }
  }

  /** An address as {@code ip addr add A/len dev D} makes it: no brd, scope by address, no metric. */
  public static IfAddress of(Ipv4Prefix prefix, String dev) {
    return new IfAddress(prefix.address(), prefix.length(), null, defaultScope(prefix.address()), 0, dev,
        false);
  }

  /** iproute2's default_scope: host for 127.0.0.0/8, else global. */
  public static int defaultScope(Ipv4Address a) {
    return (a.value() >>> 24) == 127 ? Scope.HOST : Scope.GLOBAL;
  }

  public IfAddress withBroadcast(Ipv4Address brd) {
    return new IfAddress(local, prefixLength, brd, scope, metric, label, secondary, noPrefixRoute);
  }

  public IfAddress withMetric(long m) {
    return new IfAddress(local, prefixLength, broadcast, scope, m, label, secondary, noPrefixRoute);
  }

  public IfAddress withScope(int s) {
    return new IfAddress(local, prefixLength, broadcast, s, metric, label, secondary, noPrefixRoute);
  }

  public IfAddress withSecondary(boolean s) {
    return new IfAddress(local, prefixLength, broadcast, scope, metric, label, s, noPrefixRoute);
  }

  public IfAddress withLabel(String l) {
    return new IfAddress(local, prefixLength, broadcast, scope, metric, l, secondary, noPrefixRoute);
  }

  public IfAddress withNoPrefixRoute(boolean n) {
    return new IfAddress(local, prefixLength, broadcast, scope, metric, label, secondary, n);
  }

  /** The subnet, canonical. */
  public Ipv4Prefix subnet() {
    return new Ipv4Prefix(local, prefixLength).network();
  }

  public int mask() {
    return Ipv4Prefix.maskOf(prefixLength);
  }

  /** inet_ifa_match: whether {@code a} is in this address's subnet. */
  public boolean matches(Ipv4Address a) {
    return ((a.value() ^ local.value()) & mask()) == 0;
  }
}
