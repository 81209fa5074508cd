package io.podnet.proto.pcap;

import io.podnet.proto.packet.PacketException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads classic libpcap files: either byte order, microsecond or nanosecond magic (timestamps are
 * returned in microseconds, nanoseconds truncated). Any link type is read; {@link Record#sll2()}
 * decodes the LINUX_SLL2 header of a record from a capture on "any". A malformed or cut-off file
 * is reported as a {@link PacketException} (layer "pcap", offset = position in the file); a file
 * that ends cleanly between records gives {@code null} from {@link #next()}.
 */
public final class PcapReader implements Closeable {
  public static final String LAYER = "pcap";
  /** Largest record accepted: anything bigger is a corrupt length, not a packet. */
  public static final int MAX_RECORD_LENGTH = 64 * 1024 * 1024;

  /** One captured packet. {@code data} holds incl_len bytes (fewer than originalLength when cut by snaplen). */
  public record Record(long timestampMicros, int originalLength, byte[] data) {
    /** The LINUX_SLL2 header at the start of the data (for LINKTYPE_LINUX_SLL2 captures). */
    public Sll2Header sll2() {
      return Sll2Header.decode(data, 0, data.length);
    }

    /** True when snaplen cut the packet short. */
    public boolean truncated() {
      return data.length < originalLength;
    }
  }

  private final InputStream in;
  private final boolean bigEndian;
  private final boolean nanos;
  private final int versionMajor;
  private final int versionMinor;
  private final int snaplen;
  private final int linkType;
  private final byte[] hdr = new byte[PcapWriter.RECORD_HEADER_LENGTH];
  private long position;

  /** Reads and checks the file header. */
  public PcapReader(InputStream in) throws IOException {
    this.in = in;
    byte[] h = new byte[PcapWriter.FILE_HEADER_LENGTH];
    int n = in.readNBytes(h, 0, h.length);
    if (n < h.length) {
      throw PacketException.truncated(LAYER, "file header", 0, h.length, n);
    }
    int le = le32(h, 0);
    int be = Integer.reverseBytes(le);
    if (le == PcapWriter.MAGIC_MICROS || le == PcapWriter.MAGIC_NANOS) {
      bigEndian = false;
      nanos = le == PcapWriter.MAGIC_NANOS;
    } else if (be == PcapWriter.MAGIC_MICROS || be == PcapWriter.MAGIC_NANOS) {
      bigEndian = true;
      nanos = be == PcapWriter.MAGIC_NANOS;
    } else {
      throw PacketException.invalid(LAYER, "magic", 0, "0xa1b2c3d4 or 0xa1b23c4d in either byte order",
          String.format("0x%08x", be));
    }
    versionMajor = u16(h, 4);
    versionMinor = u16(h, 6);
    if (versionMajor != PcapWriter.VERSION_MAJOR) {
      throw PacketException.invalid(LAYER, "major version", 4, "2", versionMajor);
    }
    snaplen = i32(h, 16);
    linkType = i32(h, 20) & 0x0fff_ffff; // the top bits may carry FCS information
    position = h.length;
  }

  public int linkType() {
    return linkType;
  }

  public int snaplen() {
    return snaplen;
  }

  public int versionMajor() {
    return versionMajor;
  }

  public int versionMinor() {
    return versionMinor;
  }

  public boolean bigEndian() {
    return bigEndian;
  }

  /** The next record, or null at the end of the file. */
  public Record next() throws IOException {
    int n = in.readNBytes(hdr, 0, hdr.length);
    if (n == 0) {
      return null;
    }
    int at = offset();
    if (n < hdr.length) {
      throw PacketException.truncated(LAYER, "record header", at, hdr.length, n);
    }
    long sec = i32(hdr, 0) & 0xffff_ffffL;
    long frac = i32(hdr, 4) & 0xffff_ffffL;
    int incl = i32(hdr, 8);
    int orig = i32(hdr, 12);
    if (incl < 0 || incl > MAX_RECORD_LENGTH) {
      throw PacketException.invalid(LAYER, "record length", at + 8, "0 to " + MAX_RECORD_LENGTH,
          Integer.toUnsignedString(incl));
    }
    position += hdr.length;
    byte[] data = in.readNBytes(incl);
    if (data.length < incl) {
      throw PacketException.truncated(LAYER, "record data", offset(), incl, data.length);
    }
    position += incl;
    long micros = sec * 1_000_000 + (nanos ? frac / 1000 : frac);
    return new Record(micros, orig, data);
  }

  private int offset() {
    return (int) Math.min(position, Integer.MAX_VALUE);
  }

  private int u16(byte[] b, int off) {
    int v = (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    return bigEndian ? Integer.reverseBytes(v) >>> 16 : v;
  }

  private int i32(byte[] b, int off) {
    int v = le32(b, off);
    return bigEndian ? Integer.reverseBytes(v) : v;
  }

  private static int le32(byte[] b, int off) {
    return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
