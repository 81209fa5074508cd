package io.podnet.node.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.proto.packet.Ipv4Address;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The announcer's selection rules and lease timings, on the reference lab's policy1. */
class L2AnnouncerSelectionTest {
  static final Struct NODE_SELECTOR = Json.parse("{\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\","
      + "\"operator\":\"NotIn\",\"values\":[\"k8s-w0\"]}]}");

  @Test
  void nodeSelectorNotIn() throws Exception {
    assertTrue(L2Announcer.matches(NODE_SELECTOR, Map.of("kubernetes.io/hostname", "k8s-w1")));
    assertFalse(L2Announcer.matches(NODE_SELECTOR, Map.of("kubernetes.io/hostname", "k8s-w0")));
    assertTrue(L2Announcer.matches(NODE_SELECTOR, Map.of()), "NotIn holds for a missing key");
    assertTrue(L2Announcer.matches(null, Map.of()), "no selector: every node");
    assertTrue(L2Announcer.matches(Struct.getDefaultInstance(), Map.of("a", "b")), "empty selector: everything");
  }

  @Test
  void serviceSelectorWithMetaLabels() throws Exception {
    Struct svc = Json.parse("{\"metadata\":{\"namespace\":\"default\",\"name\":\"webpod\",\"labels\":{\"app\":"
        + "\"webpod\"}},\"spec\":{\"externalIPs\":[\"10.0.0.9\"]},\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":"
        + "\"192.168.10.211\"},{\"hostname\":\"lb.example\"}]}}}");
    Map<String, String> labels = L2Announcer.serviceLabels(svc);
    assertTrue(L2Announcer.matches(Json.parse("{\"matchLabels\":{\"app\":\"webpod\"}}"), labels));
    assertFalse(L2Announcer.matches(Json.parse("{\"matchLabels\":{\"app\":\"other\"}}"), labels));
    assertTrue(L2Announcer.matches(Json.parse("{\"matchLabels\":{\"io.kubernetes.service.name\":\"webpod\","
        + "\"io.kubernetes.service.namespace\":\"default\"}}"), labels));
    assertTrue(L2Announcer.matches(Json.parse("{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\"}]}"),
        labels));
    assertFalse(L2Announcer.matches(Json.parse("{\"matchExpressions\":[{\"key\":\"app\",\"operator\":"
        + "\"DoesNotExist\"}]}"), labels));
    assertEquals(List.of(Ipv4Address.parse("192.168.10.211")), L2Announcer.loadBalancerIps(svc));
    assertEquals(List.of(Ipv4Address.parse("10.0.0.9")), L2Announcer.externalIps(svc));
  }

  @Test
  void badSelectorsAreRejected() {
    L2Announcer.SelectorException e = assertThrows(L2Announcer.SelectorException.class, () -> L2Announcer.matches(
        Json.parse("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Has\"}]}"), Map.of()));
    assertEquals("\"Has\" is not a valid label selector operator", e.getMessage());
    assertThrows(L2Announcer.SelectorException.class, () -> L2Announcer.matches(
        Json.parse("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}"), Map.of()));
    // Go's regexp errors, as Cilium's bad-interface-regex condition carries them
    assertEquals("error parsing regexp: missing closing ]: `[`", assertThrows(L2Announcer.SelectorException.class,
        () -> L2Announcer.selectDevices(List.of("eth["), List.of("eth1"))).getMessage());
    assertEquals("error parsing regexp: missing closing ]: `[1-9`", assertThrows(L2Announcer.SelectorException.class,
        () -> L2Announcer.selectDevices(List.of("^eth[1-9"), List.of("eth1"))).getMessage());
    assertEquals("error parsing regexp: missing closing ): `(eth`", assertThrows(L2Announcer.SelectorException.class,
        () -> L2Announcer.selectDevices(List.of("(eth"), List.of("eth1"))).getMessage());
    assertEquals("error parsing regexp: missing argument to repetition operator: `*`",
        assertThrows(L2Announcer.SelectorException.class,
            () -> L2Announcer.selectDevices(List.of("*eth"), List.of("eth1"))).getMessage());
  }

