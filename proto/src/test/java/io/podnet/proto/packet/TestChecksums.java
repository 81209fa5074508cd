package io.podnet.proto.packet;

/**
 * An Internet checksum written differently from {@link Checksum}, for cross-checking it: the
 * message is first copied into an even-length buffer (pseudo-header in front for transports),
 * then summed word by word with the end-around carry added back after every word (RFC 1071,
 * section 4.1, as a straight loop).
 */
final class TestChecksums {
  private TestChecksums() {}

  static int internet(byte[] data) {
    int sum = 0;
    for (int i = 0; i < data.length; i += 2) {
      int word = (data[i] & 0xff) << 8 | (i + 1 < data.length ? data[i + 1] & 0xff : 0);
      sum += word;
      if (sum > 0xffff) {
        sum = (sum & 0xffff) + 1;
      }
    }
    return ~sum & 0xffff;
  }

  static int internet(byte[] b, int off, int len) {
    byte[] copy = new byte[len];
    System.arraycopy(b, off, copy, 0, len);
    return internet(copy);
  }

  /** UDP/TCP over IPv4: pseudo-header (src, dst, 0, protocol, length) then the segment. */
  static int transport(Ipv4Address src, Ipv4Address dst, int protocol, byte[] b, int off, int len) {
    byte[] all = new byte[12 + len];
    src.write(all, 0);
    dst.write(all, 4);
    all[8] = 0;
    all[9] = (byte) protocol;
    all[10] = (byte) (len >> 8);
    all[11] = (byte) len;
    System.arraycopy(b, off, all, 12, len);
    return internet(all);
  }
}
