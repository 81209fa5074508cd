package io.podnet.netstack.tool;

import io.podnet.netstack.core.PacketSocket;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.RouteGet;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import java.util.List;

/**
 * Thomas Habets' {@code arping} (2.x, Ubuntu's {@code arping} package), pinging an IPv4 address
 * with ARP who-has requests, as the reference lab's transcript shows it: {@code ARPING IP}, one
 * request per wait period (1 s, {@code -W SECONDS}), {@code 60 bytes from MAC (IP): index=N
 * time=362.306 usec} per reply, {@code Timeout} for a period without one, and the statistics on
 * completion or Ctrl-C. Exit code 0 when a reply came, 1 otherwise (and for errors).
 *
 * <p>Options: {@code -i IF}/{@code -I IF}, {@code -c COUNT}, {@code -C REPLIES}, {@code -w
 * DEADLINE} (seconds), {@code -W SECONDS} (between requests), {@code -S IP} (source IP),
 * {@code -s MAC} (source MAC), {@code -t MAC} (target MAC), {@code -0}/{@code -b} (source
 * 0.0.0.0 / 255.255.255.255), {@code -B} (target 255.255.255.255), {@code -U} (unsolicited: target
 * hardware address ff:ff:ff:ff:ff:ff), {@code -P} (send replies), {@code -A} (replies must come
 * from the target MAC), {@code -u}, {@code -q}, {@code -v}, {@code -h}, {@code --help}. Pinging a
 * MAC address (ICMP to a MAC) is not supported. Times are the lab clock's, in microseconds, so
 * they print as {@code N.000 usec}.
 */
public final class ArpingTool implements Tool {
  static final String OPTSTRING = "0aAbBC:c:dDeFhi:I:pPqrRs:S:t:T:uUvw:W:";
  private static final String SUPPORTED = "0AbBCchiIPqsStuUvwW";

  private final ToolContext ctx;
  private final List<String> args;

  private long maxcount = 0xffffffffL;
  private long maxReplies = 0xffffffffL;
  private double deadlineSec;
  private long packetwaitUs = 1_000_000L;
  private boolean quiet;
  private boolean alsototal;
  private boolean unsolicited;
  private boolean sendReply;
  private boolean addrMustBeSame;
  private int verbose;
  private String ifname;
  private Ipv4Address srcip;
  private MacAddress srcmac;
  private MacAddress dstmac = MacAddress.BROADCAST;
  private Ipv4Address dstip;
  private String target;

  private PacketSocket sock;
  private long numsent;
  private long numrecvd;
  private long receivedAtWindowStart;
  private long lastPacketSent;
  private double statsMin = -1;
  private double statsMax = -1;
  private double statsTotal;
  private double statsTotalSq;
  private boolean timeToDie;
  private boolean helpRequested;

