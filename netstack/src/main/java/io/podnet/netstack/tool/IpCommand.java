package io.podnet.netstack.tool;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.neigh.NeighbourFormat;
import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.Protocol;
import io.podnet.netstack.route.Route;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteRequest;
import io.podnet.netstack.route.RouteTable;
import io.podnet.netstack.route.RouteType;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * iproute2's {@code ip} over a {@link HostStack}: {@code route} (show, add, del, replace, change,
 * append, get), {@code address} (show, add, change, replace, del, flush), {@code link} (show, set
 * up/down/mtu) and, given the host's core, {@code neigh} (show, add, change, replace, del, flush),
 * with iproute2's
 * output format (including the trailing blanks its printf-per-field style leaves), messages and
 * exit codes: 0; 1 when iproute2 itself rejects an argument or finds no device; 2 when the kernel
 * refuses; 255 for exit(-1) paths (invalid argument values, incomplete command lines).
 *
 * <p>Colour ({@code -c}) is accepted and ignored: output is plain, as when stdout is not a tty.
 */
public final class IpCommand {
  private static final List<String> OBJECTS = List.of("address", "addrlabel", "maddress", "route", "rule",
      "neighbor", "neighbour", "ntable", "ntbl", "link", "l2tp", "fou", "ila", "macsec", "tunnel", "tuntap",
      "tap", "token", "tcpmetrics", "tcp_metrics", "monitor", "xfrm", "mroute", "mrule", "netns", "netconf",
      "vrf", "sr", "nexthop", "mptcp", "ioam", "stats", "help");

  private static final int AF_UNSPEC = 0;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final int AF_PACKET = 17;

  /** NUD_* bits (include/uapi/linux/neighbour.h), as ndm_state carries them. */
  private static final int NUD_INCOMPLETE = 0x01;
  private static final int NUD_REACHABLE = 0x02;
  private static final int NUD_STALE = 0x04;
  private static final int NUD_DELAY = 0x08;
  private static final int NUD_PROBE = 0x10;
  private static final int NUD_FAILED = 0x20;
  private static final int NUD_NOARP = 0x40;
  private static final int NUD_PERMANENT = 0x80;
  /** iproute2's stand-in for NUD_NONE (0) in a state filter. */
  private static final int NUD_NONE_FILTER = 0x100;

  /** IFA_F_* bits (include/uapi/linux/if_addr.h) by iproute2's flag names (ifa_flag_data). */
  private static final java.util.Map<String, Integer> IFA_FLAGS = java.util.Map.ofEntries(
      java.util.Map.entry("secondary", 0x01), java.util.Map.entry("temporary", 0x01),
      java.util.Map.entry("nodad", 0x02), java.util.Map.entry("optimistic", 0x04),
      java.util.Map.entry("dadfailed", 0x08), java.util.Map.entry("home", 0x10),
      java.util.Map.entry("deprecated", 0x20), java.util.Map.entry("tentative", 0x40),
      java.util.Map.entry("permanent", 0x80), java.util.Map.entry("mngtmpaddr", 0x100),
      java.util.Map.entry("noprefixroute", 0x200), java.util.Map.entry("autojoin", 0x400),
      java.util.Map.entry("stable-privacy", 0x800));
  private static final int IFA_F_SECONDARY = 0x01;
  private static final int IFA_F_PERMANENT = 0x80;
  private static final int IFA_F_NOPREFIXROUTE = 0x200;
  /** iproute2's max_flush_loops. */
  private static final int MAX_FLUSH_LOOPS = 10;

  private final HostStack host;
  private final HostCore core;
  private final int uid;

  /**
   * Without a core: {@code ip neigh} is refused (there is no neighbour table to show or change).
   *
   * @param host the tables the command reads and writes
   * @param uid the caller's uid, which {@code ip route get} reports
   */
  public IpCommand(HostStack host, int uid) {
    this.host = host;
    this.core = null;
    this.uid = uid;
  }

  /**
   * @param core the host whose tables (and neighbour table) the command reads and writes
   * @param uid the caller's uid, which {@code ip route get} reports
   */
  public IpCommand(HostCore core, int uid) {
    this.host = core.stack();
    this.core = core;
    this.uid = uid;
  }

  /** Runs {@code ip ARGS...}; {@code argv} excludes the program name. */
  public CommandResult run(List<String> argv) {
    Run r = new Run(argv);
    try {
      r.exit = r.main();
    } catch (Exit e) {
      r.exit = e.code;
    }
    return new CommandResult(r.out.toString(), r.err.toString(), r.exit & 0xff);
  }

  /** iproute2's matches(): whether {@code arg} is a non-empty prefix of {@code word}. */
  static boolean matches(String arg, String word) {
    return !arg.isEmpty() && word.startsWith(arg);
  }

  private static final class Exit extends RuntimeException {
    final int code;

    Exit(int code) {
      super(null, null, false, false);
      this.code = code;
    }
  }

  private final class Run {
    final List<String> args;
    int pos;
    int family = AF_UNSPEC;
    int details;
    int stats;
    /** {@code -br}: one line per device (name, state, addresses; for links MAC and flags). */
    boolean brief;
    final StringBuilder out = new StringBuilder();
    final StringBuilder err = new StringBuilder();
    int exit;

    Run(List<String> args) {
      this.args = args;
    }

    boolean more() {
      return pos < args.size();
    }

    String cur() {
      return args.get(pos);
    }

    /** NEXT_ARG(). */
    String next() {
      pos++;
      if (!more()) {
        err.append("Command line is not complete. Try option \"help\"\n");
        throw new Exit(255);
      }
      return cur();
    }

    Exit fail(int code, String line) {
      err.append(line).append('\n');
      return new Exit(code);
    }

    /** invarg(): exit(-1). The message keeps iproute2's own trailing newline. */
    Exit invarg(String msg, String arg) {
      err.append("Error: argument \"").append(arg).append("\" is wrong: ").append(msg).append('\n');
      return new Exit(255);
    }

    String familyVerbose(int fam) {
      return switch (fam) {
        case AF_INET -> "inet";
        case AF_INET6 -> "inet6";
        case AF_PACKET -> "packet";
        default -> "any valid";
      };
    }

    Ipv4Prefix getPrefix(String s, int fam) {
      try {
        return Ipv4Prefix.parse(s);
      } catch (IllegalArgumentException e) {
        throw fail(1, "Error: " + familyVerbose(fam) + " prefix is expected rather than \"" + s + "\".");
      }
    }

