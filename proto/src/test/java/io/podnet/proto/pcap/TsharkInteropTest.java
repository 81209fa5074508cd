package io.podnet.proto.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.FlowHash;
import io.podnet.proto.packet.GeneveOption;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.TestFrames;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-exactness against an independent decoder: podnet writes a capture, Wireshark's tshark
 * dissects it with checksum validation on, and the fields tshark reports must be the ones podnet
 * meant. Skipped (with an assumption) where tshark is not installed.
 *
 * <p>Field values are compared as numbers where tshark's display base could differ between
 * versions (VNIs, option classes). Multiple occurrences of a field (outer and inner IPv4, say) are
 * joined with ';' in frame order.
 */
class TsharkInteropTest {
  static final long TIMEOUT_SECONDS = 60;
  static final int SEED = 0x5eed;

  static final MacAddress CTR_ETH1 = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress ROUTER_ETH1 = MacAddress.parse("08:00:27:04:d1:9c");
  static final MacAddress CURL_POD = MacAddress.parse("1a:2b:3c:4d:5e:6f");
  static final MacAddress WEBPOD = MacAddress.parse("9a:8b:7c:6d:5e:4f");
  static final Ipv4Address CTR = Ipv4Address.parse("192.168.10.100");
  static final Ipv4Address W0 = Ipv4Address.parse("192.168.20.100");
  static final Ipv4Address CURL_POD_IP = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address WEBPOD_IP = Ipv4Address.parse("172.20.2.54");
  static final int CURL_ID = 29101;  // 0x71ad
  static final int WEBPOD_ID = 11761; // 0x2df1

  static final GeneveOption SERVICE_CHAIN = new GeneveOption.ServiceChain(0x0012, 0x04).toOption();
  /** A critical option in RFC 8926's experimental class range (0xfff0-0xffff). */
  static final GeneveOption EXPERIMENTAL = GeneveOption.of(0xfff0, 0x80,
      ByteString.copyFrom(new byte[] {(byte) 0xca, (byte) 0xfe, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05}));

  static final List<String> FIELDS = List.of(
      "frame.number", "frame.len", "frame.time_epoch", "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.ttl",
      "ip.checksum.status", "ip.checksum_calculated", "udp.srcport", "udp.dstport", "udp.length",
      "udp.checksum.status", "vxlan.flag_i", "vxlan.vni", "geneve.version", "geneve.flags.critical",
      "geneve.proto_type", "geneve.vni", "geneve.option.class", "geneve.option.type",
      "geneve.option.type.critical", "geneve.option.length", "geneve.option.unknown.data", "icmp.type",
      "icmp.ident", "icmp.seq", "icmp.checksum.status", "_ws.expert.message", "sll.pkttype", "sll.ifindex",
      "sll.src.eth", "sll.halen", "sll.hatype", "sll.etype");

  static Path tshark;

  @TempDir
  Path dir;

  @BeforeAll
  static void findTshark() {
    tshark = locate();
    Assumptions.assumeTrue(tshark != null,
        "tshark is not installed (not at /usr/bin/tshark nor on PATH): skipping the Wireshark interop test");
  }

