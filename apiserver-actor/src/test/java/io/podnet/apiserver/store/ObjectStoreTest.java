package io.podnet.apiserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ObjectStoreTest {

  // 2025-08-09T12:35:25.085Z
  private static final long T0 = 1_754_742_925_085L;

  private final AtomicLong now = new AtomicLong(T0);
  private final ObjectStore store = new ObjectStore(now::get, new SplittableRandom(42), 8, 76_900);

  static Struct spec(String key, String value) {
    return Struct.newBuilder().putFields(key, Value.newBuilder().setStringValue(value).build()).build();
  }

  static KubeObject lease(String name, String holder) {
    return KubeObject.of(ResourceType.LEASE, ObjectMeta.of("kube-system", name, Map.of()), spec("holderIdentity", holder));
  }

  static KubeObject pod(String name, String node, Map<String, String> labels) {
    return KubeObject.of(ResourceType.POD, ObjectMeta.of("default", name, labels), spec("nodeName", node));
  }

  static Status statusOf(Executable e) {
    return assertThrows(ApiException.class, e).status();
  }

  @Test
  void createStampsMetadataFromInjectedClockAndRandom() {
    KubeObject l = store.create(ResourceType.LEASE, lease("cilium-l2announce-default-webpod", "k8s-w1"));
    ObjectMeta m = l.metadata();
    assertEquals("coordination.k8s.io/v1", l.apiVersion());
    assertEquals("Lease", l.kind());
    assertEquals("76901", m.resourceVersion());
    assertEquals("2025-08-09T12:35:25Z", m.creationTimestamp());
    assertEquals(0, m.generation(), "Lease does not keep metadata.generation");
    assertTrue(m.uid().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"), m.uid());
    // Same seed, same uid: deterministic.
    ObjectStore again = new ObjectStore(now::get, new SplittableRandom(42), 8, 76_900);
    assertEquals(m.uid(), again.create(ResourceType.LEASE, lease("cilium-l2announce-default-webpod", "x")).metadata().uid());
    KubeObject d = store.create(ResourceType.DEPLOYMENT,
        KubeObject.of(ResourceType.DEPLOYMENT, ObjectMeta.of("default", "webpod", Map.of()), spec("replicas", "2")));
    assertEquals(1, d.metadata().generation());
    assertNotEquals(m.uid(), d.metadata().uid());
  }

  @Test
  void resourceVersionIsOneMonotonicCounterAcrossKinds() {
    long last = store.resourceVersion();
    List<Long> seen = new ArrayList<>();
    seen.add(store.create(ResourceType.LEASE, lease("a", "x")).resourceVersionNumber());
    seen.add(store.create(ResourceType.POD, pod("p", "n1", Map.of())).resourceVersionNumber());
    KubeObject a = store.get(ResourceType.LEASE, "kube-system", "a");
    seen.add(store.update(ResourceType.LEASE, a.withSpec(spec("holderIdentity", "y"))).resourceVersionNumber());
    seen.add(store.delete(ResourceType.POD, "default", "p", "").resourceVersionNumber());
    for (long rv : seen) {
      assertEquals(last + 1, rv);
      last = rv;
    }
    assertEquals(last, store.resourceVersion());
  }

  @Test
  void alreadyExistsAndNotFoundSpeakKubernetes() {
    store.create(ResourceType.LEASE, lease("l1", "x"));
    Status s = statusOf(() -> store.create(ResourceType.LEASE, lease("l1", "y")));
    assertEquals(409, s.code());
    assertEquals("AlreadyExists", s.reason());
    assertEquals("leases.coordination.k8s.io \"l1\" already exists", s.message());
    assertEquals(new Status.Details("l1", "coordination.k8s.io", "leases"), s.details());

    s = statusOf(() -> store.get(ResourceType.LEASE, "kube-system", "nope"));
    assertEquals(404, s.code());
    assertEquals("NotFound", s.reason());
    assertEquals("leases.coordination.k8s.io \"nope\" not found", s.message());
    s = statusOf(() -> store.update(ResourceType.LEASE, lease("nope", "x")));
    assertEquals("leases.coordination.k8s.io \"nope\" not found", s.message());
    s = statusOf(() -> store.delete(ResourceType.POD, "default", "gone", ""));
    assertEquals("pods \"gone\" not found", s.message());
    assertEquals(new Status.Details("gone", "", "pods"), s.details());
    assertEquals("Failure", s.status());
  }

  @Test
  void createRejectsMissingNameAndResourceVersion() {
    Status s = statusOf(() -> store.create(ResourceType.LEASE, lease("", "x")));
    assertEquals(422, s.code());
    assertEquals("Invalid", s.reason());
    assertEquals("Lease.coordination.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName is required",
        s.message());
    KubeObject withRv = lease("l", "x");
    withRv = withRv.withMetadata(withRv.metadata().withResourceVersion("5"));
    KubeObject finalWithRv = withRv;
    assertEquals(400, statusOf(() -> store.create(ResourceType.LEASE, finalWithRv)).code());
  }

  @Test
  void staleResourceVersionIsConflictWithKubernetesMessage() {
    KubeObject v1 = store.create(ResourceType.LEASE, lease("cilium-l2announce-default-webpod", "k8s-w1"));
    KubeObject v2 = store.update(ResourceType.LEASE, v1.withSpec(spec("holderIdentity", "k8s-w2")));
    assertEquals(v1.resourceVersionNumber() + 1, v2.resourceVersionNumber());
    long before = store.resourceVersion();
    // v1 carries the old resourceVersion: a lost race.
    Status s = statusOf(() -> store.update(ResourceType.LEASE, v1.withSpec(spec("holderIdentity", "k8s-ctr"))));
    assertEquals(409, s.code());
    assertEquals("Conflict", s.reason());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"cilium-l2announce-default-webpod\": "
        + "the object has been modified; please apply your changes to the latest version and try again", s.message());
    assertEquals(new Status.Details("cilium-l2announce-default-webpod", "coordination.k8s.io", "leases"), s.details());
    assertEquals(before, store.resourceVersion(), "a refused write does not bump the counter");
    assertEquals("k8s-w2", store.get(ResourceType.LEASE, "kube-system", "cilium-l2announce-default-webpod")
        .spec().getFieldsOrThrow("holderIdentity").getStringValue());
  }

  @Test
  void emptyResourceVersionIsUnconditional() {
    KubeObject v1 = store.create(ResourceType.LEASE, lease("l", "a"));
    store.update(ResourceType.LEASE, v1.withSpec(spec("holderIdentity", "b")));
    KubeObject blind = v1.withMetadata(v1.metadata().withResourceVersion("")).withSpec(spec("holderIdentity", "c"));
    KubeObject v3 = store.update(ResourceType.LEASE, blind);
    assertEquals(v1.resourceVersionNumber() + 2, v3.resourceVersionNumber());
    assertEquals(v1.metadata().uid(), v3.metadata().uid());
    assertEquals(v1.metadata().creationTimestamp(), v3.metadata().creationTimestamp());
  }

  @Test
  void updateWithAnotherUidIsConflict() {
    KubeObject v1 = store.create(ResourceType.LEASE, lease("l", "a"));
    KubeObject other = v1.withMetadata(new ObjectMeta("l", "kube-system", "not-the-uid", "", 0, Map.of(), Map.of(), ""));
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": Precondition failed: "
        + "UID in precondition: not-the-uid, UID in object meta: " + v1.metadata().uid(),
        statusOf(() -> store.update(ResourceType.LEASE, other)).message());
  }

  @Test
  void generationBumpsOnlyOnSpecChange() {
    KubeObject d1 = store.create(ResourceType.DEPLOYMENT,
        KubeObject.of(ResourceType.DEPLOYMENT, ObjectMeta.of("default", "webpod", Map.of()), spec("replicas", "2")));
    KubeObject d2 = store.update(ResourceType.DEPLOYMENT, d1.withMetadata(d1.metadata().withLabels(Map.of("app", "webpod"))));
    assertEquals(1, d2.metadata().generation(), "a label change is not a spec change");
    assertEquals(d1.resourceVersionNumber() + 1, d2.resourceVersionNumber());
    KubeObject d3 = store.update(ResourceType.DEPLOYMENT, d2.withSpec(spec("replicas", "3")));
    assertEquals(2, d3.metadata().generation());
    KubeObject d4 = store.updateStatus(ResourceType.DEPLOYMENT, d3.withStatus(spec("readyReplicas", "3")));
    assertEquals(2, d4.metadata().generation(), "a status write is not a spec change");
    assertEquals("3", d4.status().getFieldsOrThrow("readyReplicas").getStringValue());
    // The main resource cannot change status on a kind with a status subresource.
    KubeObject d5 = store.update(ResourceType.DEPLOYMENT, d4.withStatus(Struct.getDefaultInstance()).withSpec(spec("replicas", "4")));
    assertEquals(d4.status(), d5.status());
    assertEquals(3, d5.metadata().generation());
    // A status write cannot change spec.
    KubeObject d6 = store.updateStatus(ResourceType.DEPLOYMENT, d5.withSpec(spec("replicas", "9")).withStatus(spec("readyReplicas", "4")));
    assertEquals(d5.spec(), d6.spec());
  }

  @Test
  void updateThatChangesNothingIsANoOp() {
    KubeObject v1 = store.create(ResourceType.LEASE, lease("l", "a"));
    List<WatchEvent> events = new ArrayList<>();
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, store.resourceVersion(), events::add);
    KubeObject same = store.update(ResourceType.LEASE, v1);
    assertSame(v1, same);
    assertEquals(v1.resourceVersionNumber(), store.resourceVersion());
    assertTrue(events.isEmpty());
  }

  @Test
  void deleteWithPrecondition() {
    KubeObject v1 = store.create(ResourceType.LEASE, lease("l", "a"));
    KubeObject v2 = store.update(ResourceType.LEASE, v1.withSpec(spec("holderIdentity", "b")));
    Status s = statusOf(() -> store.delete(ResourceType.LEASE, "kube-system", "l", v1.metadata().resourceVersion()));
    assertEquals(409, s.code());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"l\": Precondition failed: "
        + "ResourceVersion in precondition: " + v1.metadata().resourceVersion()
        + ", ResourceVersion in object meta: " + v2.metadata().resourceVersion(), s.message());
    KubeObject gone = store.delete(ResourceType.LEASE, "kube-system", "l", v2.metadata().resourceVersion());
    assertEquals(v2.resourceVersionNumber() + 1, gone.resourceVersionNumber());
    assertTrue(store.find(ResourceType.LEASE, "kube-system", "l").isEmpty());
  }

  @Test
  void clusterScopedKindsIgnoreNamespace() {
    KubeObject n = store.create(ResourceType.NODE,
        KubeObject.of(ResourceType.NODE, ObjectMeta.of("whatever", "k8s-w1", Map.of()), Struct.getDefaultInstance()));
    assertEquals("", n.metadata().namespace());
    assertEquals(n, store.get(ResourceType.NODE, "", "k8s-w1"));
  }

  @Test
  void listWithLabelAndFieldSelectors() {
    store.create(ResourceType.POD, pod("webpod-2", "k8s-w1", Map.of("app", "webpod", "tier", "web")));
    store.create(ResourceType.POD, pod("webpod-1", "k8s-ctr", Map.of("app", "webpod")));
    store.create(ResourceType.POD, pod("curl-pod", "k8s-ctr", Map.of("app", "curl")));
    store.create(ResourceType.POD, pod("loose", "", Map.of()));
    KubeObject other = KubeObject.of(ResourceType.POD, ObjectMeta.of("kube-system", "cilium-abc", Map.of("k8s-app", "cilium")),
        spec("nodeName", "k8s-w1"));
    store.create(ResourceType.POD, other);

    ObjectList all = store.list(ResourceType.POD, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING);
    assertEquals(List.of("curl-pod", "loose", "webpod-1", "webpod-2", "cilium-abc"), names(all));
    assertEquals(Long.toString(store.resourceVersion()), all.resourceVersion());

    assertEquals(List.of("webpod-1", "webpod-2"), names(list("default", "app=webpod", "")));
    assertEquals(List.of("webpod-1", "webpod-2"), names(list("default", "app==webpod", "")));
    assertEquals(List.of("curl-pod", "loose"), names(list("default", "app!=webpod", "")));
    assertEquals(List.of("curl-pod", "webpod-1", "webpod-2"), names(list("default", "app in (webpod, curl)", "")));
    assertEquals(List.of("loose", "webpod-1", "webpod-2"), names(list("default", "app notin (curl)", "")));
    assertEquals(List.of("curl-pod", "webpod-1", "webpod-2"), names(list("default", "app", "")));
    assertEquals(List.of("loose"), names(list("default", "!app", "")));
    assertEquals(List.of("webpod-2"), names(list("default", "app=webpod,tier", "")));
    assertEquals(List.of("webpod-1"), names(list("default", "app=webpod,!tier", "")));

    assertEquals(List.of("cilium-abc"), names(list("kube-system", "k8s-app=cilium", "spec.nodeName=k8s-w1")));
    assertEquals(List.of("webpod-2", "cilium-abc"), names(list("", "", "spec.nodeName=k8s-w1")));
    assertEquals(List.of("curl-pod", "loose", "webpod-1"), names(list("", "", "spec.nodeName!=k8s-w1")));
    assertEquals(List.of("loose"), names(list("", "", "spec.nodeName=")));
    assertEquals(List.of("webpod-1"), names(list("", "", "metadata.name=webpod-1,metadata.namespace==default")));
    assertEquals(List.of("cilium-abc"), names(list("", "", "metadata.namespace=kube-system")));
  }

  @Test
  void badSelectorsAreBadRequests() {
    Status s = statusOf(() -> list("", "", "spec.hostname=x"));
    assertEquals(400, s.code());
    assertEquals("BadRequest", s.reason());
    assertEquals("field label not supported: spec.hostname", s.message());
    s = statusOf(() -> store.list(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.parse("spec.nodeName=x")));
    assertEquals("field label not supported: spec.nodeName", s.message());
    assertEquals("invalid selector: 'nodeName'; can't understand 'nodeName'",
        statusOf(() -> FieldSelector.parse("nodeName")).message());
    for (String bad : new String[] {"app in ()", "app in (a", "=x", "app x", "-bad=1", "a=b c", "a>x", "a=-b-", ",", "a,"}) {
      assertEquals(400, statusOf(() -> LabelSelector.parse(bad)).code(), bad);
    }
  }

  @Test
  void labelSelectorGreaterLessThanAndEmptyValues() {
    LabelSelector gt = LabelSelector.parse("rank > 5");
    assertTrue(gt.matches(Map.of("rank", "6")));
    assertFalse(gt.matches(Map.of("rank", "5")));
    assertFalse(gt.matches(Map.of("rank", "x")));
    assertFalse(gt.matches(Map.of()));
    assertTrue(LabelSelector.parse("rank<5").matches(Map.of("rank", "-1")));
    assertTrue(LabelSelector.parse("a=").matches(Map.of("a", "")));
    assertFalse(LabelSelector.parse("a=").matches(Map.of()));
    assertTrue(LabelSelector.parse("  ").isEmpty());
    assertTrue(LabelSelector.parse("io.cilium/app in (operator)").matches(Map.of("io.cilium/app", "operator")));
    assertTrue(FieldSelector.parse("metadata.name=a\\,b").matches(
        KubeObject.of(ResourceType.POD, ObjectMeta.of("d", "a,b", Map.of()), Struct.getDefaultInstance())));
  }

  @Test
  void watchDeliversChangesInOrderAndReplaysFromAResourceVersion() {
    List<WatchEvent> live = new ArrayList<>();
    long start = store.resourceVersion();
    store.watch(ResourceType.LEASE, "kube-system", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, start, live::add);
    KubeObject a1 = store.create(ResourceType.LEASE, lease("a", "x"));
    store.create(ResourceType.POD, pod("p", "n", Map.of())); // another kind: not seen
    KubeObject a2 = store.update(ResourceType.LEASE, a1.withSpec(spec("holderIdentity", "y")));
    long mid = a2.resourceVersionNumber();
    KubeObject b1 = store.create(ResourceType.LEASE, lease("b", "z"));
    KubeObject aGone = store.delete(ResourceType.LEASE, "kube-system", "a", "");

    assertEquals(List.of(
        new WatchEvent(WatchEvent.Type.ADDED, a1),
        new WatchEvent(WatchEvent.Type.MODIFIED, a2),
        new WatchEvent(WatchEvent.Type.ADDED, b1),
        new WatchEvent(WatchEvent.Type.DELETED, aGone)), live);
    assertEquals(aGone.resourceVersionNumber(), store.resourceVersion());

    // Resume from the middle: only what came after.
    List<WatchEvent> resumed = new ArrayList<>();
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, mid, resumed::add);
    assertEquals(live.subList(2, 4), resumed);
    KubeObject b2 = store.update(ResourceType.LEASE, b1.withSpec(spec("holderIdentity", "w")));
    assertEquals(new WatchEvent(WatchEvent.Type.MODIFIED, b2), resumed.get(2));
    assertEquals(new WatchEvent(WatchEvent.Type.MODIFIED, b2), live.get(4));

    // From 0: the current state as ADDED, then live.
    List<WatchEvent> fromZero = new ArrayList<>();
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0, fromZero::add);
    assertEquals(List.of(new WatchEvent(WatchEvent.Type.ADDED, b2)), fromZero);
  }

  @Test
  void watchFromTooOldResourceVersionIsGone() {
    long start = store.resourceVersion(); // 76900; history keeps 8 changes
    KubeObject l = store.create(ResourceType.LEASE, lease("l", "h0"));
    for (int i = 1; i <= 9; i++) {
      l = store.update(ResourceType.LEASE, l.withSpec(spec("holderIdentity", "h" + i)));
    }
    // 10 changes, 76901..76910; the history holds 76903..76910, so 76902 is the oldest resumable.
    assertEquals(start + 2, store.oldestResumableResourceVersion());
    List<WatchEvent> got = new ArrayList<>();
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, start + 2, got::add);
    assertEquals(8, got.size());
    assertEquals(start + 3, got.get(0).resourceVersion());
    Status s = statusOf(() -> store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING,
        start + 1, e -> { }));
    assertEquals(410, s.code());
    assertEquals("Expired", s.reason());
    assertEquals("too old resource version: 76901 (76902)", s.message());
    s = statusOf(() -> store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING,
        store.resourceVersion() + 1, e -> { }));
    assertEquals(504, s.code());
    assertEquals("Too large resource version: 76911, current: 76910", s.message());
  }

  @Test
  void filteredWatchSeesObjectsEnterAndLeaveTheSelection() {
    List<WatchEvent> seen = new ArrayList<>();
    store.watch(ResourceType.POD, "default", LabelSelector.parse("app=webpod"), FieldSelector.parse("spec.nodeName=k8s-w1"),
        store.resourceVersion(), seen::add);
    KubeObject p1 = store.create(ResourceType.POD, pod("w", "k8s-ctr", Map.of("app", "webpod")));
    KubeObject p2 = store.update(ResourceType.POD, p1.withSpec(spec("nodeName", "k8s-w1")));
    KubeObject p3 = store.update(ResourceType.POD, p2.withMetadata(p2.metadata().withLabels(Map.of("app", "x"))));
    store.delete(ResourceType.POD, "default", "w", "");
    assertEquals(2, seen.size());
    assertEquals(new WatchEvent(WatchEvent.Type.ADDED, p2), seen.get(0));
    // Leaving the selection: the last matching object, stamped with the new resourceVersion.
    assertEquals(WatchEvent.Type.DELETED, seen.get(1).type());
    assertEquals(p2.metadata().labels(), seen.get(1).object().metadata().labels());
    assertEquals(p3.metadata().resourceVersion(), seen.get(1).object().metadata().resourceVersion());
  }

  @Test
  void cancelledAndFailingWatchersAreDropped() {
    List<WatchEvent> a = new ArrayList<>();
    ObjectStore.Watch w = store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0, a::add);
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0, e -> {
      throw new IllegalStateException("subscriber died");
    });
    assertEquals(2, store.watchCount());
    store.create(ResourceType.LEASE, lease("l", "x"));
    assertEquals(1, store.watchCount(), "the failing watcher is dropped");
    assertEquals(1, a.size());
    w.cancel();
    store.create(ResourceType.LEASE, lease("m", "x"));
    assertEquals(1, a.size());
    assertEquals(0, store.watchCount());
  }

  @Test
  void listenersMayNotWriteBack() {
    store.watch(ResourceType.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 0,
        e -> store.create(ResourceType.LEASE, lease("echo", "x")));
    store.create(ResourceType.LEASE, lease("l", "x"));
    assertTrue(store.find(ResourceType.LEASE, "kube-system", "echo").isEmpty());
    assertEquals(0, store.watchCount(), "the listener threw IllegalStateException and was dropped");
  }

  @Test
  void timesPrintAsKubernetesDoes() {
    assertEquals("2025-08-09T12:35:25Z", KubeTime.time(T0));
    assertEquals("2025-08-09T12:35:25.085000Z", KubeTime.microTime(T0));
    assertEquals("2025-08-09T12:35:25.085954Z", KubeTime.microTime(KubeTime.parse("2025-08-09T12:35:25.085954Z")));
    assertEquals(T0, KubeTime.parse("2025-08-09T14:35:25.085+02:00").toEpochMilli());
    assertThrows(IllegalArgumentException.class, () -> KubeTime.parse("yesterday"));
  }

  private ObjectList list(String ns, String labels, String fields) {
    return store.list(ResourceType.POD, ns, LabelSelector.parse(labels), FieldSelector.parse(fields));
  }

  private static List<String> names(ObjectList l) {
    return l.items().stream().map(o -> o.metadata().name()).toList();
  }
}
