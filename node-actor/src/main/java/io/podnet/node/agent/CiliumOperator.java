package io.podnet.node.agent;

import com.google.protobuf.Struct;
import io.podnet.netstack.actor.LabClock;
import io.podnet.node.api.Reflector;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.cilium.ClusterPoolOperator;
import io.podnet.node.cilium.IpamException;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The cilium-operator: cluster-pool IPAM and the garbage collection of security identities.
 *
 * <p>Cluster-pool IPAM reads cluster-pool-ipv4-cidr and cluster-pool-ipv4-mask-size from the
 * cilium-config ConfigMap and gives every CiliumNode without one a podCIDR ({@code
 * spec.ipam.podCIDRs}), keeping the ones nodes already have. Deleted nodes give theirs back.
 *
 * <p>Identity GC (CRD identity mode), as the operator's identitygc does it: every
 * identity-gc-interval (15m0s) it looks at every CiliumIdentity. One that a CiliumEndpoint's
 * status.identity.id uses is alive (its lifesign is now). One without a lifesign younger than
 * identity-heartbeat-timeout (30m0s) is first marked for deletion (annotation io.cilium.heartbeat,
 * the time it was marked), and deleted at a later round if it is still not alive; a lifesign is
 * also given when an identity is created or changed (the mark itself is such a change), and for
 * the first timeout after the operator starts every identity counts as alive. So an identity is
 * deleted between twice the timeout and twice the timeout plus two intervals after its last use.
 * An interval of 0 disables the GC; both keys are Go durations read from cilium-config.
 *
 * <p>Every watch is a {@link Reflector}: watched again when it ends, listed again when needed.
 */
public final class CiliumOperator extends AbstractBehavior<CiliumOperator.Command> {
  /** Local messages: the operator and its API client share a JVM. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record ConfigEvent(KubeClient.Event event) implements Command {}

  private record NodeEvent(KubeClient.Event event) implements Command {}

  private record IdentityEvent(KubeClient.Event event) implements Command {}

  private record EndpointEvent(KubeClient.Event event) implements Command {}

  private record Patched(String node, KubeClient.Result result) implements Command {}

  private enum Retry implements Command { INSTANCE }

  private enum GcRound implements Command { INSTANCE }

  /** The answer to a GC write (mark or delete) of identity {@code name}. */
  private record GcWritten(String name, String action, KubeClient.Result result) implements Command {}

  /** The annotation that marks an identity for deletion, with the time it was marked (RFC 3339, ns). */
  public static final String HEARTBEAT_ANNOTATION = "io.cilium.heartbeat";

  public static final Duration DEFAULT_GC_INTERVAL = Duration.ofMinutes(15);

