package io.podnet.node.kubelet;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.netstack.actor.LabClock;
import io.podnet.proto.api.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The node-registration half of a kubelet: it registers its Node with the API server (labels,
 * InternalIP, node info, Ready), and renews its Lease in kube-node-lease every 10 s (the node
 * lease the node lifecycle controller watches; leaseDurationSeconds 40), through the API gateway.
 * Running pods comes with the node actor.
 */
public final class Kubelet extends AbstractBehavior<Kubelet.Command> {
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Registered(KubeClient.Result result) implements Command {}

  private record StatusSet(KubeClient.Result result) implements Command {}

  private record Renewed(KubeClient.Result result) implements Command {}

  private enum Tick implements Command { INSTANCE }

  /** The kubelet version the Node reports (kubectl get nodes' VERSION). */
  public static final String VERSION = "v1.32.4";
  static final Duration RENEW_INTERVAL = Duration.ofSeconds(10);
  static final int LEASE_DURATION_SECONDS = 40;
  static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
      .withZone(ZoneOffset.UTC);

  private final String node;
  private final String internalIp;
  private final Map<String, String> labels;
  private final long wallClockAtStart;
  private final LabClock clock;
  private final ActorRef<KubeClient.Command> client;
  private final TimerScheduler<Command> timers;
  private boolean leaseExists;

  /**
   * @param wallClockAtStart epoch milliseconds when the lab started; lab time is added to it, as the
   *                         API server does, so that renewals and the lifecycle controller agree
   */
  public static Behavior<Command> create(String node, String internalIp, Map<String, String> labels,
      long wallClockAtStart) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new Kubelet(ctx, t, node, internalIp, labels,
        wallClockAtStart)));
  }

  private Kubelet(ActorContext<Command> ctx, TimerScheduler<Command> timers, String node, String internalIp,
      Map<String, String> labels, long wallClockAtStart) {
    super(ctx);
    this.node = node;
    this.internalIp = internalIp;
    this.labels = Map.copyOf(labels);
    this.wallClockAtStart = wallClockAtStart;
    this.timers = timers;
    this.clock = LabClock.get(ctx.getSystem());
    this.client = ctx.spawn(KubeClient.create(), "kube-client");
    call(KubeClient.Request.create(KubeResource.NODES, json(nodeJson())), Registered::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Registered.class, this::onRegistered)
        .onMessage(StatusSet.class, this::onStatusSet)
        .onMessage(Renewed.class, this::onRenewed)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .build();
  }

  private void call(KubeClient.Request r, java.util.function.Function<KubeClient.Result, Command> wrap) {
    getContext().ask(KubeClient.Result.class, client, Duration.ofSeconds(30), reply -> new KubeClient.Call(r, reply),
        (res, failure) -> wrap.apply(res != null ? res
            : new KubeClient.Result(0, 504, Struct.getDefaultInstance())));
  }

  private Behavior<Command> onRegistered(Registered r) {
    if (!r.result().ok() && r.result().code() != 409) {
      getContext().getLog().warn("node {}: registration failed ({}): {}", node, r.result().code(),
          r.result().message());
    }
    call(KubeClient.Request.patchStatus(KubeResource.NODES, "", node, PatchType.MERGE,
        json(statusJson())), StatusSet::new);
    return this;
  }

  private Behavior<Command> onStatusSet(StatusSet s) {
    renew();
    timers.startTimerWithFixedDelay(Tick.INSTANCE, Tick.INSTANCE, RENEW_INTERVAL);
    return this;
  }

  private Behavior<Command> onTick() {
    renew();
    return this;
  }

  private void renew() {
    String now = MICRO_TIME.format(now());
    String spec = "\"spec\":{\"holderIdentity\":\"" + node + "\",\"leaseDurationSeconds\":" + LEASE_DURATION_SECONDS
        + ",\"renewTime\":\"" + now + "\"}";
    if (leaseExists) {
      call(KubeClient.Request.patch(KubeResource.LEASES, "kube-node-lease", node, PatchType.MERGE,
          json("{" + spec + "}")), Renewed::new);
    } else {
      call(KubeClient.Request.create(KubeResource.LEASES, json("{\"apiVersion\":\"coordination.k8s.io/v1\","
          + "\"kind\":\"Lease\",\"metadata\":{\"name\":\"" + node + "\",\"namespace\":\"kube-node-lease\"},"
          + spec.replace("\"renewTime\"", "\"acquireTime\":\"" + now + "\",\"renewTime\"") + "}")), Renewed::new);
    }
  }

  private Behavior<Command> onRenewed(Renewed r) {
    // Created, or it already existed (409): renew by patch from now on. A 404 means it was deleted.
    leaseExists = r.result().ok() || r.result().code() == 409;
    return this;
  }

  private Instant now() {
    return Instant.ofEpochMilli(wallClockAtStart + clock.nowMicros() / 1000);
  }

  private String nodeJson() {
    String l = labels.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"").collect(Collectors.joining(","));
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + node + "\",\"labels\":{" + l
        + "}},\"spec\":{}}";
  }

  private String statusJson() {
    String t = TIME.format(now());
    return "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\","
        + "\"message\":\"kubelet is posting ready status\",\"lastHeartbeatTime\":\"" + t
        + "\",\"lastTransitionTime\":\"" + t + "\"}],"
        + "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"" + internalIp + "\"},"
        + "{\"type\":\"Hostname\",\"address\":\"" + node + "\"}],"
        + "\"nodeInfo\":{\"kubeletVersion\":\"" + VERSION + "\",\"kubeProxyVersion\":\"" + VERSION + "\","
        + "\"osImage\":\"Ubuntu 24.04.2 LTS\",\"operatingSystem\":\"linux\",\"architecture\":\"amd64\","
        + "\"containerRuntimeVersion\":\"containerd://1.7.27\"}}}";
  }

  static Struct json(String s) {
    try {
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().merge(s, b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("bad JSON built by the kubelet: " + s, e);
    }
  }
}
