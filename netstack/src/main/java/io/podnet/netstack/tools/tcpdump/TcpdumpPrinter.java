package io.podnet.netstack.tools.tcpdump;

import java.util.HashMap;
import java.util.Map;

/**
 * Prints captured frames the way tcpdump 4.99 does without {@code -v}: one line per packet (two
 * for VXLAN/OTV, whose inner frame starts a new line), {@code HH:MM:SS.uuuuuu} of the lab clock
 * first, then with {@code -i any} the interface and direction as print-sll.c prints a Linux cooked
 * v2 header, then the protocols: Ethernet (802.1Q skipped unless {@code -e}), ARP/RARP, IPv4,
 * ICMP, UDP (VXLAN 4789, Geneve 6081, OTV 8472 as tcpdump dispatches them), TCP (options,
 * relative sequence numbers per connection unless {@code -S}, the first line of HTTP on port
 * 80/8080). Truncated and malformed packets print as tcpdump prints them ({@code [|icmp]},
 * {@code truncated-ip - N bytes missing!}, {@code bad-hlen}, ...).
 *
 * <p>Addresses and ports are always numeric (as {@code -nn}); without {@code -n} tcpdump would
 * look names up, which podnet does not do. UDP and TCP ports that tcpdump hands to a decoder
 * podnet does not have (DNS, DHCP, NTP, SSH, ...) print as plain UDP/TCP. Other EtherTypes
 * (IPv6 included) print as tcpdump prints an unknown EtherType: the Ethernet header and a hex dump.
 *
 * <p>An instance holds the relative-sequence state of one capture; not thread-safe.
 */
public final class TcpdumpPrinter {
  static final int ETHERTYPE_IPV4 = 0x0800;
  static final int ETHERTYPE_ARP = 0x0806;
  static final int ETHERTYPE_RARP = 0x8035;
  static final int ETHERTYPE_VLAN = 0x8100;
  static final int ETHERTYPE_IPV6 = 0x86dd;
  static final int ETHERTYPE_TEB = 0x6558;
  static final int PORT_VXLAN = 4789;
  static final int PORT_GENEVE = 6081;
  static final int PORT_OTV = 8472;
  static final int PORT_HTTP = 80;
  static final int PORT_HTTP_ALT = 8080;
  /** The snapshot length tcpdump uses by default (MAXIMUM_SNAPLEN). */
  public static final int SNAPLEN = 262144;

  private final boolean linkHeaders;
  private final boolean absoluteSeq;
  private final Map<TcpConversation, long[]> tcpSeq = new HashMap<>();

  /** {@code -e}: print link-level headers; {@code -S}: absolute TCP sequence numbers. */
  public TcpdumpPrinter(boolean linkHeaders, boolean absoluteSeq) {
    this.linkHeaders = linkHeaders;
    this.absoluteSeq = absoluteSeq;
  }

  public TcpdumpPrinter(TcpdumpOptions options) {
    this(options.linkHeaders(), options.absoluteSequence());
  }

  /**
   * The lines tcpdump writes to stderr when it starts capturing on {@code ifName} ("any" for all
   * interfaces), each ending in a newline.
   */
  public static String banner(TcpdumpOptions options, String ifName) {
    StringBuilder sb = new StringBuilder();
    boolean any = "any".equals(ifName);
    if (any) {
      sb.append("tcpdump: data link type LINUX_SLL2\n");
    }
    if (options.writeFile() == null && options.verbosity() == 0) {
      sb.append("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n");
    } else {
      sb.append("tcpdump: "); // tcpdump.c: the program name starts the "listening on" line instead
    }
    sb.append("listening on ").append(ifName).append(", link-type ")
        .append(any ? "LINUX_SLL2 (Linux cooked v2)" : "EN10MB (Ethernet)")
        .append(", snapshot length ").append(SNAPLEN).append(" bytes\n");
    return sb.toString();
  }

  /** The statistics tcpdump writes to stderr when it stops, each line ending in a newline. */
  public static String statistics(long captured, long receivedByFilter, long droppedByKernel) {
    return captured + " packet" + plural(captured) + " captured\n" + receivedByFilter + " packet"
        + plural(receivedByFilter) + " received by filter\n" + droppedByKernel + " packet"
        + plural(droppedByKernel) + " dropped by kernel\n";
  }