  private static final DateTimeFormatter RFC3339_NANO = DateTimeFormatter.ofPattern(
      "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

  private final ActorRef<KubeClient.Command> client;
  private final TimerScheduler<Command> timers;
  private final LabClock clock;
  private final long wallClockAtStart;
  private ClusterPoolOperator pool;
  private final Map<String, Struct> nodes = new LinkedHashMap<>();
  private final List<String> inFlight = new ArrayList<>();

  // identity GC
  private Duration gcInterval;
  private Duration heartbeatTimeout;
  private final Map<String, Struct> identities = new TreeMap<>();
  /** CiliumEndpoint namespace/name -> the identity id it uses. */
  private final Map<String, String> endpointIdentities = new HashMap<>();
  /** Identity name -> its last lifesign, lab microseconds. */
  private final Map<String, Long> lifesigns = new HashMap<>();
  private long firstRun;
  private boolean identityWatches;
  private final java.util.Set<String> gcInFlight = new java.util.HashSet<>();

  /** An operator whose log and annotations count wall time from the epoch: use {@link #create(long)}. */
  public static Behavior<Command> create() {
    return create(0);
  }

  /** @param wallClockAtStart epoch milliseconds when the lab started (lab time 0) */
  public static Behavior<Command> create(long wallClockAtStart) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new CiliumOperator(ctx, t, wallClockAtStart)));
  }

  private CiliumOperator(ActorContext<Command> ctx, TimerScheduler<Command> timers, long wallClockAtStart) {
    super(ctx);
    this.timers = timers;
    this.clock = LabClock.get(ctx.getSystem());
    this.wallClockAtStart = wallClockAtStart;
    this.client = ctx.spawn(KubeClient.create(), "kube-client");
    watch("config", KubeClient.Request.watchOne(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config", ""),
        ConfigEvent::new);
  }

  /**
   * Keeps watch {@code what}, its events tagged by {@code tag}. Each watch has its own forwarding
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
    getContext().spawn(Reflector.create(client, "cilium-operator", r, events), "reflector-" + what);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ConfigEvent.class, this::onConfig)
        .onMessage(NodeEvent.class, this::onNode)
        .onMessage(IdentityEvent.class, this::onIdentity)
        .onMessage(EndpointEvent.class, this::onEndpoint)
        .onMessage(Patched.class, this::onPatched)
        .onMessageEquals(Retry.INSTANCE, () -> {
          allocateAll();
          return this;
        })
        .onMessageEquals(GcRound.INSTANCE, this::gc)
        .onMessage(GcWritten.class, this::onGcWritten)
        .build();
  }

  private Behavior<Command> onConfig(ConfigEvent e) {
    if (e.event().type() == ApiWatchEvent.Type.DELETED || e.event().type() == ApiWatchEvent.Type.ERROR) {
      return this;
    }
    Map<String, String> data = Json.strings(e.event().object(), "data");
    startIdentityGc(data);
    if (pool != null) {
      return this;
    }
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

  // ============================================================ identity GC

  /** Reads the GC's settings from cilium-config; starts, changes or stops its rounds. */
  private void startIdentityGc(Map<String, String> data) {
    if (!"crd".equals(data.getOrDefault("identity-allocation-mode", "crd"))) {
      return; // the kvstore's identities are collected by their leases, not here
    }
    Duration interval;
    Duration timeout;
    try {
      interval = parseGoDuration(data.getOrDefault("identity-gc-interval", "15m0s"));
      timeout = parseGoDuration(data.getOrDefault("identity-heartbeat-timeout", "30m0s"));
    } catch (IllegalArgumentException ex) {
      getContext().getLog().error("cilium-operator: identity GC: {}; keeping {}", ex.getMessage(),
          gcInterval == null ? "it stopped" : "interval=" + goDuration(gcInterval));
      return;
    }
    if (interval.equals(gcInterval) && timeout.equals(heartbeatTimeout)) {
      return;
    }
    gcInterval = interval;
    heartbeatTimeout = timeout;
    timers.cancel(GcRound.INSTANCE);
    if (interval.isZero()) {
      getContext().getLog().debug("cilium-operator: CRD identity garbage collector disabled with interval set to 0");
      return;
    }
    getContext().getLog().info("cilium-operator: Starting CRD identity garbage collector interval={}"
        + " heartbeat-timeout={}", goDuration(interval), goDuration(timeout));
    if (!identityWatches) {
      identityWatches = true;
      firstRun = clock.nowMicros();
      watch("identities", KubeClient.Request.watch(KubeResource.CILIUM_IDENTITIES, "", "", "", ""),
          IdentityEvent::new);
      watch("endpoints", KubeClient.Request.watch(KubeResource.CILIUM_ENDPOINTS, "", "", "", ""),
          EndpointEvent::new);
    }
    timers.startTimerWithFixedDelay(GcRound.INSTANCE, GcRound.INSTANCE, interval);
  }

  private Behavior<Command> onIdentity(IdentityEvent e) {
    Struct o = e.event().object();
    String name = Json.str(o, "metadata.name");
    switch (e.event().type()) {
      // A new or changed identity is alive (the mark for deletion is such a change).
      case ADDED, MODIFIED -> {
        identities.put(name, o);
        lifesigns.put(name, clock.nowMicros());
      }
      case DELETED -> {
        identities.remove(name);
        lifesigns.remove(name);
      }
      default -> { }
    }
    return this;
  }

  private Behavior<Command> onEndpoint(EndpointEvent e) {
    Struct o = e.event().object();
    String key = Json.str(o, "metadata.namespace") + "/" + Json.str(o, "metadata.name");
    String id = Json.str(o, "status.identity.id");
    if (e.event().type() == ApiWatchEvent.Type.DELETED || id.isEmpty()) {
      endpointIdentities.remove(key);
    } else {
      endpointIdentities.put(key, id);
    }
    return this;
  }

  /** One round: identities in use are alive; the others are marked, and deleted a round after that. */
  private Behavior<Command> gc() {
    long now = clock.nowMicros();
    java.util.Set<String> used = new java.util.HashSet<>(endpointIdentities.values());
    for (Map.Entry<String, Struct> i : List.copyOf(identities.entrySet())) {
      String name = i.getKey();
      Struct identity = i.getValue();
      if (used.contains(name)) {
        lifesigns.put(name, now);
        continue;
      }
      if (isAlive(name, now) || gcInFlight.contains(name)) {
        continue;
      }
      String rv = Json.str(identity, "metadata.resourceVersion");
      String marked = Json.strings(identity, "metadata.annotations").get(HEARTBEAT_ANNOTATION);
      gcInFlight.add(name);
      if (marked == null) {
        getContext().getLog().info("cilium-operator: Marking identity for later deletion identity={} k8sUID={}", name,
            Json.str(identity, "metadata.uid"));
        String at = RFC3339_NANO.format(Instant.EPOCH.plus(wallClockAtStart * 1000 + now, ChronoUnit.MICROS));
        Struct.Builder meta = identity.getFieldsOrThrow("metadata").getStructValue().toBuilder();
        Struct.Builder annotations = Json.struct(identity, "metadata.annotations").toBuilder();
        annotations.putFields(HEARTBEAT_ANNOTATION, com.google.protobuf.Value.newBuilder().setStringValue(at).build());
        meta.putFields("annotations", com.google.protobuf.Value.newBuilder().setStructValue(annotations).build());
        Struct next = identity.toBuilder()
            .putFields("metadata", com.google.protobuf.Value.newBuilder().setStructValue(meta).build()).build();
        // An update of the copy we hold: conditional on its resourceVersion, as client-go's Update is.
        write(name, "Marking identity for later deletion", KubeClient.Request.update(KubeResource.CILIUM_IDENTITIES,
            next));
      } else {
        getContext().getLog().debug("cilium-operator: Deleting unused identity; marked for deletion at {} identity={}",
            marked, name);
        write(name, "Deleting unused identity", KubeClient.Request.delete(KubeResource.CILIUM_IDENTITIES, "", name,
            rv));
      }
    }
    // Lifesigns of identities deleted before their endpoints go once they are very old.
    lifesigns.values().removeIf(l -> now - l > 10 * micros(heartbeatTimeout));
    return this;
  }

  private boolean isAlive(String name, long now) {
    Long lifesign = lifesigns.get(name);
    // Never seen alive: alive while the operator has not run for a whole timeout.
    long since = lifesign != null ? lifesign : firstRun;
    return now - since < micros(heartbeatTimeout);
  }

  private void write(String name, String action, KubeClient.Request r) {
    getContext().ask(KubeClient.Result.class, client, Duration.ofSeconds(30), reply -> new KubeClient.Call(r, reply),
        (res, failure) -> new GcWritten(name, action, res != null ? res : new KubeClient.Result(0, 504,
            Struct.getDefaultInstance())));
  }

  private Behavior<Command> onGcWritten(GcWritten w) {
    gcInFlight.remove(w.name());
    KubeClient.Result r = w.result();
    // 404: gone already; 409: changed meanwhile (in use again, or re-created): the next round decides.
    if (!r.ok() && r.code() != 404 && r.code() != 409) {
      getContext().getLog().error("cilium-operator: {} identity={}: {} {}", w.action(), w.name(), r.code(),
          r.message());
    }
    return this;
  }

  private static long micros(Duration d) {
    return d.toNanos() / 1000;
  }

  /**
   * A Go time.Duration as flags and the ConfigMap write it: "15m0s", "30m", "1h30m", "500ms", "0".
   *
   * @throws IllegalArgumentException when {@code s} is not one
   */
  static Duration parseGoDuration(String s) {
    String t = s.trim();
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)")
        .matcher(t);
    int at = 0;
    double nanos = 0;
    while (at < t.length() && m.find(at) && m.start() == at) {
      double unit = switch (m.group(2)) {
        case "ns" -> 1;
        case "us", "µs" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        default -> 3600e9;
      };
      nanos += Double.parseDouble(m.group(1)) * unit;
      at = m.end();
    }
    if (t.isEmpty() || at != t.length()) {
      throw new IllegalArgumentException("time: invalid duration \"" + s + "\"");
    }
    return Duration.ofNanos((long) nanos);
  }

  /** As Go prints a time.Duration of whole seconds: "15m0s", "1h0m0s", "10s". */
  static String goDuration(Duration d) {
    long s = d.getSeconds();
    if (d.getNano() != 0 || s == 0) {
      return d.toMillis() + "ms";
    }
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + (s % 60) + "s";
    }
    return (s / 3600) + "h" + (s % 3600 / 60) + "m" + (s % 60) + "s";
  }
}
