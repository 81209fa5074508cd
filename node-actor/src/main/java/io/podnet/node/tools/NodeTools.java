package io.podnet.node.tools;

import io.podnet.netstack.tool.ToolFactory;
import io.podnet.node.cilium.AgentView;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

/** The Cilium, Hubble and Helm command lines of a Kubernetes node host, over its agent. */
public final class NodeTools {
  private NodeTools() {}

  /** The node host's tools, printing times in UTC (the lab hosts' zone). */
  public static Map<String, ToolFactory> standard(AgentView agent) {
    return standard(agent, ZoneOffset.UTC);
  }

  /**
   * The node host's tools: {@code cilium} (cilium-cli), {@code cilium-dbg}, {@code hubble} and
   * {@code helm}, printing times in {@code zone}.
   */
  public static Map<String, ToolFactory> standard(AgentView agent, ZoneId zone) {
    return Map.of(
        "cilium", (ctx, args) -> new CiliumCliTool(ctx, args, agent),
        "cilium-dbg", (ctx, args) -> new CiliumDbgTool(ctx, args, agent),
        "hubble", (ctx, args) -> new HubbleTool(ctx, args, agent, zone, true),
        "helm", (ctx, args) -> new HelmTool(ctx, args, agent, zone));
  }

  /**
   * The tools of the cilium-agent container ({@code kubectl exec ds/cilium -- cilium ...}): there
   * {@code cilium} is the agent's client, the same program as {@code cilium-dbg}, and {@code hubble}
   * talks to this node's observer only.
   */
  public static Map<String, ToolFactory> agentContainer(AgentView agent) {
    ToolFactory dbg = (ctx, args) -> new CiliumDbgTool(ctx, args, agent);
    return Map.of("cilium", dbg, "cilium-dbg", dbg,
        "hubble", (ctx, args) -> new HubbleTool(ctx, args, agent, ZoneOffset.UTC, false));
  }
}
