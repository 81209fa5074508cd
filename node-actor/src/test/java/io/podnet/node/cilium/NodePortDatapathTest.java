package io.podnet.node.cilium;

import static io.podnet.node.cilium.CiliumDatapathTest.START;
import static io.podnet.node.cilium.CiliumDatapathTest.SECOND;
import static io.podnet.node.cilium.CiliumDatapathTest.geneve;
import static io.podnet.node.cilium.CiliumDatapathTest.nativeRouting;
import static io.podnet.node.cilium.CiliumDatapathTest.routerIn;
import static io.podnet.node.cilium.CiliumDatapathTest.tunnelFrames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.UdpSocket;
import io.podnet.netstack.tcp.TcpConnection;
import io.podnet.netstack.tcp.TcpException;
import io.podnet.netstack.tcp.TcpLayer;
import io.podnet.netstack.tcp.TcpListener;
import io.podnet.node.cilium.hubble.CompactPrinter;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.Decapsulated;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * nodeport_lb4: Services reached from outside the cluster (the router host of the reference lab)
 * through a node's NodePort, a LoadBalancer IP or an external IP, with real frames through the
 * nodes' HostCores.
 */
class NodePortDatapathTest {
  static final Ipv4Address ROUTER = Ipv4Address.parse("192.168.10.200");
  static final Ipv4Address CTR = Ipv4Address.parse("192.168.10.100");
  static final Ipv4Address W1 = Ipv4Address.parse("192.168.10.101");
  static final int NODE_PORT = 31362;
  static final ServiceTable.Backend WEB_W1 = new ServiceTable.Backend(Ipv4Address.parse("172.20.1.73"), 80);
  static final ServiceTable.Backend WEB_W0 = new ServiceTable.Backend(Ipv4Address.parse("172.20.2.54"), 80);

  record Served(String pod, Ipv4Address source, int sourcePort) {}

  /** The Service on every node: its NodePort on the node's InternalIP, plus {@code extra} frontends. */
  static void nodePort(DatapathLab lab, int proto, List<ServiceTable.Backend> backends, boolean etpLocal,
      ServiceTable.Frontend... extra) {
    for (CiliumNodeInfo n : lab.nodes) {
      List<ServiceTable.Frontend> fronts = new ArrayList<>(List.of(extra));
      fronts.add(new ServiceTable.Frontend("default", "webpod", "NodePort", n.internalIp(), NODE_PORT, proto,
          backends, etpLocal));
      lab.datapaths.get(n.name()).setServices(fronts);
    }
  }

  /** UDP servers on both webpods, answering "Hostname: POD" to whoever asked. */
  static List<Served> udpServers(DatapathLab lab) {
    List<Served> served = new ArrayList<>();
    for (String web : List.of("webpod-697b545f57-smclf", "webpod-697b545f57-9c7vb")) {
      UdpSocket srv = lab.host(web).openUdp();
      assertEquals(0, srv.bind(Ipv4Address.ANY, 80));
      srv.setListener(d -> {
        served.add(new Served(web, d.source(), d.sourcePort()));
        srv.sendTo(d.source(), d.sourcePort(), ("Hostname: " + web).getBytes(StandardCharsets.US_ASCII));
      });
    }
    return served;
  }

  static UdpSocket client(DatapathLab lab, int port, List<UdpSocket.Datagram> got) {
    UdpSocket c = lab.host("router").openUdp();
    assertEquals(0, c.bind(Ipv4Address.ANY, port));
    c.setListener(got::add);
    return c;
  }

  /** IPv4 frames with UDP or TCP the router received on eth1 from {@code src}. */
  static List<byte[]> ipFrom(List<byte[]> frames, Ipv4Address src, int proto) {
    return frames.stream().filter(f -> Bytes.u16(f, 12) == EtherType.IPV4 && Bytes.u8(f, 23) == proto
        && Bytes.i32(f, 26) == src.value()).toList();
  }

  /** Header and transport checksums of a frame verified from scratch. */
  static void assertChecksumsValid(byte[] f) {
    Ipv4Header h = Ipv4Header.decode(f, 14, f.length - 14);
    assertTrue(h.checksumValid(), "IPv4 header checksum");
    int len = h.totalLength() - h.length();
    int csumOffset = 14 + h.length() + (h.protocol() == IpProtocol.TCP ? 16 : 6);
    assertNotEquals(0, Bytes.u16(f, csumOffset), "a checksum is carried");
    assertEquals(0, Checksum.transport(h.source().value(), h.destination().value(), h.protocol(), f, 14 + h.length(),
        len), "transport checksum verified over the pseudo-header");
  }

