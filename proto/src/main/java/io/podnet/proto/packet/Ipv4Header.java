package io.podnet.proto.packet;

import com.google.protobuf.ByteString;

/**
 * An IPv4 header (RFC 791).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |R|D|M|     Fragment Offset     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL > 5)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * {@code flags} holds the three flag bits (reserved, DF, MF) as on the wire; {@code
 * fragmentOffset} is in 8-byte units; {@code headerChecksum} is the value carried, right or not
 * (see {@link #checksumValid()}). Build new headers with {@link #builder()}, which computes the
 * checksum.
 */
public record Ipv4Header(
    int dscp,
    int ecn,
    int totalLength,
    int identification,
    int flags,
    int fragmentOffset,
    int ttl,
    int protocol,
    int headerChecksum,
    Ipv4Address source,
    Ipv4Address destination,
    ByteString options) {

  public static final String LAYER = "IPv4";
  public static final int MIN_LENGTH = 20;
  public static final int MAX_LENGTH = 60;
  public static final int FLAG_RESERVED = 0b100;
  public static final int FLAG_DF = 0b010;
  public static final int FLAG_MF = 0b001;

  static final int VERSION_IHL = 0;
  static final int TOS = 1;
  static final int TOTAL_LENGTH = 2;
  static final int IDENTIFICATION = 4;
  static final int FLAGS_FRAGMENT = 6;
  static final int TTL = 8;
  static final int PROTOCOL = 9;
  static final int CHECKSUM = 10;
  static final int SOURCE = 12;
  static final int DESTINATION = 16;

  public Ipv4Header {
    check("DSCP", dscp, 0x3f);
    check("ECN", ecn, 0x3);
    check("total length", totalLength, 0xffff);
    check("identification", identification, 0xffff);
    check("flags", flags, 0x7);
    check("fragment offset", fragmentOffset, 0x1fff);
    check("TTL", ttl, 0xff);
    check("protocol", protocol, 0xff);
    check("header checksum", headerChecksum, 0xffff);
    if (source == null || destination == null) {
      throw new IllegalArgumentException("IPv4 addresses must not be null");
    }
    if (options == null) {
      options = ByteString.EMPTY;
    }
    if (options.size() % 4 != 0 || options.size() > MAX_LENGTH - MIN_LENGTH) {
      throw new IllegalArgumentException("IPv4 options must be a multiple of 4 bytes, at most 40: " + options.size());
    }
  }

  private static void check(String field, int v, int max) {
    if (v < 0 || v > max) {
      throw new IllegalArgumentException("IPv4 " + field + " out of range 0-" + max + ": " + v);
    }
  }

  /**
   * Decodes the header at {@code off} with {@code len} readable bytes. The whole datagram (total
   * length) must be readable; bytes past it (Ethernet padding) are not part of the datagram.
   */
  public static Ipv4Header decode(byte[] b, int off, int len) {
    return decode(b, off, len, true);
  }

  /**
   * Decodes only the header (options included) at {@code off}, without requiring the rest of the
   * datagram to be there: for the truncated datagram an ICMP error quotes.
   */
  public static Ipv4Header decodeHeaderOnly(byte[] b, int off, int len) {
    return decode(b, off, len, false);
  }

  private static Ipv4Header decode(byte[] b, int off, int len, boolean wholeDatagram) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "header", off, MIN_LENGTH, limit);
    int vihl = Bytes.u8(b, off + VERSION_IHL);
    if (vihl >>> 4 != 4) {
      throw PacketException.invalid(LAYER, "version", off, "4", vihl >>> 4);
    }
    int hlen = (vihl & 0xf) * 4;
    if (hlen < MIN_LENGTH) {
      throw PacketException.invalid(LAYER, "IHL", off, ">= 5", vihl & 0xf);
    }
    Bytes.require(LAYER, "options", off + MIN_LENGTH, hlen - MIN_LENGTH, limit);
    int total = Bytes.u16(b, off + TOTAL_LENGTH);
    if (total < hlen) {
      throw PacketException.invalid(LAYER, "total length", off + TOTAL_LENGTH, ">= header length " + hlen, total);
    }
    if (wholeDatagram && total > len) {
      throw PacketException.truncated(LAYER, "datagram", off, total, len);
    }
    int tos = Bytes.u8(b, off + TOS);
    int ff = Bytes.u16(b, off + FLAGS_FRAGMENT);
    ByteString opts = hlen == MIN_LENGTH ? ByteString.EMPTY : ByteString.copyFrom(b, off + MIN_LENGTH, hlen - MIN_LENGTH);
    return new Ipv4Header(tos >>> 2, tos & 3, total, Bytes.u16(b, off + IDENTIFICATION), ff >>> 13, ff & 0x1fff,
        Bytes.u8(b, off + TTL), Bytes.u8(b, off + PROTOCOL), Bytes.u16(b, off + CHECKSUM),
        Ipv4Address.read(b, off + SOURCE), Ipv4Address.read(b, off + DESTINATION), opts);
  }

  /** Header length in bytes (IHL * 4). */
  public int length() {
    return MIN_LENGTH + options.size();
  }

  /** IHL: header length in 32-bit words. */
  public int ihl() {
    return length() / 4;
  }

  public int payloadLength() {
    return totalLength - length();
  }

  public boolean dontFragment() {
    return (flags & FLAG_DF) != 0;
  }

  public boolean moreFragments() {
    return (flags & FLAG_MF) != 0;
  }

  /** True for any fragment of a fragmented datagram (MF set or a non-zero offset). */
  public boolean isFragment() {
    return moreFragments() || fragmentOffset != 0;
  }

  /** Writes the header exactly as held, checksum included; returns the bytes written. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, length());
    Bytes.put8(out, off + VERSION_IHL, 0x40 | ihl());
    Bytes.put8(out, off + TOS, dscp << 2 | ecn);
    Bytes.put16(out, off + TOTAL_LENGTH, totalLength);
    Bytes.put16(out, off + IDENTIFICATION, identification);
    Bytes.put16(out, off + FLAGS_FRAGMENT, flags << 13 | fragmentOffset);
    Bytes.put8(out, off + TTL, ttl);
    Bytes.put8(out, off + PROTOCOL, protocol);
    Bytes.put16(out, off + CHECKSUM, headerChecksum);
    source.write(out, off + SOURCE);
    destination.write(out, off + DESTINATION);
    options.copyTo(out, off + MIN_LENGTH);
    return length();
  }

  /** The header checksum these fields call for. */
  public int computeChecksum() {
    return Checksum.finish(sumWithoutChecksum());
  }

  /** True when the carried checksum is right for the header's fields. */
  public boolean checksumValid() {
    return Checksum.finish(sumWithoutChecksum() + headerChecksum) == 0;
  }

  private long sumWithoutChecksum() {
    long sum = ((0x40 | ihl()) << 8 | dscp << 2 | ecn) + totalLength + identification
        + (flags << 13 | fragmentOffset) + (ttl << 8 | protocol)
        + (source.value() >>> 16) + (source.value() & 0xffff)
        + (destination.value() >>> 16) + (destination.value() & 0xffff);
    for (int i = 0; i < options.size(); i += 2) {
      sum += (options.byteAt(i) & 0xff) << 8 | (options.byteAt(i + 1) & 0xff);
    }
    return sum;
  }

  /** The same header with the TTL replaced and the checksum recomputed (a router's hop). */
  public Ipv4Header withTtl(int newTtl) {
    Ipv4Header h = new Ipv4Header(dscp, ecn, totalLength, identification, flags, fragmentOffset, newTtl, protocol, 0,
        source, destination, options);
    return h.withChecksum(h.computeChecksum());
  }

  public Ipv4Header withChecksum(int checksum) {
    return new Ipv4Header(dscp, ecn, totalLength, identification, flags, fragmentOffset, ttl, protocol, checksum,
        source, destination, options);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().dscp(dscp).ecn(ecn).identification(identification).flags(flags)
        .fragmentOffset(fragmentOffset).ttl(ttl).protocol(protocol).source(source).destination(destination)
        .options(options).totalLength(totalLength);
  }

  /** Builds a header whose checksum is computed from its fields. Defaults: TTL 64, DF clear. */
  public static final class Builder {
    private int dscp;
    private int ecn;
    private int totalLength = -1;
    private int payloadLength;
    private int identification;
    private int flags;
    private int fragmentOffset;
    private int ttl = 64;
    private int protocol;
    private Ipv4Address source = Ipv4Address.ANY;
    private Ipv4Address destination = Ipv4Address.ANY;
    private ByteString options = ByteString.EMPTY;

    public Builder dscp(int v) { this.dscp = v; return this; }

    public Builder ecn(int v) { this.ecn = v; return this; }

    /** The bytes after the header; total length = header length + this. */
    public Builder payloadLength(int v) { this.payloadLength = v; this.totalLength = -1; return this; }

    public Builder totalLength(int v) { this.totalLength = v; return this; }

    public Builder identification(int v) { this.identification = v; return this; }

    public Builder flags(int v) { this.flags = v; return this; }

    public Builder dontFragment(boolean df) { this.flags = df ? flags | FLAG_DF : flags & ~FLAG_DF; return this; }

    public Builder fragmentOffset(int v) { this.fragmentOffset = v; return this; }

    public Builder ttl(int v) { this.ttl = v; return this; }

    public Builder protocol(int v) { this.protocol = v; return this; }

    public Builder source(Ipv4Address v) { this.source = v; return this; }

    public Builder destination(Ipv4Address v) { this.destination = v; return this; }

    public Builder options(ByteString v) { this.options = v; return this; }

    public Ipv4Header build() {
      int total = totalLength >= 0 ? totalLength : MIN_LENGTH + options.size() + payloadLength;
      Ipv4Header h = new Ipv4Header(dscp, ecn, total, identification, flags, fragmentOffset, ttl, protocol, 0,
          source, destination, options);
      return h.withChecksum(h.computeChecksum());
    }
  }
}
