package io.podnet.deploy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.deploy.Podnet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `podnet demo`, the main job until the lab runs, on the reference lab and on another lab. */
class DemoTest {
  @TempDir
  Path tmp;

  record Run(int code, String out, String err) {}

  static Run podnet(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Podnet.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  static final String OTHER_LAB = """
      name: other
      seed: 99
      macPrefix: "52:54:00"
      segments:
        left: {}
        right: {mtu: 9000}
      hosts:
        gw:
          kind: router
          interfaces:
            uplink: {nat: {network: 10.9.0.0/16, address: 10.9.0.10, gateway: 10.9.0.1, dns: 10.9.0.1}}
            ens3: {segment: left, address: 172.31.1.1/24}
            ens4: {segment: right, address: 172.31.2.1/24}
        alpha:
          interfaces:
            ens3: {segment: left, address: 172.31.1.10/24}
        beta:
          interfaces:
            ens3: {segment: right, address: 172.31.2.20/24}
      """;

  @Test
  void referenceLabCapture() throws Exception {
    Path file = tmp.resolve("demo.pcap");
    Run r = podnet("demo", "--lab", "labs/cilium-seed", file.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = r.out().lines().toList();
    assertTrue(lines.get(2).endsWith(" eth1  B   ARP, Request who-has 192.168.10.200 tell 192.168.10.100, length 46"),
        lines.get(2));
    assertTrue(lines.get(4).contains(" eth1  In  IP 192.168.10.100."), lines.get(4));
    assertTrue(lines.get(4).contains(" > 192.168.20.100.6081: Geneve, Flags [none], vni 0x"), lines.get(4));
    assertTrue(lines.get(5).contains(" eth2  Out IP 192.168.10.100."), lines.get(5));
    assertTrue(Files.size(file) > 24);
    matchesRealTcpdump(file, lines);
  }

  @Test
  void anotherLabWithOtherNamesAndSubnets() throws Exception {
    Path lab = tmp.resolve("lab.yaml");
    Files.writeString(lab, OTHER_LAB);
    Path file = tmp.resolve("other.pcap");
    Run r = podnet("demo", "--lab", lab.toString(), file.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains(" ens3  B   ARP, Request who-has 172.31.1.1 tell 172.31.1.10, length 46"), r.out());
    assertTrue(r.out().contains(" ens4  Out IP 172.31.1.10."), r.out());
    assertTrue(r.out().contains("is-at 52:54:00:"), r.out());
    matchesRealTcpdump(file, r.out().lines().toList());
  }

  @Test
  void badLabSaysWhatAndWhere() throws Exception {
    Path lab = tmp.resolve("bad.yaml");
    Files.writeString(lab, "name: x\nhosts:\n  h: {interfaces: {eth1: {segment: nope}}}\n");
    Run r = podnet("demo", "--lab", lab.toString(), tmp.resolve("x.pcap").toString());
    assertEquals(1, r.code());
    assertEquals("podnet: " + lab + ": hosts.h.interfaces.eth1.segment: no segment named \"nope\" (segments: none)\n",
        r.err());
    assertTrue(Files.notExists(tmp.resolve("x.pcap")));
    Files.writeString(lab, "name: x\nhosts:\n  h: {interfaces: {eth1: {kind: dummy}}}\n");
    r = podnet("demo", "--lab", lab.toString(), tmp.resolve("x.pcap").toString());
    assertEquals(1, r.code());
    assertEquals("podnet: lab x has no router (kind: router)\n", r.err());
  }

  /**
   * The real tcpdump reads the capture and prints the same lines, but for the interface column:
   * reading a file, it names interface indexes after this machine's interfaces.
   */
  static void matchesRealTcpdump(Path file, List<String> ours) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tcpdump")) || Files.isExecutable(
        Path.of("/usr/sbin/tcpdump")), "tcpdump is not installed: the comparison with the real tcpdump is skipped");
    ProcessBuilder pb = new ProcessBuilder("tcpdump", "-nn", "-r", file.toString());
    pb.environment().put("TZ", "UTC");
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    List<String> theirs = new ArrayList<>(Arrays.asList(out.split("\n")));
    List<String> mine = new ArrayList<>();
    for (String l : ours) {
      if (!l.startsWith("#") && !l.startsWith("reading from file")) {
        mine.add(l);
      }
    }
    assertEquals(mine.size(), theirs.size());
    for (int i = 0; i < mine.size(); i++) {
      assertEquals(withoutInterface(mine.get(i)), withoutInterface(theirs.get(i)));
    }
  }

  static String withoutInterface(String line) {
    // "00:00:01.000000 eth1  In  IP ..." -> "00:00:01.000000 In  IP ..." (continuation lines stay)
    return line.replaceFirst("^(\\d\\d:\\d\\d:\\d\\d\\.\\d{6}) \\S+\\s+", "$1 ");
  }
}
