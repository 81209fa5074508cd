package io.podnet.proto.packet;

import java.util.List;

/**
 * VXLAN and Geneve over IPv4, the way Linux's vxlan and geneve devices (and so Cilium's
 * cilium_vxlan / cilium_geneve) put an inner Ethernet frame on the wire, and back.
 *
 * <pre>
 *  outer Ethernet (14) | outer IPv4 (20) | UDP (8) | VXLAN (8) or Geneve (8 + options) | inner Ethernet frame
 *  0                    14                34        42                                   42 + 8 [+ options]
 * </pre>
 *
 * Encapsulation writes the whole frame into one new array: outer IPv4 with the given TTL (Cilium
 * uses 64) and identification, DF clear, no options, header checksum computed; UDP checksum 0, as
 * Linux tunnels send over IPv4 by default. Decapsulation reads fields straight from the array (no
 * header objects on the fast path), verifies the outer IPv4 header checksum and, when non-zero,
 * the UDP checksum, and reports anything malformed as a {@link PacketException}.
 *
 * <p>UDP fields (RFC 768), parsed here directly (podnet's UDP codec is a separate class):
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   Source Port   | Destination Port|
 * +--------+--------+--------+--------+
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * </pre>
 */
public final class Encapsulation {
  private Encapsulation() {}

  public static final int OUTER_ETHERNET_LENGTH = EthernetHeader.LENGTH;
  public static final int OUTER_IPV4_LENGTH = Ipv4Header.MIN_LENGTH;
  public static final int UDP_LENGTH = 8;
  /** Where the tunnel header starts in a frame built here. */
  public static final int TUNNEL_OFFSET = OUTER_ETHERNET_LENGTH + OUTER_IPV4_LENGTH + UDP_LENGTH;

  static final String UDP_LAYER = "UDP";
  static final int UDP_SRC_PORT = 0;
  static final int UDP_DST_PORT = 2;
  static final int UDP_LEN = 4;
  static final int UDP_CHECKSUM = 6;

  /**
   * What a tunnel costs an inner IP packet: inner Ethernet 14 + outer IPv4 20 + UDP 8 + tunnel
   * header 8 + Geneve options. 50 for VXLAN and option-less Geneve.
   */
  public static int overhead(TunnelKind kind, int optionsLength) {
    checkOptionsLength(kind, optionsLength);
    return EthernetHeader.LENGTH + OUTER_IPV4_LENGTH + UDP_LENGTH + kind.headerLength() + optionsLength;
  }

  /** The MTU for the tunnel device (and the pod routes) on an underlay: 1450 for 1500. */
  public static int innerMtu(int underlayMtu, TunnelKind kind, int optionsLength) {
    int mtu = underlayMtu - overhead(kind, optionsLength);
    if (mtu < 68) {
      throw new IllegalArgumentException("underlay MTU " + underlayMtu + " leaves " + mtu
          + " for the inner packet, below IPv4's minimum 68");
    }
    return mtu;
  }

  /** Length of the outer frame for an inner frame of {@code innerLength} bytes. */
  public static int frameLength(TunnelKind kind, int optionsLength, int innerLength) {
    checkOptionsLength(kind, optionsLength);
    return TUNNEL_OFFSET + kind.headerLength() + optionsLength + innerLength;
  }

  private static void checkOptionsLength(TunnelKind kind, int optionsLength) {
    if (optionsLength < 0 || optionsLength % 4 != 0 || optionsLength > GeneveHeader.MAX_OPTIONS_LENGTH
        || (kind == TunnelKind.VXLAN && optionsLength != 0)) {
      throw new IllegalArgumentException(kind + " cannot carry " + optionsLength + " bytes of options");
    }
  }

