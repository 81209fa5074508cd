package io.podnet.node.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tool.ToolFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** cilium-cli and cilium-dbg on k8s-ctr, against the reference transcript. */
class CiliumToolsTest {
  static final String HELM_GENEVE = "helm upgrade cilium cilium/cilium --namespace kube-system --version 1.18.0 "
      + "--reuse-values --set routingMode=tunnel --set tunnelProtocol=geneve --set autoDirectNodeRoutes=false "
      + "--set installNoConntrackIptablesRules=false";

  final FakeAgent agent;
  final Map<String, ToolFactory> tools;

  CiliumToolsTest() throws Exception {
    agent = new FakeAgent();
    tools = NodeTools.standard(agent);
  }

  Run run(String line) {
    return new Run(tools, line);
  }

  void upgrade(String line) throws Exception {
    Run h = run(line);
    agent.completeUpgrade();
    assertEquals(0, h.exit, h.err.toString());
  }

  static void assertOk(Run r, String out) {
    assertEquals("", r.err.toString());
    assertEquals(out, r.out.toString());
    assertEquals(0, r.exit);
  }

  static void assertFails(Run r, String err, int code) {
    assertEquals("", r.out.toString());
    assertEquals(err, r.err.toString());
    assertEquals(code, r.exit);
  }

  @Test
  void configViewAndFeaturesFollowTheHelmUpgrade() throws Exception {
    Run before = run("cilium config view");
    assertEquals("tunnel-protocol                                   vxlan\n"
        + "tunnel-source-port-range                          0-0\n", Run.grep(before.out.toString(), "tunnel"));
    assertTrue(Run.grep(run("cilium features status").out.toString(), "datapath_network").contains("mode=native"));
    upgrade(HELM_GENEVE);
    Run view = run("cilium config view");
    assertEquals(0, view.exit);
    assertEquals("routing-mode                                      tunnel\n"
        + "tunnel-protocol                                   geneve\n"
        + "tunnel-source-port-range                          0-0\n", Run.grep(view.out.toString(), "tunnel"));
    assertOk(run("cilium features status"), "Yes      cilium_feature_datapath_network                            "
        + "             mode=overlay-geneve                               1        1       1\n");
    // -n and --context are cilium-cli's global flags, the command's flags go anywhere
    assertEquals(view.out.toString(), run("cilium -n kube-system config view --context x").out.toString());
  }

  @Test
  void featuresStatusOneNode() {
    Run r = run("cilium features status --node k8s-w1");
    assertOk(r, "Yes      cilium_feature_datapath_network                                         mode=native"
        + "                                       1\n");
    assertFails(run("cilium features status --node nope"),
        "podnet: cilium features status: no Cilium agent runs on node nope\n", 1);
    assertFails(run("cilium features status --node"), "flag needs an argument: --node\n", 1);
    assertFails(run("cilium features status -o json"),
        "podnet: cilium features status -o json: not emulated (emulated: cilium config view, cilium features status)\n",
        1);
  }

  @Test
  void ciliumCliErrorsAreBareAsItsMainPrintsThem() {
    assertFails(run("cilium bogus"), "unknown command \"bogus\" for \"cilium\"\n", 1);
    assertFails(run("cilium statu"), "unknown command \"statu\" for \"cilium\"\n\nDid you mean this?\n\tstatus\n\n", 1);
    assertFails(run("cilium config view --bogus"), "unknown flag: --bogus\n", 1);
    assertFails(run("cilium config view -x"), "unknown shorthand flag: 'x' in -x\n", 1);
    assertFails(run("cilium features status --bogus=1"), "unknown flag: --bogus\n", 1);
    Run status = run("cilium status");
    assertEquals(1, status.exit);
    assertTrue(status.err.toString().startsWith("podnet: cilium status: not emulated"), status.err.toString());
  }

  @Test
  void dbgStatusShowsTheRouterWithAllAddresses() throws Exception {
    upgrade(HELM_GENEVE);
    Run all = run("cilium-dbg status --all-addresses");
    assertEquals(0, all.exit);
    assertEquals("  172.20.0.74 (router)\n", Run.grep(all.out.toString(), "router"));
    Run plain = run("cilium-dbg status");
    assertEquals("Routing:                 Network: Tunnel [geneve]   Host: BPF\n",
        Run.grep(plain.out.toString(), "Routing:"));
    assertEquals("", Run.grep(plain.out.toString(), "router"));
    // inside the agent container "cilium" is cilium-dbg
    assertEquals(all.out.toString(),
        new Run(NodeTools.agentContainer(agent), "cilium status --all-addresses").out.toString());
  }

