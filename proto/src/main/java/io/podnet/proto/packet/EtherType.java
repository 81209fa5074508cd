package io.podnet.proto.packet;

/** EtherType values podnet knows by name. The registry is open: other values pass through. */
public final class EtherType {
  private EtherType() {}

  public static final int IPV4 = 0x0800;
  public static final int ARP = 0x0806;
  public static final int VLAN = 0x8100;
  public static final int QINQ = 0x88a8;
  public static final int IPV6 = 0x86dd;
  /** Transparent Ethernet bridging: the Geneve protocol type of an inner Ethernet frame. */
  public static final int TRANSPARENT_ETHERNET = 0x6558;

  public static String name(int etherType) {
    return switch (etherType) {
      case IPV4 -> "IPv4";
      case ARP -> "ARP";
      case VLAN -> "802.1Q";
      case QINQ -> "802.1ad";
      case IPV6 -> "IPv6";
      case TRANSPARENT_ETHERNET -> "TEB";
      default -> String.format("0x%04x", etherType);
    };
  }
}
