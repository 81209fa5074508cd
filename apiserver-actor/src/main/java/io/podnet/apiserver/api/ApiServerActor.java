package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.apiserver.store.WatchListener;
import io.podnet.apiserver.controllers.Admission;
import io.podnet.apiserver.lease.LeaseArbiter;
import io.podnet.apiserver.controllers.ControllerManager;
import io.podnet.apiserver.store.persist.DurableStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Owns the {@link ObjectStore} (which is single-threaded) and answers requests against it, one at a
 * time: the HTTP front and controllers ask this actor instead of touching the store.
 *
 * <p>Every request is answered with a {@link Reply}: the result or the Kubernetes Status of the
 * failure. Watch listeners run inside this actor, synchronously with the write that produced the
 * event, so they must only hand the event on (e.g. offer it to a stream queue).
 */
public final class ApiServerActor extends AbstractBehavior<ApiServerActor.Command> {

  public sealed interface Command {}

  /** The answer to a request: {@code value} on success, {@code error} otherwise. */
  /**
   * @param warnings the texts of the Warning headers to send with a success (field validation Warn)
   */
  public record Reply(Object value, Status error, List<String> warnings) {
    public Reply {
      warnings = List.copyOf(warnings);
    }

    public Reply(Object value, Status error) {
      this(value, error, List.of());
    }

    public boolean ok() {
      return error == null;
    }
  }

  public record Get(ResourceType type, String namespace, String name, ActorRef<Reply> replyTo) implements Command {}

  public record ListObjects(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields,
      ActorRef<Reply> replyTo) implements Command {}

  public record Create(ResourceType type, KubeObject object, ActorRef<Reply> replyTo) implements Command {}

  /** PUT; {@code status} for the status subresource. */
  public record Update(ResourceType type, KubeObject object, boolean status, ActorRef<Reply> replyTo)
      implements Command {}

  public enum PatchType { MERGE, STRATEGIC_MERGE }

  /**
   * PATCH: read, patch the JSON, check the patched object's fields against its schema
   * ({@link FieldValidation#checkPatched}), write back conditional on the resourceVersion read.
   *
   * @param validation the fieldValidation directive of an HTTP request; null for a patch that is not
   *     checked (requests of the actors inside the lab, through the gateway, like their creates and
   *     updates)
   * @param patchErrors the duplicate fields of the patch body (see {@link FieldValidation#patchDuplicates})
   */
  public record Patch(ResourceType type, String namespace, String name, PatchType patchType, Struct patch,
      boolean status, FieldValidation.Directive validation, List<String> patchErrors, ActorRef<Reply> replyTo)
      implements Command {
    public Patch {
      patchErrors = List.copyOf(patchErrors);
    }

    /** A patch that is not checked against the schema, as actors inside the lab send. */
    public Patch(ResourceType type, String namespace, String name, PatchType patchType, Struct patch, boolean status,
        ActorRef<Reply> replyTo) {
      this(type, namespace, name, patchType, patch, status, null, List.of(), replyTo);
    }
  }

  public record Delete(ResourceType type, String namespace, String name, String preconditionResourceVersion,
      ActorRef<Reply> replyTo) implements Command {}

  /** Answers with the watch id (a Long) to pass to {@link StopWatch}. */
  public record StartWatch(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields,
      long fromResourceVersion, WatchListener listener, ActorRef<Reply> replyTo) implements Command {}

  public record StopWatch(long id) implements Command {}

  /** Runs the controllers until they settle; sent by the store watches and the periodic timer. */
  private enum Reconcile implements Command, NoSerializationVerificationNeeded {
    WATCH,
    TICK
  }

  /** Serves the store without controllers: what clients write is stored as sent. */
  public static Behavior<Command> create(ObjectStore store) {
    return Behaviors.setup(ctx -> new ApiServerActor(ctx, store, null, null, null, Admission.NONE, null));
  }

