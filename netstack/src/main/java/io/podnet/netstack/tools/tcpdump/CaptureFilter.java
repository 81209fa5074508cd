package io.podnet.netstack.tools.tcpdump;

import io.podnet.netstack.tools.tcpdump.TcpdumpOptions.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A capture filter in the pcap-filter(7) language, the subset podnet supports, matched against
 * Ethernet frames as libpcap 1.10's compiled BPF matches them: the OUTER headers only, fixed
 * offsets (no look past an 802.1Q tag), IPv4 ports only in unfragmented datagrams or first
 * fragments, and a load past the captured bytes rejecting the whole packet.
 *
 * <p>Grammar: primitives joined by {@code and}/{@code &&} and {@code or}/{@code ||} with equal
 * precedence, left to right; {@code not}/{@code !} binds tightest; parentheses. Primitives:
 * {@code ip}, {@code ip6}, {@code arp}, {@code rarp}, {@code icmp}, {@code tcp}, {@code udp};
 * {@code [ip|arp|tcp|udp] [src|dst] host A}, {@code [src|dst] net A/len} (or a partial
 * dotted address), {@code [tcp|udp] [src|dst] port N}, {@code src A}/{@code dst A},
 * {@code ether [src|dst|host] MAC}, {@code ether broadcast}. A bare address or number after
 * {@code and}/{@code or} takes the qualifiers of the primitive before it ({@code port 80 or 8080}).
 * Errors are tcpdump's message and exit code 1.
 */
public final class CaptureFilter {
  private static final int ETH_IP = 0x0800;
  private static final int ETH_ARP = 0x0806;
  private static final int ETH_RARP = 0x8035;
  private static final int ETH_IP6 = 0x86dd;
  private static final String SYNTAX = "tcpdump: can't parse filter expression: syntax error\n";
  private static final Map<String, Integer> SERVICES = Map.of("http", 80, "https", 443, "domain", 53, "ssh", 22,
      "bootps", 67, "bootpc", 68, "ntp", 123, "telnet", 23, "smtp", 25, "www", 80);

  private final String expression;
  private final Node root;

  private CaptureFilter(String expression, Node root) {
    this.expression = expression;
    this.root = root;
  }

  /** The filter that accepts everything (no expression). */
  public static final CaptureFilter ALL = new CaptureFilter("", r -> true);

  /** Compiles an expression; blank accepts everything. */
  public static CaptureFilter compile(String expression) throws UsageException {
    List<String> tokens = tokenize(expression);
    if (tokens.isEmpty()) {
      return new CaptureFilter(expression, r -> true);
    }
    Parser p = new Parser(tokens);
    Node n = p.expr();
    if (p.pos != tokens.size()) {
      throw syntax();
    }
    return new CaptureFilter(expression, n);
  }

  public String expression() {
    return expression;
  }

  /** Whether the Ethernet frame {@code [off, off+len)} passes the filter. */
  public boolean matches(byte[] frame, int off, int len) {
    if (frame == null || off < 0 || len < 0 || off > frame.length - len) {
      throw new IndexOutOfBoundsException("frame region [" + off + ", " + off + "+" + len + ")");
    }
    try {
      return root.eval(new Frame(frame, off, len));
    } catch (OutOfFrame e) {
      return false;
    }
  }

  public boolean matches(byte[] frame) {
    return matches(frame, 0, frame.length);
  }

  // ---- evaluation ----

  private interface Node {
    boolean eval(Frame f);
  }

  private static final class OutOfFrame extends RuntimeException {
    OutOfFrame() {
      super(null, null, false, false);
    }
  }

  private static final OutOfFrame OUT = new OutOfFrame();

  /** BPF-style loads: a load past the end rejects the packet. */
  private record Frame(byte[] b, int off, int len) {
    int u8(int k) {
      if (k < 0 || k >= len) {
        throw OUT;
      }
      return b[off + k] & 0xff;
    }

    int u16(int k) {
      return u8(k) << 8 | u8(k + 1);
    }

    long u32(int k) {
      return (long) u16(k) << 16 | u16(k + 2);
    }

    long u48(int k) {
      return (long) u16(k) << 32 | u32(k + 2);
    }

    boolean etherType(int t) {
      return u16(12) == t;
    }

    boolean ipProto(int p) {
      return etherType(ETH_IP) && u8(23) == p;
    }

    boolean ip6Proto(int p) {
      if (!etherType(ETH_IP6)) {
        return false;
      }
      int nh = u8(20);
      return nh == p || (nh == 44 && u8(54) == p);
    }
  }

  private enum Dir { SRC, DST, ANY }