  private static String plural(long n) {
    return n == 1 ? "" : "s";
  }

  /** {@code HH:MM:SS.uuuuuu } of a time in microseconds (UTC day of the lab clock). */
  public static String timestamp(long micros) {
    long secOfDay = Math.floorMod(Math.floorDiv(micros, 1_000_000L), 86_400L);
    long us = Math.floorMod(micros, 1_000_000L);
    return String.format("%02d:%02d:%02d.%06d", secOfDay / 3600, secOfDay / 60 % 60, secOfDay % 60, us);
  }

  /**
   * The output for one Ethernet frame {@code [off, off+len)}, without a trailing newline (it
   * contains newlines for tunnels and hex dumps). {@code ifName} null prints a single-interface
   * capture (link-type EN10MB); non-null prints as {@code -i any} does, with {@code dir} (null
   * prints {@code ?}).
   */
  public String line(long micros, String ifName, Direction dir, byte[] frame, int off, int len) {
    if (frame == null || off < 0 || len < 0 || off > frame.length - len) {
      throw new IndexOutOfBoundsException("frame region [" + off + ", " + off + "+" + len + ")");
    }
    Pass p = new Pass(frame, off + len);
    p.sb.append(timestamp(micros)).append(' ');
    try {
      if (ifName == null) {
        p.ether(off, len);
      } else {
        p.sb.append(String.format("%-5s ", ifName)).append(dir == null ? "?   " : dir.text());
        p.protocol = "sll2";
        int type = p.u16(off + 12);
        p.etherType(type, off + 14, len - 14, off, len, true);
      }
    } catch (Truncated t) {
      p.sb.append(" [|").append(p.protocol).append(']');
    } catch (TruncatedPrinted t) {
      // the marker is printed already
    }
    return p.sb.toString();
  }

  public String line(long micros, String ifName, Direction dir, byte[] frame) {
    return line(micros, ifName, dir, frame, 0, frame.length);
  }

  /** Thrown when a read goes past the captured bytes: tcpdump's longjmp to "[|proto]". */
  private static final class Truncated extends RuntimeException {
    Truncated() {
      super(null, null, false, false);
    }
  }

  private static final Truncated TRUNCATED = new Truncated();

  /** A TCP conversation, addresses and ports ordered as print-tcp.c orders them. */
  private record TcpConversation(int lowAddr, int highAddr, int ports) {}

  /** One packet's printing: the buffer, the end of what may be read, the text so far. */
  private final class Pass {
    final byte[] b;
    int limit;
    final StringBuilder sb = new StringBuilder(128);
    String protocol = "ether";

    Pass(byte[] b, int limit) {
      this.b = b;
      this.limit = limit;
    }

    boolean has(int p, int n) {
      return p >= 0 && n >= 0 && p <= limit - n;
    }

    void need(int p, int n) {
      if (!has(p, n)) {
        throw TRUNCATED;
      }
    }

    int u8(int p) {
      need(p, 1);
      return b[p] & 0xff;
    }

    int u16(int p) {
      need(p, 2);
      return (b[p] & 0xff) << 8 | (b[p + 1] & 0xff);
    }

    int u24(int p) {
      need(p, 3);
      return (b[p] & 0xff) << 16 | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff);
    }

