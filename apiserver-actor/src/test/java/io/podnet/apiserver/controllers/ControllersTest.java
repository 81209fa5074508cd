package io.podnet.apiserver.controllers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeNames;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ControllersTest {
  final TestLab lab = new TestLab();

  static final String HASH = "[456789bcdf]{1,10}"; // SafeEncodeString of decimal digits
  static final String SUFFIX = "[" + KubeNames.ALPHANUMS + "]{5}";

  KubeObject service(String name, String type, Map<String, Object> extraSpec) {
    Map<String, Object> spec = new TreeMap<>(Map.of("type", type, "selector", Map.of("app", "webpod"),
        "ports", List.of(Map.of("port", 80, "targetPort", "http"))));
    spec.putAll(extraSpec);
    return TestLab.obj(ApiResources.SERVICE, "default", name, Map.of("app", "webpod"),
        Json.value(spec).getStructValue());
  }

  static long ip(String s) {
    return Ipv4.parse(s);
  }

  List<KubeObject> pods() {
    return lab.list(ApiResources.POD);
  }

  // ------------------------------------------------------------------ Service allocation

  @Test
  void clusterIpIsARandomFreeAddressOfTheUpperBand() {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < 20; i++) {
      KubeObject s = lab.create(ApiResources.SERVICE, service("s" + i, "ClusterIP", Map.of()));
      String cip = Json.string(s.spec(), "clusterIP");
      long index = ip(cip) - ip("10.96.0.0") - 1;
      assertTrue(index >= 256 && index < (1 << 20) - 2, cip);
      assertEquals(List.of(Json.of(cip)), Json.array(s.spec(), "clusterIPs"));
      assertTrue(seen.add(cip));
      assertEquals(0, Json.number(s.spec(), "ports", "0") /* no nodePort */);
    }
    KubeObject s = lab.get(ApiResources.SERVICE, "default", "s0");
    assertEquals("TCP", Json.string(s.spec().getFieldsOrThrow("ports").getListValue().getValues(0).getStructValue(),
        "protocol"));
    assertEquals("None", Json.string(s.spec(), "sessionAffinity"));
    assertEquals("SingleStack", Json.string(s.spec(), "ipFamilyPolicy"));
    assertEquals(Json.obj("loadBalancer", Struct.getDefaultInstance()), s.status());
  }

  @Test
  void staticClusterIpsAreCheckedWithTheRealMessages() {
    lab.create(ApiResources.SERVICE, service("dns", "ClusterIP", Map.of("clusterIP", "10.96.0.10")));
    record Case(String name, String ip, String message) {}
    for (Case c : List.of(
        new Case("taken", "10.96.0.10", "Service \"taken\" is invalid: spec.clusterIPs: Invalid value: "
            + "[]string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"),
        new Case("outside", "1.1.1.1", "Service \"outside\" is invalid: spec.clusterIPs: Invalid value: "
            + "[]string{\"1.1.1.1\"}: failed to allocate IP 1.1.1.1: the provided IP (1.1.1.1) is not in the valid "
            + "range. The range of valid IPs is 10.96.0.0/12"),
        new Case("broadcast", "10.111.255.255", "Service \"broadcast\" is invalid: spec.clusterIPs: Invalid value: "
            + "[]string{\"10.111.255.255\"}: failed to allocate IP 10.111.255.255: the provided IP (10.111.255.255) "
            + "is not in the valid range. The range of valid IPs is 10.96.0.0/12"))) {
      ApiException e = assertThrows(ApiException.class,
          () -> lab.create(ApiResources.SERVICE, service(c.name, "ClusterIP", Map.of("clusterIP", c.ip))));
      assertEquals(422, e.status().code());
      assertEquals("Invalid", e.status().reason());
      assertEquals(c.message, e.status().message(), c.name);
    }
    // Deleting the Service releases its address.
    lab.store.delete(ApiResources.SERVICE, "default", "dns", "");
    lab.create(ApiResources.SERVICE, service("dns2", "ClusterIP", Map.of("clusterIP", "10.96.0.10")));
  }

  @Test
  void nodePortsForNodePortAndLoadBalancerAreReleasedOnTheWayBack() {
    KubeObject s = lab.create(ApiResources.SERVICE, service("webpod", "ClusterIP", Map.of()));
    String cip = Json.string(s.spec(), "clusterIP");
    KubeObject lb = lab.update(ApiResources.SERVICE, s.withSpec(Kube.with(s.spec(), Json.of("LoadBalancer"), "type")));
    Struct port = Json.array(lb.spec(), "ports").get(0).getStructValue();
    long np = Json.number(port, "nodePort");
    assertTrue(np >= 30086 && np <= 32767, "dynamic node ports come from the upper band: " + np);
    assertEquals(cip, Json.string(lb.spec(), "clusterIP"), "the clusterIP stays");
    assertEquals("Cluster", Json.string(lb.spec(), "externalTrafficPolicy"));
    assertTrue(Json.at(lb.spec(), "allocateLoadBalancerNodePorts").getBoolValue());
    ApiException taken = assertThrows(ApiException.class, () -> lab.create(ApiResources.SERVICE,
        service("other", "NodePort", Map.of("ports", List.of(Map.of("port", 80, "nodePort", np))))));
    assertEquals("Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: " + np
        + ": provided port is already allocated", taken.status().message());
    ApiException range = assertThrows(ApiException.class, () -> lab.create(ApiResources.SERVICE,
        service("other", "NodePort", Map.of("ports", List.of(Map.of("port", 80, "nodePort", 40000))))));
    assertEquals("Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in "
        + "the valid range. The range of valid ports is 30000-32767", range.status().message());
    KubeObject back = lab.update(ApiResources.SERVICE, lb.withSpec(Kube.with(lb.spec(), Json.of("ClusterIP"), "type")));
    assertEquals(0, Json.number(Json.array(back.spec(), "ports").get(0).getStructValue(), "nodePort"));
    assertFalse(back.spec().containsFields("externalTrafficPolicy"));
    lab.create(ApiResources.SERVICE, service("other", "NodePort", Map.of("ports", List.of(Map.of("port", 80,
        "nodePort", np)))));
    ApiException immutable = assertThrows(ApiException.class, () -> lab.update(ApiResources.SERVICE,
        back.withSpec(Kube.with(back.spec(), Json.of("10.96.0.20"), "clusterIP"))));
    assertEquals("Service \"webpod\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.20\"}: "
        + "may not change once set", immutable.status().message());
  }

  // ------------------------------------------------------------------ LB-IPAM

  KubeObject pool(String name, Map<String, Object> spec) {
    return TestLab.obj(ApiResources.CILIUM_LB_IP_POOL, "", name, Map.of(), Json.value(spec).getStructValue());
  }

  static String condition(KubeObject o, String type, String field) {
    Struct c = Kube.condition(o.status(), type);
    return c == null ? null : Json.string(c, field);
  }

  @Test
  void lbIpamGivesTheFirstFreeIpAndCountsThePool() {
    lab.create(ApiResources.CILIUM_LB_IP_POOL, pool("cilium-lb-ippool",
        Map.of("disabled", false, "blocks", List.of(Map.of("start", "192.168.10.211", "stop", "192.168.10.215")))));
    lab.settle();
    KubeObject p = lab.get(ApiResources.CILIUM_LB_IP_POOL, "", "cilium-lb-ippool");
    assertEquals("5", condition(p, LbIpam.AVAILABLE, "message"));
    assertEquals("5", condition(p, LbIpam.TOTAL, "message"));
    assertEquals("0", condition(p, LbIpam.USED, "message"));
    assertEquals("Unknown", condition(p, LbIpam.AVAILABLE, "status"));
    assertEquals("False", condition(p, LbIpam.CONFLICT, "status"));
    assertEquals("resolved", condition(p, LbIpam.CONFLICT, "reason"));
    KubeObject s = lab.create(ApiResources.SERVICE, service("webpod", "ClusterIP", Map.of()));
    lab.settle();
    assertTrue(Json.array(lab.get(ApiResources.SERVICE, "default", "webpod").status(), "loadBalancer", "ingress")
        .isEmpty(), "a ClusterIP service gets nothing");
    lab.update(ApiResources.SERVICE, s.withSpec(Kube.with(s.spec(), Json.of("LoadBalancer"), "type")));
    lab.advance(1000);
    lab.create(ApiResources.SERVICE, service("second", "LoadBalancer", Map.of()));
    lab.settle();
    KubeObject web = lab.get(ApiResources.SERVICE, "default", "webpod");
    assertEquals("192.168.10.211", Json.string(Json.array(web.status(), "loadBalancer", "ingress").get(0)
        .getStructValue(), "ip"));
    assertEquals("True", condition(web, LbIpam.SATISFIED, "status"));
    assertEquals("192.168.10.212", Json.string(Json.array(lab.get(ApiResources.SERVICE, "default", "second").status(),
        "loadBalancer", "ingress").get(0).getStructValue(), "ip"));
    assertEquals("3", condition(lab.get(ApiResources.CILIUM_LB_IP_POOL, "", "cilium-lb-ippool"), LbIpam.AVAILABLE,
        "message"));
    // Back to ClusterIP: the IP is released, the pool counts it free again.
    web = lab.get(ApiResources.SERVICE, "default", "webpod");
    lab.update(ApiResources.SERVICE, web.withSpec(Kube.with(web.spec(), Json.of("ClusterIP"), "type")));
    lab.settle();
    web = lab.get(ApiResources.SERVICE, "default", "webpod");
    assertEquals(Json.obj("loadBalancer", Struct.getDefaultInstance()), web.status());
    assertEquals("4", condition(lab.get(ApiResources.CILIUM_LB_IP_POOL, "", "cilium-lb-ippool"), LbIpam.AVAILABLE,
        "message"));
    lab.store.delete(ApiResources.SERVICE, "default", "second", "");
    lab.settle();
    assertEquals("5", condition(lab.get(ApiResources.CILIUM_LB_IP_POOL, "", "cilium-lb-ippool"), LbIpam.AVAILABLE,
        "message"));
  }

  @Test
  void lbIpamHonoursDisabledSelectorsCidrsAndConflicts() {
    record Case(String what, List<Map<String, Object>> pools, String wantIp, String wantReason) {}
    Map<String, Object> blue = Map.of("blocks", List.of(Map.of("cidr", "10.0.10.0/30")),
        "serviceSelector", Map.of("matchLabels", Map.of("color", "blue")));
    for (Case c : List.of(
        new Case("disabled pool", List.of(Map.of("disabled", true, "blocks", List.of(Map.of("start", "10.0.0.1"))))
            , "", "no_pool"),
        new Case("selector does not match", List.of(blue), "", "no_pool"),
        new Case("cidr gives its network address", List.of(Map.of("blocks", List.of(Map.of("cidr", "10.0.10.0/30")))),
            "10.0.10.0", "satisfied"),
        new Case("allowFirstLastIPs No", List.of(Map.of("allowFirstLastIPs", "No",
            "blocks", List.of(Map.of("cidr", "10.0.10.0/30")))), "10.0.10.1", "satisfied"),
        new Case("full pool", List.of(Map.of("blocks", List.of(Map.of("start", "10.0.0.1")))), "", "out_of_ips"))) {
      TestLab l = new TestLab();
      int i = 0;
      for (Map<String, Object> spec : c.pools) {
        l.create(ApiResources.CILIUM_LB_IP_POOL, pool("p" + i++, spec));
      }
      if (c.what.equals("full pool")) {
        l.create(ApiResources.SERVICE, service("first", "LoadBalancer", Map.of()));
        l.settle();
        l.advance(1000);
      }
      l.create(ApiResources.SERVICE, service("webpod", "LoadBalancer", Map.of()));
      l.settle();
      KubeObject web = l.get(ApiResources.SERVICE, "default", "webpod");
      List<Value> ingress = Json.array(web.status(), "loadBalancer", "ingress");
      assertEquals(c.wantIp, ingress.isEmpty() ? "" : Json.string(ingress.get(0).getStructValue(), "ip"), c.what);
      assertEquals(c.wantReason, condition(web, LbIpam.SATISFIED, "reason"), c.what);
    }
    TestLab l = new TestLab();
    l.create(ApiResources.CILIUM_LB_IP_POOL, pool("old", Map.of("blocks", List.of(Map.of("cidr", "10.0.10.0/24")))));
    l.advance(1000);
    l.create(ApiResources.CILIUM_LB_IP_POOL, pool("new", Map.of("blocks", List.of(Map.of("start", "10.0.10.5",
        "stop", "10.0.10.6")))));
    l.settle();
    assertEquals("False", condition(l.get(ApiResources.CILIUM_LB_IP_POOL, "", "old"), LbIpam.CONFLICT, "status"));
    KubeObject newer = l.get(ApiResources.CILIUM_LB_IP_POOL, "", "new");
    assertEquals("True", condition(newer, LbIpam.CONFLICT, "status"));
    assertEquals("cidr_overlap", condition(newer, LbIpam.CONFLICT, "reason"));
    assertEquals("256", condition(l.get(ApiResources.CILIUM_LB_IP_POOL, "", "old"), LbIpam.AVAILABLE, "message"));
  }

  // ------------------------------------------------------------------ Deployment, ReplicaSet, scheduler

  @Test
  void deploymentMakesAReplicaSetAndPodsSpreadOverTheNodes() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.settle();
    List<KubeObject> sets = lab.list(ApiResources.REPLICA_SET);
    assertEquals(1, sets.size());
    KubeObject rs = sets.get(0);
    KubeObject d = lab.get(ApiResources.DEPLOYMENT, "default", "webpod");
    String hash = rs.metadata().labels().get("pod-template-hash");
    assertTrue(hash.matches(HASH), hash);
    assertEquals("webpod-" + hash, rs.metadata().name());
    assertEquals(PodTemplates.computeHash(Json.struct(d.spec(), "template"), null), hash);
    assertEquals(d.metadata().uid(), rs.metadata().controllerRef().orElseThrow().uid());
    assertEquals("1", rs.metadata().annotations().get("deployment.kubernetes.io/revision"));
    assertEquals("1", d.metadata().annotations().get("deployment.kubernetes.io/revision"));
    List<KubeObject> pods = pods();
    assertEquals(3, pods.size());
    Set<String> nodes = new TreeSet<>();
    for (KubeObject p : pods) {
      assertTrue(p.metadata().name().matches("webpod-" + hash + "-" + SUFFIX), p.metadata().name());
      assertEquals(rs.metadata().uid(), p.metadata().controllerRef().orElseThrow().uid());
      assertEquals(hash, p.metadata().labels().get("pod-template-hash"));
      assertEquals("Running", Json.string(p.status(), "phase"));
      assertTrue(Kube.conditionTrue(p.status(), "PodScheduled"));
      nodes.add(Kube.nodeName(p));
    }
    assertEquals(Set.of("k8s-ctr", "k8s-w0", "k8s-w1"), nodes, "one replica per node");
    assertEquals(3, Json.number(d.status(), "readyReplicas"));
    assertEquals(3, Json.number(d.status(), "availableReplicas"));
    assertEquals(3, Json.number(d.status(), "updatedReplicas"));
    assertEquals("NewReplicaSetAvailable", Json.string(Kube.condition(d.status(), "Progressing"), "reason"));
    assertEquals(3, Json.number(lab.get(ApiResources.REPLICA_SET, "default", rs.metadata().name()).status(),
        "readyReplicas"));
    // Scale up and down.
    lab.update(ApiResources.DEPLOYMENT, d.withSpec(Kube.with(d.spec(), Json.of(6), "replicas")));
    lab.settle();
    Map<String, Integer> perNode = new TreeMap<>();
    for (KubeObject p : pods()) {
      perNode.merge(Kube.nodeName(p), 1, Integer::sum);
    }
    assertEquals(Map.of("k8s-ctr", 2, "k8s-w0", 2, "k8s-w1", 2), perNode);
    d = lab.get(ApiResources.DEPLOYMENT, "default", "webpod");
    lab.update(ApiResources.DEPLOYMENT, d.withSpec(Kube.with(d.spec(), Json.of(2), "replicas")));
    lab.settle();
    assertEquals(2, pods().size());
    assertEquals(1, lab.list(ApiResources.REPLICA_SET).size());
  }

  @Test
  void rolloutRestartMakesANewReplicaSetAndReplacesEveryPod() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.settle();
    KubeObject d = lab.get(ApiResources.DEPLOYMENT, "default", "webpod");
    String oldRs = lab.list(ApiResources.REPLICA_SET).get(0).metadata().name();
    List<String> oldPods = new ArrayList<>();
    pods().forEach(p -> oldPods.add(p.metadata().name()));
    lab.advance(30_000); // within the nodes' grace period: they stay Ready
    lab.update(ApiResources.DEPLOYMENT, d.withSpec(Kube.with(d.spec(), Json.of("2025-08-09T12:00:30Z"), "template",
        "metadata", "annotations", "kubectl.kubernetes.io/restartedAt")));
    lab.settle();
    List<KubeObject> sets = lab.list(ApiResources.REPLICA_SET);
    assertEquals(2, sets.size());
    KubeObject newRs = sets.stream().filter(r -> !r.metadata().name().equals(oldRs)).findFirst().orElseThrow();
    assertEquals(0, ReplicaSetController.replicas(lab.get(ApiResources.REPLICA_SET, "default", oldRs).spec()));
    assertEquals(3, ReplicaSetController.replicas(newRs.spec()));
    assertEquals("2", newRs.metadata().annotations().get("deployment.kubernetes.io/revision"));
    List<KubeObject> pods = pods();
    assertEquals(3, pods.size());
    Set<String> nodes = new TreeSet<>();
    for (KubeObject p : pods) {
      assertTrue(p.metadata().name().startsWith(newRs.metadata().name() + "-"), p.metadata().name());
      assertFalse(oldPods.contains(p.metadata().name()));
      nodes.add(Kube.nodeName(p));
    }
    assertEquals(3, nodes.size());
  }

  @Test
  void schedulerHonoursNodeNameNodeSelectorAndTaints() {
    KubeObject ctr = lab.get(ApiResources.NODE, "", "k8s-ctr");
    lab.store.update(ApiResources.NODE, ctr.withSpec(Kube.with(ctr.spec(), Json.value(List.of(Map.of(
        "key", "node-role.kubernetes.io/control-plane", "effect", "NoSchedule"))), "taints")));
    Struct container = Json.obj("containers", List.of(Map.of("name", "c", "image", "busybox")));
    record Case(String name, Struct spec, Set<String> allowed) {}
    for (Case c : List.of(
        new Case("pinned", Kube.with(container, Json.of("k8s-w0"), "nodeName"), Set.of("k8s-w0")),
        new Case("selector", Kube.with(container, Json.of(Json.obj("kubernetes.io/hostname", "k8s-w1")),
            "nodeSelector"), Set.of("k8s-w1")),
        new Case("tainted control plane refused", Kube.with(container, Json.of(Json.obj("kubernetes.io/hostname",
            "k8s-ctr")), "nodeSelector"), Set.of("")),
        new Case("tolerated", Kube.with(Kube.with(container, Json.of(Json.obj("kubernetes.io/hostname", "k8s-ctr")),
            "nodeSelector"), Json.value(List.of(Map.of("key", "node-role.kubernetes.io/control-plane",
            "operator", "Exists", "effect", "NoSchedule"))), "tolerations"), Set.of("k8s-ctr")))) {
      lab.create(ApiResources.POD, TestLab.obj(ApiResources.POD, "default", c.name, Map.of(), c.spec));
    }
    lab.settle();
    for (KubeObject p : pods()) {
      String want = p.metadata().name();
      assertTrue(Set.of("pinned", "selector", "tainted control plane refused", "tolerated").contains(want));
    }
    assertEquals("k8s-w0", Kube.nodeName(lab.get(ApiResources.POD, "default", "pinned")));
    assertEquals("k8s-w1", Kube.nodeName(lab.get(ApiResources.POD, "default", "selector")));
    assertEquals("", Kube.nodeName(lab.get(ApiResources.POD, "default", "tainted control plane refused")));
    assertEquals("k8s-ctr", Kube.nodeName(lab.get(ApiResources.POD, "default", "tolerated")));
  }

  @Test
  void deletingTheDeploymentCollectsItsReplicaSetsAndPods() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.settle();
    lab.store.delete(ApiResources.DEPLOYMENT, "default", "webpod", "");
    lab.settle();
    assertEquals(List.of(), lab.list(ApiResources.REPLICA_SET));
    assertEquals(List.of(), pods());
  }

  // ------------------------------------------------------------------ DaemonSet

  @Test
  void daemonSetRunsOnePodPerNodeAndRollsThemOnRestart() {
    Struct template = Json.obj("metadata", Json.obj("labels", Map.of("k8s-app", "cilium")),
        "spec", Json.obj("containers", List.of(Map.of("name", "cilium-agent", "image", "quay.io/cilium/cilium"))));
    KubeObject ds = lab.create(ApiResources.DAEMON_SET, TestLab.obj(ApiResources.DAEMON_SET, "default", "cilium",
        Map.of(), Json.obj("selector", Json.obj("matchLabels", Map.of("k8s-app", "cilium")), "template", template)));
    lab.settle();
    List<KubeObject> pods = pods();
    assertEquals(3, pods.size());
    Set<String> nodes = new TreeSet<>();
    for (KubeObject p : pods) {
      assertTrue(p.metadata().name().matches("cilium-" + SUFFIX), p.metadata().name());
      nodes.add(Kube.nodeName(p));
    }
    assertEquals(Set.of("k8s-ctr", "k8s-w0", "k8s-w1"), nodes);
    ds = lab.get(ApiResources.DAEMON_SET, "default", "cilium");
    assertEquals(3, Json.number(ds.status(), "numberReady"));
    assertEquals(3, Json.number(ds.status(), "desiredNumberScheduled"));
    lab.store.update(ApiResources.DAEMON_SET, ds.withSpec(Kube.with(ds.spec(), Json.of("now"), "template", "metadata",
        "annotations", "kubectl.kubernetes.io/restartedAt")));
    lab.settle();
    List<KubeObject> after = pods();
    assertEquals(3, after.size());
    for (KubeObject p : after) {
      assertFalse(pods.stream().anyMatch(o -> o.metadata().name().equals(p.metadata().name())));
    }
  }

  KubeObject ciliumDaemonSet() {
    Struct template = Json.obj("metadata", Json.obj("labels", Map.of("k8s-app", "cilium")),
        "spec", Json.obj("containers", List.of(Map.of("name", "cilium-agent", "image", "quay.io/cilium/cilium"))));
    KubeObject ds = lab.create(ApiResources.DAEMON_SET, TestLab.obj(ApiResources.DAEMON_SET, "kube-system", "cilium",
        Map.of(), Json.obj("selector", Json.obj("matchLabels", Map.of("k8s-app", "cilium")), "template", template)));
    lab.settle();
    return lab.get(ApiResources.DAEMON_SET, "kube-system", "cilium");
  }

  /** The pods as a version 1 store left them after a restart: without owner references. */
  void orphanEveryPod() {
    for (KubeObject p : pods()) {
      lab.store.update(ApiResources.POD, p.withMetadata(p.metadata().withOwnerReferences(List.of())));
    }
  }

  static Map<String, String> byName(List<KubeObject> pods, java.util.function.Function<KubeObject, String> f) {
    Map<String, String> m = new TreeMap<>();
    for (KubeObject p : pods) {
      m.put(p.metadata().name(), f.apply(p));
    }
    return m;
  }

  @Test
  void orphanedDaemonPodsAreAdoptedAndNotDuplicated() {
    KubeObject ds = ciliumDaemonSet();
    List<KubeObject> before = pods();
    assertEquals(3, before.size());
    orphanEveryPod();
    assertTrue(pods().stream().allMatch(p -> p.metadata().ownerReferences().isEmpty()));
    lab.settle();
    List<KubeObject> after = pods();
    assertEquals(byName(before, Kube::nodeName), byName(after, Kube::nodeName), "the same three pods, no new ones");
    for (KubeObject p : after) {
      assertEquals(List.of(new OwnerReference("apps/v1", "DaemonSet", "cilium", ds.metadata().uid(), true, true)),
          p.metadata().ownerReferences(), p.metadata().name());
    }
    ds = lab.get(ApiResources.DAEMON_SET, "kube-system", "cilium");
    assertEquals(3, Json.number(ds.status(), "currentNumberScheduled"));
    assertEquals(3, Json.number(ds.status(), "numberReady"));
    assertEquals(0, lab.settle(), "nothing left to do");
  }

  @Test
  void daemonSetKeepsTheOldestOfSeveralPodsOnANodeAndLeavesOtherOwnersPodsAlone() {
    ciliumDaemonSet();
    orphanEveryPod();
    KubeObject onW0 = pods().stream().filter(p -> Kube.nodeName(p).equals("k8s-w0")).findFirst().orElseThrow();
    lab.advance(5_000);
    // A copy made by the old controller after the restart, a pod of another owner, one that does not match.
    lab.store.create(ApiResources.POD, TestLab.obj(ApiResources.POD, "kube-system", "cilium-dup",
        onW0.metadata().labels(), onW0.spec()));
    KubeObject rs = lab.store.create(ApiResources.REPLICA_SET, TestLab.obj(ApiResources.REPLICA_SET, "kube-system",
        "other", Map.of(), Json.obj("replicas", 0, "selector", Json.obj("matchLabels", Map.of("app", "other")))));
    KubeObject foreign = TestLab.obj(ApiResources.POD, "kube-system", "foreign", Map.of("k8s-app", "cilium"),
        Json.obj("nodeName", "k8s-w1"));
    lab.store.create(ApiResources.POD, foreign.withMetadata(foreign.metadata().withOwnerReferences(
        List.of(OwnerReference.controllerOf(rs)))));
    lab.store.create(ApiResources.POD, TestLab.obj(ApiResources.POD, "kube-system", "unrelated",
        Map.of("k8s-app", "hubble"), Json.obj("nodeName", "k8s-w1")));
    // One pass of the DaemonSet controller alone.
    assertTrue(new DaemonSetController().reconcile(new Cluster(lab.store, Admission.NONE), lab.clock.get()));
    Map<String, String> owners = byName(pods(), p -> p.metadata().controllerRef().map(OwnerReference::name).orElse(""));
    assertFalse(owners.containsKey("cilium-dup"), "the newer pod on k8s-w0 is deleted: " + owners);
    assertEquals("cilium", owners.get(onW0.metadata().name()), "the oldest is kept");
    assertEquals("other", owners.get("foreign"));
    assertEquals("", owners.get("unrelated"));
    assertEquals(3, owners.values().stream().filter("cilium"::equals).count(), owners.toString());
    assertEquals(onW0.metadata().uid(), lab.get(ApiResources.POD, "kube-system", onW0.metadata().name())
        .metadata().uid());
  }

  @Test
  void aDaemonPodWhoseLabelsNoLongerMatchIsReleasedAndReplaced() {
    KubeObject ds = ciliumDaemonSet();
    KubeObject onCtr = pods().stream().filter(p -> Kube.nodeName(p).equals("k8s-ctr")).findFirst().orElseThrow();
    Map<String, String> labels = new TreeMap<>(onCtr.metadata().labels());
    labels.remove("k8s-app");
    labels.put("debug", "true");
    lab.store.update(ApiResources.POD, onCtr.withMetadata(onCtr.metadata().withLabels(labels)));
    lab.settle();
    KubeObject released = lab.get(ApiResources.POD, "kube-system", onCtr.metadata().name());
    assertEquals(List.of(), released.metadata().ownerReferences(), "released, so not collected either");
    List<KubeObject> owned = pods().stream().filter(p -> Kube.controlledBy(p, ds)).toList();
    assertEquals(3, owned.size());
    assertEquals(Set.of("k8s-ctr", "k8s-w0", "k8s-w1"),
        owned.stream().map(Kube::nodeName).collect(java.util.stream.Collectors.toSet()));
    assertEquals(4, pods().size());
  }

  void taint(String node, String key, String effect) {
    KubeObject n = lab.get(ApiResources.NODE, "", node);
    List<Value> taints = new ArrayList<>(Json.array(n.spec(), "taints"));
    taints.add(Json.of(Json.obj("key", key, "effect", effect)));
    lab.store.update(ApiResources.NODE, n.withSpec(Kube.with(n.spec(), Json.list(taints), "taints")));
  }

  @Test
  void aDaemonPodStaysOnANodeThatGainsANoScheduleTaintAndLeavesOnANoExecuteOne() {
    KubeObject ds = ciliumDaemonSet();
    KubeObject onW1 = pods().stream().filter(p -> Kube.nodeName(p).equals("k8s-w1")).findFirst().orElseThrow();
    taint("k8s-w1", "example.com/maintenance", "NoSchedule");
    lab.settle();
    assertEquals(3, pods().size());
    assertEquals(onW1.metadata().uid(), lab.get(ApiResources.POD, "kube-system", onW1.metadata().name())
        .metadata().uid(), "still running: NoSchedule only keeps new pods away");
    ds = lab.get(ApiResources.DAEMON_SET, "kube-system", "cilium");
    assertEquals(2, Json.number(ds.status(), "desiredNumberScheduled"));
    assertEquals(2, Json.number(ds.status(), "currentNumberScheduled"));
    assertEquals(1, Json.number(ds.status(), "numberMisscheduled"));
    taint("k8s-w1", "example.com/maintenance", "NoExecute");
    lab.settle();
    assertEquals(Set.of("k8s-ctr", "k8s-w0"), pods().stream().map(Kube::nodeName)
        .collect(java.util.stream.Collectors.toSet()), "an untolerated NoExecute taint removes it");
    assertEquals(0, Json.number(lab.get(ApiResources.DAEMON_SET, "kube-system", "cilium").status(),
        "numberMisscheduled"));
  }

  @Test
  void anOwnerThatIsGoneAdoptsNothing() {
    KubeObject ds = ciliumDaemonSet();
    orphanEveryPod();
    lab.store.delete(ApiResources.DAEMON_SET, "kube-system", "cilium", "");
    List<KubeObject> orphans = pods();
    LabelSelector sel = Kube.labelSelector(Json.struct(ds.spec(), "selector"));
    Cluster cluster = new Cluster(lab.store, Admission.NONE);
    assertEquals(List.of(), ControllerRefs.claimPods(cluster, ApiResources.DAEMON_SET, ds, sel, orphans));
    assertEquals(orphans, pods(), "nothing written");
    // A DaemonSet of the same name but another uid (deleted and created again) is not the owner either.
    KubeObject again = lab.store.create(ApiResources.DAEMON_SET, ds.withMetadata(ObjectMeta.of("kube-system",
        "cilium", Map.of())));
    assertNotEquals(ds.metadata().uid(), again.metadata().uid());
    assertEquals(List.of(), ControllerRefs.claimPods(cluster, ApiResources.DAEMON_SET, ds, sel, orphans));
    assertEquals(3, ControllerRefs.claimPods(cluster, ApiResources.DAEMON_SET, again, sel, orphans).size());
  }

  // ------------------------------------------------------------------ Endpoints

  @Test
  void endpointsAndSlicesListTheReadyPodsWithResolvedPorts() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.create(ApiResources.SERVICE, service("webpod", "ClusterIP", Map.of()));
    lab.settle();
    KubeObject ep = lab.get(ApiResources.ENDPOINTS, "default", "webpod");
    List<Value> subsets = Json.array(ep.extra(), "subsets");
    assertEquals(1, subsets.size());
    Struct ss = subsets.get(0).getStructValue();
    List<String> ips = new ArrayList<>();
    for (Value a : Json.array(ss, "addresses")) {
      ips.add(Json.string(a.getStructValue(), "ip"));
      assertEquals("Pod", Json.string(a.getStructValue(), "targetRef", "kind"));
    }
    assertEquals(List.of("172.20.0.10", "172.20.1.10", "172.20.2.10"), ips);
    assertEquals(List.of(Json.of(Json.obj("port", 80, "protocol", "TCP"))), Json.array(ss, "ports"));
    List<KubeObject> slices = lab.list(ApiResources.ENDPOINT_SLICE);
    assertEquals(1, slices.size());
    KubeObject slice = slices.get(0);
    assertTrue(slice.metadata().name().matches("webpod-" + SUFFIX), slice.metadata().name());
    assertEquals("webpod", slice.metadata().labels().get("kubernetes.io/service-name"));
    assertEquals(3, Json.array(slice.extra(), "endpoints").size());
    assertEquals(List.of(Json.of(Json.obj("name", "", "port", 80, "protocol", "TCP"))), Json.array(slice.extra(), "ports"));
    lab.store.delete(ApiResources.SERVICE, "default", "webpod", "");
    lab.settle();
    assertEquals(List.of(), lab.list(ApiResources.ENDPOINTS));
    assertEquals(List.of(), lab.list(ApiResources.ENDPOINT_SLICE));
  }

  // ------------------------------------------------------------------ node lifecycle

  @Test
  void aNodeThatStopsRenewingGoesNotReadyItsPodsAreEvictedAndItComesBack() {
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.create(ApiResources.SERVICE, service("webpod", "ClusterIP", Map.of()));
    lab.settle();
    for (int s = 10; s <= 40; s += 10) {
      lab.advance(10_000);
      lab.renew("k8s-ctr");
      lab.renew("k8s-w1");
      lab.settle();
      assertTrue(Kube.conditionTrue(lab.get(ApiResources.NODE, "", "k8s-w0").status(), "Ready"), "at " + s + " s");
    }
    lab.advance(1_000);
    lab.settle();
    KubeObject w0 = lab.get(ApiResources.NODE, "", "k8s-w0");
    Struct ready = Kube.condition(w0.status(), "Ready");
    assertEquals("Unknown", Json.string(ready, "status"));
    assertEquals("NodeStatusUnknown", Json.string(ready, "reason"));
    assertEquals("Kubelet stopped posting node status.", Json.string(ready, "message"));
    List<String> taints = new ArrayList<>();
    for (Value t : Json.array(w0.spec(), "taints")) {
      taints.add(Json.string(t.getStructValue(), "key") + ":" + Json.string(t.getStructValue(), "effect"));
    }
    assertEquals(List.of("node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"),
        taints);
    KubeObject onW0 = pods().stream().filter(p -> Kube.nodeName(p).equals("k8s-w0")).findFirst().orElseThrow();
    assertFalse(Kube.podReady(onW0), "MarkPodsNotReady");
    Struct ss = Json.array(lab.get(ApiResources.ENDPOINTS, "default", "webpod").extra(), "subsets").get(0)
        .getStructValue();
    assertEquals(2, Json.array(ss, "addresses").size());
    assertEquals(1, Json.array(ss, "notReadyAddresses").size());
    // 300 s later the default toleration runs out: the pod is evicted and replaced on a Ready node.
    lab.advance(299_000);
    lab.renew("k8s-ctr");
    lab.renew("k8s-w1");
    lab.settle();
    assertTrue(lab.store.find(ApiResources.POD, "default", onW0.metadata().name()).isPresent());
    lab.advance(1_000);
    lab.settle();
    assertFalse(lab.store.find(ApiResources.POD, "default", onW0.metadata().name()).isPresent());
    assertEquals(3, pods().size());
    for (KubeObject p : pods()) {
      assertNotEquals("k8s-w0", Kube.nodeName(p));
      assertTrue(Kube.podReady(p));
    }
    // The kubelet comes back.
    lab.renew("k8s-w0");
    lab.settle();
    w0 = lab.get(ApiResources.NODE, "", "k8s-w0");
    assertTrue(Kube.conditionTrue(w0.status(), "Ready"));
    assertFalse(w0.spec().containsFields("taints"));
  }

  static KubeObject podOn(String name, String node) {
    return TestLab.obj(ApiResources.POD, "default", name, Map.of("app", name),
        Json.obj("nodeName", node, "containers", List.of(Map.of("name", "whoami", "image", "traefik/whoami"))),
        Json.obj("phase", "Running"));
  }

  @Test
  void aPodWhoseNodeHasNotRegisteredIsCollectedOnlyAfterThePodGcQuarantine() {
    // Pods bound to nodes with no Node object: k8s-w4 registers within the quarantine, k8s-w3 never.
    lab.create(ApiResources.POD, podOn("orphan", "k8s-w3"));
    lab.create(ApiResources.POD, podOn("early", "k8s-w4"));
    lab.settle();
    assertTrue(lab.store.find(ApiResources.POD, "default", "orphan").isPresent(), "not deleted at once");
    lab.advance(20_000);
    lab.node("k8s-w4", "172.20.4.0/24", false);
    lab.settle();
    lab.advance(NodeLifecycleController.ORPHAN_QUARANTINE_MILLIS - 20_001);
    lab.settle();
    assertEquals("Running", Json.string(lab.get(ApiResources.POD, "default", "orphan").status(), "phase"));
    lab.advance(1);
    lab.settle();
    assertFalse(lab.store.find(ApiResources.POD, "default", "orphan").isPresent(), "collected after 40 s");
    assertTrue(lab.store.find(ApiResources.POD, "default", "early").isPresent(), "its node registered in time");
    // A node that goes missing later starts its own quarantine.
    lab.create(ApiResources.POD, podOn("late", "k8s-w3"));
    lab.settle();
    lab.advance(NodeLifecycleController.ORPHAN_QUARANTINE_MILLIS - 1);
    lab.settle();
    assertTrue(lab.store.find(ApiResources.POD, "default", "late").isPresent());
    lab.advance(1);
    lab.settle();
    assertFalse(lab.store.find(ApiResources.POD, "default", "late").isPresent());
  }
}
