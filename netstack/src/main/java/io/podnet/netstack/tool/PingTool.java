package io.podnet.netstack.tool;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.PingSocket;
import io.podnet.netstack.core.Timers;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteType;
import io.podnet.proto.packet.Ipv4Address;
import java.util.BitSet;
import java.util.List;

/**
 * iputils' {@code ping} (20240117, as on Ubuntu 24.04) for IPv4, as root with an ICMP datagram
 * socket (the kernel picks the echo identifier and reports ICMP errors on the socket's error
 * queue, hence {@code From X icmp_seq=N Destination Host Unreachable} without a colon).
 *
 * <p>Options: {@code -c COUNT}, {@code -w DEADLINE}, {@code -W TIMEOUT}, {@code -i INTERVAL},
 * {@code -s SIZE}, {@code -t TTL}, {@code -I IFACE|ADDR}, {@code -M do|dont|want}, {@code -q},
 * {@code -n}, {@code -4}, {@code -v}, {@code -V}, {@code -h}. The main loop follows
 * ping_common.c: a probe every interval; with {@code -c} and no {@code -w}, the last probe is
 * followed by a linger of 2 x max RTT (at least the interval) when replies came, else
 * {@code -W} (10 s); {@code -w} stops at the deadline (probes continue past COUNT until COUNT
 * replies); errors end a {@code -w} run at once. The statistics and exit code are finish()'s:
 * 1 when nothing came back (or, with {@code -w}, fewer than COUNT replies), else 0; 2 for errors
 * before the first probe. RTTs are measured on the lab clock from the timeval the probe carries.
 */
public final class PingTool implements Tool {
  /** getopt string of ping 20240117. */
  static final String OPTSTRING = "h?4bRT:6F:N:3aABc:CdDe:fHi:I:l:Lm:M:nOp:qQ:rs:S:t:UvVw:W:";
  private static final String SUPPORTED = "h?4ciInqstwWMvV";
  static final int MAXWAIT_MS = 10_000;
  private static final int MININTERVAL_MS = 10;
  private static final int TIMEVAL_LEN = 16;

  private final ToolContext ctx;
  private final List<String> args;

  // options
  private long npackets;
  private long deadline;
  private int intervalMs = 1000;
  private int lingerMs = MAXWAIT_MS;
  private int datalen = 56;
  private int ttl;
  private boolean quiet;
  private boolean numeric;
  private String device;
  private Ipv4Address strictSource;
  private HostCore.Pmtu pmtu;

  // run state
  private String hostname;
  private Ipv4Address dst;
  private PingSocket sock;
  private long startTime;
  private long curTime;
  private long ntransmitted;
  private long nreceived;
  private long nrepeats;
  private long nerrors;
  private long tmin = Long.MAX_VALUE;
  private long tmax;
  private long tsum;
  private double tsum2;
  private long rttEwma;
  private int pipesize = -1;
  private int acked;
  private final BitSet rcvd = new BitSet(0x10000);
  private boolean timing;
  private boolean exiting;
  private Timers.Timer tick;
  private Timers.Timer lingerTimer;

  public PingTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  /** A command line ping refuses: stderr text and exit code. */
  private static final class Refusal extends Exception {
    final int code;

    Refusal(String message, int code) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  @Override
  public void start() {
    try {
      if (!setup()) {
        return;
      }
    } catch (Refusal r) {
      ctx.err(r.getMessage());
      ctx.exit(r.code);
      return;
    }
    startTime = ctx.nowMicros();
    if (deadline > 0) {
      ctx.after(deadline * 1_000_000L, this::finish);
    }
    pinger();
  }

  // ------------------------------------------------------------------ setup