  /**
   * Serves the store with {@code controllers}: their admission applies to every write, and they run
   * after every change (driven by watches on every resource) and every {@code tick} (timed work:
   * node heartbeats, evictions), at the lab time {@code clock} gives.
   */
  public static Behavior<Command> create(ObjectStore store, ApiResources resources, ControllerManager controllers,
      LongSupplier clock, Duration tick) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Reconcile.TICK, Reconcile.TICK, tick);
      return new ApiServerActor(ctx, store, resources, controllers, clock, controllers.admission(), null);
    }));
  }

  /** Opens a {@link DurableStore}, e.g. {@code () -> DurableStore.open(settings, ...)}. */
  @FunctionalInterface
  public interface DurableStoreOpener {
    DurableStore open() throws java.io.IOException;
  }

  /**
   * An actor over a store kept on disk: every start, including a restart by its supervisor, opens
   * (recovers) the store; stopping or restarting closes it. Watches do not survive a restart.
   */
  public static Behavior<Command> create(DurableStoreOpener opener) {
    return Behaviors.setup(ctx -> {
      DurableStore durable = opener.open();
      return new ApiServerActor(ctx, durable.store(), null, null, null, Admission.NONE, durable);
    });
  }

  /** A store kept on disk, with the controllers running over it. */
  public static Behavior<Command> create(DurableStoreOpener opener, ApiResources resources,
      ControllerManager controllers, LongSupplier clock, Duration tick) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      DurableStore durable = opener.open();
      timers.startTimerWithFixedDelay(Reconcile.TICK, Reconcile.TICK, tick);
      return new ApiServerActor(ctx, durable.store(), resources, controllers, clock, controllers.admission(),
          durable);
    }));
  }

  private final ObjectStore store;
  private final ControllerManager controllers;
  private final LongSupplier clock;
  private final Admission admission;
  private final Map<Long, ObjectStore.Watch> watches = new HashMap<>();
  /** The listeners of {@link #watches}, told when this actor ends them by stopping or restarting. */
  private final Map<Long, WatchListener> listeners = new HashMap<>();
  private long nextWatchId = 1;
  private boolean reconcilePending;
  /** The field-validation warnings of the request being answered. */
  private List<String> warnings = List.of();

  private final DurableStore durable;

  private ApiServerActor(ActorContext<Command> ctx, ObjectStore store, ApiResources resources,
      ControllerManager controllers, LongSupplier clock, Admission admission, DurableStore durable) {
    super(ctx);
    this.store = store;
    this.durable = durable;
    this.controllers = controllers;
    this.clock = clock;
    this.admission = admission;
    if (controllers != null) {
      ActorRef<Command> self = ctx.getSelf();
      WatchListener trigger = e -> {
        if (!reconcilePending) {
          reconcilePending = true;
          self.tell(Reconcile.WATCH);
        }
      };
      for (String gv : resources.groupVersions()) {
        for (ApiResource r : resources.resources(gv)) {
          store.watch(r.type(), "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, store.resourceVersion(),
              trigger);
        }
      }
      reconcilePending = true;
      self.tell(Reconcile.WATCH);
    }
  }

  /**
   * Stopping or restarting: the watches this actor started end (a restarted actor does not know
   * them, and a store reopened from disk has none), and their listeners hear it.
   */
  private Behavior<Command> endWatches(String how) {
    Status why = new Status(500, "InternalError", "Internal error occurred: the API server " + how,
        Status.Details.NONE);
    for (Map.Entry<Long, ObjectStore.Watch> w : List.copyOf(watches.entrySet())) {
      w.getValue().cancel();
      WatchListener l = listeners.get(w.getKey());
      if (l != null) {
        try {
          l.onClosed(why);
        } catch (RuntimeException ignored) {
          // a listener that is gone already
        }
      }
    }
    watches.clear();
    listeners.clear();
    return closeDurable();
  }

  private Behavior<Command> closeDurable() {
    if (durable != null) {
      try {
        durable.close();
      } catch (java.io.IOException e) {
        getContext().getLog().warn("closing the store: {}", e.toString());
      }
    }
    return this;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, m -> answer(m.replyTo, () -> store.get(m.type, m.namespace, m.name)))
        .onMessage(ListObjects.class, m -> answer(m.replyTo, () -> store.list(m.type, m.namespace, m.labels, m.fields)))
        .onMessage(Create.class, m -> answer(m.replyTo,
            () -> store.create(m.type, admission.admit(store, m.type, leases(m.type, null, Defaults.onCreate(m.type,
                m.object)), null))))
        .onMessage(Update.class, m -> answer(m.replyTo, () -> m.status
            ? store.updateStatus(m.type, m.object)
            : update(m.type, m.object)))
        .onMessage(Reconcile.class, m -> {
          reconcilePending = false;
          controllers.settle(store, clock.getAsLong());
          return this;
        })
        .onMessage(Patch.class, m -> answer(m.replyTo, () -> patch(m)))
        .onMessage(Delete.class, m -> answer(m.replyTo,
            () -> store.delete(m.type, m.namespace, m.name, m.preconditionResourceVersion)))
        .onMessage(StartWatch.class, this::onStartWatch)
        .onMessage(StopWatch.class, m -> {
          ObjectStore.Watch w = watches.remove(m.id);
          listeners.remove(m.id);
          if (w != null) {
            w.cancel();
          }
          return this;
        })
        .onSignal(PostStop.class, s -> endWatches("stopped"))
        .onSignal(PreRestart.class, s -> endWatches("restarted"))
        .build();
  }

  private KubeObject patch(Patch m) {
    KubeObject current = store.get(m.type, m.namespace, m.name);
    Struct json = ObjectCodec.toJson(current);
    Struct patched = m.patchType == PatchType.MERGE
        ? Patches.mergePatch(json, m.patch)
        : Patches.strategicMergePatch(m.type.kind(), json, m.patch);
    if (m.validation != null) {
      FieldValidation.Outcome checked = FieldValidation.checkPatched(m.type, patched, m.patchErrors, m.validation,
          m.patch, m.patchType == PatchType.STRATEGIC_MERGE);
      warnings = checked.warnings();
      patched = checked.object();
    }
    KubeObject next = ObjectCodec.fromJson(m.type, patched, current.metadata().namespace());
    if (!next.metadata().name().equals(current.metadata().name())) {
      throw new ApiException(Status.badRequest("the name of the object (" + next.metadata().name()
          + ") does not match the name on the URL (" + m.name + ")"));
    }
    if (next.metadata().resourceVersion().isEmpty()) {
      // A patch that removes resourceVersion still applies to the object it was read from.
      next = next.withMetadata(next.metadata().withResourceVersion(current.metadata().resourceVersion()));
    }
    return m.status ? store.updateStatus(m.type, next) : update(m.type, next);
  }

  /** An update of the main resource, through admission (which sees the stored object). */
  private KubeObject update(ResourceType type, KubeObject request) {
    KubeObject old = store.get(type, request.metadata().namespace(), request.metadata().name());
    return store.update(type, admission.admit(store, type, leases(type, old, request), old));
  }

  /** Leases are arbitrated on the server's clock: see {@link LeaseArbiter#admit}. */
  private KubeObject leases(ResourceType type, KubeObject old, KubeObject request) {
    return ResourceType.LEASE.equals(type) ? LeaseArbiter.admit(old, request, store.now()) : request;
  }

  private Behavior<Command> onStartWatch(StartWatch m) {
    long id = nextWatchId++;
    answer(m.replyTo, () -> {
      ObjectStore.Watch w = store.watch(m.type, m.namespace, m.labels, m.fields, m.fromResourceVersion, m.listener);
      watches.put(id, w);
      listeners.put(id, m.listener);
      return id;
    });
    return this;
  }

  private interface Op {
    Object run();
  }

  private Behavior<Command> answer(ActorRef<Reply> replyTo, Op op) {
    Reply r;
    warnings = List.of();
    try {
      r = new Reply(op.run(), null, warnings);
    } catch (ApiException e) {
      r = new Reply(null, e.status());
    }
    warnings = List.of();
    replyTo.tell(r);
    return this;
  }
}