  private static Node port(int proto, Dir dir, int port) {
    return f -> {
      for (int p : proto == 0 ? new int[] {6, 17, 132} : new int[] {proto}) {
        if (f.ipProto(p) && (f.u16(20) & 0x1fff) == 0) {
          int x = 14 + 4 * (f.u8(14) & 0xf);
          if ((dir != Dir.DST && f.u16(x) == port) || (dir != Dir.SRC && f.u16(x + 2) == port)) {
            return true;
          }
        }
      }
      for (int p : proto == 0 ? new int[] {6, 17, 132} : new int[] {proto}) {
        if (f.etherType(ETH_IP6) && f.u8(20) == p
            && ((dir != Dir.DST && f.u16(54) == port) || (dir != Dir.SRC && f.u16(56) == port))) {
          return true;
        }
      }
      return false;
    };
  }

  private static Node host(String proto, Dir dir, long addr, long mask) {
    Node ip = f -> f.etherType(ETH_IP) && ((dir != Dir.DST && (f.u32(26) & mask) == addr)
        || (dir != Dir.SRC && (f.u32(30) & mask) == addr));
    Node arp = f -> (dir != Dir.DST && (f.u32(28) & mask) == addr) || (dir != Dir.SRC && (f.u32(38) & mask) == addr);
    if (proto.equals("ip")) {
      return ip;
    }
    Node arpOnly = f -> f.etherType(ETH_ARP) && arp.eval(f);
    if (proto.equals("arp")) {
      return arpOnly;
    }
    return f -> ip.eval(f) || arpOnly.eval(f) || (f.etherType(ETH_RARP) && arp.eval(f));
  }

  private static Node ether(Dir dir, long mac) {
    return f -> (dir != Dir.DST && f.u48(6) == mac) || (dir != Dir.SRC && f.u48(0) == mac);
  }

  // ---- parsing ----

  private static UsageException syntax() {
    return new UsageException(SYNTAX, 1);
  }

