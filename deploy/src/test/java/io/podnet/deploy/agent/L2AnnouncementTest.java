package io.podnet.deploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.ToolOutput;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * L2 announcements across three agents (the reference lab's Part 3): the policy excludes k8s-w0;
 * one of the others holds the Service's Lease and has the l2-announce entry, and answers ARP for the
 * LB IP; failover when the leader's machine reboots (its agent stops gracefully: lease released,
 * taken at once) or is killed (no release: taken once it expired); the new leader's gratuitous ARP
 * moves a neighbour's entry for the LB IP (the router's, on the same segment) to its MAC.
 */
class L2AnnouncementTest {
  static final String LEASE = "cilium-l2announce-default-webpod";
  static final String TABLE = "IP               NetworkInterface\n192.168.10.211   eth0\n";
  static final String EMPTY = "IP   NetworkInterface\n";
  static final String LB_IP = "192.168.10.211";

  final AgentLab lab = new AgentLab();
  ActorRef<HostActor.Command> router;

  @AfterEach
  void stop() {
    lab.close();
  }

  void setUp() {
    List<String> sets = new ArrayList<>(AgentLab.NATIVE);
    sets.add("l2announcements.enabled=true");
    lab.installCilium(sets);
    lab.startNode("k8s-ctr", "192.168.10.100", true);
    lab.startNode("k8s-w1", "192.168.10.101", true);
    lab.startNode("k8s-w0", "192.168.10.102", true);
    router = lab.startHost("router", "192.168.10.200");
    AgentLab.ok(lab.call(KubeClient.Request.create(KubeResource.CILIUM_L2_ANNOUNCEMENT_POLICIES, AgentLab.json(
        "{\"apiVersion\":\"cilium.io/v2alpha1\",\"kind\":\"CiliumL2AnnouncementPolicy\",\"metadata\":{\"name\":"
            + "\"policy1\"},\"spec\":{\"serviceSelector\":{\"matchLabels\":{\"app\":\"webpod\"}},\"nodeSelector\":"
            + "{\"matchExpressions\":[{\"key\":\"kubernetes.io/hostname\",\"operator\":\"NotIn\",\"values\":"
            + "[\"k8s-w0\"]}]},\"interfaces\":[\"^eth[0-9]+\"],\"externalIPs\":true,\"loadBalancerIPs\":true}}"))));
    AgentLab.ok(lab.call(KubeClient.Request.create(KubeResource.SERVICES, AgentLab.json(
        "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"webpod\",\"namespace\":\"default\","
            + "\"labels\":{\"app\":\"webpod\"}},\"spec\":{\"type\":\"LoadBalancer\",\"selector\":{\"app\":\"webpod\"},"
            + "\"ports\":[{\"port\":80,\"targetPort\":80}]}}"))));
    // LB-IPAM gives the Service its IP from the lab's pool, as in Part 3. An ingress IP written by
    // hand, from no pool, is one it strips (status.loadBalancer {} and no_pool, as cilium-operator
    // does: cilium/cilium#39805): the Service would have no IP, no policy would select it, and no
    // election would run.
    AgentLab.ok(lab.call(KubeClient.Request.create(KubeResource.CILIUM_LB_IP_POOLS, AgentLab.json(
        "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumLoadBalancerIPPool\",\"metadata\":{\"name\":"
            + "\"cilium-lb-ippool\"},\"spec\":{\"blocks\":[{\"start\":\"192.168.10.211\","
            + "\"stop\":\"192.168.10.215\"}]}}"))));
    lab.await(() -> assertEquals(LB_IP, AgentLab.str(lab.get(KubeResource.SERVICES, "default", "webpod"),
        "status.loadBalancer.ingress.0.ip")));
  }

  Struct lease() {
    return lab.get(KubeResource.LEASES, "kube-system", LEASE);
  }

  String holder() {
    Struct l = lab.find(KubeResource.LEASES, "kube-system", LEASE);
    return l == null ? "" : AgentLab.str(l, "spec.holderIdentity");
  }

  static Instant time(Struct lease, String field) {
    return Instant.parse(AgentLab.str(lease, "spec." + field));
  }

  String show(String node) {
    AgentLab.Output o = lab.run(lab.nodes.get(node), "cilium-dbg", "shell", "--", "db/show", "l2-announce");
    assertEquals(0, o.code(), o.err());
    return o.out();
  }

  /**
   * Lab time passes in steps of {@code step} until the Lease names a node other than
   * {@code previous}, which must be one of {@code candidates} and show the entry; returns it.
   */
  String awaitLeader(Set<String> candidates, String previous, Duration within, Duration step) {
    for (long ms = 0; ms <= within.toMillis(); ms += step.toMillis()) {
      String h = holder();
      if (!h.isEmpty() && !h.equals(previous)) {
        assertTrue(candidates.contains(h), h + " holds the lease");
        lab.await(() -> assertEquals(TABLE, show(h)));
        return h;
      }
      lab.pass(step, step);
    }
    throw new AssertionError("no leader within " + within);
  }

