package io.podnet.netstack.link;

import io.podnet.proto.packet.MacAddress;
import java.util.List;

/**
 * A network device: what {@code ip link} shows. Immutable; the {@link LinkTable} swaps versions.
 *
 * @param index the ifindex
 * @param name the device name
 * @param kind what sort of device
 * @param mac its hardware address (all zeros for loopback)
 * @param mtu the MTU
 * @param up administratively up (IFF_UP)
 * @param noArp IFF_NOARP
 * @param txQueueLen the tx queue length ({@code qlen}, not printed when 0)
 * @param qdisc the root qdisc's name ({@code noop} until the device first comes up)
 * @param peer for a veth, the name printed after {@code @}; null otherwise
 * @param altNames alternative names ({@code altname enp0s9})
 * @param addresses IPv4 addresses, in the kernel's list order
 */
public record Link(
    int index,
    String name,
    LinkKind kind,
    MacAddress mac,
    int mtu,
    boolean up,
    boolean noArp,
    int txQueueLen,
    String qdisc,
    String peer,
    List<String> altNames,
    List<IfAddress> addresses) {

  public Link {
    if (index <= 0) {
      throw new IllegalArgumentException("ifindex must be positive: " + index);
    }
    if (name == null || name.isEmpty() || name.length() > 15 || name.contains("/") || name.contains(" ")) {
      throw new IllegalArgumentException("invalid device name: '" + name + "'");
    }
    if (kind == null || mac == null || qdisc == null) {
      throw new IllegalArgumentException("kind, mac and qdisc are required");
    }
    if (mtu <= 0) {
      throw new IllegalArgumentException("mtu must be positive: " + mtu);
    }
    altNames = List.copyOf(altNames);
    addresses = List.copyOf(addresses);
  }

  public Link withUp(boolean u) {
    String q = u && qdisc.equals("noop") ? kind.upQdisc() : qdisc;
    return new Link(index, name, kind, mac, mtu, u, noArp, txQueueLen, q, peer, altNames, addresses);
  }

  public Link withMtu(int m) {
    return new Link(index, name, kind, mac, m, up, noArp, txQueueLen, qdisc, peer, altNames, addresses);
  }

  public Link withNoArp(boolean n) {
    return new Link(index, name, kind, mac, mtu, up, n, txQueueLen, qdisc, peer, altNames, addresses);
  }

  public Link withPeer(String p) {
    return new Link(index, name, kind, mac, mtu, up, noArp, txQueueLen, qdisc, p, altNames, addresses);
  }

  public Link withAltNames(List<String> names) {
    return new Link(index, name, kind, mac, mtu, up, noArp, txQueueLen, qdisc, peer, names, addresses);
  }

  public Link withAddresses(List<IfAddress> a) {
    return new Link(index, name, kind, mac, mtu, up, noArp, txQueueLen, qdisc, peer, altNames, a);
  }

  public boolean isLoopback() {
    return kind == LinkKind.LOOPBACK;
  }
}
