package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.ApiResponse;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.api.PatchType;
import io.podnet.proto.api.Verb;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.remote.serialization.ProtobufSerializer;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway against a real {@link ApiServerActor} and {@link ObjectStore}. Every message is
 * serialized and deserialized on the way (serialize-messages = on): the protobuf messages through
 * Pekko's ProtobufSerializer; the API server actor's own protocol and the gateway's private
 * messages are local by design and exempt.
 */
class ApiGatewayTest {

  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.loglevel = WARNING
      pekko.actor.serialize-messages = on
      pekko.actor.no-serialization-verification-needed-class-prefix = [
        "org.apache.pekko.", "io.podnet.apiserver.api.ApiServerActor$"]
      """);
  static final ActorTestKit testKit = ActorTestKit.create("gateway-test", CONFIG);
  static final Instant T0 = Instant.parse("2025-08-09T12:35:25Z");

  final AtomicLong clock = new AtomicLong(T0.toEpochMilli());
  ObjectStore store;
  ActorRef<ApiServerActor.Command> api;
  ActorRef<ApiRequest> gateway;
  TestProbe<Object> inbox;
  long nextId = 1;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void start() {
    start(ObjectStore.DEFAULT_HISTORY);
  }

  void start(int history) {
    store = new ObjectStore(clock::get, new SplittableRandom(5), history, 100);
    api = testKit.spawn(ApiServerActor.create(store));
    gateway = testKit.spawn(ApiGateway.create(api));
    inbox = testKit.createTestProbe();
  }

  // ------------------------------------------------------------------ helpers

  static String replyTo(ActorRef<?> ref) {
    return ActorRefResolver.get(testKit.system()).toSerializationFormat(ref);
  }

  ApiRequest.Builder req(Verb verb, String group, String version, String resource, String ns, String name) {
    return ApiRequest.newBuilder().setRequestId(nextId++).setVerb(verb).setGroup(group).setVersion(version)
        .setResource(resource).setNamespace(ns).setName(name).setReplyTo(replyTo(inbox.ref()));
  }

  ApiRequest.Builder lease(Verb verb, String name) {
    return req(verb, "coordination.k8s.io", "v1", "leases", "kube-system", name);
  }

  ApiRequest.Builder pods(Verb verb, String ns, String name) {
    return req(verb, "", "v1", "pods", ns, name);
  }

  /** Sends and returns the answer, checking it answers this request. */
  ApiResponse call(ApiRequest.Builder b) {
    ApiRequest r = b.build();
    gateway.tell(r);
    ApiResponse resp = assertInstanceOf(ApiResponse.class, inbox.receiveMessage());
    assertEquals(r.getRequestId(), resp.getRequestId());
    return resp;
  }

  static Struct json(String text) {
    try {
      return Json.parseObject(text);
    } catch (Exception e) {
      throw new AssertionError("not a JSON object: " + text, e);
    }
  }

  static String leaseJson(String name, String rv, String holder) {
    String meta = rv.isEmpty() ? "{\"name\":\"" + name + "\"}"
        : "{\"name\":\"" + name + "\",\"resourceVersion\":\"" + rv + "\"}";
    return "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":" + meta
        + ",\"spec\":{\"holderIdentity\":\"" + holder + "\",\"leaseDurationSeconds\":15}}";
  }

  static String podJson(String ns, String name, String app, String node) {
    return Json.print(Json.obj("apiVersion", "v1", "kind", "Pod",
        "metadata", Json.obj("name", name, "namespace", ns, "labels", Map.of("app", app)),
        "spec", Json.obj("nodeName", node, "containers", List.of(Map.of("name", "c", "image", "busybox")))));
  }

  static String rv(ApiResponse r) {
    return Json.string(json(r.getBody()), "metadata", "resourceVersion");
  }

  static List<String> itemNames(ApiResponse r) {
    List<String> out = new ArrayList<>();
    for (Value v : Json.array(json(r.getBody()), "items")) {
      out.add(v.getStructValue().getFieldsOrThrow("metadata").getStructValue().getFieldsOrThrow("name")
          .getStringValue());
    }
    return out;
  }

  /** Like {@link #call} from another inbox, so that its answer does not race the watch events. */
  ApiResponse write(ApiRequest.Builder b) {
    TestProbe<Object> writer = testKit.createTestProbe();
    ApiRequest r = b.setReplyTo(replyTo(writer.ref())).build();
    gateway.tell(r);
    ApiResponse resp = writer.expectMessageClass(ApiResponse.class);
    assertEquals(r.getRequestId(), resp.getRequestId());
    return resp;
  }

  ApiWatchEvent event() {
    return assertInstanceOf(ApiWatchEvent.class, inbox.receiveMessage());
  }

  void assertEvent(ApiWatchEvent e, long watchId, ApiWatchEvent.Type type, String name, String rv) {
    assertEquals(watchId, e.getWatchId());
    assertEquals(type, e.getType());
    Struct o = json(e.getObject());
    assertEquals(name, Json.string(o, "metadata", "name"));
    assertEquals(rv, Json.string(o, "metadata", "resourceVersion"));
  }

  /** A round trip through gateway and API server: everything sent to them before has been handled. */
  void sync() {
    TestProbe<Object> p = testKit.createTestProbe();
    gateway.tell(ApiRequest.newBuilder().setRequestId(999_999).setVerb(Verb.LIST).setVersion("v1")
        .setResource("namespaces").setReplyTo(replyTo(p.ref())).build());
    assertEquals(200, p.expectMessageClass(ApiResponse.class).getCode());
  }

  // ------------------------------------------------------------------ the basics

  @Test
  void registersWithTheReceptionistAndSpeaksProtobuf() {
    TestProbe<Receptionist.Listing> listings = testKit.createTestProbe();
    listings.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(ApiGateway.SERVICE_KEY, listings.ref()));
      assertTrue(listings.receiveMessage().getServiceInstances(ApiGateway.SERVICE_KEY).contains(gateway));
      return null;
    });
    assertEquals("podnet-apiserver", ApiGateway.SERVICE_KEY.id());
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    for (Object m : List.of(ApiRequest.getDefaultInstance(), ApiResponse.getDefaultInstance(),
        ApiWatchEvent.getDefaultInstance())) {
      assertInstanceOf(ProtobufSerializer.class, serialization.findSerializerFor(m));
    }
    assertTrue(testKit.system().settings().config().getBoolean("pekko.actor.serialize-messages"));
  }

  @Test
  void createGetUpdatePatchDelete() {
    ApiResponse created = call(lease(Verb.CREATE, "").setBody(leaseJson("l2", "", "k8s-w1")));
    assertEquals(201, created.getCode());
    Struct obj = json(created.getBody());
    assertEquals("101", rv(created));
    assertEquals("2025-08-09T12:35:25Z", Json.string(obj, "metadata", "creationTimestamp"));
    assertEquals(store.find(ApiResources.LEASE, "kube-system", "l2").orElseThrow().metadata().uid(),
        Json.string(obj, "metadata", "uid"));
    assertEquals("k8s-w1", Json.string(obj, "spec", "holderIdentity"));

    ApiResponse got = call(lease(Verb.GET, "l2"));
    assertEquals(200, got.getCode());
    assertEquals(created.getBody(), got.getBody(), "GET answers the object as stored, byte for byte");

    ApiResponse updated = call(lease(Verb.UPDATE, "l2").setBody(leaseJson("l2", "101", "k8s-w0")));
    assertEquals(200, updated.getCode());
    assertEquals("102", rv(updated));
    assertEquals("k8s-w0", Json.string(json(updated.getBody()), "spec", "holderIdentity"));

    ApiResponse patched = call(lease(Verb.PATCH, "l2").setPatchType(PatchType.MERGE)
        .setBody("{\"spec\":{\"leaseDurationSeconds\":30}}"));
    assertEquals(200, patched.getCode());
    assertEquals(30, Json.number(json(patched.getBody()), "spec", "leaseDurationSeconds"));
    assertEquals("k8s-w0", Json.string(json(patched.getBody()), "spec", "holderIdentity"));

    ApiResponse strategic = call(pods(Verb.CREATE, "default", "").setBody(podJson("default", "p", "web", "n1")));
    assertEquals(201, strategic.getCode());
    ApiResponse podPatched = call(pods(Verb.PATCH, "default", "p").setPatchType(PatchType.STRATEGIC_MERGE)
        .setBody("{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}"));
    assertEquals(200, podPatched.getCode());
    assertEquals("front", Json.string(json(podPatched.getBody()), "metadata", "labels", "tier"));
    assertEquals("web", Json.string(json(podPatched.getBody()), "metadata", "labels", "app"));

    ApiResponse deleted = call(lease(Verb.DELETE, "l2"));
    assertEquals(200, deleted.getCode());
    assertEquals("106", rv(deleted), "the deleted object carries the delete's resourceVersion");

    ApiResponse gone = call(lease(Verb.GET, "l2"));
    assertEquals(404, gone.getCode());
    assertEquals("{\"apiVersion\":\"v1\",\"code\":404,\"details\":{\"group\":\"coordination.k8s.io\","
        + "\"kind\":\"leases\",\"name\":\"l2\"},\"kind\":\"Status\",\"message\":"
        + "\"leases.coordination.k8s.io \\\"l2\\\" not found\",\"metadata\":{},\"reason\":\"NotFound\","
        + "\"status\":\"Failure\"}", gone.getBody());
  }

  @Test
  void staleUpdateAndDuplicateCreateAre409() {
    call(lease(Verb.CREATE, "l").setName("").setBody(leaseJson("l", "", "a")));
    call(lease(Verb.UPDATE, "l").setBody(leaseJson("l", "101", "b")));

    ApiResponse stale = call(lease(Verb.UPDATE, "l").setBody(leaseJson("l", "101", "c")));
    assertEquals(409, stale.getCode());
    Struct status = json(stale.getBody());
    assertEquals("Conflict", Json.string(status, "reason"));
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": the object has been modified; "
        + "please apply your changes to the latest version and try again", Json.string(status, "message"));
    assertEquals("b", Json.string(json(call(lease(Verb.GET, "l")).getBody()), "spec", "holderIdentity"));

    ApiResponse dup = call(lease(Verb.CREATE, "").setBody(leaseJson("l", "", "d")));
    assertEquals(409, dup.getCode());
    assertEquals("AlreadyExists", Json.string(json(dup.getBody()), "reason"));
    assertEquals("leases.coordination.k8s.io \"l\" already exists", Json.string(json(dup.getBody()), "message"));

    ApiResponse precondition = call(lease(Verb.DELETE, "l").setResourceVersion("101"));
    assertEquals(409, precondition.getCode());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": Precondition failed: "
        + "ResourceVersion in precondition: 101, ResourceVersion in object meta: 102",
        Json.string(json(precondition.getBody()), "message"));
  }

  @Test
  void requestErrorsAreTheRestApisStatuses() {
    ApiResponse unknown = call(req(Verb.LIST, "", "v1", "gadgets", "", ""));
    assertEquals(404, unknown.getCode());
    assertEquals("the server could not find the requested resource", Json.string(json(unknown.getBody()), "message"));
    assertEquals(404, call(req(Verb.GET, "", "v1", "nodes", "default", "n1")).getCode(),
        "a cluster-scoped resource has no namespaced URL");
    assertEquals(404, call(req(Verb.UPDATE_STATUS, "", "v1", "configmaps", "default", "c")).getCode(),
        "configmaps have no status subresource");

    ApiResponse noName = call(lease(Verb.DELETE, ""));
    assertEquals(405, noName.getCode());
    assertEquals("MethodNotAllowed", Json.string(json(noName.getBody()), "reason"));

    ApiResponse badBody = call(lease(Verb.CREATE, "").setBody("not json"));
    assertEquals(400, badBody.getCode());
    assertEquals("the body of the request was in an unknown format - accepted media types include: "
        + "application/json, application/yaml", Json.string(json(badBody.getBody()), "message"));

    ApiResponse wrongKind = call(lease(Verb.CREATE, "").setBody("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}"));
    assertEquals(400, wrongKind.getCode());
    assertEquals("the kind in the data (Pod) does not match the expected kind (Lease)",
        Json.string(json(wrongKind.getBody()), "message"));

    ApiResponse strategicOnCrd = call(req(Verb.PATCH, "cilium.io", "v2", "ciliumnodes", "", "n1")
        .setPatchType(PatchType.STRATEGIC_MERGE).setBody("{}"));
    assertEquals(415, strategicOnCrd.getCode());
    assertEquals("the body of the request was in an unknown format - accepted media types include: "
        + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        Json.string(json(strategicOnCrd.getBody()), "message"));

    ApiResponse missing = call(req(Verb.PATCH, "cilium.io", "v2", "ciliumnodes", "", "n1")
        .setPatchType(PatchType.MERGE).setBody("{}"));
    assertEquals(404, missing.getCode());
    assertEquals("ciliumnodes.cilium.io \"n1\" not found", Json.string(json(missing.getBody()), "message"));

    ApiResponse invalid = call(lease(Verb.CREATE, "").setBody("{\"metadata\":{}}"));
    assertEquals(422, invalid.getCode());
    assertEquals("Lease.coordination.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName "
        + "is required", Json.string(json(invalid.getBody()), "message"));
  }

  @Test
  void requestsWithoutAUsableInboxAreDropped() {
    gateway.tell(ApiRequest.newBuilder().setRequestId(1).setVerb(Verb.GET).setVersion("v1").setResource("nodes")
        .setName("n").build());
    sync();
    inbox.expectNoMessage(Duration.ofMillis(50));
  }

  // ------------------------------------------------------------------ lists

  @Test
  void listWithLabelAndFieldSelectors() {
    call(pods(Verb.CREATE, "default", "").setBody(podJson("default", "web-b", "web", "n2")));
    call(pods(Verb.CREATE, "default", "").setBody(podJson("default", "web-a", "web", "n1")));
    call(pods(Verb.CREATE, "default", "").setBody(podJson("default", "db", "db", "n1")));
    call(pods(Verb.CREATE, "kube-system", "").setBody(podJson("kube-system", "web-k", "web", "n1")));

    ApiResponse all = call(pods(Verb.LIST, "", ""));
    assertEquals(200, all.getCode());
    Struct list = json(all.getBody());
    assertEquals("PodList", Json.string(list, "kind"));
    assertEquals("v1", Json.string(list, "apiVersion"));
    assertEquals("104", Json.string(list, "metadata", "resourceVersion"));
    assertEquals(List.of("db", "web-a", "web-b", "web-k"), itemNames(all), "namespace then name order");

    assertEquals(List.of("web-a", "web-b"), itemNames(call(pods(Verb.LIST, "default", "").setLabelSelector("app=web"))));
    assertEquals(List.of("db", "web-a", "web-k"),
        itemNames(call(pods(Verb.LIST, "", "").setFieldSelector("spec.nodeName=n1"))));
    assertEquals(List.of("web-a", "web-k"),
        itemNames(call(pods(Verb.LIST, "", "").setLabelSelector("app in (web)").setFieldSelector("spec.nodeName=n1"))));
    assertEquals(List.of("db"), itemNames(call(pods(Verb.LIST, "default", "").setLabelSelector("app!=web"))));

    ApiResponse badField = call(pods(Verb.LIST, "", "").setFieldSelector("spec.hostname=x"));
    assertEquals(400, badField.getCode());
    assertEquals("field label not supported: spec.hostname", Json.string(json(badField.getBody()), "message"));
  }

  // ------------------------------------------------------------------ watches

  @Test
  void watchFromAResourceVersionReplaysThenFollowsInOrder() {
    write(pods(Verb.CREATE, "default", "").setBody(podJson("default", "a", "web", "n1")));     // 101
    String from = rv(write(pods(Verb.CREATE, "default", "").setBody(podJson("default", "b", "web", "n1")))); // 102
    write(pods(Verb.CREATE, "default", "").setBody(podJson("default", "c", "db", "n1")));     // 103, not selected
    write(pods(Verb.CREATE, "default", "").setBody(podJson("default", "d", "web", "n2")));     // 104

    ApiRequest watch = pods(Verb.WATCH, "default", "").setLabelSelector("app=web").setResourceVersion(from).build();
    gateway.tell(watch);
    ApiResponse started = assertInstanceOf(ApiResponse.class, inbox.receiveMessage(), "the 200 comes first");
    assertEquals(watch.getRequestId(), started.getRequestId());
    assertEquals(200, started.getCode());
    assertEquals("", started.getBody());
    long id = watch.getRequestId();
    assertEvent(event(), id, ApiWatchEvent.Type.ADDED, "d", "104");

    write(pods(Verb.PATCH, "default", "b").setPatchType(PatchType.MERGE).setBody("{\"metadata\":{\"labels\":{\"x\":\"1\"}}}"));
    assertEvent(event(), id, ApiWatchEvent.Type.MODIFIED, "b", "105");
    write(pods(Verb.PATCH, "default", "a").setPatchType(PatchType.MERGE).setBody("{\"metadata\":{\"labels\":{\"app\":\"db\"}}}"));
    assertEvent(event(), id, ApiWatchEvent.Type.DELETED, "a", "106"); // stops matching the selector
    write(pods(Verb.DELETE, "default", "d"));
    assertEvent(event(), id, ApiWatchEvent.Type.DELETED, "d", "107");
    write(pods(Verb.CREATE, "default", "").setBody(podJson("default", "e", "web", "n1")));
    ApiWatchEvent added = event();
    assertEvent(added, id, ApiWatchEvent.Type.ADDED, "e", "108");
    assertEquals("web", Json.string(json(added.getObject()), "metadata", "labels", "app"));
    assertEquals("n1", Json.string(json(added.getObject()), "spec", "nodeName"));
  }

  @Test
  void watchFromZeroStartsWithEveryObjectAndANamedWatchSeesOneObject() {
    write(req(Verb.CREATE, "", "v1", "nodes", "", "").setBody("{\"metadata\":{\"name\":\"n1\"}}"));
    write(req(Verb.CREATE, "", "v1", "nodes", "", "").setBody("{\"metadata\":{\"name\":\"n2\"}}"));
    ApiRequest all = req(Verb.WATCH, "", "v1", "nodes", "", "").build();
    gateway.tell(all);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    assertEvent(event(), all.getRequestId(), ApiWatchEvent.Type.ADDED, "n1", "101");
    assertEvent(event(), all.getRequestId(), ApiWatchEvent.Type.ADDED, "n2", "102");

    ApiRequest one = req(Verb.WATCH, "", "v1", "nodes", "", "n2").setResourceVersion("102").build();
    gateway.tell(one);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    write(req(Verb.PATCH, "", "v1", "nodes", "", "n1").setPatchType(PatchType.MERGE)
        .setBody("{\"spec\":{\"unschedulable\":true}}"));
    assertEvent(event(), all.getRequestId(), ApiWatchEvent.Type.MODIFIED, "n1", "103");
    write(req(Verb.PATCH_STATUS, "", "v1", "nodes", "", "n2").setPatchType(PatchType.STRATEGIC_MERGE)
        .setBody("{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}"));
    ApiWatchEvent a = event();
    ApiWatchEvent b = event();
    List<Long> ids = List.of(a.getWatchId(), b.getWatchId());
    assertTrue(ids.contains(all.getRequestId()) && ids.contains(one.getRequestId()), ids.toString());
    assertEvent(a, a.getWatchId(), ApiWatchEvent.Type.MODIFIED, "n2", "104");
    assertEquals("Ready", Json.string(
        Json.array(json(b.getObject()), "status", "conditions").get(0).getStructValue(), "type"));
    inbox.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void watchErrorsAreStatuses() {
    start(2);
    for (String n : List.of("a", "b", "c", "d")) {
      write(req(Verb.CREATE, "", "v1", "namespaces", "", "").setBody("{\"metadata\":{\"name\":\"" + n + "\"}}"));
    }
    ApiResponse expired = call(req(Verb.WATCH, "", "v1", "namespaces", "", "").setResourceVersion("101"));
    assertEquals(410, expired.getCode());
    assertEquals("Expired", Json.string(json(expired.getBody()), "reason"));
    assertEquals("too old resource version: 101 (102)", Json.string(json(expired.getBody()), "message"));

    ApiResponse future = call(req(Verb.WATCH, "", "v1", "namespaces", "", "").setResourceVersion("200"));
    assertEquals(504, future.getCode());
    assertEquals("Too large resource version: 200, current: 104", Json.string(json(future.getBody()), "message"));

    ApiResponse garbage = call(req(Verb.WATCH, "", "v1", "namespaces", "", "").setResourceVersion("x"));
    assertEquals(400, garbage.getCode());
    assertEquals("invalid resourceVersion: x", Json.string(json(garbage.getBody()), "message"));

    ApiResponse badField = call(req(Verb.WATCH, "", "v1", "namespaces", "", "").setFieldSelector("spec.x=1"));
    assertEquals(400, badField.getCode());
    sync();
    assertEquals(0, store.watchCount(), "failed watches leave nothing behind");
  }

  @Test
  void cancelWatchEndsOnlyThatWatch() {
    ApiRequest w1 = lease(Verb.WATCH, "").build();
    ApiRequest w2 = lease(Verb.WATCH, "").build();
    gateway.tell(w1);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    gateway.tell(w2);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());

    ApiResponse cancelled = call(lease(Verb.CANCEL_WATCH, "").setCancelWatchId(w1.getRequestId()));
    assertEquals(200, cancelled.getCode());
    assertEquals("{\"apiVersion\":\"v1\",\"kind\":\"Status\",\"metadata\":{},\"status\":\"Success\"}",
        cancelled.getBody());
    write(lease(Verb.CREATE, "").setBody(leaseJson("l", "", "a")));
    assertEvent(event(), w2.getRequestId(), ApiWatchEvent.Type.ADDED, "l", "101");
    inbox.expectNoMessage(Duration.ofMillis(50));
    sync();
    assertEquals(1, store.watchCount());
    assertEquals(200, call(lease(Verb.CANCEL_WATCH, "").setCancelWatchId(w1.getRequestId())).getCode(),
        "cancelling twice is harmless");

    ApiResponse dup = call(lease(Verb.WATCH, "").setRequestId(w2.getRequestId()));
    assertEquals(400, dup.getCode(), "a watch id in use is refused");
    call(lease(Verb.CANCEL_WATCH, "").setCancelWatchId(w2.getRequestId()));
    sync();
    assertEquals(0, store.watchCount());
  }

  @Test
  void watchesEndWhenTheRequesterStops() {
    TestProbe<Object> requester = testKit.createTestProbe();
    for (int i = 0; i < 2; i++) {
      gateway.tell(lease(Verb.WATCH, "").setReplyTo(replyTo(requester.ref())).build());
      assertEquals(200, requester.expectMessageClass(ApiResponse.class).getCode());
    }
    ApiRequest mine = lease(Verb.WATCH, "").build();
    gateway.tell(mine);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    sync();
    assertEquals(3, store.watchCount());

    requester.stop();
    inbox.awaitAssert(() -> {
      sync();
      assertEquals(1, store.watchCount());
      return null;
    });
    write(lease(Verb.CREATE, "").setBody(leaseJson("l", "", "a")));
    assertEvent(event(), mine.getRequestId(), ApiWatchEvent.Type.ADDED, "l", "101");
  }

  /** A requester whose inbox is a message adapter, as node-side clients have. */
  static org.apache.pekko.actor.typed.Behavior<Object> adapterRequester(ActorRef<ApiRequest> gateway,
      ApiRequest watch, ActorRef<Object> seen) {
    return org.apache.pekko.actor.typed.javadsl.Behaviors.setup(ctx -> {
      ActorRef<ApiResponse> responses = ctx.messageAdapter(ApiResponse.class, r -> r);
      ctx.messageAdapter(ApiWatchEvent.class, e -> e);
      gateway.tell(watch.toBuilder().setReplyTo(replyTo(responses)).build());
      return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(m -> {
        seen.tell(m);
        return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
      });
    });
  }

  @Test
  void watchesEndWhenARequesterWithAnAdapterInboxStops() {
    ApiRequest w = lease(Verb.WATCH, "").build();
    ActorRef<Object> requester = testKit.spawn(adapterRequester(gateway, w, inbox.ref()));
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    write(lease(Verb.CREATE, "").setBody(leaseJson("l", "", "a")));
    assertEvent(event(), w.getRequestId(), ApiWatchEvent.Type.ADDED, "l", "101");
    sync();
    assertEquals(1, store.watchCount());
    testKit.stop(requester);
    inbox.awaitAssert(() -> {
      sync();
      assertEquals(0, store.watchCount());
      return null;
    });
  }

  @Test
  void whenTheApiServerStopsWatchesGetAnErrorAndTheGatewayStops() {
    ApiRequest w = lease(Verb.WATCH, "").build();
    gateway.tell(w);
    assertEquals(200, inbox.expectMessageClass(ApiResponse.class).getCode());
    TestProbe<Object> deaths = testKit.createTestProbe();
    testKit.stop(api);
    ApiWatchEvent error = event();
    assertEquals(ApiWatchEvent.Type.ERROR, error.getType());
    assertEquals(w.getRequestId(), error.getWatchId());
    assertEquals("Failure", Json.string(json(error.getObject()), "status"));
    assertEquals(500, Json.number(json(error.getObject()), "code"));
    deaths.expectTerminated(gateway);
  }

  // ------------------------------------------------------------------ time

  @Test
  void anUnansweredRequestIs504AfterTheAskTimeout() {
    ActorTestKit timed = ActorTestKit.create("gateway-timeout", ManualTime.config().withFallback(CONFIG));
    try {
      ManualTime time = ManualTime.get(timed.system());
      TestProbe<ApiServerActor.Command> silent = timed.createTestProbe();
      ActorRef<ApiRequest> gw = timed.spawn(ApiGateway.create(silent.ref(), Duration.ofSeconds(3)));
      TestProbe<Object> me = timed.createTestProbe();
      String to = ActorRefResolver.get(timed.system()).toSerializationFormat(me.ref());
      gw.tell(ApiRequest.newBuilder().setRequestId(7).setVerb(Verb.GET).setVersion("v1").setResource("nodes")
          .setName("n1").setReplyTo(to).build());
      ApiServerActor.Get get = silent.expectMessageClass(ApiServerActor.Get.class);
      assertEquals("n1", get.name());
      time.timePasses(Duration.ofMillis(2999));
      me.expectNoMessage(Duration.ofMillis(20));
      time.timePasses(Duration.ofMillis(1));
      ApiResponse r = me.expectMessageClass(ApiResponse.class);
      assertEquals(7, r.getRequestId());
      assertEquals(504, r.getCode());
      assertEquals("Timeout: request did not complete within the allowed duration",
          Json.string(json(r.getBody()), "message"));
    } finally {
      timed.shutdownTestKit();
    }
  }
}
