package io.podnet.netstack.core;

import io.podnet.proto.packet.Ipv4Address;

/**
 * How a transport protocol (UDP, TCP) in a host's core hands a datagram to IPv4 for sending: the
 * core routes it, picks the source address when none is given, resolves the next hop's MAC
 * (queueing while ARP runs) and transmits, exactly as the kernel's ip_queue_xmit path does.
 */
public interface IpSender {
  /** Errno-style results, as the kernel returns them to a socket (0 = sent or queued). */
  int OK = 0;
  int ENETUNREACH = 101;
  int EHOSTUNREACH = 113;
  int EACCES = 13;
  int EMSGSIZE = 90;

  /**
   * The source address the kernel would choose for a datagram to {@code dst} (route lookup and
   * preferred source, as {@code ip route get} shows), or null when there is no route.
   */
  Ipv4Address sourceFor(Ipv4Address dst);

  /**
   * Sends an IPv4 datagram whose payload (the transport header and data, checksum already
   * computed) is {@code payload[off, off+len)}. {@code df} sets Don't Fragment; {@code ttl} 0
   * means the host's default (64).
   *
   * @return {@link #OK} or an errno such as {@link #ENETUNREACH}
   */
  int send(Ipv4Address src, Ipv4Address dst, int protocol, int ttl, boolean df, byte[] payload, int off, int len);
}
