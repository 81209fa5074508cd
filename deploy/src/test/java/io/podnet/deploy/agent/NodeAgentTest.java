package io.podnet.deploy.agent;

import static io.podnet.deploy.agent.AgentLab.at;
import static io.podnet.deploy.agent.AgentLab.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.node.api.KubeResource;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node agent (kubelet + Cilium agent inside a node's host actor), the operator and the relay,
 * against the real API server, as a user of a lab sees them: through the API and the nodes' and
 * pods' own commands.
 */
class NodeAgentTest {
  AgentLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Starts a cluster of {@code nodes} (k8s-w1 at 192.168.10.101, ...) with native routing. */
  AgentLab cluster(int nodes) {
    lab = new AgentLab();
    lab.installCilium(AgentLab.NATIVE);
    for (int i = 1; i <= nodes; i++) {
      lab.startNode("k8s-w" + i, "192.168.10.10" + i);
    }
    return lab;
  }

  /** The CiliumNode once it has a podCIDR and publishes its router IP: {podCIDR, router IP}. */
  String[] nodeReady(String node) {
    return lab.awaitValue(() -> {
      Struct cn = lab.get(KubeResource.CILIUM_NODES, "", node);
      String cidr = str(cn, "spec.ipam.podCIDRs.0");
      String router = "";
      String internal = "";
      for (var a : at(cn, "spec.addresses").getListValue().getValuesList()) {
        if (str(a.getStructValue(), "type").equals("CiliumInternalIP")) {
          router = str(a.getStructValue(), "ip");
        } else if (str(a.getStructValue(), "type").equals("InternalIP")) {
          internal = str(a.getStructValue(), "ip");
        }
      }
      assertFalse(cidr.isEmpty(), "no podCIDR on " + cn);
      assertFalse(router.isEmpty(), "no CiliumInternalIP on " + cn);
      assertEquals(lab.nodeIps.get(node).toString(), internal);
      return new String[] {cidr, router};
    });
  }

  @Test
  void aNodeGetsAPodCidrFromTheClusterPoolAndItsRouterIpOnCiliumHost() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    Ipv4Prefix pool = Ipv4Prefix.parse("172.20.0.0/16");
    for (String[] n : List.of(w1, w2)) {
      Ipv4Prefix cidr = Ipv4Prefix.parse(n[0]);
      assertEquals(24, cidr.length(), n[0]);
      assertTrue(pool.contains(cidr.address()), n[0] + " from the pool");
      assertTrue(cidr.contains(Ipv4Address.parse(n[1])), "router IP " + n[1] + " in " + n[0]);
    }
    assertNotEquals(w1[0], w2[0], "two nodes, two podCIDRs");
    // The kubelet registered the Node too.
    assertEquals("k8s-w1", str(lab.get(KubeResource.NODES, "", "k8s-w1"), "metadata.name"));

    var w1Host = lab.nodes.get("k8s-w1");
    lab.await(() -> {
      String addr = lab.run(w1Host, "ip", "-4", "addr", "show", "dev", "cilium_host").out();
      assertTrue(addr.contains("inet " + w1[1] + "/32 scope global cilium_host"), addr);
    });
    // Routes: the own podCIDR via the router IP, the other node's podCIDR directly via its node IP.
    lab.await(() -> {
      String routes = lab.run(w1Host, "ip", "route").out();
      assertTrue(routes.contains(w1[0] + " via " + w1[1] + " dev cilium_host"), routes);
      assertTrue(routes.contains(w2[0] + " via 192.168.10.102 dev eth0"), routes);
    });
  }
}
