package io.podnet.deploy.agent;

import static io.podnet.deploy.agent.AgentLab.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The agents' watches as client-go informers keep them: watched again when they end, listed again
 * (and what vanished deleted) when they cannot resume; and the operator's identity GC with the
 * agent's re-creation of an identity deleted while in use. On ManualTime, messages serialized.
 */
class InformerTest {
  AgentLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  AgentLab cluster(AgentLab l, Map<String, String> operatorSettings) {
    lab = l;
    lab.installCilium(AgentLab.NATIVE, operatorSettings);
    lab.startNode("k8s-w1", "192.168.10.101");
    lab.awaitValue(() -> {
      Struct cn = lab.get(KubeResource.CILIUM_NODES, "", "k8s-w1");
      assertFalse(str(cn, "spec.ipam.podCIDRs.0").isEmpty(), AgentLab.print(cn));
      return cn;
    });
    return lab;
  }

  Struct running(String ns, String name) {
    return lab.awaitValue(() -> {
      Struct pod = lab.get(KubeResource.PODS, ns, name);
      assertEquals("Running", str(pod, "status.phase"), () -> AgentLab.print(pod));
      return pod;
    });
  }

  void createService(String name) {
    AgentLab.ok(lab.call(KubeClient.Request.create(KubeResource.SERVICES, AgentLab.json("{\"apiVersion\":\"v1\","
        + "\"kind\":\"Service\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"default\"},\"spec\":"
        + "{\"selector\":{\"app\":\"" + name + "\"},\"ports\":[{\"port\":80,\"targetPort\":80,\"protocol\":\"TCP\"}]}}"))));
  }

  /** What the node's resolver makes of a Service's FQDN: the ping's first line. */
  String resolve(String service) {
    return lab.firstLine(lab.nodes.get("k8s-w1"), "ping", "-c", "1", service + ".default.svc.cluster.local");
  }

  void resolves(String service) {
    String ip = str(lab.get(KubeResource.SERVICES, "default", service), "spec.clusterIP");
    lab.await(() -> assertEquals("PING " + service + ".default.svc.cluster.local (" + ip + ") 56(84) bytes of data.",
        resolve(service)));
  }

  void unknown(String service) {
    lab.await(() -> assertEquals("ping: " + service + ".default.svc.cluster.local: Name or service not known",
        resolve(service)));
  }

  @Test
  void aServiceCreatedAfterTheApiServerRestartedReachesTheAgent() {
    cluster(new AgentLab(true, 1024), Map.of());
    createService("before");
    resolves("before");

    // The API server actor restarts: same ref, same store, its watches gone. The gateway ends them
    // (ERROR), and the agent watches again from the last resourceVersion it saw, 800 ms later.
    lab.crashApiServer();
    createService("meanwhile");
    lab.pass(Duration.ofMillis(900), Duration.ofMillis(100));
    createService("after");
    resolves("meanwhile");
    resolves("after");
    // And once more: the backoff grew to 1.6 s, and the watch still comes back.
    lab.crashApiServer();
    lab.pass(Duration.ofMillis(1700), Duration.ofMillis(100));
    createService("again");
    resolves("again");
  }