    long u32(int p) {
      need(p, 4);
      return ((long) (b[p] & 0xff) << 24) | (b[p + 1] & 0xff) << 16 | (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
    }

    String ip(int p) {
      need(p, 4);
      return (b[p] & 0xff) + "." + (b[p + 1] & 0xff) + "." + (b[p + 2] & 0xff) + "." + (b[p + 3] & 0xff);
    }

    String link(int p, int n) {
      need(p, n);
      StringBuilder s = new StringBuilder(3 * n);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          s.append(':');
        }
        s.append(Character.forDigit((b[p + i] >> 4) & 0xf, 16)).append(Character.forDigit(b[p + i] & 0xf, 16));
      }
      return s.toString();
    }

    // ---- Ethernet (print-ether.c) ----

    void ether(int p, int length) {
      protocol = "ether";
      need(p, 14);
      int type = u16(p + 12);
      int hdr = 14;
      String vlan = null;
      if (type == ETHERTYPE_VLAN) {
        need(p + 14, 4);
        int tci = u16(p + 14);
        type = u16(p + 16);
        hdr = 18;
        vlan = "vlan " + (tci & 0xfff) + ", p " + (tci >>> 13) + ((tci & 0x1000) != 0 ? ", DEI" : "") + ", ";
      }
      if (linkHeaders) {
        sb.append(link(p + 6, 6)).append(" > ").append(link(p, 6)).append(", ");
        if (vlan != null) {
          sb.append(etherTypeText(ETHERTYPE_VLAN)).append(", length ").append(length).append(": ").append(vlan)
              .append(etherTypeText(type)).append(", ");
        } else if (type > 1500) {
          sb.append(etherTypeText(type)).append(", length ").append(length).append(": ");
        }
      }
      etherType(type, p + hdr, length - hdr, p, length, false);
    }

    /** Dispatches on an EtherType; {@code frameOff}/{@code frameLen} are for the unknown-type dump. */
    void etherType(int type, int p, int length, int frameOff, int frameLen, boolean cooked) {
      switch (type) {
        case ETHERTYPE_IPV4 -> ipv4(p, length);
        case ETHERTYPE_ARP, ETHERTYPE_RARP -> arp(p, length);
        default -> {
          if (!linkHeaders && !cooked) {
            sb.append(link(frameOff + 6, 6)).append(" > ").append(link(frameOff, 6)).append(", ");
            if (type > 1500) {
              sb.append(etherTypeText(type)).append(", length ").append(frameLen).append(": ");
            }
          } else if (cooked) {
            sb.append(etherTypeText(type)).append(", length ").append(frameLen).append(": ");
          }
          if (type <= 1500 && !cooked) {
            sb.append("802.3, length ").append(frameLen).append(": ");
          }
          hexDump(p, Math.max(0, Math.min(limit - p, length)));
        }
      }
    }

    /** print-ascii.c hex_and_ascii_print: 16 bytes a line, offset, hex in pairs, printable ASCII. */
    void hexDump(int p, int n) {
      int end = Math.min(p + n, limit);
      for (int line = p; line < end; line += 16) {
        StringBuilder hex = new StringBuilder(40);
        StringBuilder ascii = new StringBuilder(16);
        for (int i = line; i < Math.min(line + 16, end); i++) {
          if ((i - line) % 2 == 0) {
            hex.append(' ');
          }
          int v = b[i] & 0xff;
          hex.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
          ascii.append(v > 0x20 && v < 0x7f ? (char) v : '.');
        }
        sb.append("\n\t").append(String.format("0x%04x: %-40s  %s", line - p, hex, ascii));
      }
    }

    // ---- ARP (print-arp.c) ----

    void arp(int p, int length) {
      protocol = "arp";
      need(p, 8);
      int hrd = u16(p);
      int pro = u16(p + 2);
      int hln = u8(p + 4);
      int pln = u8(p + 5);
      int op = u16(p + 6);
      need(p + 8, 2 * hln + 2 * pln);
      int sha = p + 8;
      int spa = sha + hln;
      int tha = spa + pln;
      int tpa = tha + hln;
      if (!linkHeaders) {
        sb.append("ARP, ");
      }
      if ((pro != ETHERTYPE_IPV4 && pro != 0x1000) || pln != 4 || hln == 0) {
        sb.append(hrd == 1 ? "Ethernet" : hrd == 6 ? "IEEE 802" : "Unknown Hardware (" + hrd + ")")
            .append(" (len ").append(hln).append("), ")
            .append(pro == ETHERTYPE_IPV6 ? "IPv6" : pro == ETHERTYPE_IPV4 ? "IPv4"
                : String.format("Unknown Protocol (0x%04x)", pro))
            .append(" (len ").append(pln).append(')');
        sb.append(", length ").append(length);
        return;
      }
      switch (op) {
        case 1 -> {
          sb.append("Request who-has ").append(ip(tpa));
          if (nonZero(tha, hln)) {
            sb.append(" (").append(link(tha, hln)).append(')');
          }
          sb.append(" tell ").append(ip(spa));
        }
        case 2 -> sb.append("Reply ").append(ip(spa)).append(" is-at ").append(link(sha, hln));
        case 3 -> sb.append("Reverse Request who-is ").append(link(tha, hln)).append(" tell ").append(link(sha, hln));
        case 4 -> sb.append("Reverse Reply ").append(link(tha, hln)).append(" at ").append(ip(tpa));
        case 8 -> sb.append("Inverse Request who-is ").append(ip(tpa)).append(" tell ").append(link(sha, hln));
        case 9 -> sb.append("Inverse Reply ").append(link(sha, hln)).append(" at ").append(ip(spa));
        default -> {
          sb.append(op == 10 ? "NACK Reply" : "Unknown (" + op + ")").append(' ');
          hexDump(p, Math.min(limit - p, length));
          return;
        }
      }
      sb.append(", length ").append(length);
    }

    boolean nonZero(int p, int n) {
      for (int i = 0; i < n; i++) {
        if (b[p + i] != 0) {
          return true;
        }
      }
      return false;
    }

    // ---- IPv4 (print-ip.c) ----

    void ipv4(int p, int length) {
      protocol = "ip";
      int version = u8(p) >>> 4;
      if (version != 4) {
        sb.append(version == 6 ? "IP6, wrong link-layer encapsulation" : "IP" + version).append(" (invalid)");
        return;
      }
      if (!linkHeaders) {
        sb.append("IP ");
      }
      need(p, 20);
      int hlen = (u8(p) & 0xf) * 4;
      if (hlen < 20) {
        sb.append("bad-hlen ").append(hlen);
        return;
      }
      int len = u16(p + 2);
      if (length < len) {
        sb.append("truncated-ip - ").append(len - length).append(" bytes missing! ");
      }
      if (len < hlen) {
        sb.append("bad-len ").append(len);
        return;
      }
      // Bytes past the datagram (Ethernet padding) are not part of it.
      limit = Math.min(limit, p + len);
      int ff = u16(p + 6);
      int fragOffset = ff & 0x1fff;
      boolean fragmented = (ff & 0x3fff) != 0;
      int proto = u8(p + 9);
      String src = ip(p + 12);
      String dst = ip(p + 16);
      int payload = p + hlen;
      int plen = len - hlen;
      if (fragOffset != 0) {
        sb.append(src).append(" > ").append(dst).append(": ip-proto-").append(proto);
        return;
      }
      switch (proto) {
        case 6 -> tcp(payload, plen, p + 12, p + 16);
        case 17 -> udp(payload, plen, src, dst, fragmented);
        case 1 -> {
          sb.append(src).append(" > ").append(dst).append(": ");
          icmp(payload, plen);
        }
        default -> sb.append(src).append(" > ").append(dst).append(":  ip-proto-").append(proto).append(' ')
            .append(plen);
      }
    }

    // ---- ICMP (print-icmp.c) ----

    void icmp(int p, int length) {
      protocol = "icmp";
      int type = u8(p);
      int code = u8(p + 1);
      String text = switch (type) {
        case 0, 8 -> (type == 0 ? "echo reply" : "echo request") + ", id " + u16(p + 4) + ", seq " + u16(p + 6);
        case 3 -> unreachable(p, code);
        case 4 -> "source quench";
        case 5 -> redirect(p, code);
        case 9 -> "router advertisement";
        case 10 -> "router solicitation";
        case 11 -> code == 0 ? "time exceeded in-transit" : code == 1 ? "ip reassembly time exceeded"
            : "time exceeded-#" + code;
        case 12 -> code == 0 ? "parameter problem - octet " + u8(p + 4) : "parameter problem code " + code;
        case 13 -> "time stamp query id " + u16(p + 4) + " seq " + u16(p + 6);
        case 15 -> "information request";
        case 16 -> "information reply";
        case 17 -> "address mask request";
        case 18 -> String.format("address mask is 0x%08x", u32(p + 8));
        default -> "type-#" + type;
      };
      sb.append("ICMP ").append(text).append(", length ").append(length);
    }

    private String unreachable(int p, int code) {
      int quoted = p + 8;
      String dst = ip(quoted + 16);
      switch (code) {
        case 2:
          return dst + " protocol " + u8(quoted + 9) + " unreachable";
        case 3: {
          int hlen = (u8(quoted) & 0xf) * 4;
          int dport = u16(quoted + hlen + 2);
          int proto = u8(quoted + 9);
          return switch (proto) {
            case 6 -> dst + " tcp port " + dport + " unreachable";
            case 17 -> dst + " udp port " + dport + " unreachable";
            default -> dst + " protocol " + proto + " port " + dport + " unreachable";
          };
        }
        case 4: {
          int mtu = u16(p + 6);
          return dst + " unreachable - need to frag" + (mtu != 0 ? " (mtu " + mtu + ")" : "");
        }
        default:
          String fmt = switch (code) {
            case 0 -> "net %s unreachable";
            case 1 -> "host %s unreachable";
            case 5 -> "%s unreachable - source route failed";
            case 6 -> "net %s unreachable - unknown";
            case 7 -> "host %s unreachable - unknown";
            case 8 -> "%s unreachable - source host isolated";
            case 9 -> "net %s unreachable - admin prohibited";
            case 10 -> "host %s unreachable - admin prohibited";
            case 11 -> "net %s unreachable - tos prohibited";
            case 12 -> "host %s unreachable - tos prohibited";
            case 13 -> "host %s unreachable - admin prohibited filter";
            case 14 -> "host %s unreachable - host precedence violation";
            case 15 -> "host %s unreachable - precedence cutoff";
            default -> "#" + code + " %s unreachable";
          };
          return String.format(fmt, dst);
      }
    }

    private String redirect(int p, int code) {
      String gw = ip(p + 4);
      String dst = ip(p + 8 + 16);
      return switch (code) {
        case 0 -> "redirect " + dst + " to net " + gw;
        case 1 -> "redirect " + dst + " to host " + gw;
        case 2 -> "redirect-tos " + dst + " to net " + gw;
        case 3 -> "redirect-tos " + dst + " to host " + gw;
        default -> "redirect-#" + code + " " + dst + " to " + gw;
      };
    }

    // ---- UDP (print-udp.c) and what it dispatches to ----

    void udp(int p, int length, String src, String dst, boolean fragmented) {
      protocol = "udp";
      if (!has(p, 4)) {
        sb.append(src).append(" > ").append(dst).append(": ");
        throw TRUNCATED;
      }
      int sport = u16(p);
      int dport = u16(p + 2);
      String addrs = src + "." + sport + " > " + dst + "." + dport + ": ";
      if (length < 8) {
        sb.append(addrs).append("truncated-udp ").append(length);
        return;
      }
      if (!has(p + 4, 2)) {
        sb.append(addrs);
        throw TRUNCATED;
      }
      int ulen = u16(p + 4);
      if (ulen < 8) {
        sb.append(addrs).append("truncated-udplength ").append(ulen);
        return;
      }
      ulen -= 8;
      length -= 8;
      if (ulen < length) {
        length = ulen;
      }
      sb.append(addrs);
      need(p, 8);
      int data = p + 8;
      if (sport == PORT_VXLAN || dport == PORT_VXLAN) {
        vxlan(data, length);
      } else if (sport == PORT_GENEVE || dport == PORT_GENEVE) {
        geneve(data, length);
      } else if (sport == PORT_OTV || dport == PORT_OTV) {
        otv(data, length);
      } else if (ulen > length && !fragmented) {
        sb.append("UDP, bad length ").append(ulen).append(" > ").append(length);
      } else {
        sb.append("UDP, length ").append(ulen);
      }
    }

    void vxlan(int p, int length) {
      protocol = "vxlan";
      sb.append("VXLAN");
      if (length < 8) {
        sb.append(" (invalid)");
        return;
      }
      int flags = u8(p);
      sb.append(", flags [").append((flags & 0x08) != 0 ? "I" : ".").append(String.format("] (0x%02x), ", flags));
      int vni = u24(p + 4);
      sb.append("vni ").append(vni).append('\n');
      ether(p + 8, length - 8);
    }

    void otv(int p, int length) {
      protocol = "otv";
      sb.append("OTV, ");
      int flags = u8(p);
      sb.append("flags [").append((flags & 0x08) != 0 ? "I" : ".").append(String.format("] (0x%02x), ", flags));
      int overlay = u24(p + 1);
      sb.append("overlay ").append(overlay).append(", ");
      int instance = u24(p + 4);
      sb.append("instance ").append(instance).append('\n');
      ether(p + 8, length - 8);
    }

    void geneve(int p, int length) {
      protocol = "geneve";
      sb.append("Geneve");
      int verOpt = u8(p);
      int version = verOpt >>> 6;
      if (version != 0) {
        sb.append(" ERROR: unknown-version ").append(version);
        return;
      }
      int flags = u8(p + 1);
      int prot = u16(p + 2);
      int vni = u24(p + 4);
      int reserved = u8(p + 7);
      String f = ((flags & 0x80) != 0 ? "O" : "") + ((flags & 0x40) != 0 ? "C" : "");
      sb.append(", Flags [").append(f.isEmpty() ? "none" : f).append(']');
      sb.append(", vni 0x").append(Integer.toHexString(vni));
      if (reserved != 0) {
        sb.append(", rsvd 0x").append(Integer.toHexString(reserved));
      }
      if (linkHeaders) {
        sb.append(", proto ").append(etherTypeName(prot, "unknown")).append(String.format(" (0x%04x)", prot));
      }
      int optsLen = (verOpt & 0x3f) * 4;
      int rest = length - 8;
      if (rest < optsLen) {
        sb.append(" truncated-geneve - ").append(optsLen - rest).append(" bytes missing");
        return;
      }
      need(p + 8, optsLen);
      if (optsLen > 0) {
        sb.append(", options [").append(optsLen).append(" bytes]");
      }
      int inner = p + 8 + optsLen;
      rest -= optsLen;
      sb.append(": ");
      if (prot == ETHERTYPE_TEB) {
        ether(inner, rest);
      } else if (prot == ETHERTYPE_IPV4) {
        ipv4(inner, rest);
      } else if (prot == ETHERTYPE_ARP || prot == ETHERTYPE_RARP) {
        arp(inner, rest);
      } else {
        sb.append("ethertype ").append(etherTypeName(prot, "unknown")).append(String.format(" (0x%04x)", prot));
      }
    }

    // ---- TCP (print-tcp.c) ----

    void tcp(int p, int length, int srcAt, int dstAt) {
      protocol = "tcp";
      String src = ip(srcAt);
      String dst = ip(dstAt);
      if (!has(p, 4)) {
        sb.append(src).append(" > ").append(dst).append(':');
        throw TRUNCATED;
      }
      int sport = u16(p);
      int dport = u16(p + 2);
      sb.append(src).append('.').append(sport).append(" > ").append(dst).append('.').append(dport).append(": ");
      int hlen = (u8(p + 12) >>> 4) * 4;
      if (hlen < 20) {
        sb.append(" tcp ").append(Integer.toUnsignedLong(length - hlen)).append(" [bad hdr length ").append(hlen)
            .append(" - too short, < 20]");
        return;
      }
      long seq = u32(p + 4);
      long ack = u32(p + 8);
      int flags = u8(p + 13) | (u8(p + 12) & 1) << 8;
      int win = u16(p + 14);
      int urp = u16(p + 18);
      if (hlen > length) {
        sb.append(" [bad hdr length ").append(hlen).append(" - too long, > ").append(length).append(']');
        return;
      }
      long thseq = 0;
      long thack = 0;
      boolean rev = false;
      if (!absoluteSeq && (flags & 0x10) != 0) {
        int a = (int) u32(srcAt);
        int d = (int) u32(dstAt);
        int cmp = Integer.compareUnsigned(a, d);
        rev = cmp > 0 || (cmp == 0 && sport > dport);
        TcpConversation key = rev ? new TcpConversation(d, a, dport << 16 | sport)
            : new TcpConversation(a, d, sport << 16 | dport);
        long[] th = tcpSeq.get(key);
        if (th == null || (flags & 0x02) != 0) {
          th = new long[2];
          if (rev) {
            th[1] = seq;
            th[0] = (ack - 1) & 0xffffffffL;
          } else {
            th[0] = seq;
            th[1] = (ack - 1) & 0xffffffffL;
          }
          tcpSeq.put(key, th);
        } else if (rev) {
          seq = (seq - th[1]) & 0xffffffffL;
          ack = (ack - th[0]) & 0xffffffffL;
        } else {
          seq = (seq - th[0]) & 0xffffffffL;
          ack = (ack - th[1]) & 0xffffffffL;
        }
        thseq = th[0];
        thack = th[1];
      }
      int datalen = length - hlen;
      sb.append("Flags ").append(io.podnet.proto.packet.TcpHeader.tcpdumpFlags(flags));
      if (datalen > 0 || (flags & 0x07) != 0) {
        sb.append(", seq ").append(seq);
        if (datalen > 0) {
          sb.append(':').append((seq + datalen) & 0xffffffffL);
        }
      }
      if ((flags & 0x10) != 0) {
        sb.append(", ack ").append(ack);
      }
      sb.append(", win ").append(win);
      if ((flags & 0x20) != 0) {
        sb.append(", urg ").append(urp);
      }
      if (hlen > 20 && !tcpOptions(p + 20, hlen - 20, rev ? thseq : thack)) {
        return;
      }
      sb.append(", length ").append(datalen);
      if (datalen > 0 && (sport == PORT_HTTP || dport == PORT_HTTP || sport == PORT_HTTP_ALT
          || dport == PORT_HTTP_ALT)) {
        http(p + hlen, datalen);
      }
    }

    /** The options; false when printing stopped inside them (bad option). */
    private boolean tcpOptions(int cp, int hlen, long sackBase) {
      sb.append(", options [");
      char ch = 0;
      while (hlen > 0) {
        if (ch != 0) {
          sb.append(ch);
        }
        int opt = u8(cp++);
        int len;
        if (opt == 0 || opt == 1) {
          len = 1;
        } else {
          len = u8(cp++);
          if (len < 2 || len > hlen) {
            return badOption(ch);
          }
          --hlen;
        }
        --hlen;
        sb.append(optionName(opt));
        int datalen = 0;
        switch (opt) {
          case 2 -> {
            datalen = 2;
            if (!lenCheck(cp, datalen, hlen, ch)) {
              return badOption(ch);
            }
            sb.append(' ').append(u16(cp));
          }
          case 3 -> {
            datalen = 1;
            if (!lenCheck(cp, datalen, hlen, ch)) {
              return badOption(ch);
            }
            sb.append(' ').append(u8(cp));
          }
          case 5 -> {
            datalen = len - 2;
            if (datalen % 8 != 0) {
              sb.append(" invalid sack");
            } else {
              sb.append(' ').append(datalen / 8).append(' ');
              for (int i = 0; i < datalen; i += 8) {
                if (!lenCheck(cp, i + 4, hlen, ch)) {
                  return badOption(ch);
                }
                long s = u32(cp + i);
                if (!lenCheck(cp, i + 8, hlen, ch)) {
                  return badOption(ch);
                }
                long e = u32(cp + i + 4);
                sb.append('{').append((s - sackBase) & 0xffffffffL).append(':').append((e - sackBase) & 0xffffffffL)
                    .append('}');
              }
            }
          }
          case 8 -> {
            datalen = 8;
            if (!lenCheck(cp, datalen, hlen, ch)) {
              return badOption(ch);
            }
            sb.append(" val ").append(u32(cp)).append(" ecr ").append(u32(cp + 4));
          }
          case 0, 1, 4 -> datalen = 0;
          default -> {
            datalen = len - 2;
            if (datalen > 0) {
              sb.append(" 0x");
            }
            for (int i = 0; i < datalen; i++) {
              if (!lenCheck(cp, i + 1, hlen, ch)) {
                return badOption(ch);
              }
              int v = u8(cp + i);
              sb.append(Character.forDigit(v >> 4, 16)).append(Character.forDigit(v & 0xf, 16));
            }
          }
        }
        cp += datalen;
        hlen -= datalen;
        ++datalen;
        if (opt != 0 && opt != 1) {
          ++datalen;
        }
        if (datalen != len) {
          sb.append("[len ").append(len).append(']');
        }
        ch = ',';
        if (opt == 0) {
          break;
        }
      }
      sb.append(']');
      return true;
    }

    /** LENCHECK: false for a bad option; throws with tcpdump's {@code >} when truncated. */
    private boolean lenCheck(int cp, int l, int hlen, char ch) {
      if (l > hlen) {
        return false;
      }
      if (!has(cp, l)) {
        if (ch != 0) {
          sb.append(" [|tcp]>");
          throw new TruncatedPrinted();
        }
        throw TRUNCATED;
      }
      return true;
    }

    private boolean badOption(char ch) {
      sb.append("[bad opt]");
      if (ch != 0) {
        sb.append(']');
      }
      return false;
    }

    private void http(int p, int length) {
      int end = Math.min(p + length, limit);
      int first = token(p, end);
      if (first <= p) {
        return;
      }
      String cmd = new String(b, p, first - p, java.nio.charset.StandardCharsets.US_ASCII);
      boolean print = HTTP_COMMANDS.contains(cmd.toUpperCase(java.util.Locale.ROOT));
      if (!print && first < end && b[first] == ' ') {
        int s = first + 1;
        int second = token(s, end);
        print = second - s == 3 && Character.isDigit(b[s]) && Character.isDigit(b[s + 1])
            && Character.isDigit(b[s + 2]);
      }
      if (!print) {
        return;
      }
      StringBuilder line = new StringBuilder();
      for (int i = p; i < end; i++) {
        int c = b[i] & 0xff;
        if (c == '\n' || (c == '\r' && i + 1 < end && b[i + 1] == '\n')) {
          sb.append(": HTTP: ").append(line);
          return;
        }
        if (c < 0x20 && c != '\t' || c >= 0x7f) {
          return;
        }
        line.append((char) c);
      }
      sb.append(": HTTP: ").append(line);
      protocol = "http";
      throw TRUNCATED;
    }

    /** The end of a token of printable non-space characters starting at {@code p}. */
    private int token(int p, int end) {
      int i = p;
      while (i < end && b[i] > 0x20 && b[i] < 0x7f) {
        i++;
      }
      return i;
    }
  }

  /** Truncation whose marker has already been printed (tcp options: {@code [|tcp]>}). */
  private static final class TruncatedPrinted extends RuntimeException {
    TruncatedPrinted() {
      super(null, null, false, false);
    }
  }

  private static final java.util.Set<String> HTTP_COMMANDS = java.util.Set.of("OPTIONS", "GET", "HEAD", "POST",
      "PUT", "DELETE", "TRACE", "CONNECT", "PROPFIND", "PROPPATCH", "COPY", "MOVE", "LOCK", "UNLOCK", "MKCOL",
      "PATCH");

  static String optionName(int opt) {
    return switch (opt) {
      case 0 -> "eol";
      case 1 -> "nop";
      case 2 -> "mss";
      case 3 -> "wscale";
      case 4 -> "sackOK";
      case 5 -> "sack";
      case 6 -> "echo";
      case 7 -> "echoreply";
      case 8 -> "TS";
      case 11 -> "cc";
      case 12 -> "ccnew";
      case 13 -> "ccecho";
      case 19 -> "md5";
      case 20 -> "scps";
      case 27 -> "quickstart";
      case 28 -> "uto";
      case 29 -> "tcp-ao";
      case 30 -> "mptcp";
      case 34 -> "tfo";
      case 254 -> "exp";
      default -> "unknown-" + opt;
    };
  }

  static String etherTypeName(int type, String unknown) {
    return switch (type) {
      case ETHERTYPE_IPV4 -> "IPv4";
      case ETHERTYPE_ARP -> "ARP";
      case ETHERTYPE_RARP -> "Reverse ARP";
      case ETHERTYPE_VLAN -> "802.1Q";
      case ETHERTYPE_IPV6 -> "IPv6";
      case 0x88a8 -> "802.1Q-QinQ";
      case ETHERTYPE_TEB -> "TEB";
      case 0x8847 -> "MPLS unicast";
      case 0x8848 -> "MPLS multicast";
      case 0x88cc -> "LLDP";
      default -> unknown;
    };
  }

  static String etherTypeText(int type) {
    return "ethertype " + etherTypeName(type, "Unknown") + String.format(" (0x%04x)", type);
  }
}
