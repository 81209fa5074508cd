package io.podnet.netstack.tool;

import java.util.List;

/**
 * iproute2's {@code ip} on a host: {@link IpCommand} over the host's core, so that {@code ip neigh}
 * reads and writes its neighbour table and {@code ip link set down} flushes a device's neighbours.
 */
public final class IpTool implements Tool {
  private final ToolContext ctx;
  private final List<String> args;

  public IpTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    CommandResult r = new IpCommand(ctx.core(), 0).run(args);
    ctx.out(r.stdout());
    ctx.err(r.stderr());
    ctx.exit(r.exitCode());
  }
}