  /** The router pings the LB IP: its kernel resolves it with ARP, which only the leader answers. */
  void routerResolvesLbIp() {
    TestProbe<ToolOutput> p = lab.testKit.createTestProbe();
    router.tell(new HostActor.RunTool("ping", List.of("ping", "-c", "1", "-W", "1", LB_IP), "/", p.ref()));
    lab.pass(Duration.ofMillis(1500), Duration.ofMillis(250));
    p.fishForMessage(Duration.ofSeconds(10), o -> o instanceof ToolOutput.Exited ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
  }

  /** The router's neighbour entry for the LB IP names {@code node}'s eth0 MAC. */
  void assertRouterNeighbour(String node) {
    lab.await(() -> {
      AgentLab.Output o = lab.run(router, "ip", "neigh", "show", LB_IP);
      assertEquals(0, o.code(), o.err());
      assertTrue(o.out().startsWith(LB_IP + " dev eth0 lladdr " + lab.nodeMacs.get(node) + " "), o.out());
    });
  }

  @Test
  void oneSelectedNodeLeadsAndAnnouncesAndAnotherTakesOverWhenItReboots() {
    setUp();
    String leader = awaitLeader(Set.of("k8s-ctr", "k8s-w1"), "", Duration.ofSeconds(20), Duration.ofMillis(100));
    Struct lease = lease();
    assertEquals("15", AgentLab.str(lease, "spec.leaseDurationSeconds"));
    assertEquals("0", AgentLab.str(lease, "spec.leaseTransitions"));
    routerResolvesLbIp();
    assertRouterNeighbour(leader);
    lab.pass(Duration.ofSeconds(10), Duration.ofMillis(500));
    assertEquals(leader, holder(), "renewed");
    assertTrue(time(lease(), "renewTime").isAfter(time(lease, "renewTime").plusSeconds(7)), "renewed");
    for (String n : List.of("k8s-ctr", "k8s-w1", "k8s-w0")) {
      if (!n.equals(leader)) {
        assertEquals(EMPTY, show(n), n);
      }
    }
    // `ssh $LEADER reboot`: the machine powers off gracefully; its agent releases the lease before
    // the host goes down (no lab time passes), and the other node takes it well before 15 s.
    AgentLab.Output reboot = lab.run(lab.nodes.get(leader), "reboot");
    assertEquals(0, reboot.code(), reboot.err());
    lab.await(() -> {
      Struct released = lease();
      assertEquals("", AgentLab.str(released, "spec.holderIdentity"));
      assertEquals("1", AgentLab.str(released, "spec.leaseDurationSeconds"));
    });
    lab.await(() -> assertEquals(255, lab.run(lab.nodes.get(leader), "ip", "link").code(), "the machine is down"));
    String other = leader.equals("k8s-ctr") ? "k8s-w1" : "k8s-ctr";
    assertEquals(other, awaitLeader(Set.of(other), leader, Duration.ofSeconds(5), Duration.ofMillis(100)),
        "well before the 15 s lease expires");
    assertEquals("1", AgentLab.str(lease(), "spec.leaseTransitions"));
    assertEquals("15", AgentLab.str(lease(), "spec.leaseDurationSeconds"));
    assertRouterNeighbour(other);
    // The rebooted node comes back as a follower: the lease stays where it is.
    lab.pass(AgentLab.BOOT_TIME.plusSeconds(10), Duration.ofMillis(500));
    assertEquals(other, holder());
    lab.await(() -> assertEquals(EMPTY, show(leader)));
    assertEquals(TABLE, show(other));
    assertEquals("1", AgentLab.str(lease(), "spec.leaseTransitions"));
  }

  @Test
  void aKilledLeadersLeaseIsTakenOnlyAfterItExpires() {
    setUp();
    String leader = awaitLeader(Set.of("k8s-ctr", "k8s-w1"), "", Duration.ofSeconds(20), Duration.ofMillis(100));
    routerResolvesLbIp();
    assertRouterNeighbour(leader);
    lab.testKit.stop(lab.nodes.get(leader), Duration.ofSeconds(10));
    Instant lastRenew = time(lease(), "renewTime");
    String other = leader.equals("k8s-ctr") ? "k8s-w1" : "k8s-ctr";
    lab.pass(Duration.ofSeconds(10), Duration.ofMillis(500));
    assertEquals(leader, holder(), "the dead node's lease has not expired yet");
    assertNotEquals(TABLE, show(other));
    assertEquals(other, awaitLeader(Set.of(other), leader, Duration.ofSeconds(15), Duration.ofMillis(250)));
    Struct taken = lease();
    assertTrue(!time(taken, "acquireTime").isBefore(lastRenew.plusSeconds(15)),
        "taken at " + time(taken, "acquireTime") + ": 15 s after the last renewal (" + lastRenew + ") at the earliest");
    assertEquals("1", AgentLab.str(taken, "spec.leaseTransitions"));
    assertRouterNeighbour(other);
  }
}