  /** Parses, resolves, routes, opens the socket and prints the header; false when it exited. */
  private boolean setup() throws Refusal {
    Getopt.Parsed p;
    try {
      p = Getopt.parse("ping", OPTSTRING, args);
    } catch (Getopt.GetoptException e) {
      throw new Refusal(e.getMessage() + "\n" + usage(), 2);
    }
    for (Getopt.Opt o : p.options()) {
      if (SUPPORTED.indexOf(o.letter()) < 0) {
        throw new Refusal("ping: option -" + o.letter() + " is not supported by podnet's ping\n", 2);
      }
      String a = o.arg();
      switch (o.letter()) {
        case 'h', '?' -> throw new Refusal(usage(), 2);
        case 'V' -> {
          ctx.out("ping from iputils 20240117\n"
              + "libcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes\n");
          ctx.exit(0);
          return false;
        }
        case '4', 'v' -> { }
        case 'c' -> npackets = strtolOrErr(a, 1, Long.MAX_VALUE);
        case 'w' -> deadline = strtolOrErr(a, 0, Integer.MAX_VALUE);
        case 'W' -> {
          Double d = CFormat.strtodStrict(a);
          if (d == null) {
            throw new Refusal("ping: bad linger time: " + a + "\n", 2);
          }
          if (d < 0.001 || d > Integer.MAX_VALUE / 1000) {
            throw new Refusal("ping: bad linger time: " + a + "\n", 2);
          }
          lingerMs = (int) (d * 1000);
        }
        case 'i' -> {
          Double d = CFormat.strtodStrict(a);
          if (d == null || d < 0 || d > Integer.MAX_VALUE / 1000) {
            throw new Refusal("ping: bad timing interval: " + a + "\n", 2);
          }
          intervalMs = (int) (d * 1000);
        }
        case 's' -> datalen = (int) strtolOrErr(a, 0, Integer.MAX_VALUE);
        case 't' -> ttl = (int) strtolOrErr(a, 0, 255) | 0x100;
        case 'q' -> quiet = true;
        case 'n' -> numeric = true;
        case 'M' -> pmtu = switch (a) {
          case "do" -> HostCore.Pmtu.DO;
          case "dont" -> HostCore.Pmtu.DONT;
          case "want" -> HostCore.Pmtu.WANT;
          default -> throw new Refusal("ping: invalid -M argument: " + a + "\n", 2);
        };
        case 'I' -> {
          try {
            strictSource = Ipv4Address.parse(a);
          } catch (IllegalArgumentException notAnAddress) {
            device = a;
          }
        }
        default -> throw new IllegalStateException("option " + o.letter());
      }
    }
    if (p.operands().isEmpty()) {
      throw new Refusal("ping: usage error: Destination address required\n", 1);
    }
    if (p.operands().size() > 1) {
      throw new Refusal("ping: source routes (more than one destination) are not supported by podnet's ping\n", 2);
    }
    String target = p.operands().get(0);
    try {
      dst = Ipv4Address.parse(target);
      hostname = target;
      numeric = true; // a numeric target: F_NUMERIC
    } catch (IllegalArgumentException name) {
      dst = ctx.resolve(target);
      if (dst == null) {
        throw new Refusal("ping: " + target + ": Name or service not known\n", 2);
      }
      hostname = ctx.canonicalName(target);
    }
    if (datalen > 0xffff - 8 - 20) {
      throw new Refusal("ping: packet size " + datalen + " is too large. Maximum is " + (0xffff - 8 - 20) + "\n", 2);
    }
    int oif = 0;
    if (device != null) {
      Link l = ctx.core().stack().links().byName(device).orElse(null);
      if (l == null) {
        throw new Refusal("ping: SO_BINDTODEVICE " + device + ": No such device\n", 2);
      }
      oif = l.index();
    }
    Ipv4Address source = strictSource;
    if (source == null) {
      // The probe UDP socket's connect(): routes the destination and picks the source.
      RouteGet rg;
      try {
        rg = ctx.core().stack().routeGet(dst, oif);
      } catch (NetlinkException e) {
        throw new Refusal("ping: connect: " + HostCore.strerror(errnoOf(e)) + "\n", 2);
      }
      if (rg.type() == RouteType.BROADCAST || dst.value() == -1) {
        throw new Refusal("ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules\n",
            2);
      }
      source = rg.src();
      if (device != null && !onDevice(device, source)) {
        ctx.err("ping: Warning: source address might be selected on device other than: " + device + "\n");
      }
    } else if (!ctx.core().stack().isLocalAddress(source)) {
      throw new Refusal("ping: bind: Cannot assign requested address\n", 2);
    }
    if (ttl == 0x100) {
      throw new Refusal("ping: cannot set unicast time-to-live: Invalid argument\n", 2);
    }
    timing = datalen >= TIMEVAL_LEN;
    sock = ctx.core().openPing();
    ctx.onExit(sock::close);
    if (pmtu != null) {
      sock.setPmtuDiscovery(pmtu);
    }
    sock.setListener(ev -> ctx.guarded(() -> onEvent(ev)));
    StringBuilder h = new StringBuilder("PING ").append(hostname).append(" (").append(dst).append(") ");
    if (device != null || strictSource != null) {
      h.append("from ").append(source).append(' ').append(device != null ? device : "").append(": ");
    }
    h.append(datalen).append('(').append(datalen + 8 + 20).append(") bytes of data.\n");
    ctx.out(h.toString());
    return true;
  }

