package io.podnet.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.ApiResponse;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node-side actor's connection to the Kubernetes API: a child actor that finds the API server's
 * gateway through the Receptionist (key {@link #GATEWAY_KEY}, "podnet-apiserver") and speaks its
 * protobuf protocol ({@link ApiRequest}, {@link ApiResponse}, {@link ApiWatchEvent}).
 *
 * <p>Its owner (a kubelet, a Cilium agent) spawns it as a child and sends it {@link Call},
 * {@link Watch} and {@link CancelWatch}, built with the {@link Request} factories. Every call is
 * answered exactly once with a {@link Result} (the Kubernetes JSON the REST API would answer: the
 * object, the list, or a metav1.Status): the gateway's answer, or a 504 Timeout Status when none
 * came within the request timeout, measured on this actor's timers from when the call arrived.
 * Calls made while no gateway is known are held and sent, in order, when one registers. A watch's
 * events go to the {@link ActorRef} the owner gives, typically a message adapter, so they arrive as
 * the owner's own messages; an ERROR event ends the watch (the gateway or the API server is gone).
 *
 * <p>The owner typically uses {@code context.ask(Result.class, client, timeout, replyTo -> new
 * Call(request, replyTo), (result, failure) -> ...)} so that the answer becomes one of its own
 * messages. The messages between owner and client never leave the JVM (the client is the owner's
 * child) and are not serialized; only the protobuf messages travel to the gateway.
 */
public final class KubeClient extends AbstractBehavior<KubeClient.Command> {

  /** The gateway's Receptionist key (the API server side registers under the same id and type). */
  public static final ServiceKey<ApiRequest> GATEWAY_KEY = ServiceKey.create(ApiRequest.class, "podnet-apiserver");

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

  // ================================================================== protocol

  /** What the owner sends. Local only: owner and client share a JVM. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** One request (any verb but WATCH and CANCEL_WATCH), answered with one {@link Result}. */
  public record Call(Request request, ActorRef<Result> replyTo) implements Command {
    public Call {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(replyTo, "replyTo");
      if (request.verb() == Verb.WATCH || request.verb() == Verb.CANCEL_WATCH) {
        throw new IllegalArgumentException("use Watch and CancelWatch for " + request.verb());
      }
    }
  }

  /**
   * Starts a watch: {@code replyTo} gets the start's {@link Result} (200, or the error that
   * prevented it), whose {@link Result#requestId()} is the watch id; then {@code events} gets the
   * watch's {@link Event}s until {@link CancelWatch} or an ERROR event.
   */
  public record Watch(Request request, ActorRef<Event> events, ActorRef<Result> replyTo) implements Command {
    public Watch {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(events, "events");
      Objects.requireNonNull(replyTo, "replyTo");
      if (request.verb() != Verb.WATCH) {
        throw new IllegalArgumentException("Watch needs a WATCH request, not " + request.verb());
      }
    }
  }

  /** Ends a watch; no event of it is delivered after this message. */
  public record CancelWatch(long watchId) implements Command {}

  /**
   * What the REST API would answer.
   *
   * @param requestId the request's id; for a watch, the watch id
   * @param code      the HTTP status code
   * @param body      the JSON body: the object, the list, or a metav1.Status; empty for a started watch
   */
  public record Result(long requestId, int code, Struct body) implements NoSerializationVerificationNeeded {
    public boolean ok() {
      return code >= 200 && code < 300;
    }

    /** The Status reason of a failure ("NotFound", "Conflict", ...), "" otherwise. */
    public String reason() {
      return string(body, "reason");
    }

    /** The Status message of a failure, "" otherwise. */
    public String message() {
      return string(body, "message");
    }

    /** metadata.resourceVersion of the object or the list. */
    public String resourceVersion() {
      Value m = body.getFieldsMap().get("metadata");
      return m != null && m.hasStructValue() ? string(m.getStructValue(), "resourceVersion") : "";
    }

    /** The items of a list. */
    public List<Struct> items() {
      Value v = body.getFieldsMap().get("items");
      if (v == null || !v.hasListValue()) {
        return List.of();
      }
      return v.getListValue().getValuesList().stream().filter(Value::hasStructValue).map(Value::getStructValue)
          .toList();
    }
  }

  /** One watch event: an object, or for ERROR the metav1.Status that ended the watch. */
  public record Event(long watchId, ApiWatchEvent.Type type, Struct object)
      implements NoSerializationVerificationNeeded {}

  /**
   * One REST call. Build with the factories; {@code body} is the object (create, update) or the
   * patch; {@code resourceVersion} is the delete precondition or the watch's start.
   */
  public record Request(Verb verb, KubeResource resource, String namespace, String name, Struct body,
      PatchType patchType, String labelSelector, String fieldSelector, String resourceVersion) {

    public Request {
      Objects.requireNonNull(verb, "verb");
      Objects.requireNonNull(resource, "resource");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(body, "body");
      Objects.requireNonNull(patchType, "patchType");
      Objects.requireNonNull(labelSelector, "labelSelector");
      Objects.requireNonNull(fieldSelector, "fieldSelector");
      Objects.requireNonNull(resourceVersion, "resourceVersion");
    }

    private static Request of(Verb verb, KubeResource r, String ns, String name) {
      return new Request(verb, r, ns, name, Struct.getDefaultInstance(), PatchType.PATCH_TYPE_UNSPECIFIED, "", "",
          "");
    }

    public static Request get(KubeResource r, String namespace, String name) {
      return of(Verb.GET, r, namespace, name);
    }

    /** Every object of {@code r} in {@code namespace} ("" for all namespaces). */
    public static Request list(KubeResource r, String namespace) {
      return of(Verb.LIST, r, namespace, "");
    }

    public static Request list(KubeResource r, String namespace, String labelSelector, String fieldSelector) {
      return new Request(Verb.LIST, r, namespace, "", Struct.getDefaultInstance(), PatchType.PATCH_TYPE_UNSPECIFIED,
          labelSelector, fieldSelector, "");
    }

    /** Creates {@code object} in its metadata.namespace. */
    public static Request create(KubeResource r, Struct object) {
      return of(Verb.CREATE, r, namespaceOf(r, object), "").withBody(object);
    }

    /** Replaces the object named by its metadata; conditional on its metadata.resourceVersion if set. */
    public static Request update(KubeResource r, Struct object) {
      return of(Verb.UPDATE, r, namespaceOf(r, object), nameOf(object)).withBody(object);
    }

    /** Writes the status subresource of the object named by its metadata. */
    public static Request updateStatus(KubeResource r, Struct object) {
      return of(Verb.UPDATE_STATUS, r, namespaceOf(r, object), nameOf(object)).withBody(object);
    }

    public static Request patch(KubeResource r, String namespace, String name, PatchType type, Struct patch) {
      return of(Verb.PATCH, r, namespace, name).withBody(patch).withPatchType(type);
    }

    public static Request patchStatus(KubeResource r, String namespace, String name, PatchType type, Struct patch) {
      return of(Verb.PATCH_STATUS, r, namespace, name).withBody(patch).withPatchType(type);
    }

    public static Request delete(KubeResource r, String namespace, String name) {
      return of(Verb.DELETE, r, namespace, name);
    }

    /** Deletes only if the object is still at {@code resourceVersion} (409 Conflict otherwise). */
    public static Request delete(KubeResource r, String namespace, String name, String resourceVersion) {
      return of(Verb.DELETE, r, namespace, name).withResourceVersion(resourceVersion);
    }

    /**
     * Watches {@code r} in {@code namespace} ("" for all) from {@code resourceVersion} ("" or "0":
     * every matching object as ADDED first; N: every change after N, usually a list's resourceVersion).
     */
    public static Request watch(KubeResource r, String namespace, String labelSelector, String fieldSelector,
        String resourceVersion) {
      return new Request(Verb.WATCH, r, namespace, "", Struct.getDefaultInstance(),
          PatchType.PATCH_TYPE_UNSPECIFIED, labelSelector, fieldSelector, resourceVersion);
    }

    /** Watches one object. */
    public static Request watchOne(KubeResource r, String namespace, String name, String resourceVersion) {
      return of(Verb.WATCH, r, namespace, name).withResourceVersion(resourceVersion);
    }

    public Request withBody(Struct b) {
      return new Request(verb, resource, namespace, name, b, patchType, labelSelector, fieldSelector,
          resourceVersion);
    }

    public Request withPatchType(PatchType t) {
      return new Request(verb, resource, namespace, name, body, t, labelSelector, fieldSelector, resourceVersion);
    }

    public Request withResourceVersion(String rv) {
      return new Request(verb, resource, namespace, name, body, patchType, labelSelector, fieldSelector, rv);
    }

    private static String nameOf(Struct object) {
      return metadataString(object, "name");
    }

    private static String namespaceOf(KubeResource r, Struct object) {
      return r.namespaced() ? metadataString(object, "namespace") : "";
    }

    private static String metadataString(Struct object, String key) {
      Value m = object.getFieldsMap().get("metadata");
      return m != null && m.hasStructValue() ? string(m.getStructValue(), key) : "";
    }
  }

  // ================================================================== internal messages

  private sealed interface Internal extends Command {}

  private record GatewaysChanged(Receptionist.Listing listing) implements Internal {}

  private record Responded(ApiResponse response) implements Internal {}

  private record EventArrived(ApiWatchEvent event) implements Internal {}

  private record TimedOut(long requestId) implements Internal {}

  /** A request waiting for its answer. {@code events} is set for a watch. */
  private static final class Pending {
    final ApiRequest request;
    final ActorRef<Result> replyTo;
    final ActorRef<Event> events;
    boolean sent;
    /** A watch the owner cancelled before its start was answered. */
    boolean cancelled;

    Pending(ApiRequest request, ActorRef<Result> replyTo, ActorRef<Event> events) {
      this.request = request;
      this.replyTo = replyTo;
      this.events = events;
    }
  }

  public static Behavior<Command> create() {
    return create(DEFAULT_REQUEST_TIMEOUT);
  }

  public static Behavior<Command> create(Duration requestTimeout) {
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
    }
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new KubeClient(ctx, timers, requestTimeout)));
  }

  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

  private final TimerScheduler<Command> timers;
  private final Duration requestTimeout;
  /** The inbox the gateway answers to: one ref for both adapters (Pekko keeps one adapter ref per actor). */
  private final String inbox;
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  private final Map<Long, ActorRef<Event>> watches = new HashMap<>();
  private ActorRef<ApiRequest> gateway;
  private long nextRequestId = 1;

  private KubeClient(ActorContext<Command> ctx, TimerScheduler<Command> timers, Duration requestTimeout) {
    super(ctx);
    this.timers = timers;
    this.requestTimeout = requestTimeout;
    ActorRef<ApiResponse> responses = ctx.messageAdapter(ApiResponse.class, Responded::new);
    ActorRef<ApiWatchEvent> events = ctx.messageAdapter(ApiWatchEvent.class, EventArrived::new);
    ActorRefResolver resolver = ActorRefResolver.get(ctx.getSystem());
    this.inbox = resolver.toSerializationFormat(responses);
    if (!inbox.equals(resolver.toSerializationFormat(events))) {
      throw new IllegalStateException("message adapters do not share one ref: " + inbox);
    }
    ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, GatewaysChanged::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(GATEWAY_KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Call.class, this::onCall)
        .onMessage(Watch.class, this::onWatch)
        .onMessage(CancelWatch.class, this::onCancelWatch)
        .onMessage(GatewaysChanged.class, this::onGatewaysChanged)
        .onMessage(Responded.class, this::onResponded)
        .onMessage(EventArrived.class, this::onEventArrived)
        .onMessage(TimedOut.class, this::onTimedOut)
        .build();
  }

  // ================================================================== requests

  private Behavior<Command> onCall(Call c) {
    submit(c.request(), c.replyTo(), null);
    return this;
  }

  private Behavior<Command> onWatch(Watch w) {
    submit(w.request(), w.replyTo(), w.events());
    return this;
  }

  private void submit(Request r, ActorRef<Result> replyTo, ActorRef<Event> events) {
    long id = nextRequestId++;
    ApiRequest.Builder b = ApiRequest.newBuilder()
        .setRequestId(id)
        .setVerb(r.verb())
        .setGroup(r.resource().group())
        .setVersion(r.resource().version())
        .setResource(r.resource().resource())
        .setNamespace(r.namespace())
        .setName(r.name())
        .setPatchType(r.patchType())
        .setLabelSelector(r.labelSelector())
        .setFieldSelector(r.fieldSelector())
        .setResourceVersion(r.resourceVersion())
        .setReplyTo(inbox);
    if (r.verb() == Verb.CREATE || r.verb() == Verb.UPDATE || r.verb() == Verb.UPDATE_STATUS
        || r.verb() == Verb.PATCH || r.verb() == Verb.PATCH_STATUS) {
      try {
        b.setBody(PRINTER.print(r.body()));
      } catch (InvalidProtocolBufferException e) {
        // Only a Value without a kind cannot print: the body is not JSON, the request is not sent.
        replyTo.tell(new Result(id, 400, status(400, "BadRequest", "the body is not valid JSON: " + e.getMessage())));
        return;
      }
    }
    Pending p = new Pending(b.build(), replyTo, events);
    pending.put(id, p);
    timers.startSingleTimer(id, new TimedOut(id), requestTimeout);
    if (gateway != null) {
      send(p);
    }
  }

  private void send(Pending p) {
    p.sent = true;
    gateway.tell(p.request);
    if (p.cancelled) {
      cancelAtGateway(p.request.getRequestId());
    }
  }

  private Behavior<Command> onResponded(Responded m) {
    ApiResponse r = m.response();
    Pending p = pending.remove(r.getRequestId());
    if (p == null) {
      return this; // timed out already, or the answer to a CANCEL_WATCH
    }
    timers.cancel(r.getRequestId());
    Result result = new Result(r.getRequestId(), r.getCode(), parse(r.getBody()));
    if (p.events != null && result.ok() && !p.cancelled) {
      watches.put(r.getRequestId(), p.events);
    }
    p.replyTo.tell(result);
    return this;
  }

  private Behavior<Command> onTimedOut(TimedOut m) {
    Pending p = pending.remove(m.requestId());
    if (p == null) {
      return this;
    }
    if (p.events != null && p.sent) {
      // The gateway may still start it: make sure it does not outlive the caller's failure.
      cancelAtGateway(m.requestId());
    }
    p.replyTo.tell(new Result(m.requestId(), 504, status(504, "Timeout",
        "Timeout: request did not complete within the allowed duration")));
    return this;
  }

  // ================================================================== watches

  private Behavior<Command> onEventArrived(EventArrived m) {
    ApiWatchEvent e = m.event();
    ActorRef<Event> to = watches.get(e.getWatchId());
    if (to == null) {
      return this; // cancelled
    }
    if (e.getType() == ApiWatchEvent.Type.ERROR) {
      watches.remove(e.getWatchId());
    }
    to.tell(new Event(e.getWatchId(), e.getType(), parse(e.getObject())));
    return this;
  }

  private Behavior<Command> onCancelWatch(CancelWatch c) {
    if (watches.remove(c.watchId()) != null) {
      cancelAtGateway(c.watchId());
      return this;
    }
    Pending starting = pending.get(c.watchId());
    if (starting != null && starting.events != null && !starting.cancelled) {
      // Its start is still answered; the watch itself never delivers.
      starting.cancelled = true;
      if (starting.sent) {
        cancelAtGateway(c.watchId());
      }
    }
    return this;
  }

  private void cancelAtGateway(long watchId) {
    if (gateway == null) {
      return; // the gateway that ran it is gone, and the watch with it
    }
    // Fire and forget: the answer finds no pending request and is dropped.
    gateway.tell(ApiRequest.newBuilder().setRequestId(nextRequestId++).setVerb(Verb.CANCEL_WATCH)
        .setCancelWatchId(watchId).setReplyTo(inbox).build());
  }

  // ================================================================== gateway discovery

  private Behavior<Command> onGatewaysChanged(GatewaysChanged m) {
    Set<ActorRef<ApiRequest>> gateways = m.listing().getServiceInstances(GATEWAY_KEY);
    if (gateway != null && gateways.contains(gateway)) {
      return this;
    }
    if (gateway != null) {
      gatewayLost();
    }
    gateway = gateways.isEmpty() ? null : gateways.iterator().next();
    if (gateway != null) {
      for (Pending p : pending.values()) {
        if (!p.sent) {
          send(p);
        }
      }
    }
    return this;
  }

  /**
   * The gateway that ran our watches is gone: each ends with an ERROR event. Requests it had not
   * answered stay pending until their timeout (a write may or may not have happened: never resent).
   */
  private void gatewayLost() {
    Struct error = status(503, "ServiceUnavailable", "the API server gateway is gone");
    for (Iterator<Map.Entry<Long, ActorRef<Event>>> it = watches.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, ActorRef<Event>> w = it.next();
      it.remove();
      w.getValue().tell(new Event(w.getKey(), ApiWatchEvent.Type.ERROR, error));
    }
  }

  // ================================================================== JSON

  private Struct parse(String json) {
    if (json.isEmpty()) {
      return Struct.getDefaultInstance();
    }
    Struct.Builder b = Struct.newBuilder();
    try {
      PARSER.merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      getContext().getLog().warn("the gateway sent a body that is not a JSON object: {}", e.getMessage());
      return Struct.getDefaultInstance();
    }
    return b.build();
  }

  /** A metav1.Status failure, as the API server would write it. */
  private static Struct status(int code, String reason, String message) {
    return Struct.newBuilder()
        .putFields("kind", str("Status"))
        .putFields("apiVersion", str("v1"))
        .putFields("metadata", Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())
        .putFields("status", str("Failure"))
        .putFields("message", str(message))
        .putFields("reason", str(reason))
        .putFields("code", Value.newBuilder().setNumberValue(code).build())
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private static String string(Struct s, String key) {
    Value v = s.getFieldsMap().get(key);
    return v != null && v.hasStringValue() ? v.getStringValue() : "";
  }
}
