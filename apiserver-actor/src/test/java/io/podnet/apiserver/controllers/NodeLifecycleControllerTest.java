package io.podnet.apiserver.controllers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The node lifecycle controller over a store kept between runs of a lab: health is judged on the
 * controller's own clock, and the taints it owns follow the node's conditions as they are.
 */
class NodeLifecycleControllerTest {
  static final List<String> NODES = List.of("k8s-ctr", "k8s-w0", "k8s-w1");
  static final long HOURS = 3 * 3_600_000L;

  final TestLab lab = new TestLab();

  /** The controllers of the next `podnet up`: a new process, nothing remembered but the store. */
  ControllerManager fresh() {
    return ControllerManager.standard(ApiResources.standard(), "10.96.0.0/12",
        NodeLifecycleController.DEFAULT_GRACE_MILLIS, new SplittableRandom(43)).with(new TestLab.FakeKubelet());
  }

  KubeObject node(String name) {
    return lab.get(ApiResources.NODE, "", name);
  }

  String ready(String name) {
    return Json.string(Kube.condition(node(name).status(), "Ready"), "status");
  }

  /** "key:effect" of each taint, in order. */
  List<String> taints(String name) {
    List<String> out = new ArrayList<>();
    for (Value t : Json.array(node(name).spec(), "taints")) {
      out.add(Json.string(t.getStructValue(), "key") + ":" + Json.string(t.getStructValue(), "effect"));
    }
    return out;
  }

  /** The uid of every pod, by name. */
  Map<String, String> pods() {
    Map<String, String> out = new TreeMap<>();
    for (KubeObject p : lab.list(ApiResources.POD)) {
      out.put(p.metadata().name(), p.metadata().uid());
    }
    return out;
  }