  /**
   * The VXLAN frame (flags I, reserved fields zero) carrying the inner Ethernet frame
   * {@code [off, off+len)}.
   */
  public static byte[] vxlan(byte[] inner, int off, int len, MacAddress outerSourceMac,
      MacAddress outerDestinationMac, Ipv4Address outerSource, Ipv4Address outerDestination, int ttl,
      int identification, int sourcePort, int destinationPort, int vni) {
    checkVni(vni);
    byte[] out = outer(TunnelKind.VXLAN, 0, inner, off, len, outerSourceMac, outerDestinationMac, outerSource,
        outerDestination, ttl, identification, sourcePort, destinationPort);
    int t = TUNNEL_OFFSET;
    out[t] = (byte) VxlanHeader.FLAG_I;
    // bytes 1-3 and 7 reserved, already zero
    Bytes.put24(out, t + VxlanHeader.VNI_OFFSET, vni);
    return out;
  }

  /**
   * The Geneve frame (version 0, O clear, C set when an option is critical, protocol type
   * 0x6558) carrying the inner Ethernet frame {@code [off, off+len)} and {@code options}.
   */
  public static byte[] geneve(byte[] inner, int off, int len, MacAddress outerSourceMac,
      MacAddress outerDestinationMac, Ipv4Address outerSource, Ipv4Address outerDestination, int ttl,
      int identification, int sourcePort, int destinationPort, int vni, List<GeneveOption> options) {
    checkVni(vni);
    int optLen = 0;
    boolean critical = false;
    for (int i = 0; i < options.size(); i++) {
      GeneveOption o = options.get(i);
      optLen += o.length();
      critical |= o.critical();
    }
    byte[] out = outer(TunnelKind.GENEVE, optLen, inner, off, len, outerSourceMac, outerDestinationMac,
        outerSource, outerDestination, ttl, identification, sourcePort, destinationPort);
    int t = TUNNEL_OFFSET;
    out[t + GeneveHeader.VER_OPTLEN_OFFSET] = (byte) (optLen / 4);
    out[t + GeneveHeader.FLAGS_OFFSET] = (byte) (critical ? GeneveHeader.FLAG_CRITICAL : 0);
    Bytes.put16(out, t + GeneveHeader.PROTOCOL_OFFSET, EtherType.TRANSPARENT_ETHERNET);
    Bytes.put24(out, t + GeneveHeader.VNI_OFFSET, vni);
    int p = t + GeneveHeader.OPTIONS_OFFSET;
    for (int i = 0; i < options.size(); i++) {
      p += options.get(i).encode(out, p);
    }
    return out;
  }

  private static void checkVni(int vni) {
    if (vni < 0 || vni > VxlanHeader.MAX_VNI) {
      throw new IllegalArgumentException("VNI out of range 0-16777215: " + vni);
    }
  }

  private static void checkRange(String what, int v, int max) {
    if (v < 0 || v > max) {
      throw new IllegalArgumentException(what + " out of range 0-" + max + ": " + v);
    }
  }