    Ipv4Address getAddr(String s, int fam) {
      try {
        if (s.equals("default") || s.equals("all") || s.equals("any")) {
          return Ipv4Address.ANY;
        }
        return Ipv4Prefix.parseLooseAddress(s);
      } catch (IllegalArgumentException e) {
        throw fail(1, "Error: " + familyVerbose(fam) + " address is expected rather than \"" + s + "\".");
      }
    }

    Link device(String name) {
      return host.links().byName(name).orElseThrow(() -> fail(1, "Cannot find device \"" + name + "\""));
    }

    int main() {
      while (more() && cur().startsWith("-")) {
        String opt = cur();
        if (opt.equals("--")) {
          pos++;
          break;
        }
        if (opt.startsWith("--")) {
          opt = opt.substring(1);
        }
        if (opt.equals("-4")) {
          family = AF_INET;
        } else if (opt.equals("-6")) {
          family = AF_INET6;
        } else if (opt.equals("-0")) {
          family = AF_PACKET;
        } else if (matches(opt, "-family")) {
          String f = next();
          family = switch (f) {
            case "inet" -> AF_INET;
            case "inet6" -> AF_INET6;
            case "link" -> AF_PACKET;
            default -> throw invarg("invalid protocol family", f);
          };
        } else if (matches(opt, "-details")) {
          details++;
        } else if (matches(opt, "-stats") || matches(opt, "-statistics")) {
          stats++;
        } else if (matches(opt, "-brief")) {
          brief = true;
        } else if (isColor(opt)) {
          // accepted; output is never coloured
        } else {
          throw fail(255, "Option \"" + cur() + "\" is unknown, try \"ip -help\".");
        }
        pos++;
      }
      if (!more()) {
        throw fail(255, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }");
      }
      String obj = cur();
      String object = null;
      for (String o : OBJECTS) {
        if (matches(obj, o)) {
          object = o;
          break;
        }
      }
      if (object == null) {
        throw fail(1, "Object \"" + obj + "\" is unknown, try \"ip help\".");
      }
      pos++;
      return switch (object) {
        case "route" -> noStats(this::route);
        case "address" -> address();
        case "link" -> noStats(this::link);
        case "neighbor", "neighbour" -> neigh();
        default -> throw fail(1, "ip: \"" + object + "\" is not emulated yet");
      };
    }

    /** {@code -s} is emulated for flushes only; elsewhere it would add counters we do not print. */
    int noStats(java.util.function.IntSupplier cmd) {
      if (stats > 0) {
        throw fail(1, "ip: \"-s\" (statistics) is not emulated yet for this command");
      }
      return cmd.getAsInt();
    }

    /** duparg2(): exit(-1). */
    Exit duparg2(String key, String arg) {
      return fail(255, "Error: either \"" + key + "\" is duplicate, or \"" + arg + "\" is a garbage.");
    }

    /** duparg(): exit(-1). */
    Exit duparg(String key, String arg) {
      return fail(255, "Error: duplicate \"" + key + "\": \"" + arg + "\" is the second value.");
    }

    boolean isColor(String opt) {
      int eq = opt.indexOf('=');
      String name = eq < 0 ? opt : opt.substring(0, eq);
      if (!matches(name, "-color")) {
        return false;
      }
      String v = eq < 0 ? "" : opt.substring(eq + 1);
      return v.isEmpty() || v.equals("always") || v.equals("auto") || v.equals("never");
    }

    // ------------------------------------------------------------ ip route

    int route() {
      if (!more()) {
        return routeList();
      }
      String c = cur();
      if (matches(c, "add")) {
        return routeModify(HostStack.WriteMode.ADD, false);
      } else if (matches(c, "change") || c.equals("chg")) {
        return routeModify(HostStack.WriteMode.CHANGE, false);
      } else if (matches(c, "replace")) {
        return routeModify(HostStack.WriteMode.REPLACE, false);
      } else if (matches(c, "append")) {
        return routeModify(HostStack.WriteMode.APPEND, false);
      } else if (matches(c, "delete")) {
        return routeModify(null, true);
      } else if (matches(c, "list") || matches(c, "show") || matches(c, "lst")) {
        pos++;
        return routeList();
      } else if (matches(c, "get")) {
        return routeGet();
      }
      throw fail(255, "Command \"" + c + "\" is unknown, try \"ip route help\".");
    }

    int routeList() {
      int table = RouteTable.MAIN;
      boolean allTables = false;
      Integer oif = null;
      Integer proto = null;
      Integer scope = null;
      RouteType type = null;
      Ipv4Prefix root = null;
      Ipv4Prefix match = null;
      while (more()) {
        String a = cur();
        if (matches(a, "table")) {
          String t = next();
          switch (t) {
            case "main", "254" -> table = RouteTable.MAIN;
            case "local", "255" -> table = RouteTable.LOCAL;
            case "all", "0" -> allTables = true;
            default -> throw invarg("table id value is invalid\n", t);
          }
        } else if (a.equals("dev") || a.equals("oif")) {
          oif = device(next()).index();
        } else if (matches(a, "protocol")) {
          String p = next();
          int v = Protocol.parse(p);
          if (v < 0 && !p.equals("all")) {
            throw invarg("invalid \"protocol\"\n", p);
          }
          proto = v < 0 ? null : v;
        } else if (matches(a, "scope")) {
          String s = next();
          int v = Scope.parse(s);
          if (v < 0 && !s.equals("all")) {
            throw invarg("invalid \"scope\"\n", s);
          }
          scope = v < 0 ? null : v;
        } else if (matches(a, "type")) {
          String s = next();
          type = RouteType.byLabel(s);
          if (type == null) {
            throw invarg("node type value is invalid\n", s);
          }
        } else {
          if (matches(a, "to")) {
            a = next();
          }
          if (matches(a, "root")) {
            root = getPrefix(next(), family);
          } else if (matches(a, "match")) {
            match = getPrefix(next(), family);
          } else {
            if (matches(a, "exact")) {
              a = next();
            }
            root = getPrefix(a, family);
            match = root;
          }
        }
        pos++;
      }
      if (family == AF_INET6) {
        return 0;
      }
      List<Integer> tables = allTables ? List.of(RouteTable.MAIN, RouteTable.LOCAL) : List.of(table);
      for (int t : tables) {
        for (Route r : host.table(t).routes()) {
          if ((oif != null && r.oif() != oif) || (proto != null && r.protocol() != proto)
              || (scope != null && r.scope() != scope) || (type != null && r.type() != type)) {
            continue;
          }
          if (root != null && !(r.dst().length() >= root.length() && root.contains(r.dst().address()))) {
            continue;
          }
          if (match != null && !(r.dst().length() <= match.length() && r.dst().contains(match.address()))) {
            continue;
          }
          out.append(formatRoute(r, !allTables));
        }
      }
      return 0;
    }

