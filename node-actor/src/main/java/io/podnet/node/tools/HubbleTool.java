package io.podnet.node.tools;

import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.node.cilium.AgentView;
import io.podnet.node.cilium.hubble.CompactPrinter;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.node.cilium.hubble.ObserveOptions;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * The Hubble CLI's {@code hubble observe [flows]} with {@link ObserveOptions}' flags, printed by
 * {@link CompactPrinter} in the host's zone, from Hubble Relay on a node host (every node's flows) or
 * from the local agent in its container. Without {@code -f} it prints the last N matching
 * buffered flows and exits 0. With {@code -f} it prints the last N (none unless {@code --last})
 * and then every matching flow as the agent records it, until Ctrl-C: hubble observes under
 * {@code signal.NotifyContext(os.Interrupt)}, and a cancelled stream ends the command without
 * error, so INT exits 0 (TERM still kills it). hubble's connection flags ({@code --server},
 * {@code -P/--port-forward}, TLS) are accepted and change nothing. Errors are printed bare, as hubble's main does, with exit 1.
 */
public final class HubbleTool implements Tool {
  /** hubble's subcommands (cobra adds completion), sorted. */
  static final List<String> COMMANDS = List.of("completion", "config", "list", "observe", "status", "version",
      "watch");

  private final ToolContext ctx;
  private final List<String> args;
  private final AgentView agent;
  private final CompactPrinter printer;
  private final boolean cluster;

  /**
   * @param cluster true on a node host, where hubble reaches Hubble Relay (port-forwarded, as in the
   *     reference lab): every node's flows; false in the cilium-agent container, whose hubble talks
   *     to the local agent's observer: this node's flows
   */
  public HubbleTool(ToolContext ctx, List<String> args, AgentView agent, ZoneId zone, boolean cluster) {
    this.ctx = ctx;
    this.args = args;
    this.agent = agent;
    this.printer = new CompactPrinter(zone);
    this.cluster = cluster;
  }

  /** hubble's persistent (root) flags that take a value; they do not filter flows. */
  private static final List<String> GLOBAL_VALUED = List.of("--server", "--config", "--timeout",
      "--tls-server-name", "--tls-ca-cert-files", "--tls-client-cert-file", "--tls-client-key-file");
  /** hubble's persistent boolean flags, and observe's -P/--port-forward (the relay is reached either way). */
  private static final List<String> GLOBAL_BOOL = List.of("-D", "--debug", "--tls", "--tls-allow-insecure", "-P",
      "--port-forward");

  @Override
  public void start() {
    List<String> args = new ArrayList<>();
    for (int i = 0; i < this.args.size(); i++) {
      String a = this.args.get(i);
      if (GLOBAL_VALUED.contains(a)) {
        if (++i >= this.args.size()) {
          fail("flag needs an argument: " + a);
          return;
        }
      } else if (!GLOBAL_BOOL.contains(a) && !GLOBAL_VALUED.contains(a.split("=", 2)[0])) {
        args.add(a);
      }
    }
    int at = Cobra.subcommandAt(args);
    if (at < 0) {
      notEmulated("hubble (its help)");
      return;
    }
    String cmd = args.get(at);
    if (!cmd.equals("observe")) {
      if (COMMANDS.contains(cmd)) {
        notEmulated("hubble " + cmd);
      } else {
        fail(Cobra.unknownCommand(cmd, "hubble", COMMANDS));
      }
      return;
    }
    List<String> rest = new ArrayList<>(args.subList(0, at));
    rest.addAll(args.subList(at + 1, args.size()));
    if (!rest.isEmpty() && rest.get(0).equals("flows")) {
      rest.remove(0);
    }
    ObserveOptions opts;
    try {
      opts = ObserveOptions.parse(rest);
    } catch (ObserveOptions.UsageException e) {
      fail(e.getMessage());
      return;
    }
    Runnable stop = agent.observe(rest, opts.follow(), cluster, new AgentView.ObserveSink() {
      @Override
      public void flows(List<Flow> flows, boolean backlog) {
        if (ctx.exited()) {
          return;
        }
        ctx.guarded(() -> {
          for (Flow f : flows) {
            ctx.out(printer.line(f));
          }
          if (backlog && !opts.follow()) {
            ctx.exit(0);
          }
        });
      }

      @Override
      public void failed(String message) {
        if (!ctx.exited()) {
          ctx.guarded(() -> fail(message));
        }
      }
    });
    ctx.onExit(stop);
  }

  @Override
  public void signal(ToolContext c, String signal) {
    if ("INT".equals(signal)) {
      c.exit(0);
    } else {
      Tool.super.signal(c, signal);
    }
  }

  private void fail(String message) {
    ctx.err(message + "\n");
    ctx.exit(1);
  }

  private void notEmulated(String what) {
    ctx.err("podnet: " + what + ": not emulated (emulated: hubble observe)\n");
    ctx.exit(1);
  }
}
