package io.podnet.proto.packet;

/**
 * An Ethernet II header, optionally with one IEEE 802.1Q tag.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination MAC (6)                        |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 * |                       Source MAC (6)                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | [TPID 0x8100 (2)]             | [PCP|D| VLAN ID (TCI, 2)]     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        EtherType (2)          |  payload ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * No preamble and no FCS: frames are as a capture shows them. {@code vlan} is null for an untagged
 * frame.
 */
public record EthernetHeader(MacAddress destination, MacAddress source, VlanTag vlan, int etherType) {
  public static final String LAYER = "Ethernet";
  public static final int DST_OFFSET = 0;
  public static final int SRC_OFFSET = 6;
  public static final int TYPE_OFFSET = 12;
  /** Header length of an untagged frame. */
  public static final int LENGTH = 14;
  public static final int VLAN_TAG_LENGTH = 4;
  /** The minimum frame without FCS; shorter frames are padded with zeros by the sender. */
  public static final int MIN_FRAME_LENGTH = 60;

  /** An 802.1Q tag: priority code point, drop eligible indicator, VLAN identifier. */
  public record VlanTag(int pcp, boolean dei, int vid) {
    public VlanTag {
      if (pcp < 0 || pcp > 7) {
        throw new IllegalArgumentException("PCP out of range 0-7: " + pcp);
      }
      if (vid < 0 || vid > 0xfff) {
        throw new IllegalArgumentException("VLAN ID out of range 0-4095: " + vid);
      }
    }

    int tci() {
      return pcp << 13 | (dei ? 1 << 12 : 0) | vid;
    }

    static VlanTag ofTci(int tci) {
      return new VlanTag(tci >>> 13, (tci & 0x1000) != 0, tci & 0xfff);
    }
  }

  public EthernetHeader {
    if (destination == null || source == null) {
      throw new IllegalArgumentException("Ethernet addresses must not be null");
    }
    if (etherType < 0 || etherType > 0xffff) {
      throw new IllegalArgumentException("EtherType out of range: " + etherType);
    }
  }

  public static EthernetHeader of(MacAddress destination, MacAddress source, int etherType) {
    return new EthernetHeader(destination, source, null, etherType);
  }

  /**
   * Decodes the header at {@code off}; {@code len} bytes are readable there. The payload starts at
   * {@code off + header.length()} and runs to the end of the frame (IPv4 says how much of it is
   * the datagram; the rest is padding).
   */
  public static EthernetHeader decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "header", off, LENGTH, limit);
    MacAddress dst = MacAddress.read(b, off + DST_OFFSET);
    MacAddress src = MacAddress.read(b, off + SRC_OFFSET);
    int type = Bytes.u16(b, off + TYPE_OFFSET);
    VlanTag vlan = null;
    if (type == EtherType.VLAN) {
      Bytes.require(LAYER, "802.1Q tag", off + TYPE_OFFSET, LENGTH + VLAN_TAG_LENGTH - TYPE_OFFSET, limit);
      vlan = VlanTag.ofTci(Bytes.u16(b, off + TYPE_OFFSET + 2));
      type = Bytes.u16(b, off + TYPE_OFFSET + 4);
    }
    return new EthernetHeader(dst, src, vlan, type);
  }

  /** The header's length on the wire: 14, or 18 with a VLAN tag. */
  public int length() {
    return vlan == null ? LENGTH : LENGTH + VLAN_TAG_LENGTH;
  }

  /** Writes the header at {@code off}; returns the number of bytes written. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, length());
    destination.write(out, off + DST_OFFSET);
    source.write(out, off + SRC_OFFSET);
    int p = off + TYPE_OFFSET;
    if (vlan != null) {
      Bytes.put16(out, p, EtherType.VLAN);
      Bytes.put16(out, p + 2, vlan.tci());
      p += VLAN_TAG_LENGTH;
    }
    Bytes.put16(out, p, etherType);
    return length();
  }

  /**
   * A whole frame: this header and the payload, zero-padded to the 60-byte minimum when
   * {@code pad} is set (as a real sender pads short frames such as ARP).
   */
  public byte[] frame(byte[] payload, int payloadOff, int payloadLen, boolean pad) {
    Bytes.checkRegion(payload, payloadOff, payloadLen);
    int n = length() + payloadLen;
    byte[] out = new byte[pad ? Math.max(n, MIN_FRAME_LENGTH) : n];
    encode(out, 0);
    System.arraycopy(payload, payloadOff, out, length(), payloadLen);
    return out;
  }

  public byte[] frame(byte[] payload, boolean pad) {
    return frame(payload, 0, payload.length, pad);
  }
}
