package io.podnet.netstack.route;

/**
 * A request the kernel refused: an errno and, as with netlink extended acks, an optional
 * message. iproute2 prints {@code Error: <message>.} when there is one, otherwise
 * {@code RTNETLINK answers: <strerror>}.
 */
public final class NetlinkException extends Exception {
  private final Errno errno;
  private final String extack;

  public NetlinkException(Errno errno, String extack) {
    super(extack != null ? extack : errno.message());
    this.errno = errno;
    this.extack = extack;
  }

  public NetlinkException(Errno errno) {
    this(errno, null);
  }

  public Errno errno() {
    return errno;
  }

  /** The extended-ack message, or null. */
  public String extack() {
    return extack;
  }

  /** The line iproute2 prints on stderr for this error (without the newline). */
  public String iproute2Line() {
    if (extack != null) {
      return "Error: " + extack + (extack.endsWith(".") ? "" : ".");
    }
    return "RTNETLINK answers: " + errno.message();
  }
}
