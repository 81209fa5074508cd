package io.podnet.deploy.agent;

import static io.podnet.deploy.agent.AgentLab.str;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Struct;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code cilium-dbg service list} on a node of a real cluster: the frontends the agent builds from
 * Services, EndpointSlices and LB-IPAM (ClusterIP, NodePort on 0.0.0.0, LoadBalancer, ExternalIPs,
 * the /i scope of externalTrafficPolicy Local) and the IDs it allocates as they appear.
 */
class ServiceListAgentTest {
  AgentLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  Struct running(String ns, String name) {
    return lab.awaitRunning(ns, name);
  }

  void create(KubeResource r, String json) {
    AgentLab.ok(lab.call(KubeClient.Request.create(r, AgentLab.json(json))));
  }

  void service(String name, String specExtra) {
    create(KubeResource.SERVICES, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + name
        + "\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"app\":\"webpod\"}," + specExtra + "}}");
  }

  String list(String node) {
    AgentLab.Output o = lab.run(lab.nodes.get(node), "cilium-dbg", "service", "list");
    assertEquals("", o.err());
    assertEquals(0, o.code());
    return o.out();
  }

  @Test
  void theAgentListsItsFrontendsWithIdsAllocatedAsServicesAppear() {
    lab = new AgentLab();
    lab.installCilium(AgentLab.NATIVE);
    lab.startNode("k8s-w1", "192.168.10.101");
    lab.startNode("k8s-w2", "192.168.10.102");
    lab.createPod("default", "webpod-1", "k8s-w1", Map.of("app", "webpod"), false);
    lab.createPod("default", "webpod-2", "k8s-w2", Map.of("app", "webpod"), false);
    String web1 = str(running("default", "webpod-1"), "status.podIP");
    String web2 = str(running("default", "webpod-2"), "status.podIP");
    String[] webs = {web1, web2};
    java.util.Arrays.sort(webs, java.util.Comparator.comparing(io.podnet.proto.packet.Ipv4Address::parse));
    create(KubeResource.CILIUM_LB_IP_POOLS, "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumLoadBalancerIPPool\","
        + "\"metadata\":{\"name\":\"pool\"},\"spec\":{\"blocks\":[{\"cidr\":\"192.168.10.211/32\"}]}}");

    service("webpod", "\"clusterIP\":\"10.96.10.10\",\"ports\":[{\"port\":80,\"targetPort\":80}]");
    // The header and one row (its IDs are there before its backends are).
    lab.await(() -> assertEquals(2, list("k8s-w1").lines().filter(l -> !l.startsWith(" ")).count(),
        list("k8s-w1")));
    // externalTrafficPolicy Local: NodePort in both scopes; the external IP in the external one only.
    service("webpod-np", "\"type\":\"NodePort\",\"clusterIP\":\"10.96.20.20\",\"externalTrafficPolicy\":\"Local\","
        + "\"externalIPs\":[\"192.168.10.50\"],\"ports\":[{\"port\":80,\"targetPort\":80,\"nodePort\":30080}]");
    lab.await(() -> assertEquals(6, list("k8s-w1").lines().filter(l -> !l.startsWith(" ")).count(),
        list("k8s-w1")));
    service("webpod-lb", "\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.30.30\","
        + "\"ports\":[{\"port\":8080,\"targetPort\":80,\"nodePort\":31080}]");
    String b1 = "1 => " + webs[0] + ":80/TCP (active)";
    String b2 = "2 => " + webs[1] + ":80/TCP (active)";
    // IDs in the order the frontends appeared, each Service's sorted by address; the NodePort
    // expansions onto the node's address take 3, 5 and 9; the LoadBalancer's IP came last (LB-IPAM).
    String expected = table(
        row("1", "10.96.10.10:80/TCP", "ClusterIP", b1), row("", "", "", b2),
        row("2", "0.0.0.0:30080/TCP", "NodePort", b1), row("", "", "", b2),
        row("4", "0.0.0.0:30080/TCP/i", "NodePort", b1), row("", "", "", b2),
        row("6", "10.96.20.20:80/TCP", "ClusterIP", b1), row("", "", "", b2),
        row("7", "192.168.10.50:80/TCP", "ExternalIPs", b1), row("", "", "", b2),
        row("8", "0.0.0.0:31080/TCP", "NodePort", b1), row("", "", "", b2),
        row("10", "10.96.30.30:8080/TCP", "ClusterIP", b1), row("", "", "", b2),
        row("11", "192.168.10.211:8080/TCP", "LoadBalancer", b1), row("", "", "", b2));
    lab.await(() -> assertEquals(expected, list("k8s-w1")));
    // Another node allocates its own IDs, here in the same order.
    lab.await(() -> assertEquals(expected, list("k8s-w2")));
    assertEquals(expected, list("k8s-w1"), "a re-list keeps the IDs");

    // A Service goes: its IDs are freed, the others keep theirs, a new one takes the next ID.
    AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.SERVICES, "default", "webpod-np")));
    service("webpod-2", "\"clusterIP\":\"10.96.40.40\",\"ports\":[{\"port\":81,\"targetPort\":80}]");
    String b1x = "1 => " + webs[0] + ":80/TCP (active)";
    lab.await(() -> assertEquals(table(
        row("1", "10.96.10.10:80/TCP", "ClusterIP", b1), row("", "", "", b2),
        row("8", "0.0.0.0:31080/TCP", "NodePort", b1), row("", "", "", b2),
        row("10", "10.96.30.30:8080/TCP", "ClusterIP", b1), row("", "", "", b2),
        row("11", "192.168.10.211:8080/TCP", "LoadBalancer", b1), row("", "", "", b2),
        row("12", "10.96.40.40:81/TCP", "ClusterIP", b1x), row("", "", "", b2)), list("k8s-w1")));
  }

  static String[] row(String... cells) {
    return cells;
  }

  /** Go's tabwriter over tab-terminated cells: each column as wide as its widest cell plus 3, at least 5. */
  static String table(String[]... rows) {
    String[][] all = new String[rows.length + 1][];
    all[0] = new String[] {"ID", "Frontend", "Service Type", "Backend"};
    System.arraycopy(rows, 0, all, 1, rows.length);
    int[] w = new int[4];
    for (String[] r : all) {
      for (int i = 0; i < 4; i++) {
        w[i] = Math.max(w[i], Math.max(5, r[i].length() + 3));
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : all) {
      for (int i = 0; i < 4; i++) {
        sb.append(r[i]).append(" ".repeat(w[i] - r[i].length()));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
