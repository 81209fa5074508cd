package io.podnet.proto.pcap;

import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.EthernetHeader;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes classic libpcap capture files, as tcpdump on x86 does: little-endian, magic 0xa1b2c3d4
 * (microsecond timestamps), version 2.4, snaplen 262144.
 *
 * <pre>
 * File header (24 bytes):              Record header (16 bytes), then incl_len bytes of data:
 *   magic        u32  0xa1b2c3d4         ts_sec    u32  seconds
 *   version      u16 2, u16 4            ts_usec   u32  microseconds
 *   thiszone     i32  0                  incl_len  u32  bytes saved (at most snaplen)
 *   sigfigs      u32  0                  orig_len  u32  bytes on the wire
 *   snaplen      u32  262144
 *   network      u32  link type
 * </pre>
 *
 * Two link types: {@link #LINKTYPE_ETHERNET} for a capture on one interface ({@code tcpdump -i
 * eth1}), where each record is the Ethernet frame; and {@link #LINKTYPE_LINUX_SLL2} for a capture
 * on "any" ({@code tcpdump -i any}), where each record is a 20-byte {@link Sll2Header} followed by
 * the frame without its Ethernet header, as Linux's cooked packet sockets deliver it.
 *
 * <p>Timestamps are microseconds of the lab clock, passed in; this class reads no clock. Not
 * thread safe.
 */
public final class PcapWriter implements Closeable, Flushable {
  public static final int MAGIC_MICROS = 0xa1b2c3d4;
  public static final int MAGIC_NANOS = 0xa1b23c4d;
  public static final int VERSION_MAJOR = 2;
  public static final int VERSION_MINOR = 4;
  public static final int DEFAULT_SNAPLEN = 262144;
  public static final int LINKTYPE_ETHERNET = 1;
  public static final int LINKTYPE_LINUX_SLL2 = 276;
  public static final int FILE_HEADER_LENGTH = 24;
  public static final int RECORD_HEADER_LENGTH = 16;

  private final OutputStream out;
  private final int linkType;
  private final int snaplen;
  private final byte[] header = new byte[RECORD_HEADER_LENGTH + Sll2Header.LENGTH];

  public PcapWriter(OutputStream out, int linkType) throws IOException {
    this(out, linkType, DEFAULT_SNAPLEN);
  }

  /** Writes the file header at once. */
  public PcapWriter(OutputStream out, int linkType, int snaplen) throws IOException {
    if (out == null) {
      throw new NullPointerException("out");
    }
    if (linkType != LINKTYPE_ETHERNET && linkType != LINKTYPE_LINUX_SLL2) {
      throw new IllegalArgumentException("link type must be 1 (Ethernet) or 276 (Linux SLL2): " + linkType);
    }
    if (snaplen <= 0) {
      throw new IllegalArgumentException("snaplen must be positive: " + snaplen);
    }
    this.out = out;
    this.linkType = linkType;
    this.snaplen = snaplen;
    byte[] h = new byte[FILE_HEADER_LENGTH];
    putLe32(h, 0, MAGIC_MICROS);
    putLe16(h, 4, VERSION_MAJOR);
    putLe16(h, 6, VERSION_MINOR);
    // thiszone 0, sigfigs 0
    putLe32(h, 16, snaplen);
    putLe32(h, 20, linkType);
    out.write(h);
  }

  public static PcapWriter ethernet(OutputStream out) throws IOException {
    return new PcapWriter(out, LINKTYPE_ETHERNET);
  }

  public static PcapWriter linuxSll2(OutputStream out) throws IOException {
    return new PcapWriter(out, LINKTYPE_LINUX_SLL2);
  }

  public int linkType() {
    return linkType;
  }

  public int snaplen() {
    return snaplen;
  }

  /** One Ethernet frame, into a LINKTYPE_ETHERNET file. */
  public void writeEthernet(long timestampMicros, byte[] frame, int off, int len) throws IOException {
    requireLinkType(LINKTYPE_ETHERNET);
    Bytes.checkRegion(frame, off, len);
    int incl = Math.min(len, snaplen);
    recordHeader(timestampMicros, incl, len);
    out.write(header, 0, RECORD_HEADER_LENGTH);
    out.write(frame, off, incl);
  }

  public void writeEthernet(long timestampMicros, byte[] frame) throws IOException {
    writeEthernet(timestampMicros, frame, 0, frame.length);
  }

  /**
   * One Ethernet frame seen on interface {@code interfaceIndex}, into a LINKTYPE_LINUX_SLL2 file:
   * the SLL2 header Linux would give it ({@link Sll2Header#forEthernet}), then the frame from its
   * EtherType on (an 802.1Q tag stays, as libpcap re-inserts it: protocol 0x8100, then TCI and
   * the inner EtherType).
   *
   * @param packetType one of Sll2Header's PACKET_ constants, e.g. from {@link Sll2Header#packetTypeOf}
   */
  public void writeSll2(long timestampMicros, int interfaceIndex, int packetType, byte[] frame, int off, int len)
      throws IOException {
    requireLinkType(LINKTYPE_LINUX_SLL2);
    Sll2Header sll = Sll2Header.forEthernet(frame, off, len, interfaceIndex, packetType);
    int payload = len - EthernetHeader.LENGTH;
    int wire = Sll2Header.LENGTH + payload;
    int incl = Math.min(wire, snaplen);
    recordHeader(timestampMicros, incl, wire);
    sll.encode(header, RECORD_HEADER_LENGTH);
    int headerBytes = Math.min(incl, Sll2Header.LENGTH);
    out.write(header, 0, RECORD_HEADER_LENGTH + headerBytes);
    out.write(frame, off + EthernetHeader.LENGTH, incl - headerBytes);
  }

  public void writeSll2(long timestampMicros, int interfaceIndex, int packetType, byte[] frame) throws IOException {
    writeSll2(timestampMicros, interfaceIndex, packetType, frame, 0, frame.length);
  }

  private void requireLinkType(int wanted) {
    if (linkType != wanted) {
      throw new IllegalStateException("this capture has link type " + linkType + ", not " + wanted);
    }
  }

  private void recordHeader(long micros, int incl, int orig) {
    if (micros < 0 || micros / 1_000_000 > 0xffff_ffffL) {
      throw new IllegalArgumentException("timestamp out of pcap's range (0 to 2^32 s): " + micros + " us");
    }
    putLe32(header, 0, (int) (micros / 1_000_000));
    putLe32(header, 4, (int) (micros % 1_000_000));
    putLe32(header, 8, incl);
    putLe32(header, 12, orig);
  }

  static void putLe16(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
  }

  static void putLe32(byte[] b, int off, int v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) (v >>> 16);
    b[off + 3] = (byte) (v >>> 24);
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