  @Test
  void nodePortWithALocalBackendKeepsTheClientAddressAndRepliesComeFromTheNodePort() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1), false);
    List<Served> served = udpServers(lab);
    List<byte[]> atRouter = routerIn(lab, "eth1");
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 5353, got);
    c.sendTo(W1, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(List.of(new Served("webpod-697b545f57-smclf", ROUTER, 5353)), served, "DNAT only: client kept");
    assertEquals(1, got.size());
    assertEquals(W1, got.get(0).source(), "reverse-translated to the NodePort");
    assertEquals(NODE_PORT, got.get(0).sourcePort());
    assertEquals("Hostname: webpod-697b545f57-smclf", new String(got.get(0).data(), StandardCharsets.US_ASCII));
    byte[] reply = ipFrom(atRouter, W1, IpProtocol.UDP).get(0);
    assertChecksumsValid(reply);
    assertEquals(63, Bytes.u8(reply, 22), "the pod's 64, decremented once by the FIB redirect");
    assertEquals(0, lab.host("k8s-w1").drops().size(), lab.host("k8s-w1").drops().toString());
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    List<String> w1 = lab.rings.get("k8s-w1").flows().stream().map(p::line).toList();
    assertTrue(w1.get(0).contains("192.168.10.200:5353 (world) -> default/webpod-697b545f57-smclf:80 (ID:11761) "
        + "to-endpoint FORWARDED (UDP)"), w1.toString());
    assertTrue(w1.get(1).contains("192.168.10.200:5353 (world) <- 192.168.10.101:31362 (host) to-network FORWARDED "
        + "(UDP)"), w1.toString());
  }

  @Test
  void nodePortWithARemoteBackendInTunnelModeIsSnatedToTheRouterIpAndEncapsulatedAsWorld() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W0), false);
    List<Served> served = udpServers(lab);
    List<byte[]> atRouter = routerIn(lab, "eth1");
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 40000, got);
    c.sendTo(W1, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    // snat_v4 keeps 40000 (in 32768-65535); IPV4_GATEWAY (w1's router IP) as the backend is behind a tunnel
    assertEquals(List.of(new Served("webpod-697b545f57-9c7vb", Ipv4Address.parse("172.20.1.41"), 40000)), served);
    List<Decapsulated> tunnel = tunnelFrames(lab, "eth1", 6081, atRouter);
    assertEquals(1, tunnel.size(), "w1 -> w0 through the router; the reply comes back on eth2");
    assertEquals(ReservedIdentity.WORLD.id(), tunnel.get(0).vni(), "the request came from outside: WORLD_ID");
    assertEquals(W1, tunnel.get(0).outerSource());
    assertEquals(Ipv4Address.parse("192.168.20.100"), tunnel.get(0).outerDestination());
    assertEquals(1, got.size(), got.toString());
    assertEquals(W1, got.get(0).source());
    assertEquals(NODE_PORT, got.get(0).sourcePort());
    assertEquals("Hostname: webpod-697b545f57-9c7vb", new String(got.get(0).data(), StandardCharsets.US_ASCII));
    byte[] reply = ipFrom(atRouter, W1, IpProtocol.UDP).stream().filter(f -> Bytes.u16(f, 36) == 40000).findFirst()
        .orElseThrow();
    assertChecksumsValid(reply);
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    List<String> w0 = lab.rings.get("k8s-w0").flows().stream().map(p::line).toList();
    assertTrue(w0.get(0).contains("172.20.1.41:40000 (world) -> default/webpod-697b545f57-9c7vb:80 (ID:11761) "
        + "to-endpoint FORWARDED (UDP)"), w0.toString());
    List<String> w1 = lab.rings.get("k8s-w1").flows().stream().map(p::line).toList();
    assertTrue(w1.get(1).contains("192.168.10.200:40000 (world) <- 192.168.10.101:31362 (host) to-network FORWARDED "
        + "(UDP)"), w1.toString());
    assertTrue(w1.get(0).contains("172.20.1.41:40000 (world) -> default/webpod-697b545f57-9c7vb:80 (ID:11761) "
        + "to-overlay FORWARDED (UDP)"), w1.toString());

    // a client port outside the NAT range gets one inside it
    List<UdpSocket.Datagram> got2 = new ArrayList<>();
    UdpSocket c2 = client(lab, 5353, got2);
    c2.sendTo(W1, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    int snat = served.get(1).sourcePort();
    assertTrue(snat >= CiliumDatapath.NODEPORT_PORT_MIN_NAT && snat <= CiliumDatapath.NODEPORT_PORT_MAX_NAT, "" + snat);
    assertEquals(1, got2.size());
    assertEquals(NODE_PORT, got2.get(0).sourcePort());
  }

  @Test
  void tcpToANodePortWithARemoteBackendCompletesAndTransfers() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.TCP, List.of(WEB_W0), false);
    TcpLayer srv = tcp(lab, "webpod-697b545f57-9c7vb");
    TcpLayer cli = tcp(lab, "router");
    List<String> requests = new ArrayList<>();
    srv.listen(Ipv4Address.ANY, 80, 16, conn -> new TcpListener() {
      @Override
      public void onData(TcpConnection x, byte[] data) {
        requests.add(x.remoteAddress() + " " + new String(data, StandardCharsets.US_ASCII));
        try {
          x.send("HTTP/1.1 200 OK\r\n\r\nHostname: webpod-697b545f57-9c7vb\n".getBytes(StandardCharsets.US_ASCII));
        } catch (TcpException e) {
          throw new AssertionError(e);
        }
        x.close();
      }
    });
    StringBuilder body = new StringBuilder();
    boolean[] connected = {false};
    TcpConnection conn = cli.connect(W1, NODE_PORT, new TcpListener() {
      @Override
      public void onConnected(TcpConnection x) {
        connected[0] = true;
        try {
          x.send("GET / HTTP/1.1\r\nHost: 192.168.10.101:31362\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (TcpException e) {
          throw new AssertionError(e);
        }
      }

      @Override
      public void onData(TcpConnection x, byte[] data) {
        body.append(new String(data, StandardCharsets.US_ASCII));
      }
    });
    lab.runFor(SECOND);
    assertTrue(connected[0], "the SYN-ACK came back from 192.168.10.101:31362");
    assertEquals(1, requests.size());
    assertTrue(requests.get(0).startsWith("172.20.1.41 GET / HTTP/1.1"), requests.toString());
    assertTrue(body.toString().endsWith("Hostname: webpod-697b545f57-9c7vb\n"), body.toString());
    assertEquals(W1, conn.remoteAddress());
  }

  static TcpLayer tcp(DatapathLab lab, String host) {
    HostCore h = lab.host(host);
    TcpLayer t = new TcpLayer(h.timers(), new SplittableRandom(host.hashCode()), h.ipSender(), h::routeMtu,
        TcpLayer.Params.LINUX);
    h.register(IpProtocol.TCP, t);
    return t;
  }

  @Test
  void nodePortWithARemoteBackendInNativeModeIsSnatedToTheNodeAndRouted() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(nativeRouting());
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1), false);
    List<Served> served = udpServers(lab);
    List<byte[]> atRouter = routerIn(lab, "eth1");
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 40001, got);
    c.sendTo(CTR, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(List.of(new Served("webpod-697b545f57-smclf", CTR, 40001)), served, "SNAT to IPV4_DIRECT_ROUTING");
    byte[] fwd = lab.sentBy("k8s-ctr", "eth1").stream().map(DatapathLab.Sent::frame)
        .filter(f -> Bytes.u16(f, 12) == EtherType.IPV4 && Bytes.i32(f, 30) == WEB_W1.ip().value()).findFirst()
        .orElseThrow();
    assertEquals(63, Bytes.u8(fwd, 22), "routed by the node: TTL decremented");
    assertEquals(0x080027afe6dfL, Bytes.u48(fwd, 0), "to k8s-w1 (autoDirectNodeRoutes next hop)");
    assertChecksumsValid(fwd);
    assertEquals(1, got.size());
    assertEquals(CTR, got.get(0).source());
    assertEquals(NODE_PORT, got.get(0).sourcePort());
    byte[] reply = ipFrom(atRouter, CTR, IpProtocol.UDP).get(0);
    assertChecksumsValid(reply);
    assertEquals(62, Bytes.u8(reply, 22), "forwarded by k8s-w1's stack, then FIB-redirected by k8s-ctr");
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    List<String> ctr = lab.rings.get("k8s-ctr").flows().stream().map(p::line).toList();
    assertTrue(ctr.get(0).contains("192.168.10.100:40001 (host) -> default/webpod-697b545f57-smclf:80 (ID:11761) "
        + "to-network FORWARDED (UDP)"), ctr.toString());
  }

  @Test
  void loadBalancerAndExternalIpFrontendsAreTranslatedToo() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    Ipv4Address lbIp = Ipv4Address.parse("192.168.10.211");
    Ipv4Address extIp = Ipv4Address.parse("192.168.10.212");
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1), false,
        new ServiceTable.Frontend("default", "webpod", "LoadBalancer", lbIp, 80, IpProtocol.UDP, List.of(WEB_W1)),
        new ServiceTable.Frontend("default", "webpod", "ExternalIPs", extIp, 8080, IpProtocol.UDP, List.of(WEB_W1)));
    // nothing answers ARP for them yet: the router routes them to k8s-w1
    lab.ip("router", "route add 192.168.10.211/32 via 192.168.10.101");
    lab.ip("router", "route add 192.168.10.212/32 via 192.168.10.101");
    List<Served> served = udpServers(lab);
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 5353, got);
    c.sendTo(lbIp, 80, "GET /".getBytes());
    lab.runFor(SECOND);
    c.sendTo(extIp, 8080, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(2, served.size());
    assertEquals(2, got.size(), got.toString());
    assertEquals(lbIp, got.get(0).source());
    assertEquals(80, got.get(0).sourcePort());
    assertEquals(extIp, got.get(1).source());
    assertEquals(8080, got.get(1).sourcePort());
  }

  @Test
  void noBackendIsDroppedWithCiliumsReasonAndCounted() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.UDP, List.of(), false);
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 5353, got);
    c.sendTo(W1, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    c.sendTo(W1, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(List.of(), got);
    assertEquals(2, lab.host("k8s-w1").drops(CiliumDatapath.DROP_NO_BACKEND));
    Flow drop = lab.rings.get("k8s-w1").flows().stream().filter(f -> f.kind() == Flow.Kind.DROP).findFirst()
        .orElseThrow();
    assertEquals("Service backend not found", drop.type());
    assertEquals(ROUTER, drop.source());
    assertEquals(W1, drop.destination());
    assertEquals(NODE_PORT, drop.destinationPort());
  }

  @Test
  void aConnectionKeepsItsBackendAndNewConnectionsSpread() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1, WEB_W0), false);
    List<Served> served = udpServers(lab);
    List<UdpSocket.Datagram> got = new ArrayList<>();
    UdpSocket c = client(lab, 40002, got);
    for (int i = 0; i < 6; i++) {
      c.sendTo(W1, NODE_PORT, "GET /".getBytes());
      lab.runFor(SECOND);
    }
    assertEquals(6, got.size());
    assertEquals(1, served.stream().map(Served::pod).distinct().count(), served.toString());
    for (int i = 0; i < 12; i++) {
      UdpSocket other = client(lab, 41000 + i, new ArrayList<>());
      other.sendTo(W1, NODE_PORT, "GET /".getBytes());
      lab.runFor(SECOND);
    }
    assertEquals(2, served.stream().map(Served::pod).distinct().count(), served.toString());
  }

  @Test
  void externalTrafficPolicyLocalUsesOnlyLocalBackends() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1, WEB_W0), true);
    List<Served> served = udpServers(lab);
    for (int i = 0; i < 8; i++) {
      UdpSocket c = client(lab, 41000 + i, new ArrayList<>());
      c.sendTo(W1, NODE_PORT, "GET /".getBytes());
      lab.runFor(SECOND);
    }
    assertEquals(8, served.size());
    assertTrue(served.stream().allMatch(s -> s.pod().equals("webpod-697b545f57-smclf") && s.source().equals(ROUTER)),
        served.toString());
    // k8s-ctr has no local backend: dropped as Cilium does
    UdpSocket c = client(lab, 42000, new ArrayList<>());
    c.sendTo(CTR, NODE_PORT, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(8, served.size());
    assertEquals(1, lab.host("k8s-ctr").drops(CiliumDatapath.DROP_NO_BACKEND));
  }

  @Test
  void aClusterIpReachedFromOutsideIsDropped() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    Ipv4Address vip = Ipv4Address.parse("10.96.107.144");
    nodePort(lab, IpProtocol.UDP, List.of(WEB_W1), false,
        new ServiceTable.Frontend("default", "webpod", "ClusterIP", vip, 80, IpProtocol.UDP, List.of(WEB_W1)));
    lab.ip("router", "route add 10.96.0.0/12 via 192.168.10.101");
    List<Served> served = udpServers(lab);
    UdpSocket c = client(lab, 5353, new ArrayList<>());
    c.sendTo(vip, 80, "GET /".getBytes());
    lab.runFor(SECOND);
    assertEquals(List.of(), served);
    assertEquals(1, lab.host("k8s-w1").drops(CiliumDatapath.DROP_IS_CLUSTER_IP));
    assertNotEquals(0, lab.rings.get("k8s-w1").flows().size());
  }
}
