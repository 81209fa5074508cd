package io.podnet.proto.pcap;

import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;

/**
 * The LINKTYPE_LINUX_SLL2 pseudo-header (libpcap's sll.h, {@code struct sll2_header}) that
 * {@code tcpdump -i any} writes in front of each packet in place of the link-layer header. All
 * fields are in network byte order.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Protocol type          |        Reserved (MBZ)         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Interface index                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     ARPHRD_ type              |  Packet type  | Addr. length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Link-layer address (8 bytes)               |
 * +                                                               +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * libpcap fills the header from the {@code sockaddr_ll} the kernel returns with each packet:
 * protocol, interface index, hardware type, packet type, and the address that the device's
 * {@code header_ops->parse} extracts. For Ethernet that is {@code eth_header_parse}, which copies
 * the frame's <em>source</em> MAC, whatever the direction: incoming and outgoing packets alike
 * carry their source MAC here, in the first 6 of the 8 address bytes (the rest zero). {@code
 * address} holds all 8 bytes as carried, first byte in the high bits.
 */
public record Sll2Header(
    int protocolType,
    int reserved,
    int interfaceIndex,
    int arphrdType,
    int packetType,
    int addressLength,
    long address) {

  public static final String LAYER = "SLL2";
  public static final int LENGTH = 20;

  /** Linux packet types (include/uapi/linux/if_packet.h). */
  public static final int PACKET_HOST = 0;
  public static final int PACKET_BROADCAST = 1;
  public static final int PACKET_MULTICAST = 2;
  public static final int PACKET_OTHERHOST = 3;
  public static final int PACKET_OUTGOING = 4;
  public static final int ARPHRD_ETHER = 1;

  static final int PROTOCOL_OFFSET = 0;
  static final int RESERVED_OFFSET = 2;
  static final int IFINDEX_OFFSET = 4;
  static final int HATYPE_OFFSET = 8;
  static final int PKTTYPE_OFFSET = 10;
  static final int HALEN_OFFSET = 11;
  static final int ADDRESS_OFFSET = 12;

  public Sll2Header {
    if (protocolType < 0 || protocolType > 0xffff) {
      throw new IllegalArgumentException("SLL2 protocol type out of range: " + protocolType);
    }
    if (reserved < 0 || reserved > 0xffff) {
      throw new IllegalArgumentException("SLL2 reserved field out of range: " + reserved);
    }
    if (arphrdType < 0 || arphrdType > 0xffff) {
      throw new IllegalArgumentException("SLL2 ARPHRD type out of range: " + arphrdType);
    }
    if (packetType < 0 || packetType > 0xff) {
      throw new IllegalArgumentException("SLL2 packet type out of range: " + packetType);
    }
    if (addressLength < 0 || addressLength > 0xff) {
      throw new IllegalArgumentException("SLL2 address length out of range: " + addressLength);
    }
  }

  /**
   * The header Linux and libpcap give an Ethernet frame seen on interface {@code ifIndex}:
   * protocol = the frame's EtherType, ARPHRD_ETHER, address = the source MAC.
   */
  public static Sll2Header forEthernet(byte[] frame, int off, int len, int interfaceIndex, int packetType) {
    Bytes.checkRegion(frame, off, len);
    if (len < EthernetHeader.LENGTH) {
      throw new IllegalArgumentException("frame shorter than an Ethernet header: " + len);
    }
    if (packetType < PACKET_HOST || packetType > PACKET_OUTGOING) {
      throw new IllegalArgumentException("not a Linux packet type 0-4: " + packetType);
    }
    return new Sll2Header(Bytes.u16(frame, off + EthernetHeader.TYPE_OFFSET), 0, interfaceIndex, ARPHRD_ETHER,
        packetType, 6, Bytes.u48(frame, off + EthernetHeader.SRC_OFFSET) << 16);
  }

  /**
   * The packet type Linux assigns (eth_type_trans on receive, PACKET_OUTGOING for what the host
   * sends): broadcast, multicast, to this host, or to another host (seen in promiscuous mode).
   */
  public static int packetTypeOf(boolean outgoing, MacAddress destination, MacAddress interfaceMac) {
    if (outgoing) {
      return PACKET_OUTGOING;
    }
    if (destination.isBroadcast()) {
      return PACKET_BROADCAST;
    }
    if (destination.isMulticast()) {
      return PACKET_MULTICAST;
    }
    return destination.equals(interfaceMac) ? PACKET_HOST : PACKET_OTHERHOST;
  }

  public static Sll2Header decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    Bytes.require(LAYER, "header", off, LENGTH, off + len);
    return new Sll2Header(Bytes.u16(b, off + PROTOCOL_OFFSET), Bytes.u16(b, off + RESERVED_OFFSET),
        Bytes.i32(b, off + IFINDEX_OFFSET), Bytes.u16(b, off + HATYPE_OFFSET), Bytes.u8(b, off + PKTTYPE_OFFSET),
        Bytes.u8(b, off + HALEN_OFFSET), Bytes.u32(b, off + ADDRESS_OFFSET) << 32 | Bytes.u32(b, off + ADDRESS_OFFSET + 4));
  }

  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, LENGTH);
    Bytes.put16(out, off + PROTOCOL_OFFSET, protocolType);
    Bytes.put16(out, off + RESERVED_OFFSET, reserved);
    Bytes.put32(out, off + IFINDEX_OFFSET, interfaceIndex);
    Bytes.put16(out, off + HATYPE_OFFSET, arphrdType);
    Bytes.put8(out, off + PKTTYPE_OFFSET, packetType);
    Bytes.put8(out, off + HALEN_OFFSET, addressLength);
    Bytes.put32(out, off + ADDRESS_OFFSET, address >>> 32);
    Bytes.put32(out, off + ADDRESS_OFFSET + 4, address);
    return LENGTH;
  }

  /** The MAC address in the first 6 address bytes (meaningful when addressLength is 6). */
  public MacAddress mac() {
    return new MacAddress(address >>> 16);
  }

  public boolean outgoing() {
    return packetType == PACKET_OUTGOING;
  }
}
