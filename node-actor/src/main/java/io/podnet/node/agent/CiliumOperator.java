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

  private final ActorRef<KubeClient.Command> client;
  private final TimerScheduler<Command> timers;
  private ClusterPoolOperator pool;
  private final Map<String, Struct> nodes = new LinkedHashMap<>();
  private final List<String> inFlight = new ArrayList<>();

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new CiliumOperator(ctx, t)));
  }

  private CiliumOperator(ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(ctx);
    this.timers = timers;
    this.client = ctx.spawn(KubeClient.create(), "kube-client");
    watch("config", KubeClient.Request.watchOne(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config", ""),
        ctx.messageAdapter(KubeClient.Event.class, ConfigEvent::new));
  }

  private void watch(String what, KubeClient.Request r, ActorRef<KubeClient.Event> events) {
    getContext().ask(KubeClient.Result.class, client, Duration.ofSeconds(30),
        reply -> new KubeClient.Watch(r, events, reply),
        (res, failure) -> new Started(what, res != null ? res : new KubeClient.Result(0, 504,
            Struct.getDefaultInstance())));
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
        .build();
  }

  private Behavior<Command> onStarted(Started s) {
    if (!s.result().ok()) {
      getContext().getLog().warn("cilium-operator: watch of {} failed ({}), retrying", s.what(), s.result().code());
      timers.startSingleTimer("rewatch-" + s.what(), Retry.INSTANCE, Duration.ofSeconds(1));
    }
    return this;
  }

  private Behavior<Command> onConfig(ConfigEvent e) {
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
    watch("nodes", KubeClient.Request.watch(KubeResource.CILIUM_NODES, "", "", "", ""),
        getContext().messageAdapter(KubeClient.Event.class, NodeEvent::new));
    return this;
  }

  private Behavior<Command> onNode(NodeEvent e) {
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
