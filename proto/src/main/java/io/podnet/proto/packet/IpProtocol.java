package io.podnet.proto.packet;

/** IP protocol numbers podnet knows by name. The registry is open: other values pass through. */
public final class IpProtocol {
  private IpProtocol() {}

  public static final int ICMP = 1;
  public static final int TCP = 6;
  public static final int UDP = 17;

  public static String name(int protocol) {
    return switch (protocol) {
      case ICMP -> "ICMP";
      case TCP -> "TCP";
      case UDP -> "UDP";
      default -> Integer.toString(protocol);
    };
  }
}
