package io.podnet.apiserver.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiServerActor.PatchType;
import io.podnet.apiserver.api.ApiServerActor.Reply;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectList;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.apiserver.store.WatchEvent;
import io.podnet.apiserver.store.WatchListener;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.ApiResponse;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The Kubernetes API for actors: takes {@link ApiRequest}s (protobuf, so they may come from another
 * JVM), asks the {@link ApiServerActor} beside it, and answers the requester's inbox with
 * {@link ApiResponse} and, for watches, {@link ApiWatchEvent}s. Bodies are the Kubernetes JSON the
 * REST API would send, and failures the same metav1.Status (code, reason, message).
 *
 * <p>The gateway registers itself with the Receptionist under {@link #SERVICE_KEY}. It watches the
 * inbox of every requester with a running watch and ends that requester's watches when the inbox
 * terminates. When the API server actor stops, every watch gets an ERROR event and the gateway
 * stops.
 *
 * <p>A watch's events are buffered until its start is confirmed, so the requester always sees the
 * 200 ApiResponse of a WATCH before its first event, and events in resourceVersion order.
 */
public final class ApiGateway extends AbstractBehavior<Object> {

  /** The Receptionist key of the API gateway. */
  public static final ServiceKey<ApiRequest> SERVICE_KEY = ServiceKey.create(ApiRequest.class, "podnet-apiserver");

  /** How long the gateway waits for the API server actor before answering 504. */
  public static final Duration DEFAULT_ASK_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Messages the gateway sends itself. They never leave the JVM: the gateway and its API server
   * actor live in one actor system, and watch listeners run inside the API server actor.
   */
  private sealed interface Internal extends NoSerializationVerificationNeeded {}

  private record Answered(ActorRef<Object> inbox, long requestId, Verb verb, ResourceType type, Reply reply,
      Throwable failure) implements Internal {}

  private record WatchStarted(WatchState watch, Reply reply, Throwable failure) implements Internal {}

  private record StoreEvent(WatchState watch, WatchEvent event) implements Internal {}

  private record InboxTerminated(ActorRef<Object> inbox) implements Internal {}

  /** The API server ended a watch by itself (it restarted). */
  private record StoreClosed(WatchState watch, Status why) implements Internal {}

  private enum ApiServerTerminated implements Internal { INSTANCE }

  private record WatchKey(ActorRef<Object> inbox, long id) {}

  /** One watch of one requester. */
  private static final class WatchState {
    final WatchKey key;
    /** Read by the listener inside the API server actor: once false, the listener unsubscribes. */
    final AtomicBoolean open = new AtomicBoolean(true);
    /** The API server's id for {@link ApiServerActor.StopWatch}; null until the start is confirmed. */
    Long storeId;
    /** Events that came before the start was confirmed; null once started. */
    List<WatchEvent> early = new ArrayList<>();

    WatchState(WatchKey key) {
      this.key = key;
    }
  }

  public static Behavior<ApiRequest> create(ActorRef<ApiServerActor.Command> api) {
    return create(api, DEFAULT_ASK_TIMEOUT);
  }

  public static Behavior<ApiRequest> create(ActorRef<ApiServerActor.Command> api, Duration askTimeout) {
    return Behaviors.<Object>setup(ctx -> new ApiGateway(ctx, api, askTimeout)).narrow();
  }

  private final ActorRef<ApiServerActor.Command> api;
  private final Duration askTimeout;
  private final ApiResources resources = ApiResources.standard();
  private final ActorRefResolver resolver;
  private final Map<WatchKey, WatchState> watches = new HashMap<>();
  /** Requesters with running watches, and how many: each is death-watched while it has any. */
  private final Map<ActorRef<Object>, Integer> watchingInboxes = new HashMap<>();

  private ApiGateway(ActorContext<Object> ctx, ActorRef<ApiServerActor.Command> api, Duration askTimeout) {
    super(ctx);
    this.api = api;
    this.askTimeout = askTimeout;
    this.resolver = ActorRefResolver.get(ctx.getSystem());
    ctx.watchWith(api, ApiServerTerminated.INSTANCE);
    ActorRef<ApiRequest> self = ctx.getSelf().narrow();
    ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, self));
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(ApiRequest.class, this::onRequest)
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(WatchStarted.class, this::onWatchStarted)
        .onMessage(StoreEvent.class, this::onStoreEvent)
        .onMessage(InboxTerminated.class, this::onInboxTerminated)
        .onMessage(StoreClosed.class, this::onStoreClosed)
        .onMessage(ApiServerTerminated.class, this::onApiServerTerminated)
        .build();
  }

  // ================================================================== requests

  private Behavior<Object> onRequest(ApiRequest r) {
    ActorRef<Object> inbox = resolve(r.getReplyTo());
    if (inbox == null) {
      getContext().getLog().warn("dropping {} request {}: no usable reply_to ({})", r.getVerb(), r.getRequestId(),
          r.getReplyTo());
      return this;
    }
    try {
      switch (r.getVerb()) {
        case CANCEL_WATCH -> onCancelWatch(inbox, r);
        case WATCH -> onWatch(inbox, r);
        default -> forward(inbox, r);
      }
    } catch (ApiException e) {
      respond(inbox, r.getRequestId(), e.status().code(), StatusJson.failure(e.status()));
    } catch (RuntimeException e) {
      Status s = new Status(500, "InternalError", "Internal error occurred: " + e, Status.Details.NONE);
      respond(inbox, r.getRequestId(), 500, StatusJson.failure(s));
    }
    return this;
  }

  private ActorRef<Object> resolve(String replyTo) {
    if (replyTo.isEmpty()) {
      return null;
    }
    try {
      return resolver.resolveActorRef(replyTo);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The REST call's resource, checked as the HTTP router checks the URL. */
  private ApiResource resource(ApiRequest r) {
    String gv = r.getGroup().isEmpty() ? r.getVersion() : r.getGroup() + "/" + r.getVersion();
    ApiResource resource = resources.find(gv, r.getResource()).orElseThrow(ApiGateway::notFound);
    ResourceType type = resource.type();
    if (!r.getNamespace().isEmpty() && !type.namespaced()) {
      throw notFound();
    }
    if (!r.getName().isEmpty() && type.namespaced() && r.getNamespace().isEmpty()) {
      throw notFound();
    }
    boolean status = r.getVerb() == Verb.UPDATE_STATUS || r.getVerb() == Verb.PATCH_STATUS;
    if (status && !resource.hasSubresource("status")) {
      throw notFound();
    }
    return resource;
  }

  private void forward(ActorRef<Object> inbox, ApiRequest r) {
    ApiResource resource = resource(r);
    ResourceType type = resource.type();
    String ns = r.getNamespace();
    String name = r.getName();
    Function<ActorRef<Reply>, ApiServerActor.Command> command = switch (r.getVerb()) {
      case GET -> {
        requireName(name, true);
        yield replyTo -> new ApiServerActor.Get(type, ns, name, replyTo);
      }
      case LIST -> {
        requireName(name, false);
        LabelSelector labels = LabelSelector.parse(r.getLabelSelector());
        FieldSelector fields = FieldSelector.parse(r.getFieldSelector());
        yield replyTo -> new ApiServerActor.ListObjects(type, ns, labels, fields, replyTo);
      }
      case CREATE -> {
        requireName(name, false);
        KubeObject o = ObjectCodec.fromJson(type, body(r), ns);
        yield replyTo -> new ApiServerActor.Create(type, o, replyTo);
      }
      case UPDATE, UPDATE_STATUS -> {
        requireName(name, true);
        KubeObject o = ObjectCodec.fromJson(type, body(r), ns);
        if (!o.metadata().name().equals(name)) {
          throw new ApiException(Status.badRequest("the name of the object (" + o.metadata().name()
              + ") does not match the name on the URL (" + name + ")"));
        }
        boolean status = r.getVerb() == Verb.UPDATE_STATUS;
        yield replyTo -> new ApiServerActor.Update(type, o, status, replyTo);
      }
      case PATCH, PATCH_STATUS -> {
        requireName(name, true);
        PatchType patchType = patchType(r, resource);
        Struct patch = body(r);
        boolean status = r.getVerb() == Verb.PATCH_STATUS;
        yield replyTo -> new ApiServerActor.Patch(type, ns, name, patchType, patch, status, replyTo);
      }
      case DELETE -> {
        requireName(name, true);
        String precondition = r.getResourceVersion();
        yield replyTo -> new ApiServerActor.Delete(type, ns, name, precondition, replyTo);
      }
      default -> throw new ApiException(Status.badRequest("unknown verb: " + r.getVerb()));
    };
    ActorRef<Object> to = inbox;
    long id = r.getRequestId();
    Verb verb = r.getVerb();
    getContext().ask(Reply.class, api, askTimeout, command::apply,
        (reply, failure) -> new Answered(to, id, verb, type, reply, failure));
  }

  private Behavior<Object> onAnswered(Answered a) {
    if (a.failure != null) {
      respond(a.inbox, a.requestId, 504, StatusJson.failure(timeout()));
    } else if (!a.reply.ok()) {
      respond(a.inbox, a.requestId, a.reply.error().code(), StatusJson.failure(a.reply.error()));
    } else if (a.verb == Verb.LIST) {
      respond(a.inbox, a.requestId, 200, listJson(a.type, (ObjectList) a.reply.value()));
    } else {
      respond(a.inbox, a.requestId, a.verb == Verb.CREATE ? 201 : 200,
          ObjectCodec.toJson((KubeObject) a.reply.value()));
    }
    return this;
  }

  private static Struct listJson(ResourceType type, ObjectList list) {
    List<Value> items = new ArrayList<>(list.items().size());
    for (KubeObject o : list.items()) {
      items.add(Json.of(ObjectCodec.toJson(o)));
    }
    return Json.obj("kind", type.kind() + "List", "apiVersion", type.apiVersion(),
        "metadata", Json.obj("resourceVersion", list.resourceVersion()), "items", Json.list(items));
  }

  // ================================================================== watches

  private void onWatch(ActorRef<Object> inbox, ApiRequest r) {
    ResourceType type = resource(r).type();
    long from = r.getResourceVersion().isEmpty() ? 0 : parseLong(r.getResourceVersion(), "resourceVersion");
    LabelSelector labels = LabelSelector.parse(r.getLabelSelector());
    String fieldText = r.getFieldSelector();
    if (!r.getName().isEmpty()) {
      // The (deprecated) watch of one object, /watch/.../NAME, is a watch with metadata.name=NAME.
      fieldText = (fieldText.isEmpty() ? "" : fieldText + ",") + "metadata.name=" + r.getName();
    }
    FieldSelector fields = FieldSelector.parse(fieldText);
    WatchKey key = new WatchKey(inbox, r.getRequestId());
    if (watches.containsKey(key)) {
      throw new ApiException(Status.badRequest("watch " + r.getRequestId() + " is already running for this inbox"));
    }
    WatchState watch = new WatchState(key);
    watches.put(key, watch);
    if (watchingInboxes.merge(inbox, 1, Integer::sum) == 1) {
      getContext().watchWith(inbox, new InboxTerminated(inbox));
    }
    ActorRef<Object> self = getContext().getSelf();
    AtomicBoolean open = watch.open;
    // Runs inside the API server actor: only hands the event on. Throwing unsubscribes it from the
    // store, which is how a watch whose start timed out here still ends.
    WatchListener listener = new WatchListener() {
      @Override
      public void onEvent(WatchEvent event) {
        if (!open.get()) {
          throw new IllegalStateException("watch closed");
        }
        self.tell(new StoreEvent(watch, event));
      }

      @Override
      public void onClosed(Status why) {
        self.tell(new StoreClosed(watch, why));
      }
    };
    String ns = r.getNamespace();
    getContext().ask(Reply.class, api, askTimeout,
        replyTo -> new ApiServerActor.StartWatch(type, ns, labels, fields, from, listener, replyTo),
        (reply, failure) -> new WatchStarted(watch, reply, failure));
  }

  private Behavior<Object> onWatchStarted(WatchStarted m) {
    WatchState w = m.watch;
    boolean current = watches.get(w.key) == w;
    if (m.failure == null && m.reply.ok()) {
      w.storeId = (Long) m.reply.value();
    }
    if (!current) {
      // Cancelled (or its requester gone) before the start was confirmed.
      stopInStore(w);
      return this;
    }
    if (m.failure != null || !m.reply.ok()) {
      Status s = m.failure != null ? timeout() : m.reply.error();
      forget(w);
      respond(w.key.inbox, w.key.id, s.code(), StatusJson.failure(s));
      return this;
    }
    w.key.inbox.tell(ApiResponse.newBuilder().setRequestId(w.key.id).setCode(200).build());
    List<WatchEvent> early = w.early;
    w.early = null;
    for (WatchEvent e : early) {
      send(w, e);
    }
    return this;
  }

  private Behavior<Object> onStoreEvent(StoreEvent m) {
    WatchState w = m.watch;
    if (watches.get(w.key) != w) {
      return this;
    }
    if (w.early != null) {
      w.early.add(m.event);
    } else {
      send(w, m.event);
    }
    return this;
  }

  private static void send(WatchState w, WatchEvent e) {
    ApiWatchEvent.Type type = switch (e.type()) {
      case ADDED -> ApiWatchEvent.Type.ADDED;
      case MODIFIED -> ApiWatchEvent.Type.MODIFIED;
      case DELETED -> ApiWatchEvent.Type.DELETED;
    };
    w.key.inbox.tell(ApiWatchEvent.newBuilder().setWatchId(w.key.id).setType(type)
        .setObject(Json.print(ObjectCodec.toJson(e.object()))).build());
  }

  private void onCancelWatch(ActorRef<Object> inbox, ApiRequest r) {
    WatchState w = watches.get(new WatchKey(inbox, r.getCancelWatchId()));
    if (w != null) {
      forget(w);
      stopInStore(w);
    }
    respond(inbox, r.getRequestId(), 200, StatusJson.success());
  }

  private Behavior<Object> onInboxTerminated(InboxTerminated m) {
    for (WatchState w : List.copyOf(watches.values())) {
      if (w.key.inbox.equals(m.inbox)) {
        forget(w);
        stopInStore(w);
      }
    }
    return this;
  }

  /**
   * The API server restarted and dropped the watch (its ref is the same: no termination to see):
   * the requester gets the ERROR event that ends a watch, as a closed stream ends a kubectl watch.
   */
  private Behavior<Object> onStoreClosed(StoreClosed m) {
    WatchState w = m.watch;
    if (watches.get(w.key) != w) {
      return this;
    }
    forget(w);
    if (w.early == null) {
      w.key.inbox.tell(ApiWatchEvent.newBuilder().setWatchId(w.key.id).setType(ApiWatchEvent.Type.ERROR)
          .setObject(Json.print(StatusJson.failure(m.why))).build());
    } else {
      // Not confirmed yet: its start fails instead.
      respond(w.key.inbox, w.key.id, m.why.code(), StatusJson.failure(m.why));
    }
    return this;
  }

  private Behavior<Object> onApiServerTerminated(ApiServerTerminated m) {
    Status s = new Status(500, "InternalError", "Internal error occurred: the API server stopped",
        Status.Details.NONE);
    String object = Json.print(StatusJson.failure(s));
    for (WatchState w : watches.values()) {
      w.open.set(false);
      w.key.inbox.tell(ApiWatchEvent.newBuilder().setWatchId(w.key.id).setType(ApiWatchEvent.Type.ERROR)
          .setObject(object).build());
    }
    watches.clear();
    return Behaviors.stopped();
  }

  /** Drops the watch from the gateway's tables; unwatches its inbox when that was its last watch. */
  private void forget(WatchState w) {
    watches.remove(w.key);
    w.open.set(false);
    ActorRef<Object> inbox = w.key.inbox;
    Integer left = watchingInboxes.computeIfPresent(inbox, (k, n) -> n == 1 ? null : n - 1);
    if (left == null) {
      getContext().unwatch(inbox);
    }
  }

  private void stopInStore(WatchState w) {
    w.open.set(false);
    if (w.storeId != null) {
      api.tell(new ApiServerActor.StopWatch(w.storeId));
    }
  }

  // ================================================================== helpers

  private static void respond(ActorRef<Object> inbox, long requestId, int code, Struct body) {
    inbox.tell(ApiResponse.newBuilder().setRequestId(requestId).setCode(code).setBody(Json.print(body)).build());
  }

  private static Struct body(ApiRequest r) {
    try {
      return Json.parseObject(r.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(Status.badRequest("the body of the request was in an unknown format - "
          + "accepted media types include: application/json, application/yaml"));
    }
  }

  /** A name where the REST call has none, or none where it needs one: no such method on that URL. */
  private static void requireName(String name, boolean required) {
    if (name.isEmpty() == required) {
      throw new ApiException(new Status(405, "MethodNotAllowed",
          "the server does not allow this method on the requested resource", Status.Details.NONE));
    }
  }

  private static PatchType patchType(ApiRequest r, ApiResource resource) {
    switch (r.getPatchType()) {
      case MERGE:
        return PatchType.MERGE;
      case STRATEGIC_MERGE:
        if (!resource.crd()) {
          return PatchType.STRATEGIC_MERGE;
        }
        break;
      default:
        break;
    }
    throw Patches.unsupportedMediaType(resource);
  }

  private static long parseLong(String s, String what) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new ApiException(Status.badRequest("invalid " + what + ": " + s));
    }
  }

  private static ApiException notFound() {
    return new ApiException(new Status(404, "NotFound", "the server could not find the requested resource",
        Status.Details.NONE));
  }

  private static Status timeout() {
    return new Status(504, "Timeout", "Timeout: request did not complete within the allowed duration",
        Status.Details.NONE);
  }
}
