package io.podnet.proto.packet;

/**
 * A UDP header (RFC 768).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          data ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * {@code length} covers header and data. {@code checksum} is the value carried: 0 means the
 * sender did not compute one (allowed over IPv4, and what tunnel endpoints often send); a
 * computed checksum of 0 is sent as 0xffff.
 */
public record UdpHeader(int sourcePort, int destinationPort, int length, int checksum) {
  public static final String LAYER = "UDP";
  public static final int LENGTH = 8;
  /** The checksum field of a datagram whose sender did not compute one. */
  public static final int NO_CHECKSUM = 0;

  static final int SOURCE_PORT = 0;
  static final int DESTINATION_PORT = 2;
  static final int LENGTH_OFFSET = 4;
  static final int CHECKSUM = 6;

  public UdpHeader {
    check("source port", sourcePort);
    check("destination port", destinationPort);
    check("checksum", checksum);
    if (length < LENGTH || length > 0xffff) {
      throw new IllegalArgumentException("UDP length out of range 8-65535: " + length);
    }
  }

  private static void check(String field, int v) {
    if (v < 0 || v > 0xffff) {
      throw new IllegalArgumentException("UDP " + field + " out of range 0-65535: " + v);
    }
  }

  /**
   * Decodes the header at {@code off}; {@code len} bytes are readable there (normally the IPv4
   * payload). The whole datagram (length field) must be readable; bytes past it are ignored.
   */
  public static UdpHeader decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    Bytes.require(LAYER, "header", off, LENGTH, off + len);
    int length = Bytes.u16(b, off + LENGTH_OFFSET);
    if (length < LENGTH) {
      throw PacketException.invalid(LAYER, "length", off + LENGTH_OFFSET, ">= 8", length);
    }
    if (length > len) {
      throw PacketException.truncated(LAYER, "datagram", off, length, len);
    }
    return new UdpHeader(Bytes.u16(b, off + SOURCE_PORT), Bytes.u16(b, off + DESTINATION_PORT), length,
        Bytes.u16(b, off + CHECKSUM));
  }

  public int payloadLength() {
    return length - LENGTH;
  }

  /** Writes the 8 header bytes exactly as held; returns {@link #LENGTH}. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, LENGTH);
    Bytes.put16(out, off + SOURCE_PORT, sourcePort);
    Bytes.put16(out, off + DESTINATION_PORT, destinationPort);
    Bytes.put16(out, off + LENGTH_OFFSET, length);
    Bytes.put16(out, off + CHECKSUM, checksum);
    return LENGTH;
  }

  /**
   * True when the datagram at {@code off} in {@code buf} (this header, encoded there, followed by
   * its payload; {@code length} bytes) carries a right checksum, or none (0).
   */
  public boolean checksumValid(Ipv4Address src, Ipv4Address dst, byte[] buf, int off) {
    if (checksum == NO_CHECKSUM) {
      return true;
    }
    Bytes.checkRegion(buf, off, length);
    return Checksum.transport(src.value(), dst.value(), IpProtocol.UDP, buf, off, length) == 0;
  }

  /**
   * The checksum field value for the datagram at {@code off} ({@code length} bytes), ignoring
   * whatever its checksum field holds; never 0 (a computed 0 becomes 0xffff).
   */
  public static int computeChecksum(Ipv4Address src, Ipv4Address dst, byte[] buf, int off, int length) {
    Bytes.checkRegion(buf, off, length);
    long sum = Checksum.pseudoHeader(src.value(), dst.value(), IpProtocol.UDP, length);
    sum = Checksum.add(sum, buf, off, CHECKSUM); // ports and length; the checksum field is skipped
    sum = Checksum.add(sum, buf, off + LENGTH, length - LENGTH);
    int c = Checksum.finish(sum);
    return c == 0 ? 0xffff : c;
  }

  /**
   * Writes a header at {@code off} for the {@code payloadLen} bytes already at {@code off + 8},
   * with the checksum computed over pseudo-header, header and payload. Returns the datagram
   * length (8 + payloadLen).
   */
  public static int writeWithChecksum(byte[] out, int off, int srcPort, int dstPort, int payloadLen,
      Ipv4Address src, Ipv4Address dst) {
    UdpHeader h = new UdpHeader(srcPort, dstPort, LENGTH + payloadLen, NO_CHECKSUM);
    Bytes.checkRegion(out, off, h.length);
    h.encode(out, off);
    Bytes.put16(out, off + CHECKSUM, computeChecksum(src, dst, out, off, h.length));
    return h.length;
  }

  /** Like {@link #writeWithChecksum} but with checksum 0 ("not computed"), as tunnels send. */
  public static int writeWithoutChecksum(byte[] out, int off, int srcPort, int dstPort, int payloadLen) {
    UdpHeader h = new UdpHeader(srcPort, dstPort, LENGTH + payloadLen, NO_CHECKSUM);
    Bytes.checkRegion(out, off, h.length);
    return h.encode(out, off) + payloadLen;
  }

  @Override
  public String toString() {
    return "UDP " + sourcePort + " > " + destinationPort + ", length " + payloadLength();
  }
}
