package io.podnet.proto.packet;

/**
 * The outer UDP source port of a tunnel packet, chosen as Linux does: from a hash of the inner
 * flow, so that one flow keeps one port (no reordering across ECMP paths) and different flows
 * spread across ports.
 *
 * <p>Linux (include/net/udp.h, {@code udp_flow_src_port}):
 *
 * <pre>
 *   hash = skb_get_hash(skb);            // flow dissector + flow_hash_from_keys
 *   if (!hash &amp;&amp; use_eth) hash = jhash(skb-&gt;data, 2 * ETH_ALEN, skb-&gt;protocol);
 *   hash ^= hash &lt;&lt; 16;
 *   return htons((((u64) hash * (max - min)) &gt;&gt; 32) + min);
 * </pre>
 *
 * With {@code min >= max} the range is net.ipv4.ip_local_port_range, 32768-60999 by default: the
 * vxlan driver passes its configured range, 0-0 unless set. The geneve driver always passes 1 and
 * 65535, which is why the reference lab's Geneve source ports (31322, 29257) lie outside the local
 * range. (Kernels since 6.x compute the same with {@code reciprocal_scale(hash, max - min + 1)},
 * which can also yield {@code max}; podnet follows the formula above.)
 *
 * <p>The flow hash itself: what the kernel does, simplified and made deterministic. The kernel
 * hashes the dissected flow keys with a per-boot random secret (siphash on current kernels, jhash2
 * on 4.x, {@code jhash_3words(dst, src, ports, hashrnd)} before that). Here the random secret is
 * the caller's {@code seed} (e.g. fixed per emulated node) and the hash is the old kernel's
 * {@code __flow_hash_3words}: addresses and ports put in a canonical order first (so both
 * directions of a flow hash alike, as {@code __flow_hash_consistentify} does), then
 * {@code jhash_3words(dst, src, ports, seed)}, and 0 mapped to 1. Values are taken as network
 * order integers (the kernel feeds the raw big-endian words, which on x86 reads them byte-swapped;
 * with a random secret no outside observer can tell). Ports are those of TCP and UDP; for other
 * protocols and for fragments they are 0, as the flow dissector's {@code proto_ports_offset}
 * leaves them. Frames that are not IPv4 fall back to the {@code use_eth} branch: jhash of the two
 * MAC addresses with the EtherType as initial value.
 */
public final class FlowHash {
  private FlowHash() {}

  public static final int JHASH_INITVAL = 0xdeadbeef;
  /** net.ipv4.ip_local_port_range defaults. */
  public static final int LOCAL_PORT_MIN = 32768;
  public static final int LOCAL_PORT_MAX = 60999;
  /** The range the geneve driver asks for. */
  public static final int GENEVE_PORT_MIN = 1;
  public static final int GENEVE_PORT_MAX = 65535;

  /** Linux's {@code jhash_3words} (include/linux/jhash.h, Bob Jenkins' lookup3 final mix). */
  public static int jhash3words(int a, int b, int c, int initval) {
    int iv = initval + JHASH_INITVAL + (3 << 2);
    a += iv;
    b += iv;
    c += iv;
    c ^= b; c -= Integer.rotateLeft(b, 14);
    a ^= c; a -= Integer.rotateLeft(c, 11);
    b ^= a; b -= Integer.rotateLeft(a, 25);
    c ^= b; c -= Integer.rotateLeft(b, 16);
    a ^= c; a -= Integer.rotateLeft(c, 4);
    b ^= a; b -= Integer.rotateLeft(a, 14);
    c ^= b; c -= Integer.rotateLeft(b, 24);
    return c;
  }

  /**
   * Linux's {@code jhash} of a byte region, reading words little-endian as on x86 (the kernel
   * reads them in CPU order).
   */
  public static int jhash(byte[] k, int off, int length, int initval) {
    int a = JHASH_INITVAL + length + initval;
    int b = a;
    int c = a;
    int p = off;
    int n = length;
    while (n > 12) {
      a += le32(k, p);
      b += le32(k, p + 4);
      c += le32(k, p + 8);
      // __jhash_mix
      a -= c; a ^= Integer.rotateLeft(c, 4); c += b;
      b -= a; b ^= Integer.rotateLeft(a, 6); a += c;
      c -= b; c ^= Integer.rotateLeft(b, 8); b += a;
      a -= c; a ^= Integer.rotateLeft(c, 16); c += b;
      b -= a; b ^= Integer.rotateLeft(a, 19); a += c;
      c -= b; c ^= Integer.rotateLeft(b, 4); b += a;
      n -= 12;
      p += 12;
    }
    if (n == 0) {
      return c;
    }
    // The tail: bytes 8-11 go to c, 4-7 to b, 0-3 to a, each little-endian.
    for (int i = n - 1; i >= 0; i--) {
      int v = (k[p + i] & 0xff) << (8 * (i & 3));
      if (i >= 8) {
        c += v;
      } else if (i >= 4) {
        b += v;
      } else {
        a += v;
      }
    }
    c ^= b; c -= Integer.rotateLeft(b, 14);
    a ^= c; a -= Integer.rotateLeft(c, 11);
    b ^= a; b -= Integer.rotateLeft(a, 25);
    c ^= b; c -= Integer.rotateLeft(b, 16);
    a ^= c; a -= Integer.rotateLeft(c, 4);
    b ^= a; b -= Integer.rotateLeft(a, 14);
    c ^= b; c -= Integer.rotateLeft(b, 24);
    return c;
  }