  static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '(' || c == ')' || (c == '!' && !s.startsWith("!=", i))) {
        out.add(String.valueOf(c));
        i++;
      } else if (s.startsWith("&&", i) || s.startsWith("||", i)) {
        out.add(s.substring(i, i + 2));
        i += 2;
      } else {
        int j = i;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && "()!&|".indexOf(s.charAt(j)) < 0) {
          j++;
        }
        if (j == i) {
          out.add(String.valueOf(c));
          j++;
        }
        out.add(s.substring(i, j));
        i = j;
      }
    }
    return out;
  }

  private static final class Parser {
    final List<String> t;
    int pos;
    /** The qualifiers of the last primitive, for a bare id after and/or: proto, dir, type. */
    String lastProto;
    Dir lastDir;
    String lastType;

    Parser(List<String> tokens) {
      this.t = tokens;
    }

    String peek() {
      return pos < t.size() ? t.get(pos) : null;
    }

    String next() throws UsageException {
      if (pos >= t.size()) {
        throw syntax();
      }
      return t.get(pos++);
    }

    Node expr() throws UsageException {
      Node left = term();
      while (true) {
        String op = peek();
        if ("and".equals(op) || "&&".equals(op)) {
          pos++;
          Node l = left;
          Node r = term();
          left = f -> l.eval(f) && r.eval(f);
        } else if ("or".equals(op) || "||".equals(op)) {
          pos++;
          Node l = left;
          Node r = term();
          left = f -> l.eval(f) || r.eval(f);
        } else {
          return left;
        }
      }
    }

    Node term() throws UsageException {
      String w = next();
      switch (w) {
        case "not", "!" -> {
          Node n = term();
          return f -> !n.eval(f);
        }
        case "(" -> {
          Node n = expr();
          if (!")".equals(next())) {
            throw syntax();
          }
          return n;
        }
        default -> {
          pos--;
          return primitive();
        }
      }
    }

    Node primitive() throws UsageException {
      String w = next();
      String proto = null;
      if (List.of("ip", "ip6", "arp", "rarp", "icmp", "tcp", "udp", "ether").contains(w)) {
        proto = w;
        String n = peek();
        if (n == null || !List.of("src", "dst", "host", "net", "port", "broadcast").contains(n)) {
          return protocol(proto);
        }
        w = next();
      }
      Dir dir = null;
      if (w.equals("src") || w.equals("dst")) {
        dir = w.equals("src") ? Dir.SRC : Dir.DST;
        w = next();
      }
      String type;
      String id;
      if (List.of("host", "net", "port", "broadcast").contains(w)) {
        type = w;
        id = w.equals("broadcast") ? null : next();
      } else if (proto == null && dir == null) {
        // A bare id: the previous primitive's qualifiers, as libpcap does after and/or.
        if (lastType == null || isKeyword(w) || pos == 1) {
          throw syntax();
        }
        proto = lastProto;
        dir = lastDir;
        type = lastType;
        id = w;
      } else {
        type = "ether".equals(proto) ? "host" : "host";
        id = w;
      }
      if (id != null && isKeyword(id)) {
        throw syntax();
      }
      lastProto = proto;
      lastDir = dir;
      lastType = type;
      Dir d = dir == null ? Dir.ANY : dir;
      return qualified(proto == null ? "" : proto, d, type, id);
    }

    boolean isKeyword(String w) {
      return List.of("and", "or", "not", "&&", "||", "!", "(", ")", "src", "dst", "host", "net", "port", "ip",
          "ip6", "arp", "rarp", "icmp", "tcp", "udp", "ether", "broadcast").contains(w);
    }

    Node protocol(String proto) throws UsageException {
      return switch (proto) {
        case "ip" -> f -> f.etherType(ETH_IP);
        case "ip6" -> f -> f.etherType(ETH_IP6);
        case "arp" -> f -> f.etherType(ETH_ARP);
        case "rarp" -> f -> f.etherType(ETH_RARP);
        case "icmp" -> f -> f.ipProto(1);
        case "tcp" -> f -> f.ipProto(6) || f.ip6Proto(6);
        case "udp" -> f -> f.ipProto(17) || f.ip6Proto(17);
        default -> throw syntax();
      };
    }

    Node qualified(String proto, Dir dir, String type, String id) throws UsageException {
      if (proto.equals("ether")) {
        if (type.equals("broadcast")) {
          return f -> f.u48(0) == 0xffff_ffff_ffffL;
        }
        if (!type.equals("host")) {
          throw syntax();
        }
        return ether(dir, mac(id));
      }
      switch (type) {
        case "port" -> {
          if (!proto.isEmpty() && !proto.equals("tcp") && !proto.equals("udp")) {
            throw syntax();
          }
          int port = portNumber(id);
          return CaptureFilter.port(proto.equals("tcp") ? 6 : proto.equals("udp") ? 17 : 0, dir, port);
        }
        case "host", "net" -> {
          if (!proto.isEmpty() && !proto.equals("ip") && !proto.equals("arp")) {
            throw syntax();
          }
          long[] am = type.equals("net") ? net(id) : hostAddress(id);
          return host(proto, dir, am[0], am[1]);
        }
        default -> throw syntax();
      }
    }

    int portNumber(String id) throws UsageException {
      if (id.chars().allMatch(Character::isDigit)) {
        long v = Long.parseLong(id.length() > 12 ? "999999999999" : id);
        if (v > 65535) {
          throw new UsageException("tcpdump: illegal port number " + v + " > 65535\n", 1);
        }
        return (int) v;
      }
      Integer s = SERVICES.get(id);
      if (s == null) {
        throw new UsageException("tcpdump: unknown port '" + id + "'\n", 1);
      }
      return s;
    }

    /** A dotted address, possibly partial (1.2.3 = 1.2.3.0/24 as libpcap reads it). */
    long[] dotted(String id) {
      String[] parts = id.split("\\.", -1);
      if (parts.length < 1 || parts.length > 4) {
        return null;
      }
      long v = 0;
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
          return null;
        }
        v = v << 8 | Integer.parseInt(p);
      }
      int bits = 8 * parts.length;
      v <<= 32 - bits;
      long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
      return new long[] {v, mask};
    }

    long[] hostAddress(String id) throws UsageException {
      long[] am = id.contains("/") ? null : dotted(id);
      if (am == null) {
        if (id.contains("/") || id.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
          throw syntax();
        }
        throw new UsageException("tcpdump: unknown host '" + id + "'\n", 1);
      }
      return am;
    }

    long[] net(String id) throws UsageException {
      int slash = id.indexOf('/');
      long[] am = dotted(slash < 0 ? id : id.substring(0, slash));
      if (am == null) {
        throw syntax();
      }
      if (slash >= 0) {
        String l = id.substring(slash + 1);
        if (l.isEmpty() || l.length() > 2 || !l.chars().allMatch(Character::isDigit)) {
          throw syntax();
        }
        int len = Integer.parseInt(l);
        if (len > 32) {
          throw new UsageException("tcpdump: mask length must be <= 32\n", 1);
        }
        am[1] = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
      }
      if ((am[0] & ~am[1] & 0xffffffffL) != 0) {
        throw new UsageException("tcpdump: non-network bits set in \"" + id + "\"\n", 1);
      }
      return am;
    }

    long mac(String id) throws UsageException {
      String[] parts = id.split("[:.-]", -1);
      if (parts.length != 6) {
        throw new UsageException("tcpdump: bogus ethernet address " + id + "\n", 1);
      }
      long v = 0;
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 2 || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
          throw new UsageException("tcpdump: bogus ethernet address " + id + "\n", 1);
        }
        v = v << 8 | Integer.parseInt(p, 16);
      }
      return v;
    }
  }
}
