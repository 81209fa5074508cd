package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code cilium-dbg bpf ipcache list} on k8s-ctr in Geneve mode, against the transcript. */
class IpCacheTest {
  private static EndpointInfo ep(String ip, int id, String node) {
    return new EndpointInfo("default", "pod-" + ip, Ipv4Address.parse(ip), id, node);
  }

  static List<EndpointInfo> transcriptEndpoints() {
    List<EndpointInfo> e = new ArrayList<>();
    int[][] local = {{63, 11761}, {152, 22419}, {163, 29101}, {210, 4046}, {224, 57021}, {81, 35319},
        {242, 57021}, {77, 31483}, {25, 14322}, {186, 16348}};
    for (int[] l : local) {
      e.add(ep("172.20.0." + l[0], l[1], "k8s-ctr"));
    }
    e.add(ep("172.20.1.73", 11761, "k8s-w1"));
    e.add(ep("172.20.2.54", 11761, "k8s-w0"));
    return e;
  }

  static final String TRANSCRIPT = """
      172.20.1.41/32      identity=6 encryptkey=0 tunnelendpoint=192.168.10.101 flags=hastunnel
      172.20.1.73/32      identity=11761 encryptkey=0 tunnelendpoint=192.168.10.101 flags=hastunnel
      172.20.2.54/32      identity=11761 encryptkey=0 tunnelendpoint=192.168.20.100 flags=hastunnel
      172.20.2.204/32     identity=6 encryptkey=0 tunnelendpoint=192.168.20.100 flags=hastunnel
      172.20.2.0/24       identity=2 encryptkey=0 tunnelendpoint=192.168.20.100 flags=hastunnel
      172.20.1.0/24       identity=2 encryptkey=0 tunnelendpoint=192.168.10.101 flags=hastunnel
      172.20.0.63/32      identity=11761 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.152/32     identity=22419 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.163/32     identity=29101 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.210/32     identity=4046 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.224/32     identity=57021 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      192.168.10.101/32   identity=6 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      192.168.20.100/32   identity=6 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      0.0.0.0/0           identity=2 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      10.0.2.15/32        identity=1 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.81/32      identity=35319 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.242/32     identity=57021 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.74/32      identity=1 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.77/32      identity=31483 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.25/32      identity=14322 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      172.20.0.186/32     identity=16348 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      192.168.10.100/32   identity=1 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>
      """;

  @Test
  void k8sCtrInGeneveModeHasExactlyTheTranscriptsEntries() throws Exception {
    AgentConfig c = ReferenceLab.config(
        HelmUpgrade.parse(ReferenceLab.HELM_GENEVE).userValues(ReferenceLab.installValues()));
    List<IpCacheEntry> entries = IpCache.build("k8s-ctr",
        List.of(Ipv4Address.parse("10.0.2.15"), Ipv4Address.parse("192.168.10.100")),
        ReferenceLab.part2Nodes(), transcriptEndpoints(), c);
    String listing = IpCache.list(entries);
    String[] lines = listing.split("\n");
    assertEquals("IP PREFIX/ADDRESS   IDENTITY", lines[0]);
    Set<String> got = new TreeSet<>();
    for (int i = 1; i < lines.length; i++) {
      got.add(lines[i].stripTrailing());
    }
    assertEquals(new TreeSet<>(List.of(TRANSCRIPT.split("\n"))), got);
    // tabwriter pads the value column too: every data line is as long as the longest value + 3.
    int width = lines[1].length();
    for (int i = 1; i < lines.length; i++) {
      assertEquals(width, lines[i].length(), lines[i]);
    }
    assertEquals("172.20.1.41/32      identity=6 encryptkey=0 tunnelendpoint=192.168.10.101 flags=hastunnel" + " ".repeat(7),
        List.of(lines).stream().filter(l -> l.startsWith("172.20.1.41/")).findFirst().orElseThrow());
    // the chosen deterministic order: by address, longer prefixes first.
    assertTrue(lines[1].startsWith("0.0.0.0/0 "));
    assertTrue(lines[2].startsWith("10.0.2.15/32 "));
    assertTrue(lines[lines.length - 1].startsWith("192.168.20.100/32 "));
  }

  @Test
  void nativeModeHasNoPodCidrEntriesButPodsKeepTheirNode() throws Exception {
    AgentConfig c = ReferenceLab.config(ReferenceLab.installValues());
    List<IpCacheEntry> entries = IpCache.build("k8s-ctr", List.of(Ipv4Address.parse("10.0.2.15")),
        ReferenceLab.part1Nodes(), transcriptEndpoints(), c);
    assertTrue(entries.stream().noneMatch(e -> e.prefix().length() == 24));
    assertTrue(IpCache.list(entries).contains(
        "172.20.2.54/32      identity=11761 encryptkey=0 tunnelendpoint=192.168.20.100 flags=hastunnel"));
  }

  @Test
  void aLongKeyWidensTheFirstColumn() {
    IpCacheEntry e = new IpCacheEntry(io.podnet.netstack.ip.Ipv4Prefix.parse("192.168.100.100/32"), 1, null, 0);
    assertEquals("IP PREFIX/ADDRESS    IDENTITY\n"
        + "192.168.100.100/32   identity=1 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>   \n",
        IpCache.list(List.of(e)));
    assertEquals("", IpCache.list(List.of()));
  }
}