    String formatRoute(Route r, boolean tableFiltered) {
      StringBuilder sb = new StringBuilder();
      if (r.type() != RouteType.UNICAST || details > 0) {
        sb.append(r.type().label()).append(' ');
      }
      sb.append(r.dst()).append(' ');
      if (r.gateway() != null) {
        sb.append("via ").append(r.gateway()).append(' ');
      }
      if (r.oif() != 0) {
        sb.append("dev ").append(host.links().nameOf(r.oif())).append(' ');
      }
      if ((r.table() != RouteTable.MAIN || details > 0) && !tableFiltered) {
        sb.append("table ").append(RouteTable.name(r.table())).append(' ');
      }
      if (r.protocol() != Protocol.BOOT || details > 0) {
        sb.append("proto ").append(Protocol.name(r.protocol())).append(' ');
      }
      if (r.scope() != Scope.GLOBAL || details > 0) {
        sb.append("scope ").append(Scope.name(r.scope())).append(' ');
      }
      if (r.prefsrc() != null) {
        sb.append("src ").append(r.prefsrc()).append(' ');
      }
      if (r.metric() != 0) {
        sb.append("metric ").append(r.metric()).append(' ');
      }
      if (r.mtu() != 0) {
        sb.append("mtu ").append(Integer.toUnsignedString(r.mtu())).append(' ');
      }
      return sb.append('\n').toString();
    }

    int routeModify(HostStack.WriteMode mode, boolean delete) {
      int fam = family;
      RouteType type = delete ? null : RouteType.UNICAST;
      int proto = delete ? 0 : Protocol.BOOT;
      int scope = delete ? Scope.NOWHERE : Scope.GLOBAL;
      boolean scopeOk = false;
      boolean tableOk = false;
      int table = RouteTable.MAIN;
      Ipv4Address via = null;
      Ipv4Address src = null;
      Ipv4Prefix dst = null;
      long metric = 0;
      int mtu = 0;
      String dev = null;
      while (++pos < args.size()) {
        String a = cur();
        if (a.equals("src")) {
          src = getAddr(next(), fam);
          fam = AF_INET;
        } else if (a.equals("via")) {
          if (via != null) {
            throw invarg("use nexthop syntax to specify multiple via\n", a);
          }
          String g = next();
          if (g.equals("inet")) {
            g = next();
          }
          via = getAddr(g, fam);
          fam = AF_INET;
        } else if (matches(a, "metric") || matches(a, "priority") || a.equals("preference")) {
          String m = next();
          metric = parseU32(m, "\"metric\" value is invalid\n");
        } else if (a.equals("scope")) {
          String s = next();
          scope = Scope.parse(s);
          if (scope < 0) {
            throw invarg("invalid \"scope\" value\n", s);
          }
          scopeOk = true;
        } else if (a.equals("mtu")) {
          String m = next();
          if (m.equals("lock")) {
            throw fail(1, "ip: \"mtu lock\" is not emulated yet");
          }
          mtu = (int) parseU32(m, "\"mtu\" value is invalid\n");
        } else if (matches(a, "protocol")) {
          String p = next();
          proto = Protocol.parse(p);
          if (proto < 0) {
            throw invarg("\"protocol\" value is invalid\n", p);
          }
        } else if (matches(a, "table")) {
          String t = next();
          table = switch (t) {
            case "main" -> RouteTable.MAIN;
            case "local" -> RouteTable.LOCAL;
            case "default" -> 253;
            default -> (int) parseU32(t, "\"table\" value is invalid\n");
          };
          tableOk = true;
        } else if (a.equals("dev") || a.equals("oif")) {
          dev = next();
        } else if (a.equals("tos") || matches(a, "dsfield") || a.equals("from") || a.equals("onlink")
            || a.equals("nexthop") || a.equals("encap") || a.equals("hoplimit") || a.equals("advmss")
            || matches(a, "realms") || a.equals("expires") || a.equals("as")) {
          throw fail(1, "ip: route option \"" + a + "\" is not emulated yet");
        } else {
          if (a.equals("to")) {
            a = next();
          }
          if ((a.isEmpty() || a.charAt(0) < '0' || a.charAt(0) > '9') && RouteType.byLabel(a) != null) {
            type = RouteType.byLabel(a);
            a = next();
          }
          if (dst != null) {
            throw fail(255, "Error: either \"to\" is duplicate, or \"" + a + "\" is a garbage.");
          }
          dst = getPrefix(a, fam);
          fam = AF_INET;
        }
      }
      if (dst == null) {
        throw fail(255, "Usage: ip route { list | flush } SELECTOR");
      }
      int oif = 0;
      if (dev != null) {
        oif = device(dev).index();
      }
      if (!tableOk && (type == RouteType.LOCAL || type == RouteType.BROADCAST)) {
        table = RouteTable.LOCAL;
      }
      if (!scopeOk) {
        if (type == RouteType.LOCAL) {
          scope = Scope.HOST;
        } else if (type == RouteType.BROADCAST) {
          scope = Scope.LINK;
        } else if (type == RouteType.UNICAST || type == null) {
          if (delete) {
            scope = Scope.NOWHERE;
          } else if (via == null) {
            scope = Scope.LINK;
          }
        }
      }
      RouteRequest req = new RouteRequest(dst, type, table, via, oif, src, metric, mtu, scope, proto);
      try {
        if (delete) {
          host.deleteRoute(req);
        } else {
          host.writeRoute(req, mode);
        }
      } catch (NetlinkException e) {
        throw fail(2, e.iproute2Line());
      }
      return 0;
    }

    long parseU32(String s, String msg) {
      try {
        long v = Long.parseLong(s);
        if (v >= 0 && v <= 0xffff_ffffL && !s.startsWith("+")) {
          return v;
        }
      } catch (NumberFormatException e) {
        // fall through
      }
      throw invarg(msg, s);
    }

