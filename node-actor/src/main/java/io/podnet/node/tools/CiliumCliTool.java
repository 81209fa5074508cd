package io.podnet.node.tools;

import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.node.cilium.AgentConfig;
import io.podnet.node.cilium.AgentView;
import io.podnet.node.cilium.CiliumStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cilium-cli ({@code cilium} on a node host, talking to the cluster): {@code config view} (the
 * {@code cilium-config} ConfigMap) and {@code features status} (the rows modelled by {@link
 * CiliumStatus#featuresDatapathNetwork}, with {@code --node}). The global {@code -n/--namespace}
 * and {@code --context} flags are accepted. Errors are cilium-cli's: its root silences cobra and
 * its main prints the bare error and exits 1. Commands cilium-cli has but that are not modelled
 * (the {@code status} summary, {@code install}, ...) say so on stderr and exit 1.
 */
public final class CiliumCliTool implements Tool {
  /** cilium-cli's subcommands (cobra adds completion), sorted as cobra lists them. */
  static final List<String> COMMANDS = List.of("bgp", "clustermesh", "completion", "config", "connectivity",
      "context", "encrypt", "features", "hubble", "install", "multicast", "status", "sysdump", "uninstall", "upgrade",
      "version");

  private final ToolContext ctx;
  private final List<String> args;
  private final AgentView agent;

  public CiliumCliTool(ToolContext ctx, List<String> args, AgentView agent) {
    this.ctx = ctx;
    this.args = args;
    this.agent = agent;
  }

  /** A usage error: cilium-cli's main prints it bare. */
  private static final class Usage extends Exception {
    Usage(String m) {
      super(m, null, false, false);
    }
  }

  @Override
  public void start() {
    try {
      run();
    } catch (Usage u) {
      ctx.err(u.getMessage() + "\n");
      ctx.exit(1);
    }
  }

  private void run() throws Usage {
    List<String> words = new ArrayList<>();
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-n") || a.equals("--namespace") || a.equals("--context")) {
        if (++i >= args.size()) {
          throw new Usage("flag needs an argument: " + (a.equals("-n") ? "'n' in -n" : a));
        }
      } else if (a.startsWith("--namespace=") || a.startsWith("--context=") || (a.startsWith("-n") && a.length() > 2
          && !a.startsWith("--"))) {
        // the global flag with its value attached
      } else if (Cobra.isFlag(a)) {
        flags.add(a);
        // a flag's separate value is taken by the command that knows the flag
        if (i + 1 < args.size() && takesValue(a)) {
          flags.add(args.get(++i));
        }
      } else {
        words.add(a);
      }
    }
    if (words.isEmpty()) {
      notEmulated("cilium (its help)");
      return;
    }
    String cmd = words.get(0);
    switch (cmd) {
      case "config" -> {
        if (words.size() < 2 || !words.get(1).equals("view")) {
          notEmulated("cilium config" + (words.size() < 2 ? "" : " " + words.get(1)));
          return;
        }
        noFlags(flags);
        ctx.out(AgentConfig.configView(agent.configData()));
        ctx.exit(0);
      }
      case "features", "fs" -> {
        if (words.size() < 2 || !words.get(1).equals("status")) {
          notEmulated("cilium features" + (words.size() < 2 ? "" : " " + words.get(1)));
          return;
        }
        featuresStatus(flags);
      }
      default -> {
        if (COMMANDS.contains(cmd)) {
          notEmulated("cilium " + cmd);
          return;
        }
        throw new Usage(Cobra.unknownCommand(cmd, "cilium", COMMANDS));
      }
    }
  }

  private static boolean takesValue(String flag) {
    return List.of("--node", "-o", "--output", "--wait-duration", "--operator-node", "--agent-pod-selector",
        "--operator-pod-selector", "--operator-container-command", "--output-file").contains(flag);
  }

  private static void noFlags(List<String> flags) throws Usage {
    if (!flags.isEmpty()) {
      throw new Usage(Cobra.unknownFlag(flags.get(0)));
    }
  }

  private void featuresStatus(List<String> flags) throws Usage {
    String node = null;
    for (int i = 0; i < flags.size(); i++) {
      String f = flags.get(i);
      String name = f;
      String value = null;
      int eq = f.indexOf('=');
      if (f.startsWith("--") && eq > 0) {
        name = f.substring(0, eq);
        value = f.substring(eq + 1);
      } else if (f.startsWith("-o") && f.length() > 2 && !f.startsWith("--")) {
        name = "-o";
        value = f.substring(2);
      }
      switch (name) {
        case "--node", "-o", "--output", "--wait-duration", "--operator-node", "--agent-pod-selector",
            "--operator-pod-selector", "--operator-container-command", "--output-file" -> {
          if (value == null) {
            if (i + 1 >= flags.size()) {
              throw new Usage("flag needs an argument: " + (name.equals("-o") ? "'o' in -o" : name));
            }
            value = flags.get(++i);
          }
          if (name.equals("--node")) {
            node = value;
          } else if ((name.equals("-o") || name.equals("--output")) && !value.equals("tab")) {
            notEmulated("cilium features status -o " + value);
            return;
          } else if (name.equals("--output-file") && !value.equals("-")) {
            notEmulated("cilium features status --output-file " + value);
            return;
          }
        }
        default -> throw new Usage(Cobra.unknownFlag(f));
      }
    }
    List<Map.Entry<String, AgentConfig>> nodes = new ArrayList<>();
    for (Map.Entry<String, AgentConfig> e : agent.nodeConfigs()) {
      if (node == null || node.equals(e.getKey())) {
        nodes.add(e);
      }
    }
    if (nodes.isEmpty()) {
      ctx.err("podnet: cilium features status: no Cilium agent " + (node == null ? "runs" : "runs on node " + node)
          + "\n");
      ctx.exit(1);
      return;
    }
    ctx.out(CiliumStatus.featuresDatapathNetwork(nodes));
    ctx.exit(0);
  }

  private void notEmulated(String what) {
    ctx.err("podnet: " + what + ": not emulated (emulated: cilium config view, cilium features status)\n");
    ctx.exit(1);
  }
}
