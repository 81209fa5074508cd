package io.podnet.node.api;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * client-go's reflector for one watch: lists the objects, hands them to its owner as events, then
 * watches from the list's resourceVersion, remembering the resourceVersion of every event it passes
 * on. When the watch ends (an ERROR event: the gateway or the API server went away, or the server
 * restarted and dropped it) it watches again from that resourceVersion, after a backoff that grows
 * with every failure in a row (800 ms doubling to 30 s, as client-go's; back to 800 ms once a
 * watch has run for 2 minutes), on its own timers. When that watch cannot start (410 Expired "too
 * old resource version", or any other failure) or the watch ends with 410, it lists afresh and
 * reconciles: objects it had passed on that the list no longer holds go to the owner as DELETED
 * (as client-go's DeletedFinalStateUnknown: the last state is not known, the object carries only
 * its metadata name, namespace, uid and last resourceVersion), new ones as ADDED, changed ones (another resourceVersion) as
 * MODIFIED, and one replaced under its name (another uid) as DELETED then ADDED; then it watches
 * from the new list's resourceVersion. The owner sees only ADDED, MODIFIED and DELETED.
 *
 * <p>It keeps, per object, only what reconciling needs (uid and resourceVersion): the owner keeps
 * the objects it cares about, in the form it needs, as agents do (memory per node).
 *
 * <p>The owner spawns it as a child next to its {@link KubeClient}, with the WATCH request it
 * would have sent (resource, namespace, selectors, or one object by name) and where the events go.
 */
public final class Reflector extends AbstractBehavior<Reflector.Command> {

  /** Local messages only: the reflector, its client and its owner share a JVM. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** How long to wait before the next attempt after failures in a row. */
  public record Backoff(Duration initial, Duration max, double factor, Duration resetAfter) {
    /** client-go's reflector: 800 ms, doubling, capped at 30 s, reset after 2 minutes without failure. */
    public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(800), Duration.ofSeconds(30), 2.0,
        Duration.ofMinutes(2));

    public Backoff {
      Objects.requireNonNull(initial, "initial");
      Objects.requireNonNull(max, "max");
      Objects.requireNonNull(resetAfter, "resetAfter");
      if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0 || factor < 1.0
          || resetAfter.isNegative() || resetAfter.isZero()) {
        throw new IllegalArgumentException("bad backoff: " + initial + " .. " + max + " x" + factor);
      }
    }

    /** The wait after {@code failures} failures in a row (1 for the first). */
    public Duration after(int failures) {
      double ms = initial.toMillis() * Math.pow(factor, Math.max(0, failures - 1));
      return ms >= max.toMillis() ? max : Duration.ofMillis((long) ms);
    }
  }

  private record Listed(long gen, KubeClient.Result result) implements Command {}

  private record WatchStarted(long gen, KubeClient.Result result) implements Command {}

  private record Arrived(long gen, KubeClient.Event event) implements Command {}

  private record Retry(boolean relist) implements Command {}

  private record Steady(long gen) implements Command {}

  /** The answers are ours after the client's own timeout (10 s) at the latest: this one never fires first. */
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

  private final ActorRef<KubeClient.Command> client;
  private final String owner;
  private final KubeClient.Request list;
  private final KubeClient.Request watch;
  private final String what;
  private final ActorRef<KubeClient.Event> events;
  private final Backoff backoff;
  private final TimerScheduler<Command> timers;
  /** What the owner was last told of, by namespace/name. */
  /** What the owner was told of each object, by namespace/name. */
  private record Seen(String name, String namespace, String uid, String resourceVersion) {
    static Seen of(Struct o) {
      return new Seen(meta(o, "name"), meta(o, "namespace"), meta(o, "uid"), meta(o, "resourceVersion"));
    }

    /** The DELETED object of a deletion the reflector inferred: metadata only. */
    Struct tombstone() {
      Struct.Builder m = Struct.newBuilder().putFields("name", Value.newBuilder().setStringValue(name).build())
          .putFields("uid", Value.newBuilder().setStringValue(uid).build())
          .putFields("resourceVersion", Value.newBuilder().setStringValue(resourceVersion).build());
      if (!namespace.isEmpty()) {
        m.putFields("namespace", Value.newBuilder().setStringValue(namespace).build());
      }
      return Struct.newBuilder().putFields("metadata", Value.newBuilder().setStructValue(m).build()).build();
    }
  }

  private Map<String, Seen> known = new LinkedHashMap<>();
  private String resourceVersion = "";
  /** Numbers the attempts: answers and events of an earlier one are dropped. */
  private long gen;
  private long watchId;
  private ActorRef<KubeClient.Event> forwarder;
  private int failures;

  /**
   * @param client  the owner's API client
   * @param owner   how log lines name the owner ("k8s-w1", "cilium-operator")
   * @param request the WATCH request the owner would send; its resourceVersion is ignored
   * @param events  where ADDED, MODIFIED and DELETED go
   */
  public static Behavior<Command> create(ActorRef<KubeClient.Command> client, String owner, KubeClient.Request request,
      ActorRef<KubeClient.Event> events) {
    return create(client, owner, request, events, Backoff.DEFAULT);
  }

  public static Behavior<Command> create(ActorRef<KubeClient.Command> client, String owner, KubeClient.Request request,
      ActorRef<KubeClient.Event> events, Backoff backoff) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(backoff, "backoff");
    if (request.verb() != Verb.WATCH) {
      throw new IllegalArgumentException("a reflector needs a WATCH request, not " + request.verb());
    }
    return Behaviors.setup(ctx -> Behaviors.withTimers(t -> new Reflector(ctx, t, client, owner, request, events,
        backoff)));
  }

  private Reflector(ActorContext<Command> ctx, TimerScheduler<Command> timers, ActorRef<KubeClient.Command> client,
      String owner, KubeClient.Request request, ActorRef<KubeClient.Event> events, Backoff backoff) {
    super(ctx);
    this.timers = timers;
    this.client = client;
    this.owner = owner;
    this.events = events;
    this.backoff = backoff;
    // The watch of one object by name is a list and watch with metadata.name=NAME, as the gateway does it.
    String fields = request.fieldSelector();
    if (!request.name().isEmpty()) {
      fields = (fields.isEmpty() ? "" : fields + ",") + "metadata.name=" + request.name();
    }
    this.list = KubeClient.Request.list(request.resource(), request.namespace(), request.labelSelector(), fields);
    this.watch = KubeClient.Request.watch(request.resource(), request.namespace(), request.labelSelector(), fields, "");
    String sel = (request.labelSelector().isEmpty() ? "" : " -l " + request.labelSelector())
        + (fields.isEmpty() ? "" : " --field-selector " + fields);
    this.what = request.resource().resource() + (request.namespace().isEmpty() ? "" : " in " + request.namespace())
        + sel;
    list();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Listed.class, this::onListed)
        .onMessage(WatchStarted.class, this::onWatchStarted)
        .onMessage(Arrived.class, this::onArrived)
        .onMessage(Retry.class, r -> {
          if (r.relist()) {
            list();
          } else {
            watch();
          }
          return this;
        })
        .onMessage(Steady.class, s -> {
          if (s.gen() == gen) {
            failures = 0;
          }
          return this;
        })
        .onSignal(PostStop.class, s -> {
          if (watchId != 0) {
            client.tell(new KubeClient.CancelWatch(watchId));
          }
          return this;
        })
        .build();
  }

  // ================================================================== list

  private void list() {
    long g = ++gen;
    getContext().ask(KubeClient.Result.class, client, ASK_TIMEOUT, reply -> new KubeClient.Call(list, reply),
        (res, failure) -> new Listed(g, res != null ? res : timeout()));
  }

  private Behavior<Command> onListed(Listed l) {
    if (l.gen() != gen) {
      return this;
    }
    KubeClient.Result r = l.result();
    if (!r.ok()) {
      Duration wait = backoff.after(++failures);
      getContext().getLog().warn("{}: listing {} failed ({}): {}; listing again in {}", owner, what, r.code(),
          r.message(), format(wait));
      timers.startSingleTimer(RETRY, new Retry(true), wait);
      return this;
    }
    replace(r.items());
    resourceVersion = r.resourceVersion();
    watch();
    return this;
  }

  /** client-go's Replace: the owner learns what changed since what it was told. */
  private void replace(List<Struct> items) {
    Map<String, Struct> fresh = new LinkedHashMap<>();
    for (Struct o : items) {
      fresh.put(key(o), o);
    }
    for (Map.Entry<String, Seen> k : known.entrySet()) {
      if (!fresh.containsKey(k.getKey())) {
        tell(ApiWatchEvent.Type.DELETED, k.getValue().tombstone());
      }
    }
    Map<String, Seen> seen = new LinkedHashMap<>();
    for (Map.Entry<String, Struct> e : fresh.entrySet()) {
      Seen old = known.get(e.getKey());
      Struct now = e.getValue();
      Seen is = Seen.of(now);
      seen.put(e.getKey(), is);
      if (old == null) {
        tell(ApiWatchEvent.Type.ADDED, now);
      } else if (!old.uid().equals(is.uid())) {
        tell(ApiWatchEvent.Type.DELETED, old.tombstone());
        tell(ApiWatchEvent.Type.ADDED, now);
      } else if (!old.resourceVersion().equals(is.resourceVersion())) {
        tell(ApiWatchEvent.Type.MODIFIED, now);
      }
    }
    known = seen;
  }

  // ================================================================== watch

  private void watch() {
    long g = ++gen;
    watchId = 0;
    ActorRef<Command> self = getContext().getSelf();
    forwarder = getContext().spawnAnonymous(Behaviors.receive(KubeClient.Event.class)
        .onAnyMessage(e -> {
          self.tell(new Arrived(g, e));
          return Behaviors.same();
        }).build());
    ActorRef<KubeClient.Event> to = forwarder;
    KubeClient.Request r = watch.withResourceVersion(resourceVersion);
    getContext().ask(KubeClient.Result.class, client, ASK_TIMEOUT, reply -> new KubeClient.Watch(r, to, reply),
        (res, failure) -> new WatchStarted(g, res != null ? res : timeout()));
  }

  private Behavior<Command> onWatchStarted(WatchStarted s) {
    KubeClient.Result r = s.result();
    if (s.gen() != gen) {
      if (r.ok()) {
        client.tell(new KubeClient.CancelWatch(r.requestId())); // an attempt given up meanwhile
      }
      return this;
    }
    if (!r.ok()) {
      ended();
      Duration wait = backoff.after(++failures);
      getContext().getLog().info("{}: watch of {} from resourceVersion {} failed ({} {}): {}; listing again in {}",
          owner, what, resourceVersion, r.code(), r.reason(), r.message(), format(wait));
      timers.startSingleTimer(RETRY, new Retry(true), wait);
      return this;
    }
    watchId = r.requestId();
    timers.startSingleTimer(STEADY, new Steady(gen), backoff.resetAfter());
    return this;
  }

  private Behavior<Command> onArrived(Arrived a) {
    if (a.gen() != gen) {
      return this;
    }
    KubeClient.Event e = a.event();
    Struct o = e.object();
    if (e.type() == ApiWatchEvent.Type.ERROR) {
      ended();
      boolean expired = code(o) == 410;
      Duration wait = backoff.after(++failures);
      // The agent's log: a lab that stops ends every watch, and people should not see that.
      getContext().getLog().info("{}: watch of {} ended: {}; {} in {}", owner, what, str(o, "message"),
          expired ? "listing again" : "watching again from resourceVersion " + resourceVersion, format(wait));
      timers.startSingleTimer(RETRY, new Retry(expired), wait);
      return this;
    }
    String k = key(o);
    if (e.type() == ApiWatchEvent.Type.DELETED) {
      known.remove(k);
    } else {
      known.put(k, Seen.of(o));
    }
    String rv = meta(o, "resourceVersion");
    if (!rv.isEmpty()) {
      resourceVersion = rv;
    }
    tell(e.type(), o);
    return this;
  }

  /** The running watch is over: its forwarder goes, so nothing of it arrives any more. */
  private void ended() {
    gen++;
    timers.cancel(STEADY);
    watchId = 0;
    if (forwarder != null) {
      getContext().stop(forwarder);
      forwarder = null;
    }
  }

  // ================================================================== helpers

  private static final String RETRY = "retry";
  private static final String STEADY = "steady";

  private void tell(ApiWatchEvent.Type type, Struct o) {
    events.tell(new KubeClient.Event(watchId, type, o));
  }

  private static KubeClient.Result timeout() {
    return new KubeClient.Result(0, 504, Struct.newBuilder()
        .putFields("message", Value.newBuilder().setStringValue("no answer from the API client").build())
        .build());
  }

  private static String key(Struct o) {
    return meta(o, "namespace") + "/" + meta(o, "name");
  }

  private static String meta(Struct o, String field) {
    Value m = o.getFieldsMap().get("metadata");
    return m != null && m.hasStructValue() ? str(m.getStructValue(), field) : "";
  }

  private static String str(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    return v != null && v.hasStringValue() ? v.getStringValue() : "";
  }

  private static int code(Struct status) {
    Value v = status.getFieldsMap().get("code");
    return v != null && v.hasNumberValue() ? (int) v.getNumberValue() : 0;
  }

  /** A wait as Go prints a time.Duration ("800ms", "1.6s", "30s"), as client-go logs it. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms % 1000 == 0) {
      long s = ms / 1000;
      return s < 60 ? s + "s" : (s / 60) + "m" + (s % 60) + "s";
    }
    return java.math.BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + "s";
  }
}
