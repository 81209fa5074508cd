package io.podnet.proto.packet;

/**
 * Big-endian (network order) reads and writes on byte arrays. Readers return unsigned values as
 * {@code int} / {@code long}. Bounds are the caller's business: every decoder checks the length it
 * needs with {@link #require} before reading.
 */
public final class Bytes {
  private Bytes() {}

  /**
   * Throws unless {@code needed} bytes are available at {@code offset}, given that the readable
   * region ends at {@code limit} (exclusive).
   */
  public static void require(String layer, String field, int offset, int needed, int limit) {
    if (offset < 0 || needed < 0 || offset > limit - needed) {
      throw PacketException.truncated(layer, field, offset, needed, limit - offset);
    }
  }

  /** Checks that {@code [offset, offset + length)} lies within an array of {@code arrayLength}. */
  public static void checkRegion(byte[] buf, int offset, int length) {
    if (buf == null) {
      throw new NullPointerException("buffer");
    }
    if (offset < 0 || length < 0 || offset > buf.length - length) {
      throw new IndexOutOfBoundsException(
          "region [" + offset + ", " + offset + "+" + length + ") outside buffer of " + buf.length);
    }
  }

  public static int u8(byte[] b, int off) {
    return b[off] & 0xff;
  }

  public static int u16(byte[] b, int off) {
    return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
  }

  public static int u24(byte[] b, int off) {
    return ((b[off] & 0xff) << 16) | ((b[off + 1] & 0xff) << 8) | (b[off + 2] & 0xff);
  }

  /** An unsigned 32-bit value, in an int (use {@link Integer#toUnsignedLong} to widen). */
  public static int i32(byte[] b, int off) {
    return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8)
        | (b[off + 3] & 0xff);
  }

  public static long u32(byte[] b, int off) {
    return i32(b, off) & 0xffffffffL;
  }

  public static long u48(byte[] b, int off) {
    return ((long) u16(b, off) << 32) | u32(b, off + 2);
  }

  public static void put8(byte[] b, int off, int v) {
    b[off] = (byte) v;
  }

  public static void put16(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 8);
    b[off + 1] = (byte) v;
  }

  public static void put24(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 16);
    b[off + 1] = (byte) (v >>> 8);
    b[off + 2] = (byte) v;
  }

  public static void put32(byte[] b, int off, long v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  public static void put48(byte[] b, int off, long v) {
    put16(b, off, (int) (v >>> 32));
    put32(b, off + 2, v);
  }

  /** Lower-case hex of a region, e.g. for test messages and debugging. */
  public static String hex(byte[] b, int off, int len) {
    StringBuilder sb = new StringBuilder(len * 2);
    for (int i = off; i < off + len; i++) {
      sb.append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append(Character.forDigit(b[i] & 0xf, 16));
    }
    return sb.toString();
  }

  /** Parses hex with optional white space, e.g. test vectors. */
  public static byte[] fromHex(String hex) {
    String s = hex.replaceAll("\\s+", "");
    if (s.length() % 2 != 0) {
      throw new IllegalArgumentException("odd number of hex digits: " + s.length());
    }
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(s.charAt(2 * i), 16);
      int lo = Character.digit(s.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new IllegalArgumentException("not a hex digit at " + (2 * i) + ": " + s.substring(2 * i, 2 * i + 2));
      }
      out[i] = (byte) ((hi << 4) | lo);
    }
    return out;
  }
}