  @Test
  void interfacesAreUnanchoredRegexes() throws Exception {
    List<String> devs = List.of("eth0", "eth1", "eth12", "veth1");
    assertEquals(List.of("eth1", "eth12"), L2Announcer.selectDevices(List.of("^eth[1-9]+"), devs));
    assertEquals(List.of("eth1", "eth12", "veth1"), L2Announcer.selectDevices(List.of("eth[1-9]"), devs));
    assertEquals(devs, L2Announcer.selectDevices(List.of(), devs), "no regex: every device");
  }

  @Test
  void leaseTimings() {
    L2Announcer.Timings t = L2Announcer.Timings.of(Map.of("l2-announcements-lease-duration", "15s",
        "l2-announcements-renew-deadline", "5s", "l2-announcements-retry-period", "2s"));
    assertEquals(List.of(Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(2)),
        List.of(t.leaseDuration(), t.renewDeadline(), t.retryPeriod()));
    assertEquals(List.of(), t.warnings());
    L2Announcer.Timings bad = L2Announcer.Timings.of(Map.of("l2-announcements-lease-duration", "5s",
        "l2-announcements-renew-deadline", "5s", "l2-announcements-retry-period", "2s"));
    assertEquals(Duration.ofMillis(2500), bad.renewDeadline());
    assertEquals(Duration.ofSeconds(2), bad.retryPeriod(), "2.5 s > 1.2 * 2 s: kept");
    assertEquals(List.of("--l2-announcements-lease-duration must be greater than --l2-announcements-renew-deadline, defaulting to a 2/1 ratio"), bad.warnings());
  }

  @Test
  void policyConditionsAreSetOnErrorsClearedOnFixesAndNotRewritten() {
    Struct fresh = Json.parse("{\"metadata\":{\"name\":\"policy1\",\"generation\":1}}");
    // every check passed and no condition yet: nothing to write
    java.util.Map<String, String> ok = new java.util.LinkedHashMap<>();
    ok.put(L2Announcer.BAD_NODE_SELECTOR, null);
    ok.put(L2Announcer.BAD_INTERFACE_REGEX, null);
    ok.put(L2Announcer.BAD_SERVICE_SELECTOR, null);
    assertEquals(null, L2Announcer.policyConditions(fresh, ok, "2026-11-25T16:00:00Z"));
    // a bad service selector: its condition True with the error, as the docs show it
    java.util.Map<String, String> bad = new java.util.LinkedHashMap<>(ok);
    String err = "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty";
    bad.put(L2Announcer.BAD_SERVICE_SELECTOR, err);
    List<Struct> set = L2Announcer.policyConditions(fresh, bad, "2026-11-25T16:00:00Z");
    assertEquals(1, set.size());
    Struct c = set.get(0);
    assertEquals(List.of("io.cilium/bad-service-selector", "True", "1", "2026-11-25T16:00:00Z", "error", err),
        List.of(Json.str(c, "type"), Json.str(c, "status"), Json.str(c, "observedGeneration"),
            Json.str(c, "lastTransitionTime"), Json.str(c, "reason"), Json.str(c, "message")));
    Struct withError = fresh.toBuilder().putFields("status", com.google.protobuf.Value.newBuilder().setStructValue(
        Json.parse("{\"conditions\":[" + Json.toJson(set.get(0)) + "]}")).build()).build();
    // the same error again (another agent, the write's echo): no write
    assertEquals(null, L2Announcer.policyConditions(withError, bad, "2026-11-25T16:00:05Z"));
    // fixed: the condition goes False with no message
    List<Struct> cleared = L2Announcer.policyConditions(withError, ok, "2026-11-25T16:01:00Z");
    assertEquals("False", Json.str(cleared.get(0), "status"));
    assertEquals("", Json.str(cleared.get(0), "message"));
    assertEquals("2026-11-25T16:01:00Z", Json.str(cleared.get(0), "lastTransitionTime"));
  }
}