  public ArpingTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    if (args.contains("--help")) {
      ctx.out(standardUsage() + extendedUsage());
      ctx.exit(0);
      return;
    }
    String err = setup();
    if (err != null) {
      if (!err.isEmpty()) {
        ctx.err(err);
      }
      ctx.exit(helpRequested ? 0 : 1);
      return;
    }
    if (!quiet) {
      ctx.out("ARPING " + target + "\n");
    }
    if (deadlineSec > 0) {
      ctx.after((long) (deadlineSec * 1_000_000L), this::die);
    }
    round();
  }

  /** Everything before the first request; an error message (exit 1), "" for usage, or null. */
  private String setup() {
    Getopt.Parsed p;
    try {
      p = Getopt.parse("arping", OPTSTRING, args);
    } catch (Getopt.GetoptException e) {
      ctx.err(e.getMessage() + "\n");
      ctx.out(standardUsage() + "For complete usage info, use --help or check the manpage.\n");
      return "";
    }
    boolean srcipGiven = false;
    boolean dstipGiven = false;
    for (Getopt.Opt o : p.options()) {
      String a = o.arg();
      if (SUPPORTED.indexOf(o.letter()) < 0) {
        return "arping: option -" + o.letter() + " is not supported by podnet's arping\n";
      }
      switch (o.letter()) {
        case '0' -> {
          srcip = Ipv4Address.ANY;
          srcipGiven = true;
        }
        case 'b' -> {
          srcip = Ipv4Address.BROADCAST;
          srcipGiven = true;
        }
        case 'B' -> {
          dstip = Ipv4Address.BROADCAST;
          dstipGiven = true;
        }
        case 'A' -> addrMustBeSame = true;
        case 'c' -> maxcount = CFormat.atoi(a) & 0xffffffffL;
        case 'C' -> maxReplies = CFormat.atoi(a) & 0xffffffffL;
        case 'h' -> {
          ctx.out(standardUsage() + "For complete usage info, use --help or check the manpage.\n");
          helpRequested = true;
          return "";
        }
        case 'i', 'I' -> {
          if (o.letter() == 'i' && a.contains(":")) {
            return "arping: If you're trying to feed me an interface alias then you don't really\n"
                + "know what this programs does, do you?\nUse -I if you really mean it (undocumented on purpose)\n";
          }
          ifname = a;
        }
        case 'P' -> sendReply = true;
        case 'q' -> quiet = true;
        case 's' -> {
          try {
            srcmac = MacAddress.parse(a);
          } catch (IllegalArgumentException e) {
            return "arping: Weird MAC addr " + a + "\n";
          }
        }
        case 'S' -> {
          srcip = ctx.resolve(a);
          if (srcip == null || srcip.value() == -1) {
            return "arping: Can't resolve " + a + ", or " + a + " is broadcast. If it is, use -b instead of -S\n";
          }
          srcipGiven = true;
        }
        case 't' -> {
          try {
            dstmac = MacAddress.parse(a);
          } catch (IllegalArgumentException e) {
            return "Illegal MAC addr " + a + "\n";
          }
        }
        case 'u' -> alsototal = true;
        case 'U' -> unsolicited = true;
        case 'v' -> verbose++;
        case 'w' -> deadlineSec = CFormat.atof(a);
        case 'W' -> packetwaitUs = (long) (1_000_000.0 * CFormat.atof(a));
        default -> throw new IllegalStateException("option " + o.letter());
      }
    }
    String parm = p.operands().isEmpty() ? null : p.operands().get(0);
    if (parm == null && dstipGiven) {
      parm = dstip.toString();
    } else if (parm != null && p.operands().size() == 1) {
      if (parm.contains(":")) {
        return "arping: pinging a MAC address is not supported by podnet's arping\n";
      }
      dstip = ctx.resolve(parm);
      if (dstip == null) {
        return "arping: Can't resolve " + parm + "\n";
      }
      parm = dstip.toString();
    } else {
      ctx.out(standardUsage() + "For complete usage info, use --help or check the manpage.\n");
      return "";
    }
    target = parm;
    if (ifname == null) {
      try {
        RouteGet rg = ctx.core().stack().routeGet(dstip, 0);
        ifname = ctx.core().stack().links().nameOf(rg.oif());
      } catch (NetlinkException e) {
        ifname = null;
      }
      if (ifname == null || ctx.core().stack().links().byName(ifname).map(Link::isLoopback).orElse(true)) {
        ifname = null;
        for (Link l : ctx.core().stack().links().all()) {
          if (l.up() && !l.isLoopback()) {
            ifname = l.name();
            break;
          }
        }
        if (ifname == null) {
          return "arping: Gave up looking for interface to use: no suitable device found\n";
        }
        ctx.err("arping: Unable to automatically find interface to use. Is it on the local LAN?\n"
            + "arping: Use -i to manually specify interface. Guessing interface " + ifname + ".\n");
      }
    }
    Link l = ctx.core().stack().links().byName(ifname).orElse(null);
    if (l == null) {
      return "arping: libnet_init(): libnet_check_iface() ioctl: No such device\n";
    }
    if (!l.up()) {
      return "arping: libnet_init(): libnet_check_iface: Can't find interface " + ifname + " (not up)\n";
    }
    if (srcmac == null) {
      srcmac = l.mac();
    }
    if (!srcipGiven) {
      srcip = firstAddress(l);
      if (srcip == null) {
        return "arping: Unable to get the IPv4 address of interface " + ifname + ":\n"
            + "arping: libnet_get_ipaddr4(): ioctl(): Cannot assign requested address\n"
            + "arping: Use -S to specify address manually.\n";
      }
    }
    sock = ctx.core().openPacket(ifname, EtherType.ARP);
    ctx.onExit(sock::close);
    sock.setListener(f -> ctx.guarded(() -> onFrame(f)));
    if (verbose > 0) {
      Ipv4Address own = firstAddress(l);
      ctx.out("This box:   Interface: " + ifname + "  IP: " + (own == null ? "255.255.255.255" : own)
          + "   MAC address: " + srcmac + "\n");
    }
    return null;
  }

  private static Ipv4Address firstAddress(Link l) {
    for (IfAddress a : l.addresses()) {
      return a.local();
    }
    return null;
  }

  /** One pass of the main loop: a request, then a wait period listening for replies. */
  private void round() {
    if (timeToDie || numsent >= maxcount) {
      finish();
      return;
    }
    ArpPacket req = new ArpPacket(sendReply ? ArpPacket.OP_REPLY : ArpPacket.OP_REQUEST, srcmac, srcip,
        unsolicited ? MacAddress.BROADCAST : MacAddress.ZERO, dstip);
    int rc = sock.send(req.toFrame(dstmac));
    if (rc != 0) {
      ctx.err("arping: libnet_write(): libnet_write_link(): only -1 bytes written (Network is down)\n");
      timeToDie = true;
    }
    lastPacketSent = ctx.nowMicros();
    numsent++;
    receivedAtWindowStart = numrecvd;
    ctx.after(packetwaitUs, () -> {
      if (timeToDie) {
        return;
      }
      if (numrecvd == receivedAtWindowStart && !quiet) {
        ctx.out("Timeout\n");
      }
      round();
    });
  }

  /** pingip_recv: an ARP reply from the target's IP. */
  private void onFrame(PacketSocket.Frame f) {
    if (timeToDie) {
      return;
    }
    byte[] b = f.bytes();
    ArpPacket a;
    EthernetHeader eth;
    try {
      eth = EthernetHeader.decode(b, 0, b.length);
      a = ArpPacket.decode(b, eth.length(), b.length - eth.length());
    } catch (PacketException e) {
      return;
    }
    if (!a.isReply() || !a.senderIp().equals(dstip)) {
      return;
    }
    if (addrMustBeSame && !a.senderMac().equals(dstmac)) {
      return;
    }
    long arrival = f.timeMicros();
    double sample = (arrival - lastPacketSent) / 1e6;
    if (statsMin < 0 || sample < statsMin) {
      statsMin = sample;
    }
    if (sample > statsMax) {
      statsMax = sample;
    }
    statsTotal += sample;
    statsTotalSq += sample * sample;
    if (!quiet) {
      StringBuilder sb = new StringBuilder().append(b.length).append(" bytes from ").append(eth.source())
          .append(" (").append(a.senderIp()).append("): index=").append(numrecvd);
      if (alsototal) {
        sb.append('/').append(numsent - 1);
      }
      sb.append(" time=").append(ts2str((arrival - lastPacketSent) * 1000.0)).append('\n');
      ctx.out(sb.toString());
    }
    numrecvd++;
    if (numrecvd >= maxReplies) {
      die();
    }
  }

  /** ts2str: a duration in nanoseconds, scaled to nsec/usec/msec/sec with three decimals. */
  static String ts2str(double ns) {
    double f = ns;
    int exp = 0;
    while (f > 1000) {
      exp += 3;
      f /= 1000;
    }
    return switch (exp) {
      case 0 -> CFormat.fixed(f, 3) + " nsec";
      case 3 -> CFormat.fixed(f, 3) + " usec";
      case 6 -> CFormat.fixed(f, 3) + " msec";
      case 9 -> CFormat.fixed(f, 3) + " sec";
      case 12 -> CFormat.fixed(f * 1000, 3) + " sec";
      default -> CFormat.fixed(f, 3) + "e" + (exp - 9) + " sec";
    };
  }

  @Override
  public void signal(ToolContext c, String signal) {
    die(); // arping handles SIGINT (and SIGTERM, where do_signal_init sets it) with time_to_die
  }

  private void die() {
    if (!timeToDie) {
      timeToDie = true;
      finish();
    }
  }

  private boolean finished;

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    timeToDie = true;
    if (!quiet) {
      float succ = (float) (100.0 - 100.0 * (float) numrecvd / (float) numsent);
      StringBuilder sb = new StringBuilder("\n--- ").append(target).append(" statistics ---\n")
          .append(numsent).append(" packets transmitted, ").append(numrecvd).append(" packets received, ")
          .append(CFormat.fixed(succ < 0 ? 0.0 : succ, 3, 0)).append("% unanswered (")
          .append(succ < 0 ? numrecvd - numsent : 0).append(" extra)\n");
      if (numrecvd > 0) {
        double avg = statsTotal / numrecvd;
        sb.append("rtt min/avg/max/std-dev = ").append(CFormat.fixed(1000 * statsMin, 3)).append('/')
            .append(CFormat.fixed(1000 * avg, 3)).append('/').append(CFormat.fixed(1000 * statsMax, 3)).append('/')
            .append(CFormat.fixed(1000 * Math.sqrt(statsTotalSq / numrecvd - avg * avg), 3)).append(" ms");
      }
      ctx.out(sb.append('\n').toString());
    }
    ctx.exit(numrecvd == 0 ? 1 : 0);
  }

  static String standardUsage() {
    return "ARPing 2.24, by Thomas Habets <thomas@habets.se>\n"
        + "usage: arping [ -0aAbdDeFpPqrRuUv ] [ -w <sec> ] [ -W <sec> ] [ -S <host/ip> ]\n"
        + "              [ -T <host/ip ] [ -s <MAC> ] [ -t <MAC> ] [ -c <count> ]\n"
        + "              [ -C <count> ] [ -i <interface> ] [ -m <type> ] [ -g <group> ]\n"
        + "              [ -V <vlan> ] [ -Q <priority> ] <host/ip/MAC | -B>\n";
  }

  static String extendedUsage() {
    return "\nOptions:\n\n"
        + "    -0     Use this option to ping with source IP address 0.0.0.0.\n"
        + "    -A     Only count addresses matching requested address.\n"
        + "    -b     Like -0 but source broadcast source address (255.255.255.255).\n"
        + "    -B     Use instead of host if you want to address 255.255.255.255.\n"
        + "    -c count\n           Only send count requests.\n"
        + "    -C count\n           Only wait for count replies.\n"
        + "    -h     Displays a help message and exits.\n"
        + "    -i interface\n           Use the specified interface.\n"
        + "    -P     Send ARP replies instead of requests. Useful with -U.\n"
        + "    -q     Does not display messages, except error messages.\n"
        + "    -s MAC Set source MAC address.\n"
        + "    -S IP  Like -b and -0 but with set source address.\n"
        + "    -t MAC Set target MAC address to use when pinging IP address.\n"
        + "    -u     Show index=received/sent instead of just index=received.\n"
        + "    -U     Send unsolicited ARP.\n"
        + "    -v     Verbose output.\n"
        + "    -w sec Specify a timeout before ping exits regardless of how many packets have been sent or received.\n"
        + "    -W sec Time to wait between pings.\n"
        + "Report bugs to: thomas@habets.se\n"
        + "Arping home page: <http://www.habets.pp.se/synscan/>\n"
        + "Development repo: http://github.com/ThomasHabets/arping\n";
  }
}
