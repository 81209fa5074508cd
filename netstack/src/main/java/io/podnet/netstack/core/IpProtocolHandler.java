package io.podnet.netstack.core;

import io.podnet.proto.packet.Ipv4Header;

/**
 * A transport protocol registered with a host's core for one IP protocol number. The core calls
 * it for every datagram addressed to one of the host's own addresses (after IPv4 validation and
 * reassembly), with the whole datagram in {@code buf[off, off+ip.totalLength())}.
 */
public interface IpProtocolHandler {
  /**
   * Delivers a datagram. Returns false when no socket wants it, so that the core answers as the
   * kernel does for that protocol (UDP: ICMP port unreachable; TCP answers with RST itself and
   * returns true).
   */
  boolean receive(Ipv4Header ip, byte[] buf, int off, String dev);

  /**
   * An ICMP error (destination unreachable, time exceeded, fragmentation needed) arrived quoting
   * a datagram this protocol sent; {@code quoted} holds the quoted IPv4 header and as much of the
   * payload as was quoted, starting at {@code off}.
   */
  default void icmpError(int type, int code, long restOfHeader, byte[] quoted, int off, int len) {}
}