  private boolean onDevice(String dev, Ipv4Address a) {
    Link l = ctx.core().stack().links().byName(dev).orElse(null);
    if (l == null) {
      return false;
    }
    for (IfAddress ia : l.addresses()) {
      if (ia.local().equals(a)) {
        return true;
      }
    }
    return false;
  }

  private static int errnoOf(NetlinkException e) {
    return switch (e.errno()) {
      case ENETUNREACH -> 101;
      case EHOSTUNREACH -> 113;
      case EACCES -> 13;
      case ENODEV -> 19;
      case ENETDOWN -> 100;
      default -> 22;
    };
  }

  /** iputils' strtol_or_err: base 10, leading blanks and a sign allowed, nothing after; exit 1. */
  private static long strtolOrErr(String s, long min, long max) throws Refusal {
    String t = s.stripLeading();
    long v;
    if (!t.matches("[+-]?\\d+")) {
      throw new Refusal("ping: invalid argument: '" + s + "'\n", 1);
    }
    try {
      v = Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
    } catch (NumberFormatException e) {
      throw new Refusal("ping: invalid argument: '" + s + "': Numerical result out of range\n", 1);
    }
    if (v < min || v > max) {
      throw new Refusal("ping: invalid argument: '" + s + "': out of range: " + min + " <= value <= " + max + "\n", 1);
    }
    return v;
  }

  // ------------------------------------------------------------------ probes

  /** pinger() and the exit scheduling around it. */
  private void pinger() {
    tick = null;
    if (exiting) {
      return;
    }
    if (deadline > 0 && ctx.nowMicros() - startTime >= deadline * 1_000_000L) {
      finish(); // the deadline's alarm comes before a probe due at the same instant
      return;
    }
    if (npackets > 0 && ntransmitted >= npackets && deadline == 0) {
      return;
    }
    curTime = ctx.nowMicros();
    int seq = (int) ((ntransmitted + 1) & 0xffff);
    rcvd.clear(seq);
    byte[] data = new byte[datalen];
    for (int i = 0; i < datalen; i++) {
      data[i] = (byte) i;
    }
    if (timing) {
      putLe64(data, 0, curTime / 1_000_000L);
      putLe64(data, 8, curTime % 1_000_000L);
    }
    int rc = sock.send(dst, seq, data, ttl & 0xff, strictSource, device);
    ntransmitted++;
    if (rc == 90 /* EMSGSIZE */) {
      nerrors++;
      if (!quiet) {
        ctx.err("ping: local error: message too long, mtu=" + ctx.core().routeMtu(dst) + "\n");
      }
    } else if (rc != 0 && !quiet) {
      ctx.err("ping: sendmsg: " + HostCore.strerror(rc) + "\n");
    }
    if (checkExit()) {
      return;
    }
    if (npackets > 0 && ntransmitted >= npackets && deadline == 0) {
      long waitUs;
      if (nreceived > 0) {
        waitUs = Math.max(2 * tmax, 1000L * intervalMs);
      } else {
        waitUs = lingerMs * 1000L;
      }
      lingerTimer = ctx.after(waitUs, this::finish);
      return;
    }
    tick = ctx.after((intervalMs == 0 ? MININTERVAL_MS : intervalMs) * 1000L, this::pinger);
  }