  /**
   * Allocates the frame, copies the inner frame to its place, and writes outer Ethernet, IPv4
   * (checksum included) and UDP (checksum 0). The tunnel header area is left zero.
   */
  private static byte[] outer(TunnelKind kind, int optLen, byte[] inner, int off, int len, MacAddress srcMac,
      MacAddress dstMac, Ipv4Address src, Ipv4Address dst, int ttl, int identification, int sourcePort,
      int destinationPort) {
    Bytes.checkRegion(inner, off, len);
    if (len < EthernetHeader.LENGTH) {
      throw new IllegalArgumentException("inner frame shorter than an Ethernet header: " + len);
    }
    checkRange("TTL", ttl, 0xff);
    checkRange("identification", identification, 0xffff);
    checkRange("UDP source port", sourcePort, 0xffff);
    checkRange("UDP destination port", destinationPort, 0xffff);
    int tunnelLen = kind.headerLength() + optLen;
    int udpLen = UDP_LENGTH + tunnelLen + len;
    int ipLen = OUTER_IPV4_LENGTH + udpLen;
    if (ipLen > 0xffff) {
      throw new IllegalArgumentException("encapsulated datagram longer than 65535 bytes: " + ipLen);
    }
    byte[] out = new byte[OUTER_ETHERNET_LENGTH + ipLen];
    System.arraycopy(inner, off, out, TUNNEL_OFFSET + tunnelLen, len);

    Bytes.put48(out, EthernetHeader.DST_OFFSET, dstMac.value());
    Bytes.put48(out, EthernetHeader.SRC_OFFSET, srcMac.value());
    Bytes.put16(out, EthernetHeader.TYPE_OFFSET, EtherType.IPV4);

    int ip = OUTER_ETHERNET_LENGTH;
    out[ip + Ipv4Header.VERSION_IHL] = 0x45;
    // TOS 0; flags and fragment offset 0 (DF clear)
    Bytes.put16(out, ip + Ipv4Header.TOTAL_LENGTH, ipLen);
    Bytes.put16(out, ip + Ipv4Header.IDENTIFICATION, identification);
    out[ip + Ipv4Header.TTL] = (byte) ttl;
    out[ip + Ipv4Header.PROTOCOL] = (byte) IpProtocol.UDP;
    int s = src.value();
    int d = dst.value();
    Bytes.put32(out, ip + Ipv4Header.SOURCE, s);
    Bytes.put32(out, ip + Ipv4Header.DESTINATION, d);
    // The header's words, summed directly: 0x4500, total length, identification, 0, TTL|protocol,
    // the addresses' halves; the checksum field itself is still zero.
    long sum = 0x4500L + ipLen + identification + (ttl << 8 | IpProtocol.UDP)
        + (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff);
    Bytes.put16(out, ip + Ipv4Header.CHECKSUM, Checksum.finish(sum));

    int u = ip + OUTER_IPV4_LENGTH;
    Bytes.put16(out, u + UDP_SRC_PORT, sourcePort);
    Bytes.put16(out, u + UDP_DST_PORT, destinationPort);
    Bytes.put16(out, u + UDP_LEN, udpLen);
    // UDP checksum 0: not computed (RFC 768), as Linux's tunnels send by default over IPv4
    return out;
  }

  /**
   * Fills in the outer UDP checksum of a frame built here (a tunnel configured with UDP
   * checksums on, e.g. {@code ip link add ... udpcsum}). A computed 0 is sent as 0xffff.
   */
  public static void fillUdpChecksum(byte[] frame) {
    int ip = OUTER_ETHERNET_LENGTH;
    int u = ip + OUTER_IPV4_LENGTH;
    int udpLen = Bytes.u16(frame, u + UDP_LEN);
    Bytes.checkRegion(frame, u, udpLen);
    Bytes.put16(frame, u + UDP_CHECKSUM, 0);
    int c = Checksum.transport(Bytes.i32(frame, ip + Ipv4Header.SOURCE), Bytes.i32(frame, ip + Ipv4Header.DESTINATION),
        IpProtocol.UDP, frame, u, udpLen);
    Bytes.put16(frame, u + UDP_CHECKSUM, c == 0 ? 0xffff : c);
  }

  /**
   * Decapsulates a frame, telling VXLAN from Geneve by the UDP destination port
   * ({@link TunnelKind#forPort}: 4789 and 8472 VXLAN, 6081 Geneve).
   */
  public static Decapsulated decapsulate(byte[] frame, int off, int len) {
    return decapsulate(frame, off, len, null);
  }

