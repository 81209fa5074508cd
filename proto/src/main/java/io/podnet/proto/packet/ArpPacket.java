package io.podnet.proto.packet;

/**
 * An ARP packet (RFC 826) for IPv4 over Ethernet, the only combination podnet speaks.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Hardware type (HTYPE) = 1   |  Protocol type (PTYPE) 0x0800 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  HLEN = 6     |  PLEN = 4     |   Operation (1 req, 2 reply)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Sender hardware address (SHA, 6)               |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               | Sender protocol address (SPA, |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  4)                           | Target hardware address (THA, |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |  6)                                                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                Target protocol address (TPA, 4)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The operation is a strict field: a frame we may have to answer with anything but a request or
 * a reply is malformed, as are hardware/protocol types and lengths other than Ethernet/IPv4.
 *
 * <p>Gratuitous ARP, as podnet sends it:
 *
 * <ul>
 *   <li>{@link #gratuitousRequest}: what the Linux kernel sends (arp_send with a null target
 *       hardware address, e.g. {@code arp_notify} or a VIP takeover), target MAC all zeros; this is
 *       also the RFC 5227 ARP announcement. iputils {@code arping -U} differs only in that field:
 *       it copies its link-layer destination there, i.e. ff:ff:ff:ff:ff:ff.
 *   <li>{@link #gratuitousReply}: what iputils {@code arping -A} sends: an ARP reply whose target
 *       MAC is the sender's own MAC ({@code if (ctl->advert) memcpy(p, &ME->sll_addr, ...)} in
 *       arping.c), broadcast at the Ethernet layer.
 * </ul>
 */
