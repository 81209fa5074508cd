package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** `podnet run`: a lab started from its topology, a transcript replayed through the real shims. */
class LabRunTest extends PodnetHomeTest {


  static final String TWO_SUBNETS = """
      name: two-subnets
      seed: 7
      segments:
        left: {}
        right: {}
      hosts:
        gw:
          kind: router
          interfaces:
            wan: {nat: {}}
            lan1: {segment: left, address: 10.1.0.1/24}
            lan2: {segment: right, address: 10.2.0.1/24}
        a:
          interfaces:
            nic0: {segment: left, address: 10.1.0.10/24}
          routes: [10.0.0.0/8 via 10.1.0.1]
        b:
          interfaces:
            nic0: {segment: right, address: 10.2.0.20/24}
          routes: [default via 10.2.0.1]
      """;

  @Test
  void replaysATranscriptOnALabFromItsTopology() throws Exception {
    Path lab = tmp.resolve("lab.yaml");
    Files.writeString(lab, TWO_SUBNETS);
    Path script = tmp.resolve("t.lab");
    Files.writeString(script, """
        # routes come from the topology, the NAT uplink from DHCP
        gw# ip route
        a# ip route get 10.2.0.20
        gw# ip route add 10.9.0.0/16 via 10.2.0.99
        gw# ip route add 10.9.0.0/16 via 10.2.0.20 && ip route | grep 10.9
        b# ip neigh; echo rc=$?
        """);
    Run r = podnet("run", lab.toString(), script.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("""
        # routes come from the topology, the NAT uplink from DHCP
        root@gw:~# ip route
        default via 10.0.2.2 dev wan proto dhcp src 10.0.2.15 metric 100 \n\
        10.0.2.0/24 dev wan proto kernel scope link src 10.0.2.15 metric 100 \n\
        10.0.2.2 dev wan proto dhcp scope link src 10.0.2.15 metric 100 \n\
        10.0.2.3 dev wan proto dhcp scope link src 10.0.2.15 metric 100 \n\
        10.1.0.0/24 dev lan1 proto kernel scope link src 10.1.0.1 \n\
        10.2.0.0/24 dev lan2 proto kernel scope link src 10.2.0.1 \n\
        root@a:~# ip route get 10.2.0.20
        10.2.0.20 via 10.1.0.1 dev nic0 src 10.1.0.10 uid 0 \n\
            cache \n\
        root@gw:~# ip route add 10.9.0.0/16 via 10.2.0.99
        root@gw:~# ip route add 10.9.0.0/16 via 10.2.0.20 && ip route | grep 10.9
        RTNETLINK answers: File exists
        root@b:~# ip neigh; echo rc=$?
        rc=0
        """, r.out());
    assertFalse(Files.exists(tmp.resolve("home/labs/two-subnets/port")), "the lab is gone after the replay");
  }

  /** README's first command: the reference lab's walkthrough, Parts 1, 2 and 3. */
  @Test
  void referenceWalkthrough() {
    Run r = podnet("run", "labs/cilium-seed");
    assertEquals(0, r.code(), r.err());
    String o = r.out();
    // Part 1: own podCIDR via cilium_host; the same-subnet peer's via its node IP; none for k8s-w0's.
    assertTrue(o.matches("(?s).*root@k8s-ctr:~# ip -c route\n.*"
        + "172\\.20\\.(\\d+)\\.0/24 via (172\\.20\\.\\1\\.\\d+) dev cilium_host proto kernel src \\2 \n"
        + ".*\\2 dev cilium_host proto kernel scope link \n"
        + "172\\.20\\.\\d+\\.0/24 via 192\\.168\\.10\\.101 dev eth1 proto kernel \n.*root@k8s-w1.*"), o);
    String w0Routes = o.substring(o.indexOf("root@k8s-w0:~# ip -c route\n"), o.indexOf("root@k8s-ctr:~# kubectl get ciliumnode"));
    assertFalse(w0Routes.contains("dev eth1 proto kernel \n"), "k8s-w0 has no direct node route: " + w0Routes);
    if (!java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/kubectl"))) {
      return; // the rest drives the real kubectl
    }
    assertTrue(o.contains("    \"ip\": \"192.168.20.100\",\n    \"type\": \"InternalIP\"\n"), o);
    assertTrue(o.matches("(?s).*\ncurl-pod +1/1 +Running +0 +\\d+s +172\\.20\\.\\d+\\.\\d+ +k8s-ctr .*"), o);
    // Some answers, some timeouts: the backend on k8s-w0 is unreachable.
    String loop = o.substring(o.indexOf("seq 10"), o.indexOf("export WEBPOD"));
    assertTrue(loop.contains("Hostname: webpod-"), loop);
    assertTrue(loop.contains("---\n---\n"), loop);
    // (the background tcpdump's lines interleave with ping's)
    assertTrue(o.matches("(?s).*\\d\\d:\\d\\d:\\d\\d\\.\\d{6} eth1  In  IP 172\\.20\\.\\d+\\.\\d+ > 172\\.20\\.\\d+\\.\\d+: "
        + "ICMP echo request, id \\d+, seq 1, length 64\n.*"), o);
    assertTrue(o.matches("(?s).*\\d\\d:\\d\\d:\\d\\d\\.\\d{6} eth0  Out IP 172\\.20\\.\\d+\\.\\d+ > 172\\.20\\.\\d+\\.\\d+: "
        + "ICMP echo request, id \\d+, seq 1, length 64\n.*"), o);
    assertTrue(o.contains("1 packets transmitted, 0 received, 100% packet loss, time 0ms\n"), o);
    // After the router's routes: three hops, ttl=61, and every backend answers.
    assertTrue(o.matches("(?s).*64 bytes from 172\\.20\\.\\d+\\.\\d+: icmp_seq=2 ttl=61 time=.*"), o);
    assertTrue(o.contains("| grep -c webpod\n6\n"), o);
    assertTrue(o.matches("(?s).*Part 2.*\\| grep -c webpod\n(\\d\\d:[^\n]*\n)*6\n.*"), o);
    // Part 2: Geneve.
    assertTrue(o.contains("Release \"cilium\" has been upgraded. Happy Helming!\n"), o);
    assertTrue(o.matches("(?s).*Yes +cilium_feature_datapath_network +mode=overlay-geneve +1 +1 +1\n.*"), o);
    assertTrue(o.contains("Routing:                 Network: Tunnel [geneve]   Host: BPF\n"), o);
    assertTrue(o.contains("tunnel-protocol                                   geneve\n"), o);
    assertTrue(o.matches("(?s).*172\\.20\\.\\d+\\.0/24 via 172\\.20\\.\\d+\\.\\d+ dev cilium_host proto kernel src "
        + "172\\.20\\.\\d+\\.\\d+ mtu 1450 \n.*"), o);
    assertTrue(o.contains("    cache mtu 1450 \n"), o);
    assertTrue(o.matches("(?s).*\n172\\.20\\.\\d+\\.\\d+/32 +identity=\\d+ encryptkey=0 tunnelendpoint=192\\.168\\.\\d+\\.\\d+ "
        + "flags=hastunnel.*"), o);
    assertTrue(o.matches("(?s).*64 bytes from 172\\.20\\.\\d+\\.\\d+: icmp_seq=2 ttl=63 time=.*"), o);
    // The router sees Geneve whose VNI is curl-pod's identity.
    java.util.regex.Matcher ids = java.util.regex.Pattern.compile("default/curl-pod[:\\d]* \\(ID:(\\d+)\\)").matcher(o);
    assertTrue(ids.find(), o);
    String vni = "vni 0x" + Integer.toHexString(Integer.parseInt(ids.group(1)));
    assertTrue(o.matches("(?s).*eth1  In  IP 192\\.168\\.10\\.100\\.\\d+ > 192\\.168\\.20\\.100\\.6081: Geneve, Flags \\[none\\], "
        + vni + ": IP 172\\.20\\.\\d+\\.\\d+ > 172\\.20\\.\\d+\\.\\d+: ICMP echo request.*"), vni + "\n" + o);
    assertTrue(o.matches("(?s).*: default/curl-pod:\\d+ \\(ID:\\d+\\) -> default/webpod-[a-z0-9]+-[a-z0-9]+:80 \\(ID:\\d+\\) "
        + "to-endpoint FORWARDED \\(TCP Flags: ACK.*"), o);
    // The node's own connect to the ClusterIP, balanced at the socket.
    assertTrue(o.matches("(?s).*jsonpath='\\{\\.spec\\.clusterIP\\}'\\) \\| grep Hostname\n(\\d\\d:[^\n]*\n)*"
        + "Hostname: webpod-.*"), o);
    // VXLAN on UDP 8472, which tcpdump decodes as OTV (same header): the instance is the identity.
    assertTrue(o.matches("(?s).*192\\.168\\.10\\.100\\.\\d+ > 192\\.168\\.20\\.100\\.8472: OTV, flags \\[I\\] \\(0x08\\), "
        + "overlay 0, instance " + ids.group(1) + "\nIP 172\\.20\\.\\d+\\.\\d+ > 172\\.20\\.\\d+\\.\\d+: ICMP echo request.*"), o);
    // Part 3's pool.
    assertTrue(o.contains("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool created\n"), o);
    assertTrue(o.matches("(?s).*NAME +DISABLED +CONFLICTING +IPS AVAILABLE +AGE\ncilium-lb-ippool +false +False +5 +\\d+s\n.*"),
        o);
    // Part 3: LB-IPAM gives webpod the pool's first address; inside the cluster it reaches every backend.
    assertTrue(o.matches("(?s).*\nwebpod +LoadBalancer +10\\.[\\d.]+ +192\\.168\\.10\\.211 +80:\\d+/TCP +\\d+s\n.*"), o);
    assertTrue(o.matches("(?s).*\ncilium-lb-ippool +false +False +4 +\\d+s\n.*"), o);
    assertTrue(o.contains("Host: 192.168.10.211"), o);
    assertTrue(o.contains("for i in $(seq 20); do kubectl exec curl-pod -- curl -s $LBIP | grep Hostname; done | sort "
        + "| uniq -c | wc -l\n3\n"), o);
    // From the router, before L2 announcements: no ARP answer, no connection.
    assertTrue(o.contains("curl: (28) Failed to connect to 192.168.10.211 port 80 after 1001 ms: Timeout was reached\n"
        + "rc=28\n"), o);
    assertTrue(o.contains("ARPING 192.168.10.211\nTimeout\n\n--- 192.168.10.211 statistics ---\n"
        + "1 packets transmitted, 0 packets received, 100% unanswered (0 extra)\n"), o);
    // L2 announcements: one of the two nodes on the LB IP's subnet leads (k8s-w0 is excluded by the policy).
    assertTrue(o.contains("daemon set \"cilium\" successfully rolled out\n"), o);
    assertTrue(o.contains("EnableL2Announcements             : true\n"), o);
    assertTrue(o.contains("enable-l2-announcements                           true\n"), o);
    // l2NeighDiscovery: the next hops toward the other nodes, kept resolved by the kernel.
    String neigh = o.substring(o.indexOf("ip neigh show | grep -i reachable"),
        o.indexOf("kubectl apply -f -\napiVersion: \"cilium.io/v2alpha1\""));
    assertTrue(neigh.contains("192.168.10.101 dev eth1 lladdr 08:00:27:af:e6:df managed extern_learn REACHABLE \n"), neigh);
    assertTrue(neigh.contains("192.168.10.200 dev eth1 lladdr 08:00:27:0f:bd:dd managed extern_learn REACHABLE \n"), neigh);
    java.util.regex.Matcher lead = java.util.regex.Pattern.compile("\"holderIdentity\": \"(k8s-ctr|k8s-w1)\",\n"
        + "  \"leaseDurationSeconds\": 15,\n  \"leaseTransitions\": 0\n").matcher(o);
    assertTrue(lead.find(), o);
    String leader = lead.group(1);
    String other = leader.equals("k8s-ctr") ? "k8s-w1" : "k8s-ctr";
    java.util.Map<String, String> macs = java.util.Map.of("k8s-ctr", "08:00:27:04:d1:9c", "k8s-w1", "08:00:27:af:e6:df");
    assertTrue(o.matches("(?s).*\ncilium-l2announce-default-webpod +" + leader + " +\\d+s\n.*"), o);
    assertTrue(o.contains("db/show l2-announce\nIP               NetworkInterface\n192.168.10.211   eth1\n"), o);
    assertTrue(o.contains("60 bytes from " + macs.get(leader) + " (192.168.10.211): index=0 time="), o);
    assertTrue(o.contains("? (192.168.10.211) at " + macs.get(leader) + " [ether] on eth1\n"), o);
    assertTrue(o.contains("for i in $(seq 20); do curl -s --connect-timeout 1 $LBIP | grep Hostname; done | sort | "
        + "uniq -c | wc -l\n3\n"), o);
    // Failover: the leader reboots, the other node takes the Lease and announces the IP (gratuitous ARP).
    String after = o.substring(o.indexOf("ssh $LEADER reboot"));
    assertTrue(after.contains("{.spec.holderIdentity}{\"\\n\"}'\n" + other + "\n"), after);
    assertTrue(after.contains("arp -a | grep $LBIP\n? (192.168.10.211) at " + macs.get(other) + " [ether] on eth1\n"), after);
    assertTrue(after.contains("60 bytes from " + macs.get(other) + " (192.168.10.211): index=0 time="), after);
    assertTrue(after.matches("(?s).*done \\| grep -c webpod\n([1-9]|10)\n.*"), after);
    assertFalse(o.contains("WARN"), o);
  }

  @Test
  void badTopologyAndTranscriptStartNothing() throws Exception {
    Path lab = tmp.resolve("lab.yaml");
    Files.writeString(lab, TWO_SUBNETS.replace("routes: [default via 10.2.0.1]", "routes: [default via 10.3.0.1]"));
    Path script = tmp.resolve("t.lab");
    Files.writeString(script, "gw# ip route\n");
    Run r = podnet("run", lab.toString(), script.toString());
    assertEquals(1, r.code());
    assertEquals("podnet: lab two-subnets: hosts.b.routes[0]: ip route add default via 10.3.0.1: "
        + "Error: Nexthop has invalid gateway.\n", r.err());
    assertEquals("", r.out());

    Files.writeString(lab, TWO_SUBNETS);
    Files.writeString(script, "gw# ip route\nnot a command line\n");
    r = podnet("run", lab.toString(), script.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().endsWith("t.lab:2: expected 'HOST# COMMAND', a '# comment' or a blank line, found: "
        + "not a command line\n"), r.err());
    assertFalse(Files.exists(tmp.resolve("home/labs/two-subnets")), "nothing was started");
  }
}
