package io.podnet.node.tools;

import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.node.cilium.AgentView;
import io.podnet.node.cilium.AgentView.HelmOutcome;
import io.podnet.node.cilium.HelmException;
import io.podnet.node.cilium.HelmUpgrade;
import io.podnet.node.cilium.HelmValues;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helm 3's {@code helm upgrade RELEASE CHART [flags]} ({@link HelmUpgrade}'s flags) against the
 * node's agent ({@link AgentView#helmUpgrade}). It runs until the agent reports the outcome, then
 * prints what helm prints: {@code Release "R" has been upgraded. Happy Helming!} and the release
 * (pkg/cmd/status.go: NAME, LAST DEPLOYED in time.ANSIC and the host's zone, NAMESPACE, STATUS,
 * REVISION, {@code TEST SUITE: None}, then NOTES: the chart's NOTES.txt rendered from the release's
 * values, trimmed), exit 0; or {@code Error: UPGRADE FAILED: ...}, exit 1. Bad flags and
 * {@code --set} values fail at once with helm's {@code Error: ...}. Helm's upgrade catches INT and
 * TERM: it prints {@code Release "R" has been cancelled.} and cancels its context; the upgrade
 * action marks the release failed and returns the context's error unwrapped, so helm ends with
 * {@code Error: UPGRADE FAILED: context canceled}, exit 1. This does so at once; the agent's later
 * answer reaches no one (what it already applied stays, as the patch helm already sent would).
 */
public final class HelmTool implements Tool {
  /** helm's subcommands (cobra adds completion), sorted. */
  static final List<String> COMMANDS = List.of("completion", "create", "dependency", "env", "get", "history",
      "install", "lint", "list", "package", "plugin", "pull", "push", "registry", "repo", "rollback", "search", "show",
      "status", "template", "test", "uninstall", "upgrade", "verify", "version");

  /** Go's time.ANSIC: {@code Mon Jan _2 15:04:05 2006}. */
  private static final DateTimeFormatter ANSIC = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private final ToolContext ctx;
  private final List<String> args;
  private final AgentView agent;
  private final ZoneId zone;
  private String release;

  public HelmTool(ToolContext ctx, List<String> args, AgentView agent, ZoneId zone) {
    this.ctx = ctx;
    this.args = args;
    this.agent = agent;
    this.zone = zone;
  }

  @Override
  public void start() {
    int at = Cobra.subcommandAt(args);
    if (at < 0) {
      notEmulated("helm (its help)");
      return;
    }
    String cmd = args.get(at);
    if (!cmd.equals("upgrade")) {
      if (COMMANDS.contains(cmd)) {
        notEmulated("helm " + cmd);
      } else {
        ctx.err(Cobra.unknownCommandPrinted(cmd, "helm", COMMANDS));
        ctx.exit(1);
      }
      return;
    }
    List<String> rest = new java.util.ArrayList<>(args.subList(0, at));
    rest.addAll(args.subList(at + 1, args.size()));
    HelmUpgrade upgrade;
    try {
      upgrade = HelmUpgrade.parse(rest);
    } catch (HelmException e) {
      ctx.err(e.helmLine() + "\n");
      ctx.exit(1);
      return;
    }
    release = upgrade.release();
    agent.helmUpgrade(upgrade, outcome -> ctx.guarded(() -> finish(outcome)));
  }

  private void finish(HelmOutcome outcome) {
    if (ctx.exited()) {
      return;
    }
    if (outcome instanceof HelmOutcome.Failed f) {
      ctx.err("Error: UPGRADE FAILED: " + f.message() + "\n");
      ctx.exit(1);
      return;
    }
    HelmOutcome.Upgraded u = (HelmOutcome.Upgraded) outcome;
    StringBuilder sb = new StringBuilder();
    sb.append("Release \"").append(u.release()).append("\" has been upgraded. Happy Helming!\n");
    sb.append("NAME: ").append(u.release()).append('\n');
    sb.append("LAST DEPLOYED: ").append(ansic(u.deployedMicros())).append('\n');
    sb.append("NAMESPACE: ").append(u.namespace()).append('\n');
    sb.append("STATUS: deployed\n");
    sb.append("REVISION: ").append(u.revision()).append('\n');
    sb.append("TEST SUITE: None\n");
    String notes = ciliumNotes(u.chartName(), u.chartVersion(), u.values()).strip();
    if (!notes.isEmpty()) {
      sb.append("NOTES:\n").append(notes).append('\n');
    }
    ctx.out(sb.toString());
    ctx.exit(0);
  }

  String ansic(long micros) {
    return ANSIC.format(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)).atZone(zone));
  }

  /**
   * The cilium chart's templates/NOTES.txt rendered for {@code values} (before helm trims it). The
   * chart's {@code cilium.warnings} helper is not modelled (it warns about settings the lab's
   * values do not touch). Keys the modelled values lack take the chart's defaults
   * ({@code agent: true}, {@code operator.enabled: true}, the rest false).
   */
  static String ciliumNotes(String chartName, String chartVersion, HelmValues v) {
    String title = chartName.isEmpty() ? "" : Character.toUpperCase(chartName.charAt(0)) + chartName.substring(1);
    boolean agentOn = !v.has("agent") || v.truthy("agent");
    boolean operatorOn = !v.has("operator.enabled") || v.truthy("operator.enabled");
    StringBuilder sb = new StringBuilder();
    if (v.truthy("preflight.enabled") && !agentOn && !operatorOn) {
      sb.append("\n    You have successfully ran the preflight check.\n"
          + "    Now make sure to check the number of READY pods is the same as the number of running cilium pods.\n"
          + "    Then make sure the cilium preflight deployment is also marked READY 1/1.\n"
          + "    If you have an issues please refer to the CNP Validation section in the upgrade guide.");
    } else if (v.truthy("hubble.enabled") && v.truthy("hubble.relay.enabled")) {
      sb.append("\n        You have successfully installed ").append(title)
          .append(v.truthy("hubble.ui.enabled") ? " with Hubble Relay and Hubble UI." : " with Hubble Relay.");
    } else if (v.truthy("hubble.enabled")) {
      sb.append("\n    You have successfully installed ").append(title).append(" with Hubble.");
    } else if (v.truthy("hubble.ui.enabled") && v.truthy("hubble.ui.standalone.enabled")) {
      sb.append("\n    You have successfully installed ").append(title).append(" with standalone Hubble UI.");
    } else {
      sb.append("\n    You have successfully installed ").append(title).append('.');
    }
    sb.append("\n\nYour release version is ").append(chartVersion).append(".\n\n");
    Matcher m = Pattern.compile("^v?(\\d+)\\.(\\d+)").matcher(chartVersion);
    String majorMinor = m.find() ? Integer.parseInt(m.group(1)) + "." + Integer.parseInt(m.group(2)) : chartVersion;
    sb.append("For any further help, visit https://docs.cilium.io/en/v").append(majorMinor).append("/gettinghelp\n");
    return sb.toString();
  }

  @Override
  public void signal(ToolContext c, String signal) {
    if (release == null) {
      Tool.super.signal(c, signal);
      return;
    }
    c.out("Release " + release + " has been cancelled.\n");
    c.err("Error: UPGRADE FAILED: context canceled\n");
    c.exit(1);
  }

  private void notEmulated(String what) {
    ctx.err("podnet: " + what + ": not emulated (emulated: helm upgrade)\n");
    ctx.exit(1);
  }
}