public record ArpPacket(
    int operation, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac, Ipv4Address targetIp) {

  public static final String LAYER = "ARP";
  public static final int LENGTH = 28;
  public static final int OP_REQUEST = 1;
  public static final int OP_REPLY = 2;
  public static final int HTYPE_ETHERNET = 1;
  public static final int PTYPE_IPV4 = EtherType.IPV4;
  public static final int HLEN_ETHERNET = 6;
  public static final int PLEN_IPV4 = 4;

  static final int HTYPE = 0;
  static final int PTYPE = 2;
  static final int HLEN = 4;
  static final int PLEN = 5;
  static final int OPERATION = 6;
  static final int SHA = 8;
  static final int SPA = 14;
  static final int THA = 18;
  static final int TPA = 24;

  public ArpPacket {
    if (operation != OP_REQUEST && operation != OP_REPLY) {
      throw new IllegalArgumentException("ARP operation must be 1 (request) or 2 (reply): " + operation);
    }
    if (senderMac == null || senderIp == null || targetMac == null || targetIp == null) {
      throw new IllegalArgumentException("ARP addresses must not be null");
    }
  }

  /** Who has {@code targetIp}? Tell {@code senderIp}. Target MAC zero, as the kernel sends it. */
  public static ArpPacket request(MacAddress senderMac, Ipv4Address senderIp, Ipv4Address targetIp) {
    return new ArpPacket(OP_REQUEST, senderMac, senderIp, MacAddress.ZERO, targetIp);
  }

  /** {@code senderIp} is at {@code senderMac}, answering the asker at targetMac/targetIp. */
  public static ArpPacket reply(
      MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac, Ipv4Address targetIp) {
    return new ArpPacket(OP_REPLY, senderMac, senderIp, targetMac, targetIp);
  }

  /** The reply to this request from the owner of its target IP, {@code ownerMac}. */
  public ArpPacket answer(MacAddress ownerMac) {
    if (operation != OP_REQUEST) {
      throw new IllegalStateException("only a request can be answered: " + this);
    }
    return reply(ownerMac, targetIp, senderMac, senderIp);
  }

  /** A gratuitous request (announcement): SPA = TPA = ip, THA zero, sent to broadcast. */
  public static ArpPacket gratuitousRequest(MacAddress mac, Ipv4Address ip) {
    return new ArpPacket(OP_REQUEST, mac, ip, MacAddress.ZERO, ip);
  }

  /** A gratuitous reply as {@code arping -A} sends it: SPA = TPA = ip, THA = SHA = mac, broadcast. */
  public static ArpPacket gratuitousReply(MacAddress mac, Ipv4Address ip) {
    return new ArpPacket(OP_REPLY, mac, ip, mac, ip);
  }

  public boolean isRequest() {
    return operation == OP_REQUEST;
  }

  public boolean isReply() {
    return operation == OP_REPLY;
  }

  /**
   * Sender and target IP are the same (and not 0.0.0.0): an announcement of the sender's own
   * binding that no one asked for, request or reply.
   */
  public boolean isGratuitous() {
    return senderIp.equals(targetIp) && senderIp.value() != 0;
  }

  /** An RFC 5227 probe (address conflict detection): a request with sender IP 0.0.0.0. */
  public boolean isProbe() {
    return operation == OP_REQUEST && senderIp.value() == 0;
  }

  /**
   * Decodes the 28-byte packet at {@code off}; {@code len} bytes are readable there (bytes past
   * the packet, Ethernet padding, are ignored).
   */
  public static ArpPacket decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    Bytes.require(LAYER, "packet", off, LENGTH, off + len);
    expect(b, off, HTYPE, "hardware type", Bytes.u16(b, off + HTYPE), HTYPE_ETHERNET, "1 (Ethernet)");
    expect(b, off, PTYPE, "protocol type", Bytes.u16(b, off + PTYPE), PTYPE_IPV4, "0x0800 (IPv4)");
    expect(b, off, HLEN, "hardware address length", Bytes.u8(b, off + HLEN), HLEN_ETHERNET, "6");
    expect(b, off, PLEN, "protocol address length", Bytes.u8(b, off + PLEN), PLEN_IPV4, "4");
    int op = Bytes.u16(b, off + OPERATION);
    if (op != OP_REQUEST && op != OP_REPLY) {
      throw PacketException.invalid(LAYER, "operation", off + OPERATION, "1 (request) or 2 (reply)", op);
    }
    return new ArpPacket(op, MacAddress.read(b, off + SHA), Ipv4Address.read(b, off + SPA),
        MacAddress.read(b, off + THA), Ipv4Address.read(b, off + TPA));
  }

  private static void expect(byte[] b, int off, int field, String name, int found, int expected, String text) {
    if (found != expected) {
      throw PacketException.invalid(LAYER, name, off + field, text,
          field == PTYPE ? String.format("0x%04x", found) : Integer.toString(found));
    }
  }

  /** Writes the 28 bytes at {@code off}; returns {@link #LENGTH}. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, LENGTH);
    Bytes.put16(out, off + HTYPE, HTYPE_ETHERNET);
    Bytes.put16(out, off + PTYPE, PTYPE_IPV4);
    Bytes.put8(out, off + HLEN, HLEN_ETHERNET);
    Bytes.put8(out, off + PLEN, PLEN_IPV4);
    Bytes.put16(out, off + OPERATION, operation);
    senderMac.write(out, off + SHA);
    senderIp.write(out, off + SPA);
    targetMac.write(out, off + THA);
    targetIp.write(out, off + TPA);
    return LENGTH;
  }

  public byte[] toBytes() {
    byte[] out = new byte[LENGTH];
    encode(out, 0);
    return out;
  }

  /**
   * The Ethernet destination this packet is sent to: broadcast for requests and gratuitous
   * packets, the asker's MAC (the target MAC) for an ordinary reply.
   */
  public MacAddress ethernetDestination() {
    return operation == OP_REPLY && !isGratuitous() ? targetMac : MacAddress.BROADCAST;
  }

  /**
   * The whole Ethernet frame, from the sender MAC to {@link #ethernetDestination()}, zero-padded
   * to the 60-byte minimum.
   */
  public byte[] toFrame() {
    return toFrame(ethernetDestination());
  }

  /**
   * The whole frame to an explicit destination, e.g. the unicast request Linux sends to refresh a
   * stale neighbour entry (NUD_PROBE). Padded to 60 bytes.
   */
  public byte[] toFrame(MacAddress ethernetDestination) {
    return EthernetHeader.of(ethernetDestination, senderMac, EtherType.ARP).frame(toBytes(), true);
  }

  /** tcpdump's one-line summary, e.g. {@code Request who-has 10.0.0.1 tell 10.0.0.2, length 28}. */
  @Override
  public String toString() {
    if (operation == OP_REQUEST) {
      String tha = targetMac.equals(MacAddress.ZERO) ? "" : " (" + targetMac + ")";
      return "ARP, Request who-has " + targetIp + tha + " tell " + senderIp + ", length " + LENGTH;
    }
    return "ARP, Reply " + senderIp + " is-at " + senderMac + ", length " + LENGTH;
  }
}
