package io.podnet.proto.packet;

import com.google.protobuf.ByteString;

/**
 * Whole Ethernet frames, lengths and checksums right, with the IPv4 header fields Linux uses:
 *
 * <ul>
 *   <li>echo requests (iputils ping), UDP and TCP: DF set, as a socket with path-MTU discovery
 *       on ({@code IP_PMTUDISC_WANT}, the default) sends a datagram that fits the route;
 *   <li>echo replies and ICMP errors: DF clear, because the kernel's ICMP socket is
 *       {@code IP_PMTUDISC_DONT}; an error's TOS is {@code (offending TOS & 0x1e) | 0xc0}
 *       (precedence "internetwork control"), as {@code __icmp_send} sets it. Both checked against
 *       a capture of a Linux kernel's echo reply and port unreachable.
 * </ul>
 *
 * IPv4 frames are not padded to 60 bytes (a capture on the sending host shows them unpadded; the
 * IPv4 total length tells a receiver where padding would start). ARP frames are padded, see
 * {@link ArpPacket#toFrame()}.
 */
public final class Packets {
  private Packets() {}

  /** IP TOS precedence 6, "internetwork control", which Linux puts on the ICMP errors it sends. */
  public static final int IPTOS_PREC_INTERNETCONTROL = 0xc0;
  /** Linux's IPTOS_TOS_MASK: the TOS bits an ICMP error keeps from the offending datagram. */
  public static final int IPTOS_TOS_MASK = 0x1e;
  /** iputils ping's default data length (-s 56): 64 bytes of ICMP, 84 of IPv4. */
  public static final int PING_DATA_LENGTH = 56;

  /** Ethernet + the IPv4 header as given + the payload. */
  public static byte[] ipv4Frame(MacAddress srcMac, MacAddress dstMac, Ipv4Header ip, byte[] payload, int off,
      int len) {
    Bytes.checkRegion(payload, off, len);
    if (ip.payloadLength() != len) {
      throw new IllegalArgumentException("IPv4 total length " + ip.totalLength() + " does not fit a payload of "
          + len + " bytes after a " + ip.length() + "-byte header");
    }
    byte[] out = new byte[EthernetHeader.LENGTH + ip.totalLength()];
    EthernetHeader.of(dstMac, srcMac, EtherType.IPV4).encode(out, 0);
    ip.encode(out, EthernetHeader.LENGTH);
    System.arraycopy(payload, off, out, EthernetHeader.LENGTH + ip.length(), len);
    return out;
  }

  private static Ipv4Header ip(Ipv4Address src, Ipv4Address dst, int protocol, int payloadLength, int ttl, int ipId,
      boolean df, int tos) {
    return Ipv4Header.builder().source(src).destination(dst).protocol(protocol).payloadLength(payloadLength)
        .ttl(ttl).identification(ipId).dontFragment(df).dscp(tos >>> 2).ecn(tos & 3).build();
  }

  /**
   * An echo request (DF set, as iputils ping sends it) or an echo reply (DF clear, as the
   * kernel answers), TOS 0.
   */
  public static byte[] icmpEcho(MacAddress srcMac, MacAddress dstMac, Ipv4Address srcIp, Ipv4Address dstIp,
      boolean request, int id, int seq, byte[] data, int ttl, int ipId) {
    ByteString body = ByteString.copyFrom(data);
    IcmpMessage m = request ? IcmpMessage.echoRequest(id, seq, body) : IcmpMessage.echoReply(id, seq, body);
    byte[] icmp = m.toBytes();
    return ipv4Frame(srcMac, dstMac, ip(srcIp, dstIp, IpProtocol.ICMP, icmp.length, ttl, ipId, request, 0), icmp, 0,
        icmp.length);
  }

  /**
   * iputils ping's 56 data bytes on x86-64 Linux: the send time as a {@code struct timeval} in
   * host (little-endian) order, 8-byte tv_sec and 8-byte tv_usec, then bytes 0x10, 0x11, ...,
   * 0x37 (ping fills byte i with i, then overwrites the first 16 with the time).
   */
  public static byte[] linuxPingData(long tvSec, long tvUsec) {
    byte[] d = new byte[PING_DATA_LENGTH];
    for (int i = 0; i < 8; i++) {
      d[i] = (byte) (tvSec >>> (8 * i));
      d[8 + i] = (byte) (tvUsec >>> (8 * i));
    }
    for (int i = 16; i < PING_DATA_LENGTH; i++) {
      d[i] = (byte) i;
    }
    return d;
  }

  /**
   * An ICMP error (from {@link IcmpMessage#destinationUnreachable} and friends) sent back to the
   * source of the datagram it quotes, from {@code srcIp}: DF clear, TOS as Linux sets it.
   */
  public static byte[] icmpError(MacAddress srcMac, MacAddress dstMac, Ipv4Address srcIp, IcmpMessage error, int ttl,
      int ipId) {
    Ipv4Header offending = error.quotedHeader();
    int tos = (offending.dscp() << 2 | offending.ecn()) & IPTOS_TOS_MASK | IPTOS_PREC_INTERNETCONTROL;
    byte[] icmp = error.toBytes();
    return ipv4Frame(srcMac, dstMac,
        ip(srcIp, offending.source(), IpProtocol.ICMP, icmp.length, ttl, ipId, false, tos), icmp, 0, icmp.length);
  }

  /** A UDP datagram with its checksum computed, DF set, TOS 0. */
  public static byte[] udp(MacAddress srcMac, MacAddress dstMac, Ipv4Address srcIp, Ipv4Address dstIp, int srcPort,
      int dstPort, byte[] payload, int ttl, int ipId) {
    byte[] seg = new byte[UdpHeader.LENGTH + payload.length];
    System.arraycopy(payload, 0, seg, UdpHeader.LENGTH, payload.length);
    UdpHeader.writeWithChecksum(seg, 0, srcPort, dstPort, payload.length, srcIp, dstIp);
    return ipv4Frame(srcMac, dstMac, ip(srcIp, dstIp, IpProtocol.UDP, seg.length, ttl, ipId, true, 0), seg, 0,
        seg.length);
  }

  /**
   * A TCP segment: ports, numbers, flags, window and options from {@code segment}, the checksum
   * computed over this payload; DF set, TOS 0.
   */
  public static byte[] tcp(MacAddress srcMac, MacAddress dstMac, Ipv4Address srcIp, Ipv4Address dstIp,
      TcpHeader.Builder segment, byte[] payload, int ttl, int ipId) {
    TcpHeader h = segment.build(srcIp, dstIp, payload, 0, payload.length);
    byte[] seg = h.segment(payload, 0, payload.length);
    return ipv4Frame(srcMac, dstMac, ip(srcIp, dstIp, IpProtocol.TCP, seg.length, ttl, ipId, true, 0), seg, 0,
        seg.length);
  }

  /** An ARP frame, padded to 60 bytes, to its natural destination (see {@link ArpPacket#toFrame()}). */
  public static byte[] arp(ArpPacket packet) {
    return packet.toFrame();
  }
}