    int routeGet() {
      Ipv4Prefix dst = null;
      String odev = null;
      while (++pos < args.size()) {
        String a = cur();
        if (matches(a, "oif") || a.equals("dev")) {
          odev = next();
        } else if (matches(a, "from") || matches(a, "iif") || matches(a, "mark") || matches(a, "fibmatch")
            || matches(a, "tos") || matches(a, "vrf") || matches(a, "uid") || matches(a, "connected")) {
          throw fail(1, "ip: route get option \"" + a + "\" is not emulated yet");
        } else {
          if (a.equals("to")) {
            a = next();
          }
          dst = getPrefix(a, family);
        }
      }
      if (dst == null) {
        throw fail(1, "need at least a destination address");
      }
      int oif = odev == null ? 0 : device(odev).index();
      RouteGet g;
      try {
        g = host.routeGet(dst.address(), oif);
      } catch (NetlinkException e) {
        throw fail(2, e.iproute2Line());
      }
      StringBuilder sb = new StringBuilder();
      if (g.type() != RouteType.UNICAST) {
        sb.append(g.type().label()).append(' ');
      }
      sb.append(g.dst()).append(' ');
      if (g.gateway() != null) {
        sb.append("via ").append(g.gateway()).append(' ');
      }
      sb.append("dev ").append(host.links().nameOf(g.oif())).append(' ');
      if (g.table() != 0 && g.table() != RouteTable.MAIN) {
        sb.append("table ").append(RouteTable.name(g.table())).append(' ');
      }
      if (g.src() != null) {
        sb.append("src ").append(g.src()).append(' ');
      }
      sb.append("uid ").append(Integer.toUnsignedString(uid)).append(' ');
      sb.append("\n    cache ");
      if (g.type() == RouteType.LOCAL) {
        sb.append("<local> ");
      } else if (g.type() == RouteType.BROADCAST) {
        sb.append("<local,brd> ");
      }
      if (g.mtu() != 0) {
        sb.append("mtu ").append(Integer.toUnsignedString(g.mtu())).append(' ');
      }
      out.append(sb).append('\n');
      return 0;
    }

    // ------------------------------------------------------------ ip address / ip link

    int address() {
      if (!more()) {
        return addrList(false);
      }
      String c = cur();
      if (matches(c, "add")) {
        return addrModify(HostStack.WriteMode.ADD, false);
      } else if (matches(c, "change") || c.equals("chg")) {
        return addrModify(HostStack.WriteMode.CHANGE, false);
      } else if (matches(c, "replace")) {
        return addrModify(HostStack.WriteMode.REPLACE, false);
      } else if (matches(c, "delete")) {
        return addrModify(null, true);
      } else if (matches(c, "list") || matches(c, "show") || matches(c, "lst")) {
        pos++;
        return noStats(() -> addrList(false));
      } else if (matches(c, "flush")) {
        return addrFlush();
      } else if (matches(c, "save") || matches(c, "showdump") || matches(c, "restore")) {
        throw fail(1, "ip: \"ip address " + c + "\" is not emulated yet");
      } else if (matches(c, "help")) {
        throw addrUsage();
      }
      throw fail(255, "Command \"" + c + "\" is unknown, try \"ip address help\".");
    }

    Exit addrUsage() {
      return fail(255, "Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]");
    }

    /** ipaddr_modify: {@code ip address add|change|replace|del}. */
    int addrModify(HostStack.WriteMode mode, boolean delete) {
      int fam = family;
      Ipv4Prefix lcl = null;
      String lclArg = null;
      String dev = null;
      String label = null;
      int brdLen = 0;
      Ipv4Address brd = null;
      Integer scope = null;
      long metric = 0;
      boolean noPrefixRoute = false;
      while (++pos < args.size()) {
        String a = cur();
        if (a.equals("peer") || a.equals("remote")) {
          throw fail(1, "ip: \"" + a + "\" (point-to-point addresses) is not emulated yet");
        } else if (matches(a, "broadcast") || a.equals("brd")) {
          String v = next();
          if (brdLen != 0) {
            throw duparg("broadcast", v);
          }
          if (v.equals("+")) {
            brdLen = -1;
          } else if (v.equals("-")) {
            brdLen = -2;
          } else {
            brd = getAddr(v, fam);
            fam = AF_INET;
            brdLen = 4;
          }
        } else if (a.equals("anycast")) {
          throw fail(1, "ip: \"anycast\" is not emulated yet");
        } else if (a.equals("scope")) {
          String v = next();
          int sc = Scope.parse(v);
          if (sc < 0) {
            throw invarg("invalid scope value.", v);
          }
          scope = sc;
        } else if (a.equals("dev")) {
          dev = next();
        } else if (a.equals("label")) {
          label = next();
        } else if (matches(a, "metric") || matches(a, "priority") || matches(a, "preference")) {
          metric = parseU32(next(), "\"metric\" value is invalid\n");
        } else if (matches(a, "valid_lft") || matches(a, "preferred_lft")) {
          String v = next();
          if (!v.equals("forever")) {
            throw fail(1, "ip: address lifetimes other than \"forever\" are not emulated yet");
          }
        } else if (a.equals("noprefixroute")) {
          noPrefixRoute = true;
        } else if (IFA_FLAGS.containsKey(a)) {
          throw fail(1, "ip: address flag \"" + a + "\" is not emulated yet");
        } else {
          if (a.equals("local")) {
            a = next();
          }
          if (matches(a, "help")) {
            throw addrUsage();
          }
          if (lcl != null) {
            throw duparg2("local", a);
          }
          lclArg = a;
          lcl = getPrefix(a, fam);
          fam = AF_INET;
        }
      }
      if (fam == AF_INET6) {
        throw fail(1, "ip: IPv6 addresses are not emulated yet");
      }
      if (dev == null) {
        throw fail(1, "Not enough information: \"dev\" argument is required.");
      }
      if (label != null && !(label.startsWith(dev)
          && (label.length() == dev.length() || label.charAt(dev.length()) == ':'))) {
        throw fail(1, "\"label\" (" + label + ") must match \"dev\" (" + dev
            + ") or be prefixed by \"dev\" with a colon.");
      }
      boolean prefixGiven = lclArg != null && (lclArg.contains("/") || lcl.length() == 0);
      if (delete && lcl != null && !prefixGiven) {
        err.append("Warning: Executing wildcard deletion to stay compatible with old scripts.\n")
            .append("         Explicitly specify the prefix length (").append(lclArg)
            .append("/32) to avoid this warning.\n")
            .append("         This special behaviour is likely to disappear in further releases,\n")
            .append("         fix your scripts!\n");
      }
      if (brdLen < 0 && !delete && lcl != null && lcl.length() <= 30) {
        int hostBits = ~lcl.mask();
        brd = new Ipv4Address(brdLen == -1 ? lcl.address().value() | hostBits : lcl.address().value() & ~hostBits);
      }
      Link l = device(dev);
      try {
        if (lcl == null) {
          // No IFA_LOCAL: without -4 the request carries AF_UNSPEC, which no address family handles.
          if (fam != AF_INET) {
            throw new NetlinkException(Errno.EOPNOTSUPP);
          }
          if (!delete) {
            throw new NetlinkException(Errno.EINVAL, "ipv4: Local address is not supplied");
          }
          host.deleteAddress(l.name(), null, -1, label);
          return 0;
        }
        if (delete) {
          host.deleteAddress(l.name(), lcl.address(), prefixGiven ? lcl.length() : -1, label);
          return 0;
        }
        int sc = scope != null ? scope : IfAddress.defaultScope(lcl.address());
        Ipv4Address b = brd == null || brd.value() == 0 ? null : brd;
        IfAddress ifa = new IfAddress(lcl.address(), lcl.length(), b, sc, metric, label != null ? label : l.name(),
            false, noPrefixRoute);
        host.writeAddress(l.name(), ifa, mode);
      } catch (NetlinkException e) {
        throw fail(2, e.iproute2Line());
      }
      return 0;
    }

