package io.podnet.node.tools;

import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.node.cilium.AgentView;
import io.podnet.node.cilium.CiliumStatus;
import io.podnet.node.cilium.IpCache;
import io.podnet.node.cilium.IpCacheEntry;
import io.podnet.node.cilium.L2AnnounceTable;
import io.podnet.node.cilium.ServiceList;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's own client, {@code cilium-dbg} (also {@code cilium} inside the agent container):
 * {@code status [--all-addresses]} ({@link CiliumStatus#status}), {@code config --all} (the
 * running agent's options, {@link io.podnet.node.cilium.AgentConfig#dbgConfigAll}),
 * {@code bpf ipcache list} and {@code service list} ({@link ServiceList#list}). Its cobra root does not silence errors, so cobra prints
 * {@code Error: ...} on stderr (with the {@code Run 'cilium-dbg --help' for usage.} hint for an
 * unknown command), then its Execute prints the error again on stdout ({@code fmt.Println}) and
 * exits 1. After an unknown flag cobra also prints the command's usage on stdout: that text is not
 * modelled. Real commands that are not modelled say so and exit 1.
 */
public final class CiliumDbgTool implements Tool {
  /** cilium-dbg's subcommands (cobra adds completion), sorted. */
  static final List<String> COMMANDS = List.of("bpf", "bugtool", "build-config", "cgroups", "cleanup", "completion",
      "config", "debuginfo", "encrypt", "endpoint", "envoy", "fqdn", "identity", "ip", "kvstore", "lrp", "map",
      "metrics", "monitor", "node", "nodeid", "policy", "post-mortem", "prefilter", "preflight", "recorder",
      "service", "shell", "statedb", "status", "troubleshoot", "version");

  static final String PROGRAM = "cilium-dbg";

  private final ToolContext ctx;
  private final List<String> args;
  private final AgentView agent;

  public CiliumDbgTool(ToolContext ctx, List<String> args, AgentView agent) {
    this.ctx = ctx;
    this.args = args;
    this.agent = agent;
  }

  /** A cobra error: cobra prints {@code Error: ...} on stderr, then main prints the error on stdout. */
  private static final class Failure extends Exception {
    final String stderr;

    Failure(String error, String stderr) {
      super(error, null, false, false);
      this.stderr = stderr;
    }
  }

  @Override
  public void start() {
    try {
      run();
    } catch (Failure f) {
      ctx.err(f.stderr);
      ctx.out(f.getMessage() + "\n");
      ctx.exit(1);
    }
  }

  private void run() throws Failure {
    List<String> words = new ArrayList<>();
    List<String> flags = new ArrayList<>();
    for (String a : args) {
      (Cobra.isFlag(a) ? flags : words).add(a);
    }
    if (words.isEmpty()) {
      notEmulated(PROGRAM + " (its help)");
      return;
    }
    String cmd = words.get(0);
    switch (cmd) {
      case "status" -> {
        boolean all = false;
        for (String f : flags) {
          if (f.equals("--all-addresses")) {
            all = true;
          } else if (List.of("--all-clusters", "--all-controllers", "--all-health", "--all-nodes", "--all-redirects",
              "--brief", "--verbose", "--output", "-o", "--timeout").contains(f.split("=", 2)[0])) {
            notEmulated(PROGRAM + " status " + f);
            return;
          } else {
            throw unknownFlag(f);
          }
        }
        ctx.out(CiliumStatus.status(agent.config(), agent.ipam(), all));
        ctx.exit(0);
      }
      case "config" -> {
        boolean all = false;
        for (String f : flags) {
          if (f.equals("--all") || f.equals("-a")) {
            all = true;
          } else if (List.of("--list-options", "--num-pages", "--output", "-o").contains(f.split("=", 2)[0])) {
            notEmulated(PROGRAM + " config " + f);
            return;
          } else {
            throw unknownFlag(f);
          }
        }
        if (!all || words.size() > 1) {
          notEmulated(PROGRAM + " config" + (words.size() > 1 ? " " + words.get(1) : " (the mutable options)"));
          return;
        }
        ctx.out(agent.config().dbgConfigAll());
        ctx.exit(0);
      }
      case "bpf" -> {
        if (words.size() < 3 || !words.get(1).equals("ipcache") || !words.get(2).equals("list")) {
          notEmulated(PROGRAM + " " + String.join(" ", words.subList(0, Math.min(3, words.size()))));
          return;
        }
        for (String f : flags) {
          if (f.equals("-o") || f.startsWith("--output")) {
            notEmulated(PROGRAM + " bpf ipcache list " + f);
            return;
          }
          throw unknownFlag(f);
        }
        List<IpCacheEntry> entries = agent.ipcache();
        if (entries.isEmpty()) {
          ctx.err(IpCache.NO_ENTRIES);
        } else {
          ctx.out(IpCache.list(entries));
        }
        ctx.exit(0);
      }
      case "service" -> service(words, flags);
      case "shell" -> shell();
      default -> {
        if (COMMANDS.contains(cmd)) {
          notEmulated(PROGRAM + " " + cmd);
          return;
        }
        throw new Failure(Cobra.unknownCommand(cmd, PROGRAM, COMMANDS),
            Cobra.unknownCommandPrinted(cmd, PROGRAM, COMMANDS));
      }
    }
  }

  /**
   * {@code service list} (alias {@code ls}) [{@code --clustermesh-affinity}]: the agent's frontends
   * ({@link ServiceList#list}). Its {@code -o} output formats and the other service subcommands are
   * not emulated.
   */
  private void service(List<String> words, List<String> flags) throws Failure {
    String sub = words.size() > 1 ? words.get(1) : "";
    if (!sub.equals("list") && !sub.equals("ls")) {
      notEmulated(PROGRAM + " service" + (sub.isEmpty() ? " (its help)" : " " + sub));
      return;
    }
    boolean preferred = false;
    for (String f : flags) {
      String name = f.split("=", 2)[0];
      if (name.equals("--clustermesh-affinity")) {
        preferred = true;
      } else if (name.equals("-o") || name.equals("--output") || f.startsWith("-o")) {
        notEmulated(PROGRAM + " service list " + f);
        return;
      } else {
        throw unknownFlag(f);
      }
    }
    ctx.out(ServiceList.list(agent.services(), preferred));
    ctx.exit(0);
  }

  /**
   * {@code shell -- db/show TABLE}: the agent's StateDB table through its shell; only
   * {@code l2-announce} is modelled. Another table gets StateDB's error, as the shell prints it;
   * other shell commands are not emulated.
   */
  private void shell() {
    int dash = args.indexOf("--");
    List<String> script = dash < 0 ? List.of() : args.subList(dash + 1, args.size());
    if (script.size() != 2 || !script.get(0).equals("db/show")) {
      notEmulated(PROGRAM + " shell" + (script.isEmpty() ? " (interactive)" : " -- " + String.join(" ", script)));
      return;
    }
    if (!script.get(1).equals(L2AnnounceTable.NAME)) {
      ctx.err("Error: " + L2AnnounceTable.notFound(script.get(1)) + "\n");
      ctx.exit(1);
      return;
    }
    ctx.out(L2AnnounceTable.show(agent.l2Announce()));
    ctx.exit(0);
  }

  private static Failure unknownFlag(String f) {
    String e = Cobra.unknownFlag(f);
    return new Failure(e, "Error: " + e + "\n");
  }

  private void notEmulated(String what) {
    ctx.err("podnet: " + what + ": not emulated (emulated: " + PROGRAM + " status [--all-addresses], " + PROGRAM
        + " config --all, " + PROGRAM + " bpf ipcache list, " + PROGRAM + " service list, " + PROGRAM
        + " shell -- db/show l2-announce)\n");
    ctx.exit(1);
  }
}
