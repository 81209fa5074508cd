package io.podnet.node.cilium;

import io.podnet.node.cilium.hubble.Flow;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What the command-line tools of a node host ({@code cilium}, {@code cilium-dbg}, {@code hubble},
 * {@code helm}) see of the node's Cilium agent. Every method is called on the host's thread, and
 * answers from the agent's current state (after a restart, the new agent's).
 */
public interface AgentView {

  /** This node's name (the agent's K8S_NODE_NAME). */
  String nodeName();

  /** The {@code cilium-config} ConfigMap's data as the API server holds it now. */
  Map<String, String> configData();

  /** The configuration the running agent parsed at start-up (it may lag {@link #configData}). */
  AgentConfig config();

  /** The agent's host-scope IPAM over this node's podCIDR. */
  HostScopeIpam ipam();

  /** The BPF ipcache of this node, in no particular order. */
  List<IpCacheEntry> ipcache();

  /**
   * The agent's load-balancer frontends with their service IDs, as its REST API lists them
   * ({@code GET /service}, what {@code cilium-dbg service list} prints), in any order.
   */
  List<ServiceList.Entry> services();

  /** The agent's {@code l2-announce} StateDB table: what this node answers ARP for, in any order. */
  List<L2AnnounceTable.Entry> l2Announce();

  /**
   * {@code hubble observe}'s GetFlows: the flows matching {@code filter} (observe's flags, as
   * {@link io.podnet.node.cilium.hubble.ObserveOptions} parses them). With {@code cluster}, from
   * Hubble Relay (every node's flows) where there is one, else from this node's observer only.
   * {@code sink} gets, on the host's thread and never from inside this call, one call with the
   * backlog ({@code backlog} true), then with {@code follow} every new matching flow, until the
   * returned handle runs.
   */
  Runnable observe(List<String> filter, boolean follow, boolean cluster, ObserveSink sink);

  /** Where {@link #observe} delivers flows. */
  interface ObserveSink {
    void flows(List<Flow> flows, boolean backlog);

    /** Hubble could not be reached (nothing more comes): hubble's error line. */
    default void failed(String message) {}
  }

  /**
   * Every node's running agent configuration, by node name, in the order {@code cilium features
   * status} prints its node columns.
   */
  List<Map.Entry<String, AgentConfig>> nodeConfigs();

  /**
   * Starts {@code helm upgrade}: the release's values are computed (with {@code --reuse-values}
   * from the last revision's), the chart rendered, {@code cilium-config} patched through the API
   * server and the agents restarted, as the chart's rollout does. {@code done} is called exactly
   * once, later, on the host's thread (never from inside this call).
   */
  void helmUpgrade(HelmUpgrade upgrade, Consumer<HelmOutcome> done);

  /** How a {@link #helmUpgrade} ended. */
  sealed interface HelmOutcome {
    /**
     * The release was upgraded.
     *
     * @param release the release name
     * @param namespace the release's namespace
     * @param revision the new revision number
     * @param deployedMicros when it was deployed (lab time, microseconds since the epoch)
     * @param chartName the chart's name ({@code cilium})
     * @param chartVersion the chart version deployed ({@code 1.18.0})
     * @param values the release's computed values (chart defaults overlaid with the user values),
     *     which the chart's NOTES are rendered from
     */
    record Upgraded(String release, String namespace, int revision, long deployedMicros, String chartName,
        String chartVersion, HelmValues values) implements HelmOutcome {}

    /**
     * The upgrade failed; {@code message} is the error helm's upgrade action returns (a schema
     * violation, a template {@code fail}, {@code "cilium" has no deployed releases}, ...),
     * without the {@code UPGRADE FAILED: } helm prefixes it with.
     */
    record Failed(String message) implements HelmOutcome {}
  }
}
