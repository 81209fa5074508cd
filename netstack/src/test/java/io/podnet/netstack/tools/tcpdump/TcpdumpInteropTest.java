package io.podnet.netstack.tools.tcpdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podnet.proto.pcap.PcapWriter;
import java.io.File;
import java.io.OutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares our printer and filter with the real tcpdump reading pcap files we write (reading a
 * file sends no traffic; -nn keeps it from looking names up). Skipped when tcpdump is not
 * installed (Debian package {@code tcpdump}).
 */
class TcpdumpInteropTest {
  static final long T0 = 65_507_232_880L;  // 18:11:47.232880 on day 0
  static final int[] PACKET_TYPES = {0, 1, 2, 3, 4};

  @TempDir
  static Path dir;

  static String tcpdump;
  static List<InteropFrames.Sample> samples;

  @BeforeAll
  static void setUp() throws IOException {
    for (String p : List.of("/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/bin/tcpdump", "/sbin/tcpdump")) {
      if (new File(p).canExecute()) {
        tcpdump = p;
      }
    }
    samples = InteropFrames.all();
    try (OutputStream out = Files.newOutputStream(dir.resolve("eth.pcap"));
        PcapWriter eth = PcapWriter.ethernet(out)) {
      for (int i = 0; i < samples.size(); i++) {
        eth.writeEthernet(time(i), samples.get(i).frame());
      }
    }
  }

  static long time(int i) {
    return T0 + i * 1_001L;
  }

  static void assumeTcpdump() {
    assumeTrue(tcpdump != null, "tcpdump is not installed (Debian package 'tcpdump'): interop test skipped");
  }