  private static int le32(byte[] k, int p) {
    return (k[p] & 0xff) | (k[p + 1] & 0xff) << 8 | (k[p + 2] & 0xff) << 16 | (k[p + 3] & 0xff) << 24;
  }

  /**
   * The flow hash of an IPv4 flow (addresses as network-order ints, ports 0 when the protocol has
   * none); the same for both directions; never 0.
   */
  public static int flowHash(int srcIp, int dstIp, int srcPort, int dstPort, int seed) {
    int src = srcIp;
    int dst = dstIp;
    int sport = srcPort;
    int dport = dstPort;
    if (Integer.compareUnsigned(dst, src) < 0 || (dst == src && dport < sport)) {
      src = dstIp;
      dst = srcIp;
      sport = dstPort;
      dport = srcPort;
    }
    int h = jhash3words(dst, src, sport << 16 | dport, seed);
    return h == 0 ? 1 : h;
  }

  /**
   * The flow hash of an inner Ethernet frame in {@code [off, off+len)}, as described in the class
   * comment. Reads only inside the region and never throws on a short or odd frame: what cannot
   * be dissected hashes as less (no ports, or the MAC fallback).
   */
  public static int innerFrameHash(byte[] f, int off, int len, int seed) {
    Bytes.checkRegion(f, off, len);
    if (len < EthernetHeader.LENGTH) {
      int h = jhash(f, off, len, seed);
      return h == 0 ? 1 : h;
    }
    int type = Bytes.u16(f, off + EthernetHeader.TYPE_OFFSET);
    int ip = off + EthernetHeader.LENGTH;
    int end = off + len;
    if (type != EtherType.IPV4 || end - ip < Ipv4Header.MIN_LENGTH || Bytes.u8(f, ip) >>> 4 != 4) {
      int h = jhash(f, off, 12, type);
      return h == 0 ? 1 : h;
    }
    int ihl = (Bytes.u8(f, ip) & 0xf) * 4;
    int proto = Bytes.u8(f, ip + Ipv4Header.PROTOCOL);
    boolean fragment = (Bytes.u16(f, ip + Ipv4Header.FLAGS_FRAGMENT) & 0x3fff) != 0;
    int sport = 0;
    int dport = 0;
    int l4 = ip + ihl;
    if (!fragment && ihl >= Ipv4Header.MIN_LENGTH && (proto == IpProtocol.TCP || proto == IpProtocol.UDP)
        && end - l4 >= 4) {
      sport = Bytes.u16(f, l4);
      dport = Bytes.u16(f, l4 + 2);
    }
    return flowHash(Bytes.i32(f, ip + Ipv4Header.SOURCE), Bytes.i32(f, ip + Ipv4Header.DESTINATION), sport, dport,
        seed);
  }

  /**
   * {@code udp_flow_src_port}'s last two lines: the port for {@code hash} within [min, max); with
   * {@code min >= max}, the default local port range 32768-60999.
   */
  public static int udpFlowSourcePort(int hash, int min, int max) {
    if (min >= max) {
      min = LOCAL_PORT_MIN;
      max = LOCAL_PORT_MAX;
    }
    int h = hash ^ (hash << 16);
    return (int) (((h & 0xffff_ffffL) * (max - min)) >>> 32) + min;
  }

  /** The source port Linux's vxlan driver picks with the default (unset) port range. */
  public static int vxlanSourcePort(byte[] inner, int off, int len, int seed) {
    return udpFlowSourcePort(innerFrameHash(inner, off, len, seed), 0, 0);
  }

  /** The source port Linux's geneve driver picks (range 1-65535). */
  public static int geneveSourcePort(byte[] inner, int off, int len, int seed) {
    return udpFlowSourcePort(innerFrameHash(inner, off, len, seed), GENEVE_PORT_MIN, GENEVE_PORT_MAX);
  }
}