  private static Path locate() {
    Path usual = Path.of("/usr/bin/tshark");
    if (Files.isExecutable(usual)) {
      return usual;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        Path p = Path.of(d, "tshark");
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  // The frames: the lab's cross-node ping and its reply, over each tunnel.

  static final byte[] PING = TestFrames.icmpEcho(CURL_POD, WEBPOD, CURL_POD_IP, WEBPOD_IP,
      TestFrames.ICMP_ECHO_REQUEST, 0x3d1e, 37, 1);
  static final byte[] REPLY = TestFrames.icmpEcho(WEBPOD, CURL_POD, WEBPOD_IP, CURL_POD_IP,
      TestFrames.ICMP_ECHO_REPLY, 0x8f21, 37, 1);

  /** Frame 1: VXLAN on Linux's port 8472, UDP checksum 0. */
  static byte[] vxlan8472() {
    return Encapsulation.vxlan(PING, 0, PING.length, CTR_ETH1, ROUTER_ETH1, CTR, W0, 64, 0x0101,
        FlowHash.vxlanSourcePort(PING, 0, PING.length, SEED), 8472, CURL_ID);
  }

  /** Frame 2: VXLAN on the IANA port 4789, with a UDP checksum. */
  static byte[] vxlan4789() {
    byte[] f = Encapsulation.vxlan(REPLY, 0, REPLY.length, ROUTER_ETH1, CTR_ETH1, W0, CTR, 63, 0x0202,
        FlowHash.vxlanSourcePort(REPLY, 0, REPLY.length, SEED), 4789, WEBPOD_ID);
    Encapsulation.fillUdpChecksum(f);
    return f;
  }

  /** Frame 3: Geneve with the service-chaining option and a critical experimental one. */
  static byte[] geneveWithOptions() {
    return Encapsulation.geneve(PING, 0, PING.length, CTR_ETH1, ROUTER_ETH1, CTR, W0, 64, 0x0303,
        FlowHash.geneveSourcePort(PING, 0, PING.length, SEED), 6081, CURL_ID, List.of(SERVICE_CHAIN, EXPERIMENTAL));
  }

  /** Frame 4: option-less Geneve whose outer IPv4 header checksum is deliberately wrong. */
  static byte[] badOuterChecksum() {
    byte[] f = Encapsulation.geneve(PING, 0, PING.length, CTR_ETH1, ROUTER_ETH1, CTR, W0, 64, 0x0404,
        FlowHash.geneveSourcePort(PING, 0, PING.length, SEED), 6081, CURL_ID, List.of());
    Bytes.put16(f, 24, Bytes.u16(f, 24) ^ 0x0f0f);
    return f;
  }

  static final long T0 = 86_371_251_108L; // lab clock, microseconds

  @Test
  void tunnelFramesDissectAsBuilt() throws Exception {
    List<byte[]> frames = List.of(vxlan8472(), vxlan4789(), geneveWithOptions(), badOuterChecksum());
    Path pcap = dir.resolve("tunnels.pcap");
    try (OutputStream os = Files.newOutputStream(pcap); PcapWriter w = PcapWriter.ethernet(os)) {
      for (int i = 0; i < frames.size(); i++) {
        w.writeEthernet(T0 + i * 17L, frames.get(i));
      }
    }
    List<Map<String, String>> rows = tshark(pcap);
    assertEquals(frames.size(), rows.size(), "one line per frame: " + rows);

    // podnet's own decoder agrees on what is good and what is not
    for (int i = 0; i < 3; i++) {
      Encapsulation.decapsulate(frames.get(i), 0, frames.get(i).length);
    }
    PacketException bad = Assertions.assertThrows(PacketException.class,
        () -> Encapsulation.decapsulate(frames.get(3), 0, frames.get(3).length));
    assertEquals("IPv4 header checksum", bad.reason());

    // Frame 1: VXLAN 8472
    Map<String, String> r = rows.get(0);
    assertEquals("1", r.get("frame.number"));
    assertEquals("148", r.get("frame.len"));
    assertTime(T0, r);
    assertEquals(CTR_ETH1 + ";" + CURL_POD, r.get("eth.src"));
    assertEquals(ROUTER_ETH1 + ";" + WEBPOD, r.get("eth.dst"));
    assertEquals(CTR + ";" + CURL_POD_IP, r.get("ip.src"));
    assertEquals(W0 + ";" + WEBPOD_IP, r.get("ip.dst"));
    assertEquals("64;64", r.get("ip.ttl"));
    assertEquals("1;1", r.get("ip.checksum.status"), "both IPv4 header checksums good");
    assertEquals(String.valueOf(FlowHash.vxlanSourcePort(PING, 0, PING.length, SEED)), r.get("udp.srcport"));
    assertEquals("8472", r.get("udp.dstport"));
    assertEquals("114", r.get("udp.length"));
    assertEquals("3", r.get("udp.checksum.status"), "UDP checksum 0: not present");
    assertTrue(isTrue(r.get("vxlan.flag_i")), r.toString());
    assertEquals(CURL_ID, num(r.get("vxlan.vni")));
    assertEquals("8", r.get("icmp.type"));
    assertEquals(37, num(r.get("icmp.ident")));
    assertEquals("1", r.get("icmp.seq"));
    assertEquals("1", r.get("icmp.checksum.status"), "ICMP checksum good");
    assertEquals("", r.get("_ws.expert.message"), "no expert complaints");

    // Frame 2: VXLAN 4789 with a UDP checksum
    r = rows.get(1);
    assertTime(T0 + 17, r);
    assertEquals(W0 + ";" + WEBPOD_IP, r.get("ip.src"));
    assertEquals(CTR + ";" + CURL_POD_IP, r.get("ip.dst"));
    assertEquals("63;64", r.get("ip.ttl"));
    assertEquals("1;1", r.get("ip.checksum.status"));
    assertEquals("4789", r.get("udp.dstport"));
    assertEquals("1", r.get("udp.checksum.status"), "UDP checksum present and good");
    assertEquals(WEBPOD_ID, num(r.get("vxlan.vni")));
    assertEquals("0", r.get("icmp.type"));
    assertEquals("1", r.get("icmp.checksum.status"));
    assertEquals("", r.get("_ws.expert.message"));

    // Frame 3: Geneve with two options
    r = rows.get(2);
    assertEquals(String.valueOf(148 + 24), r.get("frame.len"));
    assertEquals(CTR + ";" + CURL_POD_IP, r.get("ip.src"));
    assertEquals("1;1", r.get("ip.checksum.status"));
    assertEquals(String.valueOf(FlowHash.geneveSourcePort(PING, 0, PING.length, SEED)), r.get("udp.srcport"));
    assertEquals("6081", r.get("udp.dstport"));
    assertEquals("3", r.get("udp.checksum.status"));
    assertEquals("0", r.get("geneve.version"));
    assertTrue(isTrue(r.get("geneve.flags.critical")), "C bit: " + r);
    assertEquals(0x6558, num(r.get("geneve.proto_type")));
    assertEquals(CURL_ID, num(r.get("geneve.vni")));
    assertEquals(List.of(0x0101L, 0xfff0L), nums(r.get("geneve.option.class")));
    assertEquals(List.of(0x01L, 0x80L), nums(r.get("geneve.option.type")));
    assertEquals(List.of(false, true), bools(r.get("geneve.option.type.critical")));
    // tshark lists the whole options length first (bytes), then each option's, header included
    assertEquals(List.of(24L, 12L, 12L), nums(r.get("geneve.option.length")));
    assertEquals("0000120400000000;cafe000102030405", r.get("geneve.option.unknown.data").replace(":", ""),
        "SPID 0x000012 + SI 0x04 + reserved word; the experimental option's data");
    assertEquals("8", r.get("icmp.type"));
    assertEquals("1", r.get("icmp.checksum.status"));
    assertEquals("", r.get("_ws.expert.message"));

    // Frame 4: the outer IPv4 header checksum is wrong, the inner one right
    r = rows.get(3);
    assertEquals("0;1", r.get("ip.checksum.status"), "outer bad, inner good");
    byte[] f4 = frames.get(3);
    int right = Ipv4Header.decode(f4, 14, f4.length - 14).computeChecksum();
    assertEquals(right, nums(r.get("ip.checksum_calculated")).get(0).intValue(), "tshark's computed checksum");
    assertTrue(r.get("_ws.expert.message").contains("Bad checksum"), r.toString());
    assertEquals(CURL_ID, num(r.get("geneve.vni")), "tshark still dissects the tunnel");
  }

  @Test
  void anyCaptureDissectsAsLinuxCooked() throws Exception {
    byte[] out = geneveWithOptions();
    byte[] in = vxlan8472();
    Path pcap = dir.resolve("any.pcap");
    try (OutputStream os = Files.newOutputStream(pcap); PcapWriter w = PcapWriter.linuxSll2(os)) {
      w.writeSll2(T0, 3, Sll2Header.PACKET_OUTGOING, out);
      int type = Sll2Header.packetTypeOf(false, ROUTER_ETH1, ROUTER_ETH1); // the router's eth1 receives it
      w.writeSll2(T0 + 1_000_001, 2, type, in);
    }
    List<Map<String, String>> rows = tshark(pcap);
    assertEquals(2, rows.size(), rows.toString());

    Map<String, String> r = rows.get(0);
    assertTime(T0, r);
    assertEquals(String.valueOf(20 + out.length - 14), r.get("frame.len"));
    assertEquals("4", r.get("sll.pkttype"), "PACKET_OUTGOING");
    assertEquals("3", r.get("sll.ifindex"));
    assertEquals("1", r.get("sll.hatype"), "ARPHRD_ETHER");
    assertEquals("6", r.get("sll.halen"));
    assertEquals(CTR_ETH1.toString(), r.get("sll.src.eth"), "the source MAC, as Linux reports it");
    assertEquals(0x0800, num(r.get("sll.etype")));
    assertEquals(CTR + ";" + CURL_POD_IP, r.get("ip.src"));
    assertEquals("1;1", r.get("ip.checksum.status"));
    assertEquals(CURL_ID, num(r.get("geneve.vni")));
    assertEquals(List.of(0x0101L, 0xfff0L), nums(r.get("geneve.option.class")));
    assertEquals("1", r.get("icmp.checksum.status"));

    r = rows.get(1);
    assertTime(T0 + 1_000_001, r);
    assertEquals("0", r.get("sll.pkttype"), "PACKET_HOST");
    assertEquals("2", r.get("sll.ifindex"));
    assertEquals(CTR_ETH1.toString(), r.get("sll.src.eth"), "incoming: the source MAC too");
    assertEquals(CURL_ID, num(r.get("vxlan.vni")));
    assertEquals(WEBPOD_IP.toString(), r.get("ip.dst").split(";")[1]);
  }

  // tshark plumbing

  private List<Map<String, String>> tshark(Path pcap) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(tshark.toString(), "-n", "-r", pcap.toString(),
        "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-d", "udp.port==8472,vxlan",
        "-T", "fields", "-E", "separator=|", "-E", "aggregator=;", "-E", "occurrence=a"));
    for (String f : FIELDS) {
      cmd.add("-e");
      cmd.add(f);
    }
    Path stdout = dir.resolve(pcap.getFileName() + ".out");
    Path stderr = dir.resolve(pcap.getFileName() + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("HOME", dir.toString()); // no personal Wireshark profile
    Process p = pb.start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        fail("tshark did not finish within " + TIMEOUT_SECONDS + " s: " + cmd);
      }
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    String err = Files.readString(stderr, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "tshark failed: " + err);
    List<Map<String, String>> rows = new ArrayList<>();
    for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
      if (line.isEmpty()) {
        continue;
      }
      String[] v = line.split("\\|", -1);
      assertEquals(FIELDS.size(), v.length, "fields in line: " + line);
      Map<String, String> row = new LinkedHashMap<>();
      for (int i = 0; i < v.length; i++) {
        row.put(FIELDS.get(i), v[i]);
      }
      rows.add(row);
    }
    return rows;
  }

  private static void assertTime(long micros, Map<String, String> r) {
    BigDecimal epoch = new BigDecimal(r.get("frame.time_epoch"));
    assertEquals(0, BigDecimal.valueOf(micros, 6).compareTo(epoch), "timestamp " + epoch);
  }

  /** A number as tshark prints it: decimal or 0x-hex. */
  private static long num(String s) {
    return Long.decode(s.trim());
  }

  private static List<Long> nums(String s) {
    return Arrays.stream(s.split(";")).map(TsharkInteropTest::num).toList();
  }

  private static boolean isTrue(String s) {
    return s.equals("1") || s.equalsIgnoreCase("true");
  }

  private static List<Boolean> bools(String s) {
    return Arrays.stream(s.split(";")).map(TsharkInteropTest::isTrue).toList();
  }
}
