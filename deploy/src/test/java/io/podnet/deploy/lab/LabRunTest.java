package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.deploy.Podnet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `podnet run`: a lab started from its topology, a transcript replayed through the real shims. */
class LabRunTest {
  @TempDir
  Path tmp;

  @BeforeEach
  void home() {
    System.setProperty("podnet.home", tmp.resolve("home").toString());
  }

  @AfterEach
  void clear() {
    System.clearProperty("podnet.home");
  }

  record Run(int code, String out, String err) {}

  static Run podnet(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Podnet.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

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

  /** README's first command: the reference lab's walkthrough, as far as it goes today. */
  @Test
  void referenceWalkthrough() {
    Run r = podnet("run", "labs/cilium-seed");
    assertEquals(0, r.code(), r.err());
    String o = r.out();
    assertTrue(o.contains("root@k8s-ctr:~# ip -c route\n"
        + "default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100 \n"), o);
    assertTrue(o.contains("64 bytes from 192.168.20.100: icmp_seq=2 ttl=63 time="), o);
    assertTrue(o.contains("? (192.168.20.100) at 08:00:27:3a:be:fa [ether] on eth2\n"), o);
    assertTrue(o.matches("(?s).*\\d\\d:\\d\\d:\\d\\d\\.\\d{6} eth1  In  IP 192\\.168\\.10\\.100 > 172\\.20\\.2\\.54: "
        + "ICMP echo request, id \\d+, seq 1, length 64\n.*"), o);
    assertTrue(o.matches("(?s).*\\d\\d:\\d\\d:\\d\\d\\.\\d{6} eth0  Out IP 192\\.168\\.10\\.100 > 172\\.20\\.2\\.54: "
        + "ICMP echo request, id \\d+, seq 1, length 64\n.*"), o);
    assertTrue(o.contains("1 packets transmitted, 0 received, 100% packet loss, time 0ms\n"), o);
    assertTrue(o.contains("root@router:~# ip route get 172.20.2.54\n"
        + "172.20.2.54 via 192.168.20.100 dev eth2 src 192.168.20.200 uid 0 \n"), o);
    assertTrue(o.contains("root@k8s-ctr:~# curl -s 192.168.20.100\nHostname: k8s-w0\n"), o);
    assertTrue(o.matches("(?s).*RemoteAddr: 192\\.168\\.10\\.100:\\d+\r?\nGET / HTTP/1\\.1\r?\n.*"), o);
    assertTrue(o.matches("(?s).*curl: \\(7\\) Failed to connect to 192\\.168\\.20\\.100 port 8080 after \\d+ ms: "
        + "Couldn't connect to server\n.*"), o);
    // The real kubectl against the lab's API server (skipped where kubectl is not installed).
    if (java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/kubectl"))) {
      assertTrue(o.contains("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool created\n"), o);
      assertTrue(o.matches("(?s).*NAME +DISABLED +CONFLICTING +IPS AVAILABLE +AGE\ncilium-lb-ippool +false +False +5 +\\d+s\n.*"),
          o);
      assertTrue(o.matches("(?s).*\nkube-system +Active +\\d+s\n.*"), o);
      // Each node's kubelet registered its Node and keeps its Lease fresh.
      assertTrue(o.matches("(?s).*NAME +STATUS +ROLES +AGE +VERSION\nk8s-ctr +Ready +control-plane +\\d+s +v1\\.32\\.4\n"
          + "k8s-w0 +Ready +<none> +\\d+s +v1\\.32\\.4\nk8s-w1 +Ready +<none> +\\d+s +v1\\.32\\.4\n.*"), o);
    }
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