  /** Three webpods, one Running and Ready on each node. */
  Map<String, String> webpods() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.settle();
    List<KubeObject> pods = lab.list(ApiResources.POD);
    assertEquals(3, pods.size());
    assertEquals(Set.copyOf(NODES), pods.stream().map(Kube::nodeName).collect(Collectors.toSet()));
    pods.forEach(p -> assertTrue(Kube.podReady(p)));
    return pods();
  }

  void setTaints(String name, List<Struct> taints) {
    KubeObject n = node(name);
    List<Value> vs = new ArrayList<>();
    taints.forEach(t -> vs.add(Json.of(t)));
    lab.store.update(ApiResources.NODE, n.withSpec(Kube.with(n.spec(), Json.list(vs), "taints")));
  }

  /** The kubelet posts its node status: Ready {@code status} with a heartbeat of the lab time. */
  void post(String name, String status) {
    KubeObject n = node(name);
    String t = Kube.time(lab.clock.get());
    Struct cond = Json.obj("type", "Ready", "status", status, "reason", status.equals("True") ? "KubeletReady"
        : "KubeletNotReady", "message", "posted", "lastHeartbeatTime", t, "lastTransitionTime", t);
    lab.store.updateStatus(ApiResources.NODE, n.withStatus(Kube.setCondition(n.status(), cond)));
  }

  void assertAllReadyUntainted(String when) {
    for (String n : NODES) {
      assertEquals("True", ready(n), n + " " + when);
      assertEquals(List.of(), taints(n), n + " " + when);
      assertFalse(node(n).spec().containsFields("taints"), n + " " + when);
    }
  }

  // ------------------------------------------------------------------ a fresh controller over an old store

  @Test
  void aFreshControllerGivesEveryNodeAFullGracePeriodOfItsOwnTime() {
    Map<String, String> before = webpods();
    // `podnet down` for three hours: every Lease renewTime and Ready heartbeat is hours old.
    lab.advance(HOURS);
    ControllerManager next = fresh();
    next.settle(lab.store, lab.clock.get());
    assertAllReadyUntainted("at the first round");
    lab.advance(NodeLifecycleController.DEFAULT_GRACE_MILLIS);
    next.settle(lab.store, lab.clock.get());
    assertAllReadyUntainted("40 s after it first saw them");
    assertEquals(before, pods());
    lab.list(ApiResources.POD).forEach(p -> assertTrue(Kube.podReady(p)));
    // No kubelet came back: 40 s and a millisecond of the controller's own time without a renewal.
    lab.advance(1);
    next.settle(lab.store, lab.clock.get());
    for (String n : NODES) {
      Struct r = Kube.condition(node(n).status(), "Ready");
      assertEquals("Unknown", Json.string(r, "status"), n);
      assertEquals("NodeStatusUnknown", Json.string(r, "reason"), n);
      assertEquals(Kube.time(lab.clock.get()), Json.string(r, "lastTransitionTime"), n);
      assertEquals(List.of(NodeLifecycleController.UNREACHABLE + ":NoSchedule",
          NodeLifecycleController.UNREACHABLE + ":NoExecute"), taints(n), n);
    }
    lab.list(ApiResources.POD).forEach(p -> assertFalse(Kube.podReady(p), "MarkPodsNotReady"));
  }

  @Test
  void nodesWhoseKubeletsRenewAfterTheRestartStayReady() {
    Map<String, String> before = webpods();
    lab.advance(HOURS);
    ControllerManager next = fresh();
    next.settle(lab.store, lab.clock.get());
    // The kubelets start a moment later and renew every 10 s.
    for (int s = 1; s <= 301; s += 10) {
      lab.advance(s == 1 ? 1_000 : 10_000);
      NODES.forEach(lab::renew);
      next.settle(lab.store, lab.clock.get());
      assertAllReadyUntainted("at " + s + " s");
    }
    assertEquals(before, pods(), "nothing evicted");
    lab.list(ApiResources.POD).forEach(p -> assertTrue(Kube.podReady(p), "never marked NotReady"));
    // Then one stops: it, and only it, goes Unknown after the grace period.
    for (int s = 10; s <= 40; s += 10) {
      lab.advance(10_000);
      lab.renew("k8s-ctr");
      lab.renew("k8s-w1");
      next.settle(lab.store, lab.clock.get());
      assertEquals("True", ready("k8s-w0"), "at " + s + " s");
    }
    lab.advance(1);
    next.settle(lab.store, lab.clock.get());
    assertEquals("Unknown", ready("k8s-w0"));
    assertEquals("True", ready("k8s-ctr"));
    assertEquals("True", ready("k8s-w1"));
  }

  @Test
  void aKubeletPostingItsStatusCountsAsAHeartbeatToo() {
    lab.settle();
    for (int s = 10; s <= 120; s += 10) {
      lab.advance(10_000);
      NODES.forEach(n -> post(n, "True")); // status posts, no Lease renewals
      lab.settle();
      NODES.forEach(n -> assertEquals("True", ready(n)));
    }
    lab.advance(NodeLifecycleController.DEFAULT_GRACE_MILLIS + 1);
    lab.settle();
    NODES.forEach(n -> assertEquals("Unknown", ready(n)));
  }

  // ------------------------------------------------------------------ level-based taints

  @Test
  void aReadyNodeLosesLeftoverUnreachableAndNotReadyTaintsAndKeepsItsPods() {
    Map<String, String> before = webpods();
    String old = Kube.time(lab.clock.get());
    Struct maintenance = Json.obj("key", "example.com/maintenance", "effect", "NoSchedule");
    // What an earlier run left behind: Ready True (posted by the kubelet), yet tainted, hours ago.
    setTaints("k8s-w0", List.of(
        Json.obj("key", NodeLifecycleController.UNREACHABLE, "effect", "NoSchedule", "timeAdded", old),
        maintenance,
        Json.obj("key", NodeLifecycleController.UNREACHABLE, "effect", "NoExecute", "timeAdded", old)));
    setTaints("k8s-w1", List.of(
        Json.obj("key", NodeLifecycleController.NOT_READY, "effect", "NoSchedule", "timeAdded", old),
        Json.obj("key", NodeLifecycleController.NOT_READY, "effect", "NoExecute", "timeAdded", old)));
    lab.advance(HOURS);
    ControllerManager next = fresh();
    next.settle(lab.store, lab.clock.get());
    assertEquals(List.of("example.com/maintenance:NoSchedule"), taints("k8s-w0"), "only the one it does not own");
    assertEquals(List.of(), taints("k8s-w1"));
    assertFalse(node("k8s-w1").spec().containsFields("taints"));
    assertEquals(before, pods(), "no pod evicted: the taints' timeAdded is hours old, but they are gone");
    NODES.forEach(n -> assertEquals("True", ready(n)));
  }

  /** 40 s and 1 ms in which k8s-ctr and k8s-w1 renew every 10 s and k8s-w0 does not. */
  private void k8sW0MissesTheGracePeriod() {
    for (int s = 10; s <= 40; s += 10) {
      lab.advance(10_000);
      lab.renew("k8s-ctr");
      lab.renew("k8s-w1");
      lab.settle();
    }
    lab.advance(1);
    lab.settle();
  }

  @Test
  void theSameControllerRemovesTheTaintsWhenReadyIsSetTrueByAnyoneElse() {
    webpods();
    k8sW0MissesTheGracePeriod();
    assertEquals("Unknown", ready("k8s-w0"));
    assertEquals(2, taints("k8s-w0").size());
    // The kubelet posts Ready True without renewing its Lease (as podnet's does when it starts).
    lab.advance(1_000);
    post("k8s-w0", "True");
    lab.settle();
    assertEquals("True", ready("k8s-w0"));
    assertEquals(List.of(), taints("k8s-w0"));
    assertEquals(3, lab.list(ApiResources.POD).size());
  }

  @Test
  void readyFalseTaintsNotReadyAndSwapsWithUnreachable() {
    webpods();
    lab.advance(1_000);
    post("k8s-w1", "False");
    lab.settle();
    assertEquals("False", ready("k8s-w1"), "the kubelet's word stands");
    assertEquals(List.of(NodeLifecycleController.NOT_READY + ":NoSchedule",
        NodeLifecycleController.NOT_READY + ":NoExecute"), taints("k8s-w1"));
    KubeObject onW1 = lab.list(ApiResources.POD).stream().filter(p -> Kube.nodeName(p).equals("k8s-w1"))
        .findFirst().orElseThrow();
    assertFalse(Kube.podReady(onW1), "MarkPodsNotReady");
    // Silent for the grace period: Unknown, and unreachable replaces not-ready.
    lab.advance(NodeLifecycleController.DEFAULT_GRACE_MILLIS + 1);
    NODES.stream().filter(n -> !n.equals("k8s-w1")).forEach(lab::renew);
    lab.settle();
    assertEquals("Unknown", ready("k8s-w1"));
    assertEquals(List.of(NodeLifecycleController.UNREACHABLE + ":NoSchedule",
        NodeLifecycleController.UNREACHABLE + ":NoExecute"), taints("k8s-w1"));
    // It renews: Ready again, untainted.
    lab.renew("k8s-w1");
    lab.settle();
    assertEquals("True", ready("k8s-w1"));
    assertEquals(List.of(), taints("k8s-w1"));
  }

  @Test
  void pressureConditionsAndCordoningBecomeNoScheduleTaints() {
    lab.settle();
    lab.advance(1_000);
    KubeObject n = node("k8s-w0");
    String t = Kube.time(lab.clock.get());
    Struct status = Kube.setCondition(n.status(), Json.obj("type", "MemoryPressure", "status", "True",
        "lastHeartbeatTime", t, "lastTransitionTime", t));
    lab.store.updateStatus(ApiResources.NODE, n.withStatus(status));
    n = node("k8s-w0");
    lab.store.update(ApiResources.NODE, n.withSpec(n.spec().toBuilder()
        .putFields("unschedulable", Value.newBuilder().setBoolValue(true).build()).build()));
    lab.settle();
    assertEquals(List.of("node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule"),
        taints("k8s-w0"));
    for (Value tv : Json.array(node("k8s-w0").spec(), "taints")) {
      assertEquals(Kube.time(lab.clock.get()), Json.string(tv.getStructValue(), "timeAdded"));
    }
    lab.advance(1_000);
    n = node("k8s-w0");
    lab.store.update(ApiResources.NODE, n.withSpec(n.spec().toBuilder().removeFields("unschedulable").build()));
    lab.settle();
    assertEquals(List.of("node.kubernetes.io/memory-pressure:NoSchedule"), taints("k8s-w0"));
    String added = Json.string(Json.array(node("k8s-w0").spec(), "taints").get(0).getStructValue(), "timeAdded");
    assertEquals(Kube.time(lab.clock.get() - 1_000), added, "a taint that stays keeps its timeAdded");
  }

  // ------------------------------------------------------------------ eviction on the controller's clock

  @Test
  void tolerationSecondsCountFromTheControllersFirstSightNotTheTaintsTimeAdded() {
    Map<String, String> before = webpods();
    // An earlier run marked k8s-w0 Unknown and tainted it; its kubelet does not come back.
    k8sW0MissesTheGracePeriod();
    assertEquals("Unknown", ready("k8s-w0"));
    String onW0 = lab.list(ApiResources.POD).stream().filter(p -> Kube.nodeName(p).equals("k8s-w0"))
        .findFirst().orElseThrow().metadata().name();
    String timeAdded = Json.string(Json.array(node("k8s-w0").spec(), "taints").get(1).getStructValue(), "timeAdded");
    lab.advance(HOURS);
    ControllerManager next = fresh();
    next.settle(lab.store, lab.clock.get());
    assertTrue(lab.store.find(ApiResources.POD, "default", onW0).isPresent(), "not evicted at once");
    assertEquals(timeAdded, Json.string(Json.array(node("k8s-w0").spec(), "taints").get(1).getStructValue(),
        "timeAdded"), "the taint is left as it is");
    for (int s = 10; s < 300; s += 10) {
      lab.advance(10_000);
      lab.renew("k8s-ctr");
      lab.renew("k8s-w1");
      next.settle(lab.store, lab.clock.get());
    }
    lab.advance(9_999);
    next.settle(lab.store, lab.clock.get());
    assertTrue(lab.store.find(ApiResources.POD, "default", onW0).isPresent(), "299.999 s");
    lab.advance(1);
    next.settle(lab.store, lab.clock.get());
    assertFalse(lab.store.find(ApiResources.POD, "default", onW0).isPresent(), "300 s: evicted");
    Map<String, String> after = pods();
    assertEquals(3, after.size());
    assertNotEquals(before, after);
    for (KubeObject p : lab.list(ApiResources.POD)) {
      assertNotEquals("k8s-w0", Kube.nodeName(p), "replaced on a Ready node");
    }
  }

  /** {@code millis} of lab time in steps of at most 10 s, every kubelet but {@code silent}'s renewing, settling each step. */
  void pass(long millis, String silent) {
    for (long left = millis; left > 0; left -= 10_000) {
      lab.advance(Math.min(left, 10_000));
      NODES.stream().filter(n -> !n.equals(silent)).forEach(lab::renew);
      lab.settle();
    }
  }

  @Test
  void aNodeThatComesBackBeforeTheTolerationRunsOutKeepsItsPodsAndTheClockStartsOver() {
    Map<String, String> before = webpods();
    pass(NodeLifecycleController.DEFAULT_GRACE_MILLIS + 1, "k8s-w0");
    assertEquals("Unknown", ready("k8s-w0"));
    pass(200_000, "k8s-w0");
    lab.renew("k8s-w0");
    lab.settle();
    assertEquals("True", ready("k8s-w0"));
    assertEquals(List.of(), taints("k8s-w0"));
    // Silent again: a new 40 s grace period, then a new 300 s, not the 100 s left of the first.
    pass(NodeLifecycleController.DEFAULT_GRACE_MILLIS + 1, "k8s-w0");
    assertEquals("Unknown", ready("k8s-w0"));
    pass(299_999, "k8s-w0");
    assertEquals(before, pods());
    pass(1, "k8s-w0");
    assertNotEquals(before, pods());
    assertEquals(2, before.keySet().stream().filter(pods()::containsKey).count(), "only k8s-w0's pod replaced");
  }

  @Test
  void aNodeThatNeverPostedItsStatusIsUnknownWithNeverUpdated() {
    lab.settle();
    KubeObject bare = TestLab.obj(ApiResources.NODE, "", "k8s-w9", Map.of(), Json.obj("podCIDR", "172.20.9.0/24"));
    lab.store.create(ApiResources.NODE, bare);
    String created = node("k8s-w9").metadata().creationTimestamp();
    lab.settle();
    assertFalse(node("k8s-w9").status().containsFields("conditions"));
    lab.advance(NodeLifecycleController.DEFAULT_GRACE_MILLIS + 1);
    NODES.forEach(lab::renew);
    lab.settle();
    List<String> types = new ArrayList<>();
    for (Value cv : Json.array(node("k8s-w9").status(), "conditions")) {
      Struct c = cv.getStructValue();
      types.add(Json.string(c, "type"));
      assertEquals("Unknown", Json.string(c, "status"));
      assertEquals("NodeStatusNeverUpdated", Json.string(c, "reason"));
      assertEquals("Kubelet never posted node status.", Json.string(c, "message"));
      assertEquals(created, Json.string(c, "lastHeartbeatTime"));
      assertEquals(Kube.time(lab.clock.get()), Json.string(c, "lastTransitionTime"));
    }
    assertEquals(List.of("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"), types);
    assertEquals(List.of(NodeLifecycleController.UNREACHABLE + ":NoSchedule",
        NodeLifecycleController.UNREACHABLE + ":NoExecute"), taints("k8s-w9"));
    NODES.forEach(n -> assertEquals("True", ready(n)));
    // Its own write is no heartbeat: it stays Unknown, written once.
    String rv = node("k8s-w9").metadata().resourceVersion();
    lab.advance(10_000);
    NODES.forEach(lab::renew);
    lab.settle();
    assertEquals(rv, node("k8s-w9").metadata().resourceVersion());
  }
}
