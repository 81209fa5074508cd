package io.podnet.deploy.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.podnet.deploy.topology.LabSpec.HostKind;
import io.podnet.deploy.topology.LabSpec.HostSpec;
import io.podnet.deploy.topology.LabSpec.InterfaceSpec;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyLoaderTest {
  @Test
  void referenceLabLoads() throws Exception {
    LabSpec lab = TopologyLoader.load(Path.of("labs/cilium-seed/lab.yaml"));
    assertEquals("cilium-seed", lab.name());
    assertEquals(List.of("k8s-ctr", "k8s-w1", "k8s-w0", "router"), lab.hosts().stream().map(HostSpec::name).toList());
    HostSpec router = lab.host("router").orElseThrow();
    assertEquals(HostKind.ROUTER, router.kind());
    assertEquals(true, router.forwarding());
    InterfaceSpec eth0 = router.interfaces().get(0);
    assertEquals(LabSpec.NatSpec.VIRTUALBOX, eth0.nat());
    assertEquals(List.of("10.0.2.15/24"), eth0.addresses());
    assertEquals(LabSpec.InterfaceKind.DUMMY, router.interfaces().get(3).kind());
    assertEquals("k8s-w1", lab.host("k8s-ctr").orElseThrow().etcHosts().get("192.168.10.101"));
  }

  @Test
  void everyProblemIsReportedWithItsPath() {
    TopologyException e = assertThrows(TopologyException.class, () -> TopologyLoader.parse("bad.yaml", """
        name: Bad_Name
        segments:
          lan: {mtu: 40}
        hosts:
          r1:
            kind: switch
            interfaces:
              eth1: {segment: lan2, adress: 10.0.0.1/24}
              eth2: {segment: lan, address: 10.0.0.300/24}
              eth3: {}
              eth4: {segment: lan, nat: {}, address: 10.0.0.1}
            routes: 10.0.0.0/8 via 10.0.0.2
          r2:
            interfaces:
              eth1: {segment: lan, address: 10.0.0.5/24, mac: "01:00:5e:00:00:01"}
              eth2: {segment: lan, address: 10.0.0.5/24}
        """));
    assertEquals(List.of(
        "name: \"Bad_Name\" is not a valid lab name (lower-case letters, digits and '-')",
        "segments.lan.mtu: 40 is out of range 68-65535",
        "hosts.r1.kind: \"switch\" is not one of host, router, node",
        "hosts.r1.interfaces.eth1.adress: unknown field (expected one of: segment, nat, kind, mac, address, addresses, mtu)",
        "hosts.r1.interfaces.eth1.segment: no segment named \"lan2\" (segments: lan)",
        "hosts.r1.interfaces.eth2.address: \"10.0.0.300/24\" is not an IPv4 address with a prefix length, such as 192.168.10.100/24",
        "hosts.r1.interfaces.eth3: needs one of segment, nat, or kind: dummy",
        "hosts.r1.interfaces.eth4: takes only one of segment, nat, or kind: dummy",
        "hosts.r1.interfaces.eth4.address: \"10.0.0.1\" needs a prefix length, such as 10.0.0.1/24",
        "hosts.r1.interfaces.eth4: a NAT uplink gets its address by DHCP: set nat.address instead",
        "hosts.r1.routes: expected a list of routes, found a string",
        "hosts.r2.interfaces.eth1.mac: \"01:00:5e:00:00:01\" is a multicast address",
        "hosts.r2.interfaces.eth2: 10.0.0.5 is also configured on hosts.r2.interfaces.eth1 (same segment lan)"),
        e.problems());
    assertEquals(true, e.getMessage().startsWith("bad.yaml: 13 problems:\n  name: "));
  }

  @Test
  void labelsAreForNodes() throws Exception {
    TopologyException e = assertThrows(TopologyException.class, () -> TopologyLoader.parse("l.yaml", """
        name: l
        hosts:
          h:
            labels: {a: b}
            interfaces: {eth0: {nat: {}}}
        """));
    assertEquals(List.of("hosts.h.labels: only nodes (kind: node) have Kubernetes labels"), e.problems());
    assertEquals("", TopologyLoader.load(Path.of("labs/cilium-seed/lab.yaml")).host("k8s-ctr").orElseThrow()
        .labels().get("node-role.kubernetes.io/control-plane"));
  }

  @Test
  void yamlSyntaxErrorsSayWhere() {
    TopologyException e = assertThrows(TopologyException.class,
        () -> TopologyLoader.parse("x.yaml", "name: a\nhosts: [\n"));
    assertEquals(true, e.getMessage().startsWith("x.yaml: line "), e.getMessage());
  }

  @Test
  void natUplinkSettingsAreChecked() {
    TopologyException e = assertThrows(TopologyException.class, () -> TopologyLoader.parse("n.yaml", """
        name: n
        hosts:
          h:
            interfaces:
              eth0: {nat: {network: 10.0.3.0/24, gateway: 10.0.2.2}}
        """));
    assertEquals(List.of("hosts.h.interfaces.eth0.nat.address: 10.0.2.15 is not in the NAT network 10.0.3.0/24",
        "hosts.h.interfaces.eth0.nat.gateway: 10.0.2.2 is not in the NAT network 10.0.3.0/24",
        "hosts.h.interfaces.eth0.nat.dns: 10.0.2.3 is not in the NAT network 10.0.3.0/24"), e.problems());
  }
}
