package io.podnet.proto.packet;

/**
 * A VXLAN header (RFC 7348, section 5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * The I flag must be set; the other flag bits and both reserved fields are ignored on receipt (RFC
 * 7348: "MUST be set to zero on transmission and ignored on receipt") but kept as carried, so that
 * {@link #encode} reproduces a received header byte for byte. {@link #of} builds a header with all
 * reserved bits zero. The payload is an inner Ethernet frame.
 */
public record VxlanHeader(int flags, int reserved1, int vni, int reserved2) {
  public static final String LAYER = "VXLAN";
  public static final int LENGTH = 8;
  /** The I flag: the VNI is valid. */
  public static final int FLAG_I = 0x08;

  static final int FLAGS_OFFSET = 0;
  static final int RESERVED1_OFFSET = 1;
  static final int VNI_OFFSET = 4;
  static final int RESERVED2_OFFSET = 7;

  public static final int MAX_VNI = 0xff_ffff;

  public VxlanHeader {
    if (flags < 0 || flags > 0xff) {
      throw new IllegalArgumentException("VXLAN flags out of range 0-255: " + flags);
    }
    if ((flags & FLAG_I) == 0) {
      throw new IllegalArgumentException("VXLAN I flag (0x08) must be set: flags 0x" + Integer.toHexString(flags));
    }
    if (reserved1 < 0 || reserved1 > 0xff_ffff) {
      throw new IllegalArgumentException("VXLAN first reserved field out of range (24 bits): " + reserved1);
    }
    if (vni < 0 || vni > MAX_VNI) {
      throw new IllegalArgumentException("VXLAN VNI out of range 0-16777215: " + vni);
    }
    if (reserved2 < 0 || reserved2 > 0xff) {
      throw new IllegalArgumentException("VXLAN second reserved field out of range (8 bits): " + reserved2);
    }
  }

  /** A header as a sender writes it: I flag only, reserved fields zero. */
  public static VxlanHeader of(int vni) {
    return new VxlanHeader(FLAG_I, 0, vni, 0);
  }

  /** Decodes the 8-byte header at {@code off}; {@code len} bytes are readable there. */
  public static VxlanHeader decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    Bytes.require(LAYER, "header", off, LENGTH, off + len);
    int flags = Bytes.u8(b, off + FLAGS_OFFSET);
    if ((flags & FLAG_I) == 0) {
      throw PacketException.invalid(LAYER, "flags", off + FLAGS_OFFSET, "I flag 0x08 set",
          String.format("0x%02x", flags));
    }
    return new VxlanHeader(flags, Bytes.u24(b, off + RESERVED1_OFFSET), Bytes.u24(b, off + VNI_OFFSET),
        Bytes.u8(b, off + RESERVED2_OFFSET));
  }

  public int length() {
    return LENGTH;
  }

  /** Writes the header exactly as held; returns the bytes written (8). */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, LENGTH);
    Bytes.put8(out, off + FLAGS_OFFSET, flags);
    Bytes.put24(out, off + RESERVED1_OFFSET, reserved1);
    Bytes.put24(out, off + VNI_OFFSET, vni);
    Bytes.put8(out, off + RESERVED2_OFFSET, reserved2);
    return LENGTH;
  }
}