  @Test
  void dbgConfigAllIsTheRunningAgentsOptions() throws Exception {
    assertEquals("EnableL2Announcements             : false\n",
        Run.grep(run("cilium-dbg config --all").out.toString(), "EnableL2Announcements"));
    upgrade("helm upgrade cilium cilium/cilium --namespace kube-system --version 1.18.0 --reuse-values "
        + "--set l2announcements.enabled=true --set l2NeighDiscovery.enabled=true");
    Run r = run("cilium-dbg config -a");
    assertEquals("EnableL2Announcements             : true\n", Run.grep(r.out.toString(), "EnableL2Announcements"));
    assertEquals(agent.config().dbgConfigAll(), r.out.toString());
    assertEquals("enable-l2-announcements                           true\n"
        + "enable-l2-neigh-discovery                         true\n",
        Run.grep(run("cilium config view").out.toString(), "enable-l2"));
    assertTrue(run("cilium-dbg config").err.toString().startsWith("podnet: cilium-dbg config (the mutable options): "
        + "not emulated"));
  }

  @Test
  void dbgIpcacheListAsTheTranscriptPrintsIt() throws Exception {
    upgrade(HELM_GENEVE);
    Run r = run("cilium-dbg bpf ipcache list");
    assertEquals("", r.err.toString());
    assertEquals(0, r.exit);
    // every row's value cell is padded to the widest value plus 3, as TablePrinter's tabwriter does
    assertTrue(r.out.toString().contains(
        "192.168.20.100/32   identity=6 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>                 \n"));
    String out = r.out.toString().replaceAll(" +\n", "\n");
    assertTrue(out.startsWith("IP PREFIX/ADDRESS   IDENTITY\n"), out);
    String tunnel = Run.grep(out, "hastunnel");
    assertTrue(tunnel.contains("172.20.2.54/32      identity=11761 encryptkey=0 tunnelendpoint=192.168.20.100 "
        + "flags=hastunnel"), tunnel);
    assertTrue(tunnel.contains("172.20.1.0/24       identity=2 encryptkey=0 tunnelendpoint=192.168.10.101 "
        + "flags=hastunnel"), tunnel);
    String local = Run.grepV(out, "hastunnel");
    assertTrue(local.contains("172.20.0.163/32     identity=29101 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>"),
        local);
    assertTrue(local.contains("10.0.2.15/32        identity=1 encryptkey=0 tunnelendpoint=0.0.0.0 flags=<none>"),
        local);
    agent.ipcache = List.of();
    Run empty = run("cilium-dbg bpf ipcache list");
    assertEquals("", empty.out.toString());
    assertEquals("No entries found.\n", empty.err.toString());
    assertEquals(0, empty.exit);
  }

  @Test
  void dbgErrorsAreCobrasOwnThenExecutesPrintln() {
    Run bogus = run("cilium-dbg bogus");
    assertEquals("Error: unknown command \"bogus\" for \"cilium-dbg\"\nRun 'cilium-dbg --help' for usage.\n",
        bogus.err.toString());
    assertEquals("unknown command \"bogus\" for \"cilium-dbg\"\n", bogus.out.toString());
    assertEquals(1, bogus.exit);
    Run stats = run("cilium-dbg stats");
    assertEquals("Error: unknown command \"stats\" for \"cilium-dbg\"\n\nDid you mean this?\n"
        + "\tstatus\n\nRun 'cilium-dbg --help' for usage.\n", stats.err.toString());
    assertEquals("unknown command \"stats\" for \"cilium-dbg\"\n\nDid you mean this?\n\tstatus\n\n",
        stats.out.toString());
    Run flag = run("cilium-dbg status --bogus");
    assertEquals("Error: unknown flag: --bogus\n", flag.err.toString());
    assertEquals("unknown flag: --bogus\n", flag.out.toString());
    assertEquals(1, flag.exit);
    Run shorthand = run("cilium-dbg bpf ipcache list -z");
    assertEquals("Error: unknown shorthand flag: 'z' in -z\n", shorthand.err.toString());
    assertEquals(1, shorthand.exit);
    Run get = run("cilium-dbg bpf ipcache get 10.0.0.1");
    assertEquals(1, get.exit);
    assertTrue(get.err.toString().startsWith("podnet: cilium-dbg bpf ipcache get: not emulated"), get.err.toString());
  }