    /** ipaddr_list_flush_or_save(IPADD_FLUSH) and ipaddr_flush: {@code ip address flush}. */
    int addrFlush() {
      pos++;
      if (!more()) {
        throw fail(1, "Flush requires arguments.");
      }
      if (family == AF_PACKET) {
        throw fail(1, "Cannot flush link addresses.");
      }
      Ipv4Prefix to = null;
      int scope = 0;
      int scopeMask = 0;
      int flags = 0;
      int flagMask = 0;
      String labelPattern = null;
      String filterDev = null;
      for (; more(); pos++) {
        String a = cur();
        if (a.equals("to")) {
          to = getPrefix(next(), family);
        } else if (a.equals("scope")) {
          String v = next();
          scopeMask = -1;
          scope = Scope.parse(v);
          if (scope < 0) {
            if (!v.equals("all")) {
              throw invarg("invalid \"scope\"\n", v);
            }
            scope = Scope.NOWHERE;
            scopeMask = 0;
          }
        } else if (a.equals("up")) {
          // a listing filter; ipaddr_flush does not look at it
        } else if (flagFilter(a) != 0) {
          boolean inv = a.startsWith("-");
          String name = inv ? a.substring(1) : a;
          if (name.equals("dynamic") || name.equals("primary")) {
            inv = !inv;
          }
          int bit = flagFilter(a);
          flags = inv ? flags & ~bit : flags | bit;
          flagMask |= bit;
        } else if (a.equals("label")) {
          labelPattern = next();
        } else if (a.equals("group") || a.equals("master") || a.equals("vrf") || a.equals("type")) {
          throw fail(1, "ip: address flush filter \"" + a + "\" is not emulated yet");
        } else {
          if (a.equals("dev")) {
            a = next();
          } else if (matches(a, "help")) {
            throw addrUsage();
          }
          if (filterDev != null) {
            throw duparg2("dev", a);
          }
          filterDev = a;
        }
      }
      Link only = null;
      if (filterDev != null) {
        String name = filterDev;
        only = host.links().byName(name).orElseThrow(() -> fail(1, "Device \"" + name + "\" does not exist."));
      }
      boolean primaryOnly = (flagMask & IFA_F_SECONDARY) != 0 && (flags & IFA_F_SECONDARY) == 0;
      for (int round = 0; round < MAX_FLUSH_LOOPS; round++) {
        List<Link> batchLinks = new ArrayList<>();
        List<IfAddress> batch = new ArrayList<>();
        if (family != AF_INET6) {
          for (Link l : only != null ? List.of(host.links().byIndex(only.index()).orElseThrow()) : host.links().all()) {
            for (IfAddress ifa : l.addresses()) {
              int f = IFA_F_PERMANENT | (ifa.secondary() ? IFA_F_SECONDARY : 0)
                  | (ifa.noPrefixRoute() ? IFA_F_NOPREFIXROUTE : 0);
              if (((scope ^ ifa.scope()) & scopeMask) != 0 || ((flags ^ f) & flagMask) != 0
                  || (labelPattern != null && !fnmatch(labelPattern, ifa.label()))
                  || (to != null && !to.contains(ifa.local()))) {
                continue;
              }
              batchLinks.add(l);
              batch.add(ifa);
            }
          }
        }
        if (batch.isEmpty()) {
          return flushDone(round, "");
        }
        // One batch of RTM_DELADDR, each naming its address exactly; the kernel carries on past a
        // failed one, and iproute2 reports the first failure (rtnl_send_check) and gives up.
        Errno failed = null;
        for (int i = 0; i < batch.size(); i++) {
          IfAddress ifa = batch.get(i);
          try {
            host.deleteAddress(batchLinks.get(i).name(), ifa.local(), ifa.prefixLength(), ifa.label());
          } catch (NetlinkException e) {
            failed = failed == null ? e.errno() : failed;
          }
        }
        if (failed != null) {
          throw fail(255, "Failed to send flush request: " + failed.message());
        }
        if (stats > 0) {
          out.append("\n*** Round ").append(round + 1).append(", deleting ").append(batch.size())
              .append(" addresses ***\n");
        }
        if (primaryOnly) {
          return flushDone(round + 1, "");
        }
      }
      throw fail(255, "*** Flush remains incomplete after " + MAX_FLUSH_LOOPS + " rounds. ***");
    }

    int flushDone(int round, String unused) {
      if (stats > 0) {
        if (round == 0) {
          out.append("Nothing to flush.\n");
        } else {
          out.append("*** Flush is complete after ").append(round).append(" round").append(round > 1 ? "s" : "")
              .append(" ***\n");
        }
      }
      return 0;
    }

