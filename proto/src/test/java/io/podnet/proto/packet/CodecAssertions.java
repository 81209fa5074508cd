package io.podnet.proto.packet;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;

/** Checks every decoder gets: truncation at every length, and decodes inside a larger buffer. */
final class CodecAssertions {
  private CodecAssertions() {}

  interface Decoder {
    Object decode(byte[] b, int off, int len);
  }

  /** Every proper prefix of a valid encoding shorter than {@code minValid} is rejected. */
  static void everyPrefixRejected(Decoder d, byte[] valid, int minValid) {
    for (int n = 0; n < minValid; n++) {
      byte[] prefix = Arrays.copyOf(valid, n);
      final int len = n;
      PacketException e = assertThrows(PacketException.class, () -> d.decode(prefix, 0, len),
          "prefix of " + n + " bytes must be rejected");
      if (e.getMessage() == null || !e.getMessage().contains("offset")) {
        fail("message must name the offset: " + e.getMessage());
      }
    }
  }

  /** The decoder reads only inside [off, off+len): the same bytes embedded in junk decode alike. */
  static Object decodeEmbedded(Decoder d, byte[] valid) {
    byte[] big = new byte[valid.length + 17];
    Arrays.fill(big, (byte) 0xa5);
    System.arraycopy(valid, 0, big, 7, valid.length);
    return d.decode(big, 7, valid.length);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }

  static byte[] bytes(int... v) {
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (byte) v[i];
    }
    return out;
  }
}
