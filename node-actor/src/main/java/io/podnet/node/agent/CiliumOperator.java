package io.podnet.node.agent;

import com.google.protobuf.Struct;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.cilium.ClusterPoolOperator;
import io.podnet.node.cilium.IpamException;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The cilium-operator's cluster-pool IPAM: it reads cluster-pool-ipv4-cidr and
 * cluster-pool-ipv4-mask-size from the cilium-config ConfigMap and gives every CiliumNode without
 * one a podCIDR ({@code spec.ipam.podCIDRs}), keeping the ones nodes already have. Deleted nodes
 * give theirs back.
 */
public final class CiliumOperator extends AbstractBehavior<CiliumOperator.Command> {
  /** Local messages: the operator and its API client share a JVM. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record ConfigEvent(KubeClient.Event event) implements Command {}

  private record NodeEvent(KubeClient.Event event) implements Command {}

  private record Started(String what, KubeClient.Result result) implements Command {}

  private record Patched(String node, KubeClient.Result result) implements Command {}

  private enum Retry implements Command { INSTANCE }

  /** Starts the watch {@code what} again (its start failed, or it ended). */
  private record Rewatch(String what) implements Command {}

  private final ActorRef<KubeClient.Command> client;
  private final TimerScheduler<Command> timers;
  private ClusterPoolOperator pool;
  private final Map<String, Struct> nodes = new LinkedHashMap<>();
  private final List<String> inFlight = new ArrayList<>();
  /** How to start each watch, by name, to start it again. */
  private final Map<String, Runnable> watches = new LinkedHashMap<>();

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new CiliumOperator(ctx, t)));
  }

  private CiliumOperator(ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(ctx);
    this.timers = timers;
    this.client = ctx.spawn(KubeClient.create(), "kube-client");
    watch("config", KubeClient.Request.watchOne(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config", ""),
        ConfigEvent::new);
  }

  /**
   * Starts watch {@code what}, its events tagged by {@code tag}. Each watch has its own forwarding
   * child: a message adapter is one per message class, so two adapters for KubeClient.Event would be
   * one, and the config's events would arrive as node events.
   */
  private void watch(String what, KubeClient.Request r, java.util.function.Function<KubeClient.Event, Command> tag) {
    ActorRef<Command> self = getContext().getSelf();
    ActorRef<KubeClient.Event> events = getContext().spawn(Behaviors.receive(KubeClient.Event.class)
        .onAnyMessage(e -> {
          self.tell(tag.apply(e));
          return Behaviors.same();
        }).build(), "watch-" + what);
    Runnable start = () -> getContext().ask(KubeClient.Result.class, client, Duration.ofSeconds(30),
        reply -> new KubeClient.Watch(r, events, reply),
        (res, failure) -> new Started(what, res != null ? res : new KubeClient.Result(0, 504,
            Struct.getDefaultInstance())));
    watches.put(what, start);
    start.run();
  }

  private void rewatchLater(String what) {
    timers.startSingleTimer("rewatch-" + what, new Rewatch(what), Duration.ofSeconds(1));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ConfigEvent.class, this::onConfig)
        .onMessage(NodeEvent.class, this::onNode)
        .onMessage(Started.class, this::onStarted)
        .onMessage(Patched.class, this::onPatched)
        .onMessageEquals(Retry.INSTANCE, () -> {
          allocateAll();
          return this;
        })
        .onMessage(Rewatch.class, r -> {
          watches.get(r.what()).run();
          return this;
        })
        .build();
  }

  private Behavior<Command> onStarted(Started s) {
    if (!s.result().ok()) {
      getContext().getLog().warn("cilium-operator: watch of {} failed ({}), retrying", s.what(), s.result().code());
      rewatchLater(s.what());
    }
    return this;
  }

  private Behavior<Command> onConfig(ConfigEvent e) {
    if (e.event().type() == ApiWatchEvent.Type.ERROR) {
      getContext().getLog().info("cilium-operator: watch of config ended: {}, watching again",
          Json.str(e.event().object(), "message"));
      rewatchLater("config");
      return this;
    }
    if (pool != null || e.event().type() == ApiWatchEvent.Type.DELETED) {
      return this;
    }
    Map<String, String> data = Json.strings(e.event().object(), "data");
    List<Ipv4Prefix> cidrs = new ArrayList<>();
    try {
      for (String c : data.getOrDefault("cluster-pool-ipv4-cidr", "").trim().split("[\\s,]+")) {
        if (!c.isEmpty()) {
          cidrs.add(Ipv4Prefix.parse(c));
        }
      }
      pool = new ClusterPoolOperator(cidrs, Integer.parseInt(data.getOrDefault("cluster-pool-ipv4-mask-size", "24")));
    } catch (IpamException | RuntimeException ex) {
      getContext().getLog().error("cilium-operator: cannot start cluster-pool IPAM: {}", ex.getMessage());
      return this;
    }
    watch("nodes", KubeClient.Request.watch(KubeResource.CILIUM_NODES, "", "", "", ""), NodeEvent::new);
    return this;
  }

  private Behavior<Command> onNode(NodeEvent e) {
    if (e.event().type() == ApiWatchEvent.Type.ERROR) {
      getContext().getLog().info("cilium-operator: watch of nodes ended: {}, watching again",
          Json.str(e.event().object(), "message"));
      rewatchLater("nodes");
      return this;
    }
    Struct o = e.event().object();
    String name = Json.str(o, "metadata.name");
    switch (e.event().type()) {
      case DELETED -> {
        nodes.remove(name);
        try {
          pool.release(name);
        } catch (IpamException ex) {
          getContext().getLog().warn("cilium-operator: {}", ex.getMessage());
        }
      }
      case ADDED, MODIFIED -> {
        nodes.put(name, o);
        List<com.google.protobuf.Value> have = Json.list(o, "spec.ipam.podCIDRs");
        if (!have.isEmpty()) {
          try {
            pool.restore(name, Ipv4Prefix.parse(have.get(0).getStringValue()));
          } catch (IpamException | RuntimeException ex) {
            getContext().getLog().warn("cilium-operator: node {}: {}", name, ex.getMessage());
          }
        }
      }
      default -> { }
    }
    allocateAll();
    return this;
  }

  private void allocateAll() {
    for (Map.Entry<String, Struct> n : nodes.entrySet()) {
      String name = n.getKey();
      if (!Json.list(n.getValue(), "spec.ipam.podCIDRs").isEmpty() || inFlight.contains(name)) {
        continue;
      }
      Ipv4Prefix cidr;
      try {
        cidr = pool.podCidr(name);
      } catch (IpamException ex) {
        getContext().getLog().error("cilium-operator: node {}: {}", name, ex.getMessage());
        continue;
      }
      inFlight.add(name);
      Struct patch = Json.parse("{\"spec\":{\"ipam\":{\"podCIDRs\":[" + Json.q(cidr.toString()) + "]}}}");
      getContext().ask(KubeClient.Result.class, client, Duration.ofSeconds(30),
          reply -> new KubeClient.Call(KubeClient.Request.patch(KubeResource.CILIUM_NODES, "", name, PatchType.MERGE,
              patch), reply),
          (res, failure) -> new Patched(name, res != null ? res : new KubeClient.Result(0, 504,
              Struct.getDefaultInstance())));
    }
  }

  private Behavior<Command> onPatched(Patched p) {
    inFlight.remove(p.node());
    if (!p.result().ok() && p.result().code() != 404) {
      timers.startSingleTimer("retry", Retry.INSTANCE, Duration.ofSeconds(1));
    }
    return this;
  }
}