  @Test
  void aWatchThatCannotResumeIsListedAgainAndWhatVanishedIsDeleted() {
    // A store that keeps only 40 changes for watches to resume from.
    cluster(new AgentLab(true, 40), Map.of());
    createService("doomed");
    createService("kept");
    resolves("doomed");
    resolves("kept");
    lab.createPod("default", "gone", "k8s-w1", Map.of("app", "gone"), false);
    running("default", "gone");
    lab.podHost("default", "gone");
    String goneId = identityOf("default", "gone");
    assertFalse(goneId.isEmpty());
    String deletedAt = str(AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.SERVICES, "default",
        "doomed"))).body(), "metadata.resourceVersion");
    // While the agent has no watch (the API server restarted), more changes than the store keeps.
    lab.crashApiServer();
    // A pod deleted meanwhile (kubectl delete --force; the garbage collector takes its
    // CiliumEndpoint), and its identity with it.
    lab.deletePod("default", "gone");
    AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.CILIUM_IDENTITIES, "", goneId)));
    for (int i = 0; i < 50; i++) {
      AgentLab.ok(lab.call(KubeClient.Request.create(KubeResource.CONFIG_MAPS, AgentLab.json("{\"apiVersion\":\"v1\","
          + "\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"filler-" + i + "\",\"namespace\":\"other\"}}"))));
    }
    // The deletion cannot be replayed to anyone any more: a watch from before it gets 410.
    TestProbe<KubeClient.Result> started = lab.testKit.createTestProbe();
    TestProbe<KubeClient.Event> events = lab.testKit.createTestProbe();
    lab.client.tell(new KubeClient.Watch(KubeClient.Request.watch(KubeResource.SERVICES, "", "", "",
        Long.toString(Long.parseLong(deletedAt) - 1)), events.ref(), started.ref()));
    KubeClient.Result expired = started.receiveMessage(Duration.ofSeconds(10));
    assertEquals(410, expired.code(), expired.message());
    assertTrue(expired.message().startsWith("too old resource version: "), expired.message());

    // The agent's watch from its last resourceVersion fails the same way: it lists, and the
    // Service it knew and the list lacks is deleted from its view.
    createService("new");
    lab.pass(Duration.ofMillis(3000), Duration.ofMillis(100));
    unknown("doomed");
    resolves("kept");
    resolves("new");
    // The pod's deletion, known only from the list (metadata only): its host is torn down. (Its
    // identity may come back meanwhile, if the agent heard of the deletion of the identity before
    // the pod's: a real agent re-creates what its endpoints hold; the operator's GC takes it later.)
    lab.await(() -> assertTrue(lab.podHosts("default", "gone").isEmpty()));
    // It watches from the list's resourceVersion on: later changes arrive as events.
    AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.SERVICES, "default", "kept")));
    unknown("kept");
  }

  @Test
  void aConfigMapChangedWhileTheWatchWasDownReachesTheAgentAndTheOperator() {
    cluster(new AgentLab(true, 1024), Map.of());
    var node = lab.nodes.get("k8s-w1");
    lab.await(() -> assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Native")));
    lab.crashApiServer();
    Map<String, String> tunnel = new TreeMap<>(AgentLab.render(List.of("routingMode=tunnel",
        "tunnelProtocol=geneve", "ipam.mode=cluster-pool", "ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}",
        "ipam.operator.clusterPoolIPv4MaskSize=24")));
    lab.setConfig(tunnel);
    lab.pass(Duration.ofMillis(900), Duration.ofMillis(100));
    lab.await(() -> assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Tunnel [geneve]")));
    // The operator's watches came back too: a node that joins now gets a podCIDR.
    lab.startNode("k8s-w2", "192.168.10.102");
    lab.await(() -> assertEquals("172.20.1.0/24", str(lab.get(KubeResource.CILIUM_NODES, "", "k8s-w2"),
        "spec.ipam.podCIDRs.0")));
  }

  // ============================================================ identity GC

  static final Map<String, String> FAST_GC = Map.of("identity-gc-interval", "10s",
      "identity-heartbeat-timeout", "20s");

  String identityOf(String ns, String pod) {
    return lab.awaitValue(() -> {
      String id = str(lab.get(KubeResource.CILIUM_ENDPOINTS, ns, pod), "status.identity.id");
      assertFalse(id.isEmpty());
      return id;
    });
  }

  /** Lab time passes in 1 s steps (the GC's rounds are 10 s apart). */
  void passSeconds(int s) {
    lab.pass(Duration.ofSeconds(s), Duration.ofSeconds(1));
  }

  /** The io.cilium.heartbeat annotation ("" when there is none): its key has dots. */
  static String mark(Struct identity) {
    var a = AgentLab.at(identity, "metadata.annotations").getStructValue().getFieldsMap().get("io.cilium.heartbeat");
    return a == null ? "" : a.getStringValue();
  }

  @Test
  void anUnusedIdentityIsMarkedThenDeletedAfterTheHeartbeatTimeoutAndOneInUseNever() {
    cluster(new AgentLab(), FAST_GC);
    lab.createPod("default", "keeper", "k8s-w1", Map.of("app", "keeper"), false);
    lab.createPod("default", "leaver", "k8s-w1", Map.of("app", "leaver"), false);
    running("default", "keeper");
    running("default", "leaver");
    String kept = identityOf("default", "keeper");
    String unused = identityOf("default", "leaver");
    assertFalse(kept.equals(unused));

    // The last pod with the leaver's labels goes: its CiliumEndpoint with it.
    lab.deletePod("default", "leaver");
    lab.await(() -> assertNull(lab.find(KubeResource.CILIUM_ENDPOINTS, "default", "leaver")));

    // Rounds every 10 s; the identity's lifesign is its creation (t=0). At 10 s it is younger
    // than the 20 s timeout: untouched.
    passSeconds(15);
    lab.await(() -> assertEquals("", mark(lab.get(KubeResource.CILIUM_IDENTITIES, "", unused))));
    // At 20 s it is not alive: marked for deletion with the lab's wall time (the mark is a change,
    // so a lifesign: the next round keeps it).
    passSeconds(5);
    String marked = lab.awaitValue(() -> {
      String m = mark(lab.get(KubeResource.CILIUM_IDENTITIES, "", unused));
      assertFalse(m.isEmpty());
      return m;
    });
    assertEquals("2025-08-09T12:35:45.000000000Z", marked, "marked at the 20 s round");
    passSeconds(15);
    assertNotNull(lab.find(KubeResource.CILIUM_IDENTITIES, "", unused), "35 s: marked 15 s ago, kept");
    // At 40 s, still unused 20 s after the mark: deleted.
    passSeconds(5);
    lab.await(() -> assertNull(lab.find(KubeResource.CILIUM_IDENTITIES, "", unused)));

    // The identity in use survives round after round, never marked.
    for (int round = 0; round < 4; round++) {
      passSeconds(10);
      Struct k = lab.get(KubeResource.CILIUM_IDENTITIES, "", kept);
      assertEquals("", mark(k), () -> AgentLab.print(k));
    }
    assertEquals(kept, identityOf("default", "keeper"));
  }

  @Test
  void anIdentityDeletedWhileInUseIsCreatedAgainByTheAgentUnderTheSameId() {
    cluster(new AgentLab(), Map.of());
    lab.createPod("default", "curl-pod", "k8s-w1", Map.of("app", "curl"), false);
    running("default", "curl-pod");
    String id = identityOf("default", "curl-pod");
    Struct before = lab.get(KubeResource.CILIUM_IDENTITIES, "", id);

    // kubectl delete ciliumidentity ID
    AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.CILIUM_IDENTITIES, "", id)));
    Struct again = lab.awaitValue(() -> {
      Struct i = lab.find(KubeResource.CILIUM_IDENTITIES, "", id);
      assertNotNull(i, "re-created");
      return i;
    });
    assertFalse(str(before, "metadata.uid").equals(str(again, "metadata.uid")), "a new object");
    assertEquals(AgentLab.at(before, "security-labels"), AgentLab.at(again, "security-labels"));
    assertEquals(AgentLab.at(before, "metadata.labels"), AgentLab.at(again, "metadata.labels"));
    // The endpoint keeps its identity; there is one identity for its labels.
    assertEquals(id, identityOf("default", "curl-pod"));
    assertEquals(1, lab.list(KubeResource.CILIUM_IDENTITIES).stream()
        .filter(i -> AgentLab.at(i, "security-labels").equals(AgentLab.at(before, "security-labels"))).count());
  }

  @Test
  void theGcIsOffWithAnIntervalOfZero() {
    cluster(new AgentLab(), Map.of("identity-gc-interval", "0"));
    lab.createPod("default", "leaver", "k8s-w1", Map.of("app", "leaver"), false);
    running("default", "leaver");
    String unused = identityOf("default", "leaver");
    lab.deletePod("default", "leaver");
    lab.await(() -> assertNull(lab.find(KubeResource.CILIUM_ENDPOINTS, "default", "leaver")));
    passSeconds(60);
    Struct i = lab.get(KubeResource.CILIUM_IDENTITIES, "", unused);
    assertEquals("", mark(i), "no GC round ran");
  }
}
