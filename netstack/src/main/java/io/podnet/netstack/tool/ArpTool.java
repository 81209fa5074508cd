package io.podnet.netstack.tool;

import io.podnet.netstack.neigh.NeighbourFormat;
import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;
import java.util.function.Function;

/**
 * net-tools' {@code arp}: {@code arp} (the table), {@code -a} (BSD style), {@code -n} (numeric),
 * {@code -i IF} (one interface), combined as {@code -an}.
 */
public final class ArpTool implements Tool {
  private final ToolContext ctx;
  private final List<String> args;

  public ArpTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    boolean all = false;
    boolean numeric = false;
    String dev = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-i") || a.equals("--device")) {
        if (++i >= args.size()) {
          ctx.err("arp: option requires an argument -- 'i'\n" + usage());
          ctx.exit(255);
          return;
        }
        dev = args.get(i);
      } else if (a.startsWith("-") && !a.startsWith("--") && a.length() > 1) {
        for (char c : a.substring(1).toCharArray()) {
          switch (c) {
            case 'a' -> all = true;
            case 'n' -> numeric = true;
            case 'e' -> all = false;
            case 'v' -> { }
            default -> {
              ctx.err("arp: invalid option -- '" + c + "'\n" + usage());
              ctx.exit(255);
              return;
            }
          }
        }
      } else if (a.equals("--all")) {
        all = true;
      } else if (a.equals("--numeric")) {
        numeric = true;
      } else {
        ctx.err("arp: " + a + ": unknown argument (only the display forms -a, -n, -i are emulated)\n");
        ctx.exit(255);
        return;
      }
    }
    final String only = dev;
    List<NeighbourTable.Snapshot> entries = ctx.core().neighbours().list().stream()
        .filter(e -> only == null || only.equals(e.dev())).toList();
    boolean num = numeric;
    Function<Ipv4Address, String> names = ip -> num ? null : ctx.nameOf(ip);
    if (entries.isEmpty() && !all) {
      ctx.out(dev == null ? "" : "arp: in 0 entries no match found.\n");
    } else {
      ctx.out(all ? NeighbourFormat.arpAll(entries, names) : NeighbourFormat.arpTable(entries, names));
    }
    ctx.exit(0);
  }

  private static String usage() {
    return "Usage:\n  arp [-vn]  [<HW>] [-i <if>] [-a] [<hostname>]             <-Display ARP cache\n";
  }
}
