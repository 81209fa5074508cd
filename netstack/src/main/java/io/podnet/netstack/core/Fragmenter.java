package io.podnet.netstack.core;

import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.Ipv4Header;
import java.util.ArrayList;
import java.util.List;

/**
 * IPv4 fragmentation (RFC 791 section 3.2, Linux's ip_do_fragment slow path): the payload is cut
 * into pieces of {@code (mtu - header length) & ~7} bytes; every fragment but the last carries MF
 * (the last keeps the original's MF, so a fragment can be fragmented again); offsets add to the
 * original's. The first fragment carries every option; later ones carry only the options with the
 * copied flag, the others overwritten with NOP as ip_options_fragment does, so the header length
 * stays the same. DF is cleared; identification, TOS, TTL and protocol are kept.
 */
final class Fragmenter {
  // Byte offsets in the IPv4 header (see the diagram in Ipv4Header).
  static final int IP_TOTAL_LENGTH = 2;
  static final int IP_FLAGS_FRAGMENT = 4 + 2;
  static final int IP_TTL = 8;
  static final int IP_CHECKSUM = 10;
  private static final int COPIED_FLAG = 0x80;
  private static final int OPT_END = 0;
  private static final int OPT_NOP = 1;

  private Fragmenter() {}

  /**
   * The fragments of the well-formed datagram {@code d} (header checksum right, total length =
   * {@code d.length}) for a link of {@code mtu}; empty when the MTU cannot hold a header and 8 bytes.
   */
  static List<byte[]> fragment(byte[] d, int mtu) {
    Ipv4Header h = Ipv4Header.decode(d, 0, d.length);
    int hlen = h.length();
    int payload = h.payloadLength();
    int room = (mtu - hlen) & ~7;
    List<byte[]> out = new ArrayList<>();
    if (room < 8) {
      return out;
    }
    byte[] laterHeader = new byte[hlen];
    System.arraycopy(d, 0, laterHeader, 0, hlen);
    nopUncopiedOptions(laterHeader, hlen);
    for (int pos = 0; pos < payload; ) {
      int n = Math.min(room, payload - pos);
      boolean last = pos + n == payload;
      byte[] f = new byte[hlen + n];
      System.arraycopy(pos == 0 ? d : laterHeader, 0, f, 0, hlen);
      System.arraycopy(d, hlen + pos, f, hlen, n);
      int offsetUnits = h.fragmentOffset() + pos / 8;
      int flags = (last ? h.flags() & Ipv4Header.FLAG_MF : Ipv4Header.FLAG_MF)
          | (h.flags() & Ipv4Header.FLAG_RESERVED);
      Bytes.put16(f, IP_TOTAL_LENGTH, hlen + n);
      Bytes.put16(f, IP_FLAGS_FRAGMENT, flags << 13 | offsetUnits);
      Bytes.put16(f, IP_CHECKSUM, 0);
      Bytes.put16(f, IP_CHECKSUM, Checksum.compute(f, 0, hlen));
      out.add(f);
      pos += n;
    }
    return out;
  }

  /** ip_options_fragment: options without the copied flag become NOPs (a malformed list is left). */
  static void nopUncopiedOptions(byte[] header, int hlen) {
    int i = Ipv4Header.MIN_LENGTH;
    while (i < hlen) {
      int type = header[i] & 0xff;
      if (type == OPT_END) {
        return;
      }
      if (type == OPT_NOP) {
        i++;
        continue;
      }
      if (i + 1 >= hlen) {
        return;
      }
      int len = header[i + 1] & 0xff;
      if (len < 2 || i + len > hlen) {
        return;
      }
      if ((type & COPIED_FLAG) == 0) {
        for (int k = i; k < i + len; k++) {
          header[k] = OPT_NOP;
        }
      }
      i += len;
    }
  }
}