    /** get_filter's flag names (with {@code -} to invert, {@code dynamic} and {@code primary}): the bit, or 0. */
    int flagFilter(String a) {
      String name = a.startsWith("-") ? a.substring(1) : a;
      if (name.equals("dynamic")) {
        name = "permanent";
      } else if (name.equals("primary")) {
        name = "secondary";
      }
      Integer bit = IFA_FLAGS.get(name);
      return bit == null ? 0 : bit;
    }

    // ------------------------------------------------------------ ip neigh

    int neigh() {
      if (core == null) {
        throw fail(1, "ip: \"neighbour\" needs the host's neighbour table, which this command was not given");
      }
      if (!more()) {
        return neighShowOrFlush(false);
      }
      String c = cur();
      if (matches(c, "add")) {
        return neighModify(true, true, false);
      } else if (matches(c, "change") || c.equals("chg")) {
        return neighModify(false, false, false);
      } else if (matches(c, "replace")) {
        return neighModify(true, false, false);
      } else if (matches(c, "delete")) {
        return neighModify(false, false, true);
      } else if (matches(c, "get")) {
        throw fail(1, "ip: \"ip neigh get\" is not emulated yet");
      } else if (matches(c, "show") || matches(c, "lst") || matches(c, "list")) {
        pos++;
        return neighShowOrFlush(false);
      } else if (matches(c, "flush")) {
        pos++;
        return neighShowOrFlush(true);
      } else if (matches(c, "help")) {
        throw neighUsage();
      }
      throw fail(255, "Command \"" + c + "\" is unknown, try \"ip neigh help\".");
    }

    Exit neighUsage() {
      return fail(255, "Usage: ip neigh { add | del | change | replace }");
    }

