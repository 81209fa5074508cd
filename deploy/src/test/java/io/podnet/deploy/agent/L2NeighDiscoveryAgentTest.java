package io.podnet.deploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * enable-l2-neigh-discovery in a running cluster: k8s-ctr and k8s-w1 share 192.168.10.0/24,
 * k8s-w0 is on 192.168.20.0/24 behind a router (one L2 segment carries both subnets, the router
 * has an address in each). The agent on k8s-ctr keeps a managed extern_learn neighbour entry for
 * k8s-w1 itself and one for the router (k8s-w0's next hop), resolved by the kernel.
 */
class L2NeighDiscoveryAgentTest {
  static final String ROUTER_MAC = "08:00:27:0f:bd:dd";
  AgentLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  String neigh(String node) {
    return lab.run(lab.nodes.get(node), "ip", "neigh").out();
  }

  void cluster(boolean discovery) {
    lab = new AgentLab();
    List<String> sets = new ArrayList<>(AgentLab.NATIVE);
    sets.add("l2NeighDiscovery.enabled=" + discovery);
    lab.installCilium(sets);
    lab.startRouter("router", ROUTER_MAC, List.of("192.168.10.200/24", "192.168.20.200/24"));
    lab.startNode("k8s-ctr", "192.168.10.100", List.of("default via 192.168.10.1 dev eth0",
        "192.168.20.0/24 via 192.168.10.200 dev eth0"));
    lab.startNode("k8s-w1", "192.168.10.101");
    lab.startNode("k8s-w0", "192.168.20.100", List.of("default via 192.168.20.200 dev eth0"));
  }

  @Test
  void sameSubnetNodesAndTheRouterToOtherSubnetsGetManagedEntries() {
    cluster(true);
    String w1 = "192.168.10.101 dev eth0 lladdr 02:00:00:00:00:02 managed extern_learn ";
    String router = "192.168.10.200 dev eth0 lladdr 08:00:27:0f:bd:dd managed extern_learn ";
    lab.await(Duration.ofSeconds(60), () -> {
      lab.pass(Duration.ofSeconds(1), Duration.ofMillis(100));
      String n = neigh("k8s-ctr");
      assertTrue(n.contains(w1 + "REACHABLE \n"), n);
      assertTrue(n.contains(router + "REACHABLE \n"), n);
    });
    // k8s-w0 sees k8s-ctr and k8s-w1 through its default gateway only
    lab.await(Duration.ofSeconds(60), () -> {
      lab.pass(Duration.ofSeconds(1), Duration.ofMillis(100));
      String n = neigh("k8s-w0");
      assertTrue(n.contains("192.168.20.200 dev eth0 lladdr 08:00:27:0f:bd:dd managed extern_learn REACHABLE \n"),
          n);
      assertFalse(n.contains("192.168.10.1"), n);
    });
    // two minutes without traffic: the kernel keeps them resolved, never STALE
    for (int i = 0; i < 12; i++) {
      lab.pass(Duration.ofSeconds(10), Duration.ofSeconds(1));
      String n = neigh("k8s-ctr");
      assertTrue(Stream.of("REACHABLE", "DELAY", "PROBE").anyMatch(s -> n.contains(w1 + s + " \n")), n);
      assertTrue(Stream.of("REACHABLE", "DELAY", "PROBE").anyMatch(s -> n.contains(router + s + " \n")), n);
    }

    // k8s-w0 goes away: the router is nobody's next hop any more and its entry goes
    lab.testKit.stop(lab.nodes.get("k8s-w0"));
    AgentLab.ok(lab.call(KubeClient.Request.delete(KubeResource.CILIUM_NODES, "", "k8s-w0")));
    lab.await(Duration.ofSeconds(60), () -> {
      lab.pass(Duration.ofSeconds(1), Duration.ofMillis(100));
      String n = neigh("k8s-ctr");
      assertFalse(n.contains("192.168.10.200"), n);
      assertTrue(n.contains(w1), n);
    });
  }

  @Test
  void withoutTheFeatureTheAgentWritesNoEntries() {
    cluster(false);
    lab.await(() -> assertTrue(lab.run(lab.nodes.get("k8s-ctr"), "ip", "route").out().contains("cilium_host")));
    lab.pass(Duration.ofSeconds(30), Duration.ofSeconds(1));
    assertEquals("", lab.run(lab.nodes.get("k8s-ctr"), "ip", "neigh", "show", "nud", "all").out().lines()
        .filter(l -> l.contains("extern_learn")).reduce("", String::concat));
  }
}