  /** tcpdump's stdout lines for reading {@code file} with {@code args}. */
  static List<String> run(Path file, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tcpdump, "-r", file.toString()));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.txt").toFile());
    pb.environment().put("TZ", "UTC");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(true, p.waitFor(30, TimeUnit.SECONDS), "tcpdump finished");
    assertEquals(0, p.exitValue(), () -> "tcpdump " + cmd + ": " + read(dir.resolve("stderr.txt")));
    String s = new String(out, StandardCharsets.ISO_8859_1);
    return s.isEmpty() ? List.of() : List.of(s.split("\n", -1)).subList(0, s.split("\n", -1).length - 1);
  }

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return e.toString();
    }
  }

  static List<String> ours(TcpdumpPrinter printer, List<byte[]> frames, List<String> ifNames, List<Direction> dirs) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < frames.size(); i++) {
      String text = printer.line(time(i), ifNames == null ? null : ifNames.get(i), dirs == null ? null : dirs.get(i),
          frames.get(i));
      lines.addAll(List.of(text.split("\n", -1)));
    }
    return lines;
  }

  static List<byte[]> frames() {
    return samples.stream().map(InteropFrames.Sample::frame).toList();
  }

  static void assertSameLines(List<String> expected, List<String> actual) {
    StringBuilder diff = new StringBuilder();
    for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
      String e = i < expected.size() ? expected.get(i) : "<none>";
      String a = i < actual.size() ? actual.get(i) : "<none>";
      if (!e.equals(a)) {
        diff.append("line ").append(i + 1).append("\n  tcpdump: ").append(e).append("\n  ours:    ").append(a)
            .append('\n');
      }
    }
    assertEquals("", diff.toString(), "lines differing from tcpdump");
  }

  @Test
  void ethernetLinesMatchTcpdump() throws Exception {
    assumeTcpdump();
    assertSameLines(run(dir.resolve("eth.pcap"), "-nn"), ours(new TcpdumpPrinter(false, false), frames(), null, null));
  }

  @Test
  void absoluteSequenceNumbersMatchTcpdump() throws Exception {
    assumeTcpdump();
    assertSameLines(run(dir.resolve("eth.pcap"), "-nn", "-S"),
        ours(new TcpdumpPrinter(false, true), frames(), null, null));
  }

  @Test
  void linkHeadersMatchTcpdump() throws Exception {
    assumeTcpdump();
    assertSameLines(run(dir.resolve("eth.pcap"), "-nn", "-e"),
        ours(new TcpdumpPrinter(true, false), frames(), null, null));
  }

  /** Interface names as tcpdump finds them on this machine (if_indextoname), "?" for others. */
  static Map<Integer, String> interfaces() throws IOException {
    Map<Integer, String> m = new HashMap<>();
    Path net = Path.of("/sys/class/net");
    if (Files.isDirectory(net)) {
      try (var s = Files.list(net)) {
        for (Path p : s.toList()) {
          try {
            m.put(Integer.parseInt(Files.readString(p.resolve("ifindex")).trim()), p.getFileName().toString());
          } catch (IOException | NumberFormatException e) {
            // not an interface
          }
        }
      }
    }
    return m;
  }

  @Test
  void anyInterfaceLinesMatchTcpdump() throws Exception {
    assumeTcpdump();
    Map<Integer, String> names = interfaces();
    List<Integer> indexes = new ArrayList<>(names.keySet());
    indexes.add(99_999);
    Path file = dir.resolve("sll2.pcap");
    OutputStream out = Files.newOutputStream(file);
    PcapWriter sll = PcapWriter.linuxSll2(out);
    List<byte[]> frames = new ArrayList<>();
    List<String> ifNames = new ArrayList<>();
    List<Direction> dirs = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      byte[] f = samples.get(i).frame();
      String name = samples.get(i).name();
      if (f.length < 14 || name.equals("unknown ethertype") || name.equals("vlan")) {
        // tcpdump prints the ifindex and SLL2 address for unknown types and decodes a VLAN tag
        // from the SLL2 header: neither is part of podnet's -i any output (see TcpdumpPrinter).
        continue;
      }
      int index = indexes.get(i % indexes.size());
      int type = PACKET_TYPES[i % PACKET_TYPES.length];
      sll.writeSll2(time(frames.size()), index, type, f);
      frames.add(f);
      ifNames.add(names.getOrDefault(index, "?"));
      dirs.add(Direction.ofPacketType(type));
    }
    sll.close();
    out.close();
    assertSameLines(run(file, "-nn"), ours(new TcpdumpPrinter(false, false), frames, ifNames, dirs));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "icmp", "arp", "ip", "udp", "tcp", "port 80", "udp port 4789", "tcp port 80", "src port 80", "dst port 80",
      "port 6081 or port 8472", "host 172.20.0.163", "src host 192.168.10.200", "dst host 192.168.10.211",
      "net 172.20.0.0/16", "net 192.168.10.0/24", "ether host 08:00:27:af:e6:df", "ether src 08:00:27:0f:bd:dd",
      "ether dst ff:ff:ff:ff:ff:ff", "icmp or arp", "not icmp", "! arp and ! icmp", "udp and not port 4789",
      "tcp or udp and port 80", "not tcp or udp", "not (tcp or udp)", "icmp && host 172.20.2.54",
      "(icmp or tcp) and src net 172.20.0.0/24", "arp || udp port 6081", "host 192.168.10.211 and arp",
      "port 80 or 9000", "host 172.20.0.201 and port 80 and tcp", "ip and not net 172.20.0.0/16", "src 172.20.0.201",
      "dst net 192.168.20", "tcp dst port 80", "udp src port 41234", "ip host 172.20.2.54", "ether broadcast",
      "port 9999", "not ip"})
  void filtersSelectTheSameFramesAsTcpdump(String expression) throws Exception {
    assumeTcpdump();
    List<String> all = run(dir.resolve("eth.pcap"), "-nn", "-S");
    List<String> selected = run(dir.resolve("eth.pcap"), "-nn", "-S", expression);
    CaptureFilter filter = CaptureFilter.compile(expression);
    TcpdumpPrinter printer = new TcpdumpPrinter(false, true);
    List<String> ours = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      byte[] f = samples.get(i).frame();
      if (filter.matches(f, 0, f.length)) {
        ours.addAll(List.of(printer.line(time(i), null, null, f).split("\n", -1)));
      }
    }
    assertSameLines(selected, ours);
    assertEquals(true, all.size() > selected.size() || expression.equals("ip") || expression.startsWith("not"),
        "the filter selects a proper subset");
  }
}
