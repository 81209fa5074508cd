package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * End to end on a lab unlike the reference (five nodes in three subnets, other names, subnets and
 * pod CIDRs, VXLAN from the start): pods on every node, the Service answered from another subnet,
 * ttl=63 through the tunnel, a capture on the router checked with tshark (VNI = the sender's
 * identity, inner ICMP valid), then the switch to Geneve.
 */
class OverlayLabTest extends PodnetHomeTest {

  @Test
  void fiveNodesThreeSubnetsVxlanThenGeneve() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "the real kubectl is not installed");
    Path pcap = tmp.resolve("vxlan.pcap");
    Path script = tmp.resolve("t.lab");
    Files.writeString(script, """
        cp1# kubectl get pods -o wide --sort-by=.spec.nodeName
        cp1# kubectl get ciliumnodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.ipam.podCIDRs[0]}{"\\n"}{end}'
        wk2# ip route | grep cilium_host
        wk4# cilium-dbg status | grep ^Routing
        cp1# kubectl exec client -- sh -c 'for i in $(seq 8); do curl -s --connect-timeout 1 echo:8080 | grep Hostname; done' | grep -c echo-
        cp1# export TARGET=$(kubectl get pod -l app=echo --field-selector spec.nodeName=cp1 -o jsonpath='{.items[0].status.podIP}')
        gw# tcpdump -i ens5 -w PCAP -c 2 udp port 8472 &
        cp1# kubectl exec client -- ping -c 1 $TARGET
        cp1# kubectl get cep client -o jsonpath='{.status.identity.id}{"\\n"}'
        cp1# helm upgrade cilium cilium/cilium -n kube-system --reuse-values --set tunnelProtocol=geneve > /dev/null
        gw# tcpdump -i any -nn -c 2 udp port 6081 &
        cp1# kubectl exec client -- ping -c 1 $TARGET
        """.replace("PCAP", pcap.toString()));
    Run r = podnet("run", "labs/three-subnets", script.toString());
    String o = r.out();
    assertEquals(0, r.code(), r.err() + o);
    // Six pods Running, on all five nodes; pod CIDRs from the lab's 10.244.0.0/16.
    for (String node : List.of("cp1", "wk1", "wk2", "wk3", "wk4")) {
      assertTrue(o.matches("(?s).*Running +0 +\\d+s +10\\.244\\.\\d+\\.\\d+ +" + node + " .*"), node + "\n" + o);
    }
    assertTrue(o.matches("(?s).*\ncp1 10\\.244\\.\\d+\\.0/24\nwk1 10\\.244\\.\\d+\\.0/24\n.*"), o);
    // Tunnel routes with the overlay's MTU, VXLAN in status.
    assertTrue(o.matches("(?s).*10\\.244\\.\\d+\\.0/24 via 10\\.244\\.\\d+\\.\\d+ dev cilium_host proto kernel src "
        + "10\\.244\\.\\d+\\.\\d+ mtu 1450 \n.*"), o);
    assertTrue(o.contains("Routing:                 Network: Tunnel [vxlan]   Host: BPF\n"), o);
    // Every connection from the third subnet to the Service (8080 -> 80) is answered.
    assertTrue(o.contains("| grep -c echo-\n8\n"), o);
    assertTrue(o.matches("(?s).*64 bytes from 10\\.244\\.\\d+\\.\\d+: icmp_seq=1 ttl=63 time=.*"), o);
    Matcher id = Pattern.compile("\\{\\.status\\.identity\\.id\\}\\{\"\\\\n\"\\}'\n(\\d+)\n").matcher(o);
    assertTrue(id.find(), o);
    int identity = Integer.parseInt(id.group(1));
    // Geneve after the upgrade, with the same identity as VNI.
    assertTrue(o.matches("(?s).*ens5  In  IP 10\\.1\\.3\\.31\\.\\d+ > 10\\.1\\.1\\.11\\.6081: Geneve, Flags \\[none\\], vni 0x"
        + Integer.toHexString(identity) + ": IP 10\\.244\\.\\d+\\.\\d+ > 10\\.244\\.\\d+\\.\\d+: ICMP echo request.*"), o);
    // The capture, decoded by Wireshark's dissectors.
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/tshark")), "tshark is not installed");
    Process p = new ProcessBuilder("tshark", "-r", pcap.toString(), "-d", "udp.port==8472,vxlan", "-T", "fields", "-e", "vxlan.vni", "-e", "icmp.type", "-e",
        "icmp.checksum.status", "-e", "ip.ttl").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String fields = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), fields);
    assertTrue(fields.startsWith(identity + "\t8\t1\t"), "first frame: echo request, VNI " + identity
        + ", ICMP checksum good\n" + fields);
  }

  /**
   * L2 announcements by the same rules on this lab: a pool on rack-b's subnet, a policy for the two
   * rack-b nodes and the ens* devices; the router reaches the LoadBalancer IP through the elected
   * node's MAC, and after that node reboots, through the other's.
   */
  @Test
  void l2AnnouncementOnRackBAndFailover() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "the real kubectl is not installed");
    Path script = tmp.resolve("l2.lab");
    Files.writeString(script, """
        cp1# cat << EOF | kubectl apply -f -
        apiVersion: cilium.io/v2
        kind: CiliumLoadBalancerIPPool
        metadata:
          name: rack-b-pool
        spec:
          blocks:
          - start: 10.1.2.240
            stop: 10.1.2.247
        EOF
        cp1# kubectl patch svc echo -p '{"spec":{"type":"LoadBalancer"}}'
        cp1# helm upgrade cilium cilium/cilium -n kube-system --reuse-values --set l2announcements.enabled=true > /dev/null
        cp1# kubectl rollout restart -n kube-system ds/cilium && kubectl -n kube-system rollout status ds/cilium
        cp1# cat << EOF | kubectl apply -f -
        apiVersion: cilium.io/v2alpha1
        kind: CiliumL2AnnouncementPolicy
        metadata:
          name: rack-b
        spec:
          nodeSelector:
            matchExpressions:
            - {key: kubernetes.io/hostname, operator: In, values: [wk2, wk3]}
          interfaces: ["^ens[0-9]+"]
          loadBalancerIPs: true
        EOF
        gw# export LBIP=$(kubectl get svc echo -o jsonpath='{.status.loadBalancer.ingress[0].ip}'); echo lbip=$LBIP
        gw# for n in wk2 wk3; do echo $n $(ssh $n ip link show dev ens3 | awk '/link\\/ether/ {print $2}'); done
        gw# sleep 3; export LEADER=$(kubectl -n kube-system get lease cilium-l2announce-default-echo -o jsonpath='{.spec.holderIdentity}'); echo leader=$LEADER
        gw# arping -i ens4 -c 1 $LBIP
        gw# curl -s --connect-timeout 1 $LBIP:8080 | grep -c Hostname
        gw# ssh $LEADER reboot
        gw# sleep 4; kubectl -n kube-system get lease cilium-l2announce-default-echo -o jsonpath='now={.spec.holderIdentity}{"\\n"}'
        gw# ip neigh show $LBIP
        gw# arping -i ens4 -c 1 $LBIP
        gw# for i in $(seq 10); do curl -s --connect-timeout 1 $LBIP:8080 | grep Hostname; done | grep -c echo-
        """);
    Run r = podnet("run", "labs/three-subnets", script.toString());
    String o = r.out();
    assertEquals(0, r.code(), r.err() + o);
    assertTrue(o.contains("lbip=10.1.2.240\n"), o);
    java.util.Map<String, String> macs = new java.util.HashMap<>();
    Matcher m = Pattern.compile("(?m)^(wk[23]) ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})$").matcher(o);
    while (m.find()) {
      macs.put(m.group(1), m.group(2));
    }
    assertEquals(2, macs.size(), o);
    Matcher l = Pattern.compile("leader=(wk[23])\n").matcher(o);
    assertTrue(l.find(), o);
    String leader = l.group(1);
    String other = leader.equals("wk2") ? "wk3" : "wk2";
    String before = o.substring(0, o.indexOf("ssh $LEADER reboot"));
    String after = o.substring(o.indexOf("ssh $LEADER reboot"));
    assertTrue(before.contains("60 bytes from " + macs.get(leader) + " (10.1.2.240): index=0 time="), before);
    assertTrue(before.contains("| grep -c Hostname\n1\n"), before);
    assertTrue(after.contains("now=" + other + "\n"), after);
    assertTrue(after.contains("10.1.2.240 dev ens4 lladdr " + macs.get(other) + " "), "gratuitous ARP moved it\n" + after);
    assertTrue(after.contains("60 bytes from " + macs.get(other) + " (10.1.2.240): index=0 time="), after);
    // (the rebooting node's backend stays in the Service until its endpoint goes: some tries time out)
    assertTrue(after.matches("(?s).*\\| grep -c echo-\n([1-9]|10)\n.*"), after);
  }
}