  private static void putLe64(byte[] b, int off, long v) {
    for (int i = 0; i < 8; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  private static long getLe64(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (b[off + i] & 0xff);
    }
    return v;
  }

  /** The main loop's exit conditions; true when it finished. */
  private boolean checkExit() {
    if ((npackets > 0 && nreceived + nerrors >= npackets) || (deadline > 0 && nerrors > 0)) {
      finish();
      return true;
    }
    return false;
  }

  private void acknowledge(int seq) {
    int diff = (int) ((ntransmitted & 0xffff) - seq) & 0xffff;
    if (diff <= 0x7fff) {
      pipesize = Math.max(pipesize, diff + 1);
      if ((short) (seq - acked) > 0 || ((ntransmitted - acked) & 0xffff) > 0x7fff) {
        acked = seq;
      }
    }
  }

  private void onEvent(PingSocket.Event ev) {
    if (exiting) {
      return;
    }
    if (ev instanceof PingSocket.EchoReply r) {
      onReply(r);
    } else if (ev instanceof PingSocket.Error e) {
      if (!e.destination().equals(dst)) {
        return; // not our error
      }
      acknowledge(e.sequence());
      nerrors++;
      if (!quiet) {
        ctx.out("From " + prAddr(e.from()) + " icmp_seq=" + e.sequence() + " " + e.text() + "\n");
      }
    }
    if (checkExit()) {
      return;
    }
    if (intervalMs == 0 && tick != null && ev instanceof PingSocket.EchoReply) {
      // "flood" pacing: the next probe goes as soon as the last one is answered
      tick.cancel();
      tick = ctx.after(0, this::pinger);
    }
  }

  /** gather_statistics() and the reply line. */
  private void onReply(PingSocket.EchoReply r) {
    int seq = r.sequence();
    int cc = r.icmpLength();
    long triptime = 0;
    nreceived++;
    acknowledge(seq);
    if (timing && cc >= 8 + TIMEVAL_LEN && r.data().length >= TIMEVAL_LEN) {
      long sent = getLe64(r.data(), 0) * 1_000_000L + getLe64(r.data(), 8);
      triptime = r.timeMicros() - sent;
      if (triptime < 0) {
        ctx.err("ping: Warning: time of day goes back (" + triptime + "us), taking countermeasures\n");
        triptime = 0;
      }
      tsum += triptime;
      tsum2 += (double) (triptime * triptime);
      tmin = Math.min(tmin, triptime);
      tmax = Math.max(tmax, triptime);
      rttEwma = rttEwma == 0 ? triptime * 8 : rttEwma + triptime - rttEwma / 8;
    }
    boolean dup = rcvd.get(seq);
    if (dup) {
      nrepeats++;
      nreceived--;
    } else {
      rcvd.set(seq);
    }
    if (quiet) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(cc).append(" bytes from ").append(prAddr(r.from())).append(": icmp_seq=").append(seq);
    sb.append(" ttl=").append(r.ttl());
    if (cc < datalen + 8) {
      ctx.out(sb.append(" (truncated)\n").toString());
      return;
    }
    if (timing) {
      sb.append(" time=").append(formatTime(triptime)).append(" ms");
    }
    if (dup) {
      sb.append(" (DUP!)");
    }
    ctx.out(sb.append('\n').toString());
  }

  /** pr_addr: "name (address)" unless numeric; a name lookup that fails gives the address. */
  private String prAddr(Ipv4Address a) {
    if (numeric || exiting) {
      return a.toString();
    }
    String n = ctx.nameOf(a);
    return (n == null ? a.toString() : n) + " (" + a + ")";
  }

  /** The reply line's time, from microseconds, as gather_statistics prints it (3 significant digits). */
  static String formatTime(long us) {
    if (us >= 100000 - 50) {
      return Long.toString((us + 500) / 1000);
    } else if (us >= 10000 - 5) {
      return (us + 50) / 1000 + "." + ((us + 50) % 1000) / 100;
    } else if (us >= 1000) {
      return (us + 5) / 1000 + "." + String.format("%02d", ((us + 5) % 1000) / 10);
    }
    return us / 1000 + "." + String.format("%03d", us % 1000);
  }

  private static String ms3(long us) {
    return us / 1000 + "." + String.format("%03d", us % 1000);
  }

  // ------------------------------------------------------------------ finish

  @Override
  public void signal(ToolContext c, String signal) {
    if ("INT".equals(signal)) {
      finish(); // SIGINT: sigexit, then the statistics
    } else {
      Tool.super.signal(c, signal); // SIGTERM has no handler in ping
    }
  }

  /** finish(): the statistics and the exit code. */
  private void finish() {
    if (exiting) {
      return;
    }
    exiting = true;
    if (tick != null) {
      tick.cancel();
    }
    if (lingerTimer != null) {
      lingerTimer.cancel();
    }
    ctx.out(statistics());
    ctx.exit(nreceived == 0 || (deadline > 0 && nreceived < npackets) ? 1 : 0);
  }

  String statistics() {
    long tvUs = curTime - startTime;
    StringBuilder sb = new StringBuilder("\n--- ").append(hostname).append(" ping statistics ---\n");
    sb.append(ntransmitted).append(" packets transmitted, ").append(nreceived).append(" received");
    if (nrepeats > 0) {
      sb.append(", +").append(nrepeats).append(" duplicates");
    }
    if (nerrors > 0) {
      sb.append(", +").append(nerrors).append(" errors");
    }
    if (ntransmitted > 0) {
      float loss = (float) (((ntransmitted - nreceived) * 100.0) / ntransmitted);
      sb.append(", ").append(CFormat.g(loss)).append("% packet loss");
      sb.append(", time ").append((tvUs + 500) / 1000).append("ms");
    }
    sb.append('\n');
    String comma = "";
    if (nreceived > 0 && timing) {
      long total = nreceived + nrepeats;
      long tmavg = tsum / total;
      long tmvar;
      if (tsum < Integer.MAX_VALUE) {
        tmvar = (long) ((tsum2 - (double) ((tsum * tsum) / total)) / total);
      } else {
        tmvar = (long) (tsum2 / total) - tmavg * tmavg;
      }
      long tmdev = llsqrt(tmvar);
      sb.append("rtt min/avg/max/mdev = ").append(ms3(tmin)).append('/').append(ms3(tmavg)).append('/')
          .append(ms3(tmax)).append('/').append(ms3(tmdev)).append(" ms");
      comma = ", ";
    }
    if (pipesize > 1) {
      sb.append(comma).append("pipe ").append(pipesize);
      comma = ", ";
    }
    if (nreceived > 0 && intervalMs == 0 && ntransmitted > 1) {
      long ipg = tvUs / (ntransmitted - 1);
      sb.append(comma).append("ipg/ewma ").append(ms3(ipg)).append('/').append(rttEwma / 8000).append('.')
          .append(String.format("%03d", (rttEwma / 8) % 1000)).append(" ms");
    }
    sb.append('\n');
    return sb.toString();
  }

  private static long llsqrt(long a) {
    long prev = Long.MAX_VALUE;
    long x = a;
    if (x > 0) {
      while (x < prev) {
        prev = x;
        x = (x + a / x) / 2;
      }
    }
    return x;
  }

  static String usage() {
    return "\nUsage\n"
        + "  ping [options] <destination>\n"
        + "\nOptions:\n"
        + "  <destination>      dns name or ip address\n"
        + "  -a                 use audible ping\n"
        + "  -A                 use adaptive ping\n"
        + "  -B                 sticky source address\n"
        + "  -c <count>         stop after <count> replies\n"
        + "  -C                 call connect() syscall on socket creation\n"
        + "  -D                 print timestamps\n"
        + "  -d                 use SO_DEBUG socket option\n"
        + "  -e <identifier>    define identifier for ping session, default is random for\n"
        + "                     SOCK_RAW and kernel defined for SOCK_DGRAM\n"
        + "                     Imply using SOCK_RAW (for IPv4 only for identifier 0)\n"
        + "  -f                 flood ping\n"
        + "  -h                 print help and exit\n"
        + "  -H                 force reverse DNS name resolution (useful for numeric\n"
        + "                     destinations or for -f), override -n\n"
        + "  -I <interface>     either interface name or address\n"
        + "  -i <interval>      seconds between sending each packet\n"
        + "  -L                 suppress loopback of multicast packets\n"
        + "  -l <preload>       send <preload> number of packages while waiting replies\n"
        + "  -m <mark>          tag the packets going out\n"
        + "  -M <pmtud opt>     define path MTU discovery, can be one of <do|dont|want|probe>\n"
        + "  -n                 no reverse DNS name resolution, override -H\n"
        + "  -O                 report outstanding replies\n"
        + "  -p <pattern>       contents of padding byte\n"
        + "  -q                 quiet output\n"
        + "  -Q <tclass>        use quality of service <tclass> bits\n"
        + "  -s <size>          use <size> as number of data bytes to be sent\n"
        + "  -S <size>          use <size> as SO_SNDBUF socket option value\n"
        + "  -t <ttl>           define time to live\n"
        + "  -U                 print user-to-user latency\n"
        + "  -v                 verbose output\n"
        + "  -V                 print version and exit\n"
        + "  -w <deadline>      reply wait <deadline> in seconds\n"
        + "  -W <timeout>       time to wait for response\n"
        + "\nIPv4 options:\n"
        + "  -4                 use IPv4\n"
        + "  -b                 allow pinging broadcast\n"
        + "  -R                 record route\n"
        + "  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>\n"
        + "\nIPv6 options:\n"
        + "  -6                 use IPv6\n"
        + "  -F <flowlabel>     define flow label, default is random\n"
        + "  -N <nodeinfo opt>  use IPv6 node info query, try <help> as argument\n"
        + "\nFor more details see ping(8).\n";
  }
}
