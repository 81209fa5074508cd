package io.podnet.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.podnet.node.api.KubeClient.Call;
import io.podnet.node.api.KubeClient.CancelWatch;
import io.podnet.node.api.KubeClient.Event;
import io.podnet.node.api.KubeClient.Request;
import io.podnet.node.api.KubeClient.Result;
import io.podnet.node.api.KubeClient.Watch;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.ApiResponse;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * KubeClient against a stub gateway that speaks the gateway's protobuf protocol: it registers
 * under "podnet-apiserver" and hands each {@link ApiRequest} to the test, which answers the
 * request's reply_to with {@link ApiResponse} and {@link ApiWatchEvent} as the real gateway does.
 * Every message is serialized on the way (serialize-messages = on); time is {@link ManualTime}.
 */
class KubeClientTest {

  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.loglevel = WARNING
      pekko.actor.serialize-messages = on
      """);
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  ActorTestKit testKit;
  ManualTime time;
  TestProbe<ApiRequest> requests;
  TestProbe<Result> owner;
  TestProbe<Event> events;
  ActorRef<KubeClient.Command> client;

  @BeforeEach
  void start() {
    testKit = ActorTestKit.create("kube-client-test", ManualTime.config().withFallback(CONFIG));
    time = ManualTime.get(testKit.system());
    requests = testKit.createTestProbe();
    owner = testKit.createTestProbe();
    events = testKit.createTestProbe();
    client = testKit.spawn(KubeClient.create(TIMEOUT));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** The stub: registers with the Receptionist and passes every request to {@code to}. */
  static Behavior<ApiRequest> stubGateway(ActorRef<ApiRequest> to) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KubeClient.GATEWAY_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(r -> {
        to.tell(r);
        return Behaviors.same();
      });
    });
  }

  ActorRef<ApiRequest> gateway() {
    ActorRef<ApiRequest> g = testKit.spawn(stubGateway(requests.ref()));
    // The Receptionist tells subscribers asynchronously: wait until it lists the stub.
    TestProbe<Receptionist.Listing> l = testKit.createTestProbe();
    l.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(KubeClient.GATEWAY_KEY, l.ref()));
      assertTrue(l.receiveMessage().getServiceInstances(KubeClient.GATEWAY_KEY).contains(g));
      return null;
    });
    return g;
  }

  ActorRef<Object> inboxOf(ApiRequest r) {
    return ActorRefResolver.get(testKit.system()).resolveActorRef(r.getReplyTo());
  }

  void answer(ApiRequest r, int code, String body) {
    inboxOf(r).tell(ApiResponse.newBuilder().setRequestId(r.getRequestId()).setCode(code).setBody(body).build());
  }

  void emit(ApiRequest watch, ApiWatchEvent.Type type, String object) {
    inboxOf(watch).tell(ApiWatchEvent.newBuilder().setWatchId(watch.getRequestId()).setType(type)
        .setObject(object).build());
  }

  static Struct json(String text) {
    try {
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().merge(text, b);
      return b.build();
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }

  static Value s(String v) {
    return Value.newBuilder().setStringValue(v).build();
  }

  static Value n(double v) {
    return Value.newBuilder().setNumberValue(v).build();
  }

  static Value o(Struct v) {
    return Value.newBuilder().setStructValue(v).build();
  }

  static String node(String name, String rv) {
    return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name
        + "\",\"resourceVersion\":\"" + rv + "\"}}";
  }

  static Struct lease(String ns, String name, String rv, String holder) {
    Struct.Builder meta = Struct.newBuilder().putFields("name", s(name)).putFields("namespace", s(ns));
    if (!rv.isEmpty()) {
      meta.putFields("resourceVersion", s(rv));
    }
    return Struct.newBuilder().putFields("apiVersion", s("coordination.k8s.io/v1")).putFields("kind", s("Lease"))
        .putFields("metadata", o(meta.build()))
        .putFields("spec", o(Struct.newBuilder().putFields("holderIdentity", s(holder))
            .putFields("leaseDurationSeconds", n(40)).build()))
        .build();
  }

  // ------------------------------------------------------------------ requests

  @Test
  void requestsWaitForAGatewayThenAreAnswered() {
    client.tell(new Call(Request.get(KubeResource.NODES, "", "k8s-w1"), owner.ref()));
    requests.expectNoMessage(Duration.ofMillis(100));
    gateway();

    ApiRequest r = requests.receiveMessage();
    assertEquals(Verb.GET, r.getVerb());
    assertEquals("", r.getGroup());
    assertEquals("v1", r.getVersion());
    assertEquals("nodes", r.getResource());
    assertEquals("", r.getNamespace());
    assertEquals("k8s-w1", r.getName());
    assertEquals("", r.getBody());
    answer(r, 200, node("k8s-w1", "7"));

    Result res = owner.receiveMessage();
    assertEquals(r.getRequestId(), res.requestId());
    assertEquals(200, res.code());
    assertTrue(res.ok());
    assertEquals("Node", res.body().getFieldsOrThrow("kind").getStringValue());
    assertEquals("7", res.resourceVersion());
  }

  @Test
  void eachVerbIsItsRestCall() {
    gateway();
    Struct l = lease("kube-node-lease", "k8s-w1", "", "k8s-w1");
    client.tell(new Call(Request.create(KubeResource.LEASES, l), owner.ref()));
    ApiRequest create = requests.receiveMessage();
    assertEquals(Verb.CREATE, create.getVerb());
    assertEquals("coordination.k8s.io", create.getGroup());
    assertEquals("leases", create.getResource());
    assertEquals("kube-node-lease", create.getNamespace(), "the namespace comes from the object");
    assertEquals("", create.getName());
    assertEquals(l, json(create.getBody()));

    Struct l2 = lease("kube-node-lease", "k8s-w1", "12", "k8s-w1");
    client.tell(new Call(Request.update(KubeResource.LEASES, l2), owner.ref()));
    ApiRequest update = requests.receiveMessage();
    assertEquals(Verb.UPDATE, update.getVerb());
    assertEquals("k8s-w1", update.getName());
    assertEquals("12", json(update.getBody()).getFieldsOrThrow("metadata").getStructValue()
        .getFieldsOrThrow("resourceVersion").getStringValue());

    Struct cn = Struct.newBuilder().putFields("metadata", o(Struct.newBuilder()
        .putFields("name", s("k8s-w1")).putFields("namespace", s("ignored")).build())).build();
    client.tell(new Call(Request.updateStatus(KubeResource.CILIUM_NODES, cn), owner.ref()));
    ApiRequest status = requests.receiveMessage();
    assertEquals(Verb.UPDATE_STATUS, status.getVerb());
    assertEquals("", status.getNamespace(), "cluster-scoped: no namespace");
    assertEquals("cilium.io", status.getGroup());
    assertEquals("v2", status.getVersion());

    Struct patch = json("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    client.tell(new Call(Request.patchStatus(KubeResource.NODES, "", "k8s-w1", PatchType.STRATEGIC_MERGE, patch),
        owner.ref()));
    ApiRequest p = requests.receiveMessage();
    assertEquals(Verb.PATCH_STATUS, p.getVerb());
    assertEquals(PatchType.STRATEGIC_MERGE, p.getPatchType());
    assertEquals(patch, json(p.getBody()));

    client.tell(new Call(Request.delete(KubeResource.PODS, "default", "curl-pod", "41"), owner.ref()));
    ApiRequest d = requests.receiveMessage();
    assertEquals(Verb.DELETE, d.getVerb());
    assertEquals("default", d.getNamespace());
    assertEquals("curl-pod", d.getName());
    assertEquals("41", d.getResourceVersion());

    client.tell(new Call(Request.list(KubeResource.PODS, "", "app=webpod", "spec.nodeName=k8s-w1"), owner.ref()));
    ApiRequest list = requests.receiveMessage();
    assertEquals(Verb.LIST, list.getVerb());
    assertEquals("app=webpod", list.getLabelSelector());
    assertEquals("spec.nodeName=k8s-w1", list.getFieldSelector());
    answer(list, 200, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"90\"},"
        + "\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
    Result listed = owner.receiveMessage();
    assertEquals(list.getRequestId(), listed.requestId());
    assertEquals("90", listed.resourceVersion());
    assertEquals(2, listed.items().size());

    assertEquals(1, new java.util.HashSet<>(java.util.List.of(create.getReplyTo(), update.getReplyTo(), list.getReplyTo())).size(),
        "one inbox for everything");
    assertThrows(IllegalArgumentException.class,
        () -> new Call(Request.watch(KubeResource.PODS, "", "", "", ""), owner.ref()));
  }

  @Test
  void answersFindTheirRequestsWhateverTheOrder() {
    gateway();
    TestProbe<Result> first = testKit.createTestProbe();
    TestProbe<Result> second = testKit.createTestProbe();
    client.tell(new Call(Request.get(KubeResource.NODES, "", "a"), first.ref()));
    client.tell(new Call(Request.get(KubeResource.NODES, "", "b"), second.ref()));
    ApiRequest a = requests.receiveMessage();
    ApiRequest b = requests.receiveMessage();
    assertNotEquals(a.getRequestId(), b.getRequestId());
    answer(b, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":\"nodes \\\"b\\\" not found\",\"reason\":\"NotFound\",\"code\":404}");
    answer(a, 200, node("a", "3"));
    Result rb = second.receiveMessage();
    assertEquals(404, rb.code());
    assertEquals("NotFound", rb.reason());
    assertEquals("nodes \"b\" not found", rb.message());
    Result ra = first.receiveMessage();
    assertEquals(200, ra.code());
    assertEquals("3", ra.resourceVersion());
    answer(a, 200, node("a", "3"));
    first.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anUnansweredRequestTimesOutOnTheClientsTimers() {
    gateway();
    client.tell(new Call(Request.get(KubeResource.NODES, "", "a"), owner.ref()));
    ApiRequest r = requests.receiveMessage();
    time.timePasses(TIMEOUT.minusMillis(1));
    owner.expectNoMessage(Duration.ofMillis(50));
    time.timePasses(Duration.ofMillis(1));
    Result res = owner.receiveMessage();
    assertEquals(r.getRequestId(), res.requestId());
    assertEquals(504, res.code());
    assertEquals("Timeout", res.reason());
    assertEquals("Timeout: request did not complete within the allowed duration", res.message());
    answer(r, 200, node("a", "1"));
    owner.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aRequestHeldForLackOfAGatewayTimesOutToo() {
    client.tell(new Call(Request.get(KubeResource.NODES, "", "a"), owner.ref()));
    time.timePasses(TIMEOUT);
    assertEquals(504, owner.receiveMessage().code());
    gateway();
    requests.expectNoMessage(Duration.ofMillis(100));
  }

  // ------------------------------------------------------------------ watches

  ApiRequest startWatch(Request w) {
    client.tell(new Watch(w, events.ref(), owner.ref()));
    ApiRequest r = requests.receiveMessage();
    answer(r, 200, "");
    Result started = owner.receiveMessage();
    assertEquals(200, started.code());
    assertEquals(r.getRequestId(), started.requestId(), "the watch id");
    return r;
  }

  @Test
  void watchEventsArriveInOrderUntilCancelled() {
    gateway();
    ApiRequest w = startWatch(Request.watch(KubeResource.PODS, "default", "app=webpod", "", "75"));
    assertEquals(Verb.WATCH, w.getVerb());
    assertEquals("75", w.getResourceVersion());
    assertEquals("app=webpod", w.getLabelSelector());
    assertEquals("default", w.getNamespace());

    emit(w, ApiWatchEvent.Type.ADDED, "{\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"76\"}}");
    emit(w, ApiWatchEvent.Type.MODIFIED, "{\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"77\"}}");
    emit(w, ApiWatchEvent.Type.DELETED, "{\"metadata\":{\"name\":\"p\",\"resourceVersion\":\"78\"}}");
    for (String[] want : new String[][] {{"ADDED", "76"}, {"MODIFIED", "77"}, {"DELETED", "78"}}) {
      Event e = events.receiveMessage();
      assertEquals(w.getRequestId(), e.watchId());
      assertEquals(want[0], e.type().name());
      assertEquals(want[1], e.object().getFieldsOrThrow("metadata").getStructValue()
          .getFieldsOrThrow("resourceVersion").getStringValue());
    }

    client.tell(new CancelWatch(w.getRequestId()));
    ApiRequest cancel = requests.receiveMessage();
    assertEquals(Verb.CANCEL_WATCH, cancel.getVerb());
    assertEquals(w.getRequestId(), cancel.getCancelWatchId());
    emit(w, ApiWatchEvent.Type.ADDED, "{\"metadata\":{\"name\":\"late\"}}");
    answer(cancel, 200, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\"}");
    events.expectNoMessage(Duration.ofMillis(50));
    owner.expectNoMessage(Duration.ofMillis(10));
  }

  @Test
  void aWatchThatFailsToStartDeliversNothing() {
    gateway();
    client.tell(new Watch(Request.watch(KubeResource.NAMESPACES, "", "", "", "3"), events.ref(), owner.ref()));
    ApiRequest r = requests.receiveMessage();
    answer(r, 410, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        + "\"message\":\"too old resource version: 3 (50)\",\"reason\":\"Expired\",\"code\":410}");
    Result res = owner.receiveMessage();
    assertEquals(410, res.code());
    assertEquals("Expired", res.reason());
    emit(r, ApiWatchEvent.Type.ADDED, "{}");
    events.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void anErrorEventEndsTheWatch() {
    gateway();
    ApiRequest w = startWatch(Request.watchOne(KubeResource.NODES, "", "k8s-w1", ""));
    assertEquals("k8s-w1", w.getName());
    emit(w, ApiWatchEvent.Type.ERROR, "{\"kind\":\"Status\",\"status\":\"Failure\",\"code\":500}");
    Event e = events.receiveMessage();
    assertEquals(ApiWatchEvent.Type.ERROR, e.type());
    assertEquals(500, e.object().getFieldsOrThrow("code").getNumberValue());
    emit(w, ApiWatchEvent.Type.ADDED, "{}");
    events.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void whenTheGatewayGoesWatchesEndAndANewGatewayTakesOver() {
    ActorRef<ApiRequest> g = gateway();
    ApiRequest w = startWatch(Request.watch(KubeResource.LEASES, "kube-node-lease", "", "", ""));
    testKit.stop(g);
    Event e = events.receiveMessage();
    assertEquals(w.getRequestId(), e.watchId());
    assertEquals(ApiWatchEvent.Type.ERROR, e.type());
    assertEquals("ServiceUnavailable", e.object().getFieldsOrThrow("reason").getStringValue());
    assertEquals(503, e.object().getFieldsOrThrow("code").getNumberValue());

    client.tell(new Call(Request.get(KubeResource.NODES, "", "a"), owner.ref()));
    requests.expectNoMessage(Duration.ofMillis(100));
    gateway();
    ApiRequest r = requests.receiveMessage();
    assertEquals("a", r.getName());
  }

  @Test
  void aWatchWhoseStartTimesOutIsCancelledAtTheGateway() {
    gateway();
    client.tell(new Watch(Request.watch(KubeResource.PODS, "", "", "spec.nodeName=k8s-w1", ""), events.ref(),
        owner.ref()));
    ApiRequest w = requests.receiveMessage();
    time.timePasses(TIMEOUT);
    assertEquals(504, owner.receiveMessage().code());
    ApiRequest cancel = requests.receiveMessage();
    assertEquals(Verb.CANCEL_WATCH, cancel.getVerb());
    assertEquals(w.getRequestId(), cancel.getCancelWatchId());
    answer(w, 200, "");
    emit(w, ApiWatchEvent.Type.ADDED, "{}");
    events.expectNoMessage(Duration.ofMillis(50));
    owner.expectNoMessage(Duration.ofMillis(10));
  }

  @Test
  void aWatchCancelledBeforeItStartedIsAnsweredButNeverDelivers() {
    client.tell(new Watch(Request.watch(KubeResource.PODS, "", "", "", ""), events.ref(), owner.ref()));
    client.tell(new CancelWatch(1));
    gateway();
    ApiRequest w = requests.receiveMessage();
    assertEquals(1, w.getRequestId());
    ApiRequest cancel = requests.receiveMessage();
    assertEquals(Verb.CANCEL_WATCH, cancel.getVerb());
    assertEquals(1, cancel.getCancelWatchId());
    answer(w, 200, "");
    assertEquals(200, owner.receiveMessage().code());
    emit(w, ApiWatchEvent.Type.ADDED, "{}");
    events.expectNoMessage(Duration.ofMillis(50));
  }

  // ------------------------------------------------------------------ an owner

  /**
   * An owner as a kubelet would be written: the client is its child, the get goes through
   * context.ask and the watch's events through a message adapter, all as the owner's own messages.
   */
  static final class Owner {
    /** Local to the owner, as a real owner's adapted messages are. */
    sealed interface Msg extends org.apache.pekko.actor.NoSerializationVerificationNeeded {}

    record Got(String name, int code) implements Msg {}

    record Seen(Event event) implements Msg {}

    record Started(int code) implements Msg {}

    static Behavior<Msg> create(ActorRef<String> report) {
      return Behaviors.setup(ctx -> {
        ActorRef<KubeClient.Command> kube = ctx.spawn(KubeClient.create(TIMEOUT), "kube");
        ActorRef<Event> seen = ctx.messageAdapter(Event.class, Seen::new);
        ctx.ask(Result.class, kube, Duration.ofSeconds(30),
            r -> new Watch(Request.watch(KubeResource.NODES, "", "", "", ""), seen, r),
            (res, failure) -> new Started(res == null ? -1 : res.code()));
        ctx.ask(Result.class, kube, Duration.ofSeconds(30),
            r -> new Call(Request.get(KubeResource.NODES, "", "k8s-ctr"), r),
            (res, failure) -> new Got(res == null ? "" : res.body().getFieldsOrThrow("metadata").getStructValue()
                .getFieldsOrThrow("name").getStringValue(), res == null ? -1 : res.code()));
        return Behaviors.receive(Msg.class)
            .onMessage(Got.class, g -> {
              report.tell("got " + g.name() + " " + g.code());
              return Behaviors.same();
            })
            .onMessage(Started.class, s -> {
              report.tell("watching " + s.code());
              return Behaviors.same();
            })
            .onMessage(Seen.class, s -> {
              report.tell(s.event().type() + " " + s.event().object().getFieldsOrThrow("metadata").getStructValue()
                  .getFieldsOrThrow("name").getStringValue());
              return Behaviors.same();
            })
            .build();
      });
    }
  }

  @Test
  void anOwnerHearsEverythingAsItsOwnMessages() {
    gateway();
    TestProbe<String> report = testKit.createTestProbe();
    testKit.spawn(Owner.create(report.ref()));
    ApiRequest watch = requests.receiveMessage();
    ApiRequest get = requests.receiveMessage();
    answer(watch, 200, "");
    report.expectMessage("watching 200");
    emit(watch, ApiWatchEvent.Type.ADDED, node("k8s-w0", "5"));
    report.expectMessage("ADDED k8s-w0");
    answer(get, 200, node("k8s-ctr", "4"));
    report.expectMessage("got k8s-ctr 200");
  }

  @Test
  void requestFactoriesValidate() {
    assertThrows(IllegalArgumentException.class, () -> new KubeResource("", "", "pods", true));
    assertThrows(IllegalArgumentException.class, () -> new Watch(Request.get(KubeResource.PODS, "d", "p"),
        events.ref(), owner.ref()));
    assertThrows(IllegalArgumentException.class, () -> KubeClient.create(Duration.ZERO));
    Request r = Request.patch(KubeResource.SERVICES, "default", "webpod", PatchType.MERGE,
        json("{\"spec\":{\"type\":\"LoadBalancer\"}}"));
    assertEquals(Verb.PATCH, r.verb());
    assertEquals(PatchType.MERGE, r.patchType());
  }
}