  /**
   * Decapsulates a frame in {@code [off, off+len)}: outer Ethernet (optionally one 802.1Q tag),
   * IPv4 (checksum verified, no fragments), UDP (length checked, checksum verified unless 0), then
   * the tunnel header of {@code kind} (or the one the destination port stands for when null). For
   * Geneve, only version 0 and protocol type 0x6558 are accepted and the options must fill the
   * declared length exactly. Bytes past the IPv4 total length (Ethernet padding) are ignored.
   *
   * @throws PacketException for anything malformed, naming layer, field and offset in the array
   */
  public static Decapsulated decapsulate(byte[] f, int off, int len, TunnelKind kind) {
    Bytes.checkRegion(f, off, len);
    int limit = off + len;
    Bytes.require(EthernetHeader.LAYER, "header", off, EthernetHeader.LENGTH, limit);
    int type = Bytes.u16(f, off + EthernetHeader.TYPE_OFFSET);
    int ip = off + EthernetHeader.LENGTH;
    if (type == EtherType.VLAN) {
      Bytes.require(EthernetHeader.LAYER, "802.1Q tag", ip, EthernetHeader.VLAN_TAG_LENGTH, limit);
      type = Bytes.u16(f, ip + 2);
      ip += EthernetHeader.VLAN_TAG_LENGTH;
    }
    if (type != EtherType.IPV4) {
      throw PacketException.invalid(EthernetHeader.LAYER, "EtherType", ip - 2, "IPv4 (0x0800)",
          String.format("0x%04x", type));
    }

    // Outer IPv4
    Bytes.require(Ipv4Header.LAYER, "header", ip, Ipv4Header.MIN_LENGTH, limit);
    int vihl = Bytes.u8(f, ip + Ipv4Header.VERSION_IHL);
    if (vihl >>> 4 != 4) {
      throw PacketException.invalid(Ipv4Header.LAYER, "version", ip, "4", vihl >>> 4);
    }
    int hlen = (vihl & 0xf) * 4;
    if (hlen < Ipv4Header.MIN_LENGTH) {
      throw PacketException.invalid(Ipv4Header.LAYER, "IHL", ip, ">= 5", vihl & 0xf);
    }
    Bytes.require(Ipv4Header.LAYER, "options", ip + Ipv4Header.MIN_LENGTH, hlen - Ipv4Header.MIN_LENGTH, limit);
    int total = Bytes.u16(f, ip + Ipv4Header.TOTAL_LENGTH);
    if (total < hlen) {
      throw PacketException.invalid(Ipv4Header.LAYER, "total length", ip + Ipv4Header.TOTAL_LENGTH,
          ">= header length " + hlen, total);
    }
    if (total > limit - ip) {
      throw PacketException.truncated(Ipv4Header.LAYER, "datagram", ip, total, limit - ip);
    }
    long ipSum = Checksum.add(0, f, ip, hlen);
    if (Checksum.finish(ipSum) != 0) {
      int carried = Bytes.u16(f, ip + Ipv4Header.CHECKSUM);
      throw PacketException.invalid(Ipv4Header.LAYER, "header checksum", ip + Ipv4Header.CHECKSUM,
          String.format("0x%04x", Checksum.finish(ipSum - carried)), String.format("0x%04x", carried));
    }
    int ff = Bytes.u16(f, ip + Ipv4Header.FLAGS_FRAGMENT);
    if ((ff & 0x3fff) != 0) {
      throw PacketException.invalid(Ipv4Header.LAYER, "fragment", ip + Ipv4Header.FLAGS_FRAGMENT,
          "an unfragmented datagram", "MF " + ((ff >>> 13) & 1) + ", offset " + (ff & 0x1fff));
    }
    int proto = Bytes.u8(f, ip + Ipv4Header.PROTOCOL);
    if (proto != IpProtocol.UDP) {
      throw PacketException.invalid(Ipv4Header.LAYER, "protocol", ip + Ipv4Header.PROTOCOL, "UDP (17)", proto);
    }
    int src = Bytes.i32(f, ip + Ipv4Header.SOURCE);
    int dst = Bytes.i32(f, ip + Ipv4Header.DESTINATION);
    int ipEnd = ip + total;

    // UDP
    int u = ip + hlen;
    Bytes.require(UDP_LAYER, "header", u, UDP_LENGTH, ipEnd);
    int udpLen = Bytes.u16(f, u + UDP_LEN);
    if (udpLen < UDP_LENGTH || udpLen > ipEnd - u) {
      throw PacketException.invalid(UDP_LAYER, "length", u + UDP_LEN, "8 to " + (ipEnd - u) + " (IPv4 payload)",
          udpLen);
    }
    int udpSum = Bytes.u16(f, u + UDP_CHECKSUM);
    if (udpSum != 0) {
      long sum = Checksum.add(Checksum.pseudoHeader(src, dst, IpProtocol.UDP, udpLen), f, u, udpLen);
      if (Checksum.finish(sum) != 0) {
        int right = Checksum.finish(sum - udpSum);
        throw PacketException.invalid(UDP_LAYER, "checksum", u + UDP_CHECKSUM,
            String.format("0x%04x", right == 0 ? 0xffff : right), String.format("0x%04x", udpSum));
      }
    }
    int dport = Bytes.u16(f, u + UDP_DST_PORT);
    TunnelKind k = kind != null ? kind : TunnelKind.forPort(dport);
    if (k == null) {
      throw PacketException.invalid(UDP_LAYER, "destination port", u + UDP_DST_PORT,
          "a tunnel port (4789, 8472 or 6081)", dport);
    }
    int t = u + UDP_LENGTH;
    int udpEnd = u + udpLen;

    int vni;
    int flags;
    int inner;
    List<GeneveOption> options;
    if (k == TunnelKind.VXLAN) {
      Bytes.require(VxlanHeader.LAYER, "header", t, VxlanHeader.LENGTH, udpEnd);
      flags = Bytes.u8(f, t + VxlanHeader.FLAGS_OFFSET);
      if ((flags & VxlanHeader.FLAG_I) == 0) {
        throw PacketException.invalid(VxlanHeader.LAYER, "flags", t, "I flag 0x08 set",
            String.format("0x%02x", flags));
      }
      vni = Bytes.u24(f, t + VxlanHeader.VNI_OFFSET);
      options = List.of();
      inner = t + VxlanHeader.LENGTH;
    } else {
      Bytes.require(GeneveHeader.LAYER, "header", t, GeneveHeader.MIN_LENGTH, udpEnd);
      int vo = Bytes.u8(f, t + GeneveHeader.VER_OPTLEN_OFFSET);
      if (vo >>> 6 != 0) {
        throw PacketException.invalid(GeneveHeader.LAYER, "version", t, "0", vo >>> 6);
      }
      int optLen = (vo & 0x3f) * 4;
      Bytes.require(GeneveHeader.LAYER, "options", t + GeneveHeader.OPTIONS_OFFSET, optLen, udpEnd);
      int ptype = Bytes.u16(f, t + GeneveHeader.PROTOCOL_OFFSET);
      if (ptype != EtherType.TRANSPARENT_ETHERNET) {
        throw PacketException.invalid(GeneveHeader.LAYER, "protocol type", t + GeneveHeader.PROTOCOL_OFFSET,
            "0x6558 (Ethernet)", String.format("0x%04x", ptype));
      }
      flags = Bytes.u8(f, t + GeneveHeader.FLAGS_OFFSET);
      vni = Bytes.u24(f, t + GeneveHeader.VNI_OFFSET);
      options = GeneveHeader.decodeOptions(f, t + GeneveHeader.OPTIONS_OFFSET, optLen);
      inner = t + GeneveHeader.OPTIONS_OFFSET + optLen;
    }
    Bytes.require(EthernetHeader.LAYER, "inner header", inner, EthernetHeader.LENGTH, udpEnd);
    return new Decapsulated(k, Bytes.u48(f, off + EthernetHeader.SRC_OFFSET),
        Bytes.u48(f, off + EthernetHeader.DST_OFFSET), src, dst, Bytes.u8(f, ip + Ipv4Header.TTL),
        Bytes.u16(f, u + UDP_SRC_PORT), dport, vni, flags, options, inner, udpEnd - inner);
  }
}
