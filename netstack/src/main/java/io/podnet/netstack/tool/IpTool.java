package io.podnet.netstack.tool;

import io.podnet.netstack.neigh.NeighbourFormat;
import java.util.List;

/**
 * iproute2's {@code ip} on a host: {@link IpCommand} for routes, addresses and links, and
 * {@code ip neigh [show] [dev DEV]} from the host's neighbour table.
 */
public final class IpTool implements Tool {
  private static final List<String> NEIGH = List.of("n", "ne", "nei", "neig", "neigh", "neighb", "neighbo",
      "neighbor", "neighbou", "neighbour");

  private final ToolContext ctx;
  private final List<String> args;

  public IpTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    int i = 0;
    while (i < args.size() && args.get(i).startsWith("-") && !args.get(i).equals("-")) {
      i++;
    }
    if (i < args.size() && NEIGH.contains(args.get(i)) && neighShow(args.subList(i + 1, args.size()))) {
      return;
    }
    CommandResult r = new IpCommand(ctx.core().stack(), 0).run(args);
    ctx.out(r.stdout());
    ctx.err(r.stderr());
    ctx.exit(r.exitCode());
  }

  /** {@code ip neigh [show|list|ls] [dev DEV]}; false for anything else (IpCommand answers). */
  private boolean neighShow(List<String> rest) {
    int i = 0;
    if (i < rest.size() && List.of("show", "list", "ls", "sh", "s").contains(rest.get(i))) {
      i++;
    }
    String dev = null;
    if (i + 1 < rest.size() && rest.get(i).equals("dev")) {
      dev = rest.get(i + 1);
      if (ctx.core().stack().links().byName(dev).isEmpty()) {
        ctx.err("Cannot find device \"" + dev + "\"\n");
        ctx.exit(1);
        return true;
      }
      i += 2;
    }
    if (i != rest.size()) {
      return false;
    }
    ctx.out(NeighbourFormat.ipNeigh(ctx.core().neighbours().list(), dev));
    ctx.exit(0);
    return true;
  }
}