    /** nud_state_a2n: the NUD bit(s), or -1. */
    int nudState(String s) {
      if (matches(s, "permanent")) {
        return NUD_PERMANENT;
      } else if (matches(s, "reachable")) {
        return NUD_REACHABLE;
      }
      switch (s) {
        case "noarp":
          return NUD_NOARP;
        case "none":
          return 0;
        case "stale":
          return NUD_STALE;
        case "incomplete":
          return NUD_INCOMPLETE;
        case "delay":
          return NUD_DELAY;
        case "probe":
          return NUD_PROBE;
        default:
          break;
      }
      if (matches(s, "failed")) {
        return NUD_FAILED;
      }
      try {
        int v = Integer.decode(s);
        return v >= 0 && v < 0x100 && (v & (v - 1)) == 0 ? v : -1;
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    static int nudBit(NeighbourTable.State s) {
      return switch (s) {
        case INCOMPLETE -> NUD_INCOMPLETE;
        case REACHABLE -> NUD_REACHABLE;
        case STALE -> NUD_STALE;
        case DELAY -> NUD_DELAY;
        case PROBE -> NUD_PROBE;
        case FAILED -> NUD_FAILED;
        case NOARP -> NUD_NOARP;
        case PERMANENT -> NUD_PERMANENT;
      };
    }

    /** ipneigh_modify: {@code ip neigh add|change|replace|del}. */
    int neighModify(boolean create, boolean exclusive, boolean delete) {
      int state = NUD_PERMANENT;
      boolean use = false;
      boolean managed = false;
      boolean externLearn = false;
      String lla = null;
      String dev = null;
      Ipv4Address dst = null;
      while (++pos < args.size()) {
        String a = cur();
        if (matches(a, "lladdr")) {
          String v = next();
          if (lla != null) {
            throw duparg("lladdr", v);
          }
          lla = v;
        } else if (a.equals("nud")) {
          String v = next();
          state = nudState(v);
          if (state < 0) {
            throw invarg("nud state is bad", v);
          }
        } else if (matches(a, "proxy") || a.equals("router")) {
          throw fail(1, "ip: neigh option \"" + a + "\" is not emulated yet");
        } else if (a.equals("use")) {
          use = true;
        } else if (a.equals("managed")) {
          // NTF_EXT_MANAGED in NDA_FLAGS_EXT; iproute2 asks for NUD_NONE (a later "nud" overrides it)
          managed = true;
          state = 0;
        } else if (matches(a, "extern_learn")) {
          externLearn = true;
        } else if (matches(a, "protocol")) {
          throw fail(1, "ip: neigh option \"" + a + "\" is not emulated yet");
        } else if (a.equals("dev")) {
          dev = next();
        } else {
          if (a.equals("to")) {
            a = next();
          }
          if (matches(a, "help")) {
            throw neighUsage();
          }
          if (dst != null) {
            throw duparg2("to", a);
          }
          dst = getAddr(a, family);
        }
      }
      if (dev == null || dst == null) {
        throw fail(255, "Device and destination are required arguments.");
      }
      MacAddress mac = null;
      if (lla != null && !lla.equals("null")) {
        try {
          mac = MacAddress.parse(lla);
        } catch (IllegalArgumentException e) {
          if (lla.contains(".")) {
            getAddr(lla, AF_INET);
            // ll_addr_a2n reads a dotted quad as a 4-byte address, shorter than the device's.
            device(dev);
            throw fail(2, "Error: Invalid link address.");
          }
          throw fail(1, "\"" + lla + "\" is invalid lladdr.");
        }
      }
      Link l = device(dev);
      try {
        if (delete) {
          core.neighbourDelete(l.name(), dst);
          return 0;
        }
        boolean event = use || managed;
        NeighbourTable.State s = switch (state) {
          case NUD_PERMANENT -> NeighbourTable.State.PERMANENT;
          case NUD_REACHABLE -> NeighbourTable.State.REACHABLE;
          case NUD_STALE -> NeighbourTable.State.STALE;
          case NUD_NOARP -> NeighbourTable.State.NOARP;
          default -> {
            if (event) {
              // the kernel ignores the state of a use/managed update (except a new PERMANENT managed one)
              yield null;
            }
            throw fail(1, "ip: neighbour state " + state + " is not emulated yet (only permanent, "
                + "reachable, stale and noarp)");
          }
        };
        core.neighbourUpdate(l.name(), dst, mac, s, new NeighbourTable.AdminFlags(use, externLearn, managed),
            create, exclusive);
      } catch (NetlinkException e) {
        throw fail(2, e.iproute2Line());
      }
      return 0;
    }

    /** do_show_or_flush: {@code ip neigh show|flush}. */
    int neighShowOrFlush(boolean flush) {
      if (flush && !more()) {
        throw fail(1, "Flush requires arguments.");
      }
      if (!flush && stats > 0) {
        throw fail(1, "ip: \"-s\" (statistics) is not emulated yet for this command");
      }
      int filterState = flush ? ~(NUD_PERMANENT | NUD_NOARP) : 0xff & ~NUD_NOARP;
      boolean stateGiven = false;
      String filterDev = null;
      Ipv4Prefix to = null;
      for (; more(); pos++) {
        String a = cur();
        if (a.equals("dev")) {
          String v = next();
          if (filterDev != null) {
            throw duparg("dev", v);
          }
          filterDev = v;
        } else if (a.equals("nud")) {
          String v = next();
          if (!stateGiven) {
            stateGiven = true;
            filterState = 0;
          }
          int st = nudState(v);
          if (st < 0) {
            if (!v.equals("all")) {
              throw invarg("nud state is bad", v);
            }
            st = ~0;
            if (flush) {
              st &= ~NUD_NOARP;
            }
          }
          if (st == 0) {
            st = NUD_NONE_FILTER;
          }
          filterState |= st;
        } else if (a.equals("unused") || a.equals("proxy") || a.equals("vrf") || a.equals("master")
            || a.equals("nomaster")) {
          throw fail(1, "ip: neigh filter \"" + a + "\" is not emulated yet");
        } else {
          if (a.equals("to")) {
            a = next();
          }
          if (matches(a, "help")) {
            throw neighUsage();
          }
          to = getPrefix(a, family);
        }
      }
      if (filterDev != null) {
        device(filterDev);
      }
      if (flush) {
        filterState &= ~NUD_FAILED;
      }
      for (int round = 0; round < MAX_FLUSH_LOOPS; round++) {
        List<NeighbourTable.Snapshot> selected = new ArrayList<>();
        if (family != AF_INET6 && family != AF_PACKET) {
          for (NeighbourTable.Snapshot e : core.neighbours().list()) {
            if ((filterDev != null && !host.links().byName(filterDev).map(Link::name).orElse("").equals(e.dev()))
                || (filterState & nudBit(e.state())) == 0
                || (to != null && !to.contains(e.ip()))) {
              continue;
            }
            selected.add(e);
          }
        }
        if (!flush) {
          String devName = filterDev == null ? null : device(filterDev).name();
          out.append(NeighbourFormat.ipNeigh(selected, devName));
          return 0;
        }
        if (selected.isEmpty()) {
          return flushDone(round, "");
        }
        for (NeighbourTable.Snapshot e : selected) {
          try {
            core.neighbourDelete(e.dev(), e.ip());
          } catch (NetlinkException ex) {
            throw fail(1, "Failed to send flush request: " + ex.errno().message());
          }
        }
        if (stats > 0) {
          out.append("\n*** Round ").append(round + 1).append(", deleting ").append(selected.size())
              .append(" entries ***\n");
        }
      }
      out.append("*** Flush not complete bailing out after ").append(MAX_FLUSH_LOOPS).append(" rounds\n");
      return 1;
    }

    int link() {
      if (!more()) {
        family = AF_PACKET;
        return addrList(true);
      }
      String c = cur();
      if (matches(c, "show") || matches(c, "list") || matches(c, "lst")) {
        pos++;
        family = AF_PACKET;
        return addrList(true);
      }
      if (matches(c, "set")) {
        return linkSet();
      }
      if (matches(c, "add") || matches(c, "delete") || matches(c, "change")) {
        throw fail(1, "ip: \"ip link " + c + "\" is not emulated yet");
      }
      throw fail(255, "Command \"" + c + "\" is unknown, try \"ip link help\".");
    }

    int linkSet() {
      String dev = null;
      Boolean up = null;
      Integer mtu = null;
      while (++pos < args.size()) {
        String a = cur();
        if (a.equals("up")) {
          up = true;
        } else if (a.equals("down")) {
          up = false;
        } else if (a.equals("mtu")) {
          String m = next();
          mtu = (int) parseU32(m, "Invalid \"mtu\" value\n");
        } else {
          if (a.equals("dev")) {
            a = next();
          }
          if (dev != null) {
            throw fail(255, "Error: either \"dev\" is duplicate, or \"" + a + "\" is a garbage.");
          }
          dev = a;
        }
      }
      if (dev == null) {
        throw fail(255, "Not enough information: \"dev\" argument is required.");
      }
      Link l = device(dev);
      if (mtu != null) {
        host.updateLink(l.withMtu(mtu));
      }
      if (up != null) {
        if (core != null) {
          core.setLinkUp(l.name(), up);
        } else {
          host.setUp(l.name(), up);
        }
      }
      return 0;
    }

    int addrList(boolean doLink) {
      String filterDev = null;
      while (more()) {
        String a = cur();
        if (a.equals("dev")) {
          a = next();
        } else if (matches(a, "help")) {
          throw fail(255, "Usage: ip address {add|change|replace} IFADDR dev IFNAME [ LIFETIME ]");
        }
        if (filterDev != null) {
          throw fail(255, "Error: either \"dev\" is duplicate, or \"" + a + "\" is a garbage.");
        }
        filterDev = a;
        pos++;
      }
      List<Link> shown;
      if (filterDev != null) {
        String name = filterDev;
        Link l = host.links().byName(name).orElse(null);
        if (l == null) {
          throw fail(1, "Device \"" + name + "\" does not exist.");
        }
        shown = List.of(l);
      } else {
        shown = host.links().all();
      }
      for (Link l : shown) {
        boolean hasInet = !l.addresses().isEmpty();
        boolean hasInet6 = l.up();
        if (family == AF_INET && !hasInet || family == AF_INET6 && !hasInet6) {
          continue;
        }
        if (brief) {
          out.append(briefLine(l));
          continue;
        }
        out.append(linkInfo(l, doLink));
        if (family != AF_PACKET) {
          if (family != AF_INET6) {
            for (IfAddress a : l.addresses()) {
              out.append(inetLine(a));
            }
          }
          if (family != AF_INET && l.up()) {
            out.append(inet6Line(l));
          }
        }
      }
      return 0;
    }

    String linkInfo(Link l, boolean doLink) {
      StringBuilder sb = new StringBuilder();
      sb.append(l.index()).append(": ").append(l.name());
      if (l.peer() != null) {
        sb.append('@').append(l.peer());
      }
      sb.append(": <").append(String.join(",", flags(l))).append("> ");
      sb.append("mtu ").append(l.mtu()).append(' ');
      sb.append("qdisc ").append(l.qdisc()).append(' ');
      sb.append("state ").append(operState(l)).append(' ');
      if (doLink) {
        sb.append("mode DEFAULT ");
      }
      sb.append("group default ");
      if (l.txQueueLen() != 0) {
        sb.append("qlen ").append(l.txQueueLen());
      }
      if (family == AF_UNSPEC || family == AF_PACKET || details > 0) {
        if (l.isLoopback()) {
          sb.append("\n    link/loopback ").append(l.mac()).append(" brd ").append(l.mac());
        } else {
          sb.append("\n    link/ether ").append(l.mac()).append(" brd ").append(MacAddress.BROADCAST);
        }
      }
      for (String alt : l.altNames()) {
        sb.append("\n    altname ").append(alt);
      }
      return sb.append('\n').toString();
    }

    /**
     * print_linkinfo in brief mode: the name (with {@code @peer}) in 16 columns, the operational
     * state in 14, then for links the MAC and flags, for addresses each address/prefix, every field
     * followed by a space.
     */
    String briefLine(Link l) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format("%-16s ", l.peer() != null ? l.name() + "@" + l.peer() : l.name()));
      sb.append(String.format("%-14s ", operState(l)));
      if (family == AF_PACKET) {
        sb.append(l.mac()).append(' ');
        sb.append('<').append(String.join(",", flags(l))).append("> ");
      } else {
        if (family != AF_INET6) {
          for (IfAddress a : l.addresses()) {
            sb.append(a.local()).append('/').append(a.prefixLength()).append(' ');
          }
        }
        if (family != AF_INET && l.up()) {
          sb.append(l.isLoopback() ? "::1/128" : linkLocal(l.mac()) + "/64").append(' ');
        }
      }
      return sb.append('\n').toString();
    }

