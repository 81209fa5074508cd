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
import io.podnet.apiserver.store.persist.DurableStore;
import java.util.HashMap;
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
  public record Reply(Object value, Status error) {
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

  /** PATCH: read, patch the JSON, write back conditional on the resourceVersion read. */
  public record Patch(ResourceType type, String namespace, String name, PatchType patchType, Struct patch,
      boolean status, ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ResourceType type, String namespace, String name, String preconditionResourceVersion,
      ActorRef<Reply> replyTo) implements Command {}

  /** Answers with the watch id (a Long) to pass to {@link StopWatch}. */
  public record StartWatch(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields,
      long fromResourceVersion, WatchListener listener, ActorRef<Reply> replyTo) implements Command {}

  public record StopWatch(long id) implements Command {}

  public static Behavior<Command> create(ObjectStore store) {
    return Behaviors.setup(ctx -> new ApiServerActor(ctx, store, null));
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
      return new ApiServerActor(ctx, durable.store(), durable);
    });
  }

  private final ObjectStore store;
  private final Map<Long, ObjectStore.Watch> watches = new HashMap<>();
  private long nextWatchId = 1;

  private final DurableStore durable;

  private ApiServerActor(ActorContext<Command> ctx, ObjectStore store, DurableStore durable) {
    super(ctx);
    this.store = store;
    this.durable = durable;
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
        .onMessage(Create.class, m -> answer(m.replyTo, () -> store.create(m.type, Defaults.onCreate(m.type, m.object))))
        .onMessage(Update.class, m -> answer(m.replyTo, () -> m.status
            ? store.updateStatus(m.type, m.object)
            : store.update(m.type, m.object)))
        .onMessage(Patch.class, m -> answer(m.replyTo, () -> patch(m)))
        .onMessage(Delete.class, m -> answer(m.replyTo,
            () -> store.delete(m.type, m.namespace, m.name, m.preconditionResourceVersion)))
        .onMessage(StartWatch.class, this::onStartWatch)
        .onMessage(StopWatch.class, m -> {
          ObjectStore.Watch w = watches.remove(m.id);
          if (w != null) {
            w.cancel();
          }
          return this;
        })
        .onSignal(PostStop.class, s -> closeDurable())
        .onSignal(PreRestart.class, s -> closeDurable())
        .build();
  }

  private KubeObject patch(Patch m) {
    KubeObject current = store.get(m.type, m.namespace, m.name);
    Struct json = ObjectCodec.toJson(current);
    Struct patched = m.patchType == PatchType.MERGE
        ? Patches.mergePatch(json, m.patch)
        : Patches.strategicMergePatch(m.type.kind(), json, m.patch);
    KubeObject next = ObjectCodec.fromJson(m.type, patched, current.metadata().namespace());
    if (!next.metadata().name().equals(current.metadata().name())) {
      throw new ApiException(Status.badRequest("the name of the object (" + next.metadata().name()
          + ") does not match the name on the URL (" + m.name + ")"));
    }
    if (next.metadata().resourceVersion().isEmpty()) {
      // A patch that removes resourceVersion still applies to the object it was read from.
      next = next.withMetadata(next.metadata().withResourceVersion(current.metadata().resourceVersion()));
    }
    return m.status ? store.updateStatus(m.type, next) : store.update(m.type, next);
  }

  private Behavior<Command> onStartWatch(StartWatch m) {
    long id = nextWatchId++;
    answer(m.replyTo, () -> {
      ObjectStore.Watch w = store.watch(m.type, m.namespace, m.labels, m.fields, m.fromResourceVersion, m.listener);
      watches.put(id, w);
      return id;
    });
    return this;
  }

  private interface Op {
    Object run();
  }

  private Behavior<Command> answer(ActorRef<Reply> replyTo, Op op) {
    Reply r;
    try {
      r = new Reply(op.run(), null);
    } catch (ApiException e) {
      r = new Reply(null, e.status());
    }
    replyTo.tell(r);
    return this;
  }
}
