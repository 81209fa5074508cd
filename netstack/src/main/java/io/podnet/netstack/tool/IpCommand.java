package io.podnet.netstack.tool;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
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
import java.util.List;

/**
 * iproute2's {@code ip} over a {@link HostStack}: {@code route} (show, add, del, replace, change,
 * append, get), {@code address} (show) and {@code link} (show, set up/down/mtu), with iproute2's
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

  private final HostStack host;
  private final int uid;

  /**
   * @param host the tables the command reads and writes
   * @param uid the caller's uid, which {@code ip route get} reports
   */
  public IpCommand(HostStack host, int uid) {
    this.host = host;
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
        case "route" -> route();
        case "address" -> address();
        case "link" -> link();
        default -> throw fail(1, "ip: \"" + object + "\" is not emulated yet");
      };
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
      if (matches(c, "list") || matches(c, "show") || matches(c, "lst")) {
        pos++;
        return addrList(false);
      }
      if (matches(c, "add") || matches(c, "change") || matches(c, "replace") || matches(c, "delete")
          || matches(c, "flush") || matches(c, "save") || matches(c, "restore") || matches(c, "showdump")) {
        throw fail(1, "ip: \"ip address " + c + "\" is not emulated yet");
      }
      throw fail(255, "Command \"" + c + "\" is unknown, try \"ip address help\".");
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
        host.setUp(l.name(), up);
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