    List<String> flags(Link l) {
      java.util.ArrayList<String> f = new java.util.ArrayList<>();
      if (l.isLoopback()) {
        f.add("LOOPBACK");
      } else {
        f.add("BROADCAST");
        if (l.kind() != LinkKind.DUMMY) {
          f.add("MULTICAST");
        }
      }
      if (l.noArp()) {
        f.add("NOARP");
      }
      if (l.up()) {
        f.add("UP");
        f.add("LOWER_UP");
      }
      return f;
    }

    String operState(Link l) {
      if (!l.up()) {
        return "DOWN";
      }
      return switch (l.kind()) {
        case ETHERNET, VETH -> "UP";
        default -> "UNKNOWN";
      };
    }

    String inetLine(IfAddress a) {
      StringBuilder sb = new StringBuilder("    inet ");
      sb.append(a.local()).append('/').append(a.prefixLength()).append(' ');
      if (a.metric() != 0) {
        sb.append("metric ").append(a.metric()).append(' ');
      }
      if (a.broadcast() != null) {
        sb.append("brd ").append(a.broadcast()).append(' ');
      }
      sb.append("scope ").append(Scope.name(a.scope())).append(' ');
      if (a.secondary()) {
        sb.append("secondary ");
      }
      if (a.noPrefixRoute()) {
        sb.append("noprefixroute ");
      }
      sb.append(a.label());
      sb.append("\n       valid_lft forever preferred_lft forever\n");
      return sb.toString();
    }

    /** The IPv6 address the kernel configures when the device comes up. */
    String inet6Line(Link l) {
      if (l.isLoopback()) {
        return "    inet6 ::1/128 scope host noprefixroute \n       valid_lft forever preferred_lft forever\n";
      }
      return "    inet6 " + linkLocal(l.mac()) + "/64 scope link \n       valid_lft forever preferred_lft forever\n";
    }
  }

  /**
   * fnmatch(3) without flags, as {@code ip address flush label PATTERN} matches labels: {@code *},
   * {@code ?}, bracket expressions ({@code [a-z]}, {@code [!x]}) and backslash escapes.
   */
  static boolean fnmatch(String pattern, String s) {
    return fnmatch(pattern, 0, s, 0);
  }

  private static boolean fnmatch(String p, int pi, String s, int si) {
    while (pi < p.length()) {
      char c = p.charAt(pi);
      if (c == '*') {
        for (int k = si; k <= s.length(); k++) {
          if (fnmatch(p, pi + 1, s, k)) {
            return true;
          }
        }
        return false;
      }
      if (si >= s.length()) {
        return false;
      }
      char ch = s.charAt(si);
      if (c == '?') {
        pi++;
      } else if (c == '[') {
        int end = p.indexOf(']', pi + 2);
        if (end < 0) {
          if (ch != '[') {
            return false;
          }
          pi++;
        } else {
          int i = pi + 1;
          boolean neg = p.charAt(i) == '!' || p.charAt(i) == '^';
          if (neg) {
            i++;
            end = p.indexOf(']', i + 1);
            if (end < 0) {
              return false;
            }
          }
          boolean hit = false;
          for (; i < end; i++) {
            if (i + 2 < end && p.charAt(i + 1) == '-') {
              hit |= ch >= p.charAt(i) && ch <= p.charAt(i + 2);
              i += 2;
            } else {
              hit |= ch == p.charAt(i);
            }
          }
          if (hit == neg) {
            return false;
          }
          pi = end + 1;
        }
      } else {
        if (c == '\\' && pi + 1 < p.length()) {
          c = p.charAt(++pi);
        }
        if (c != ch) {
          return false;
        }
        pi++;
      }
      si++;
    }
    return si == s.length();
  }

  /** The EUI-64 link-local address (RFC 4291 appendix A) of a MAC, in RFC 5952 text form. */
  static String linkLocal(MacAddress mac) {
    long m = mac.value();
    int[] g = new int[8];
    g[0] = 0xfe80;
    g[4] = (int) (((m >>> 32) & 0xffff) ^ 0x0200);
    g[5] = (int) (((m >>> 24) & 0xff) << 8 | 0xff);
    g[6] = (int) (0xfe00 | ((m >>> 16) & 0xff));
    g[7] = (int) (m & 0xffff);
    // longest run of zero groups (length >= 2) becomes "::"
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }
}
