package io.podnet.proto.packet;

/**
 * The Internet checksum (RFC 1071), the project's one implementation: IPv4 headers, ICMP, and UDP
 * and TCP with the IPv4 pseudo-header. Sums are accumulated as 32-bit partial sums (odd lengths
 * padded with a zero byte) and folded, carries included, in a loop.
 */
public final class Checksum {
  private Checksum() {}

  /** Adds the 16-bit words of {@code [off, off+len)} to a running partial sum. */
  public static long add(long sum, byte[] b, int off, int len) {
    int end = off + len;
    int i = off;
    for (; i + 1 < end; i += 2) {
      sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
    }
    if (i < end) {
      sum += (b[i] & 0xff) << 8;
    }
    return sum;
  }

  /** Folds carries into 16 bits and complements: the value to store in a checksum field. */
  public static int finish(long sum) {
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  /** The checksum of a region, e.g. an IPv4 header with its checksum field zeroed. */
  public static int compute(byte[] b, int off, int len) {
    return finish(add(0, b, off, len));
  }

  /**
   * True when a region that includes its own checksum field sums to all-ones, i.e. the stored
   * checksum is right.
   */
  public static boolean verify(byte[] b, int off, int len) {
    return compute(b, off, len) == 0;
  }

  /**
   * The partial sum of the IPv4 pseudo-header (RFC 768 / RFC 793): source, destination, zero,
   * protocol, and the transport length.
   */
  public static long pseudoHeader(int srcIp, int dstIp, int protocol, int transportLength) {
    return ((srcIp >>> 16) & 0xffffL) + (srcIp & 0xffffL) + ((dstIp >>> 16) & 0xffffL)
        + (dstIp & 0xffffL) + (protocol & 0xff) + (transportLength & 0xffff);
  }

  /**
   * The checksum of a UDP datagram or TCP segment in {@code [off, off+len)} whose checksum field
   * is zero (when computing) or holds the sent value (when verifying: a right one gives 0).
   */
  public static int transport(int srcIp, int dstIp, int protocol, byte[] b, int off, int len) {
    return finish(add(pseudoHeader(srcIp, dstIp, protocol, len), b, off, len));
  }
}
