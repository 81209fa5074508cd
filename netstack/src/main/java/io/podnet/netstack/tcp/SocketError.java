package io.podnet.netstack.tcp;

/** The errnos a TCP socket reports to its owner, with their numbers and strerror's text. */
public enum SocketError {
  EPIPE(32, "Broken pipe"),
  EPROTO(71, "Protocol error"),
  EMSGSIZE(90, "Message too long"),
  ENOPROTOOPT(92, "Protocol not available"),
  EADDRINUSE(98, "Address already in use"),
  EADDRNOTAVAIL(99, "Cannot assign requested address"),
  ENETUNREACH(101, "Network is unreachable"),
  ECONNRESET(104, "Connection reset by peer"),
  ENOTCONN(107, "Transport endpoint is not connected"),
  ETIMEDOUT(110, "Connection timed out"),
  ECONNREFUSED(111, "Connection refused"),
  EHOSTDOWN(112, "Host is down"),
  EHOSTUNREACH(113, "No route to host"),
  EOPNOTSUPP(95, "Operation not supported"),
  ENONET(64, "Machine is not on the network");

  private final int errno;
  private final String message;

  SocketError(int errno, String message) {
    this.errno = errno;
    this.message = message;
  }

  public int errno() {
    return errno;
  }

  /** strerror(errno). */
  public String message() {
    return message;
  }

  /** The error for an errno an {@link io.podnet.netstack.core.IpSender} returned, or null for 0. */
  public static SocketError ofErrno(int errno) {
    for (SocketError e : values()) {
      if (e.errno == errno) {
        return e;
      }
    }
    return errno == 0 ? null : EHOSTUNREACH;
  }

  /**
   * icmp_err_convert (net/ipv4/icmp.c) for destination unreachable: the errno for {@code code}.
   * Fragmentation needed (4) is not an error for TCP (path MTU discovery handles it).
   */
  static SocketError ofUnreachableCode(int code) {
    return switch (code) {
      case 0, 6, 9, 11 -> ENETUNREACH; // net unreachable / unknown / prohibited / unreachable for TOS
      case 1, 10, 12, 13, 14, 15 -> EHOSTUNREACH;
      case 2 -> ENOPROTOOPT;
      case 3 -> ECONNREFUSED;
      case 4 -> EMSGSIZE;
      case 5 -> EOPNOTSUPP;
      case 7 -> EHOSTDOWN;
      case 8 -> ENONET;
      default -> EHOSTUNREACH;
    };
  }
}