  /** The leader's l2-announce table as the reference lab prints it; a follower prints the header alone. */
  @Test
  void dbShowL2Announce() {
    assertOk(run("cilium-dbg shell -- db/show l2-announce"), "IP   NetworkInterface\n");
    agent.l2Announce = List.of(
        new io.podnet.node.cilium.L2AnnounceTable.Entry(io.podnet.proto.packet.Ipv4Address.parse("192.168.10.211"),
            "eth1"));
    assertOk(run("cilium-dbg shell -- db/show l2-announce"), ""
        + "IP               NetworkInterface\n"
        + "192.168.10.211   eth1\n");
    // Rows in the table's key order: the address's bytes, then the device.
    agent.l2Announce = List.of(
        new io.podnet.node.cilium.L2AnnounceTable.Entry(io.podnet.proto.packet.Ipv4Address.parse("192.168.10.212"),
            "eth1"),
        new io.podnet.node.cilium.L2AnnounceTable.Entry(io.podnet.proto.packet.Ipv4Address.parse("192.168.10.9"),
            "eth2"),
        new io.podnet.node.cilium.L2AnnounceTable.Entry(io.podnet.proto.packet.Ipv4Address.parse("192.168.10.9"),
            "eth1"));
    assertOk(run("cilium shell -- db/show l2-announce".replace("cilium ", "cilium-dbg ")), ""
        + "IP               NetworkInterface\n"
        + "192.168.10.9     eth1\n"
        + "192.168.10.9     eth2\n"
        + "192.168.10.212   eth1\n");
    assertFails(run("cilium-dbg shell -- db/show l2-announces"), "Error: table \"l2-announces\" not found\n", 1);
  }

  /**
   * {@code cilium-dbg service list} (and {@code ls}, and {@code cilium} in the agent's container):
   * the agent's frontends by ID; its flags as cobra checks them.
   */
  @Test
  void dbgServiceList() {
    assertOk(run("cilium-dbg service list"), "ID   Frontend   Service Type   Backend   \n");
    io.podnet.node.cilium.ServiceList.Ids ids = new io.podnet.node.cilium.ServiceList.Ids();
    agent.services = ids.reconcile(io.podnet.node.cilium.ServiceListTest.lab(),
        List.of(io.podnet.proto.packet.Ipv4Address.parse("192.168.10.100")));
    assertOk(run("cilium-dbg service list"), io.podnet.node.cilium.ServiceListTest.LAB_LIST);
    assertOk(run("cilium-dbg service ls"), io.podnet.node.cilium.ServiceListTest.LAB_LIST);
    Run inPod = new Run(NodeTools.agentContainer(agent), "cilium service list");
    assertOk(inPod, io.podnet.node.cilium.ServiceListTest.LAB_LIST);
    Run affinity = run("cilium-dbg service list --clustermesh-affinity");
    assertEquals(0, affinity.exit);
    assertEquals("8    10.96.100.10:80/TCP     ClusterIP      1 => 172.20.0.63:80/TCP (active) (preferred)   ",
        affinity.out.toString().lines().toList().get(10));
    Run flag = run("cilium-dbg service list --bogus");
    assertEquals("Error: unknown flag: --bogus\n", flag.err.toString());
    assertEquals("unknown flag: --bogus\n", flag.out.toString());
    assertEquals(1, flag.exit);
    assertFails(run("cilium-dbg service list -o json"), "podnet: cilium-dbg service list -o: not emulated (emulated: "
        + "cilium-dbg status [--all-addresses], cilium-dbg config --all, cilium-dbg bpf ipcache list, "
        + "cilium-dbg service list, cilium-dbg shell -- db/show l2-announce)\n", 1);
    Run get = run("cilium-dbg service get 1");
    assertEquals(1, get.exit);
    assertTrue(get.err.toString().startsWith("podnet: cilium-dbg service get: not emulated"), get.err.toString());
  }
}
