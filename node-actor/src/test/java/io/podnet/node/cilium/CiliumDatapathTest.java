package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.PingSocket;
import io.podnet.netstack.core.UdpSocket;
import io.podnet.node.cilium.hubble.CompactPrinter;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.node.cilium.hubble.ObserveOptions;
import io.podnet.proto.packet.Decapsulated;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.FlowHash;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.TunnelKind;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class CiliumDatapathTest {
  static final long START = Instant.parse("2025-08-08T15:05:43.118Z").toEpochMilli() * 1000;
  static final long SECOND = 1_000_000;

  static AgentConfig geneve() throws Exception {
    return ReferenceLab.config(HelmUpgrade.parse(ReferenceLab.HELM_GENEVE).userValues(ReferenceLab.installValues()));
  }

  static AgentConfig vxlan() throws Exception {
    HelmValues v = ReferenceLab.installValues();
    for (String s : List.of("routingMode=tunnel", "tunnelProtocol=vxlan", "autoDirectNodeRoutes=false")) {
      v = v.overlay(HelmSetParser.parse(s));
    }
    return ReferenceLab.config(v);
  }

  static AgentConfig nativeRouting() throws Exception {
    return ReferenceLab.config(ReferenceLab.installValues());
  }

  /** Pings {@code count} times from a pod; the replies' TTLs, or -1 per error/timeout. */
  static List<PingSocket.Event> ping(DatapathLab lab, String from, String to, int count, int size, boolean df) {
    HostCore pod = lab.host(lab.pod(from).name());
    PingSocket s = pod.openPing(37);
    if (df) {
      s.setPmtuDiscovery(HostCore.Pmtu.DO);
    }
    List<PingSocket.Event> events = new ArrayList<>();
    s.setListener(events::add);
    for (int i = 1; i <= count; i++) {
      s.send(Ipv4Address.parse(lab.pod(to).ip()), i, new byte[size]);
      lab.runFor(SECOND);
    }
    return events;
  }

  static List<Integer> ttls(List<PingSocket.Event> events) {
    return events.stream().map(e -> e instanceof PingSocket.EchoReply r ? r.ttl() : -1).toList();
  }

  /** Tunnel frames the router received on {@code dev}. */
  static List<Decapsulated> tunnelFrames(DatapathLab lab, String dev, int port, List<byte[]> frames) {
    List<Decapsulated> out = new ArrayList<>();
    for (byte[] f : frames) {
      if (Bytes.u16(f, 12) != EtherType.IPV4 || Bytes.u8(f, 23) != IpProtocol.UDP || Bytes.u16(f, 36) != port) {
        continue;
      }
      out.add(Encapsulation.decapsulate(f, 0, f.length));
    }
    return out;
  }

  static List<byte[]> routerIn(DatapathLab lab, String dev) {
    List<byte[]> frames = new ArrayList<>();
    lab.host("router").addTap(dev, false, (d, dir, t, us, f) -> {
      if (dir == HostCore.Direction.IN) {
        frames.add(f);
      }
    });
    return frames;
  }

  void overlayPing(AgentConfig config, int port, TunnelKind kind) {
    DatapathLab lab = new DatapathLab(START).build(config);
    List<byte[]> eth1 = routerIn(lab, "eth1");
    List<byte[]> eth2 = routerIn(lab, "eth2");
    List<PingSocket.Event> ev = ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 2, 56, false);
    assertEquals(List.of(63, 63), ttls(ev), ev.toString());

    List<Decapsulated> req = tunnelFrames(lab, "eth1", port, eth1);
    List<Decapsulated> rep = tunnelFrames(lab, "eth2", port, eth2);
    assertEquals(2, req.size());
    assertEquals(2, rep.size());
    for (Decapsulated d : req) {
      assertEquals(kind, d.kind());
      assertEquals(29101, d.vni(), "VNI = curl-pod's identity 0x71ad");
      assertEquals(Ipv4Address.parse("192.168.10.100"), d.outerSource());
      assertEquals(Ipv4Address.parse("192.168.20.100"), d.outerDestination());
      assertEquals(64, d.outerTtl(), "outer TTL 64, seen as it arrives at the router");
    }
    assertEquals(11761, rep.get(0).vni(), "the reply carries webpod's identity 0x2df1");
    assertEquals(req.get(0).sourcePort(), req.get(1).sourcePort(), "one flow, one outer source port");
    assertNotEquals(req.get(0).sourcePort(), rep.get(0).sourcePort(), "each node hashes with its own seed");
    byte[] f = eth1.stream().filter(x -> Bytes.u16(x, 12) == EtherType.IPV4 && Bytes.u8(x, 23) == 17).findFirst()
        .orElseThrow();
    Ipv4Header outer = Ipv4Header.decode(f, 14, f.length - 14);
    assertFalse(outer.dontFragment());
    assertEquals(0, Bytes.u16(f, 40), "outer UDP checksum 0");
    Decapsulated d = req.get(0);
    Ipv4Header inner = Ipv4Header.decode(f, d.innerOffset() + 14, d.innerLength() - 14);
    assertEquals(Ipv4Address.parse("172.20.0.163"), inner.source());
    assertEquals(Ipv4Address.parse("172.20.2.54"), inner.destination());
    IcmpMessage echo = IcmpMessage.decode(f, d.innerOffset() + 34, inner.payloadLength());
    assertEquals(IcmpMessage.ECHO_REQUEST, echo.type());
    assertTrue(echo.checksumValid());
    byte[] innerFrame = Arrays.copyOfRange(f, d.innerOffset(), d.innerOffset() + d.innerLength());
    int seed = lab.datapaths.get("k8s-ctr").hashSeed();
    int expected = kind == TunnelKind.GENEVE ? FlowHash.geneveSourcePort(innerFrame, 0, innerFrame.length, seed)
        : FlowHash.vxlanSourcePort(innerFrame, 0, innerFrame.length, seed);
    assertEquals(expected, d.sourcePort());
  }

  @Test
  void genevePingAcrossTheRouter() throws Exception {
    overlayPing(geneve(), 6081, TunnelKind.GENEVE);
  }

  @Test
  void vxlanPingAcrossTheRouter() throws Exception {
    overlayPing(vxlan(), 8472, TunnelKind.VXLAN);
  }

  @Test
  void hubbleShowsTheOverlayFlowsInCompactFormat() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 56, false);
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    ObserveOptions o = ObserveOptions.parse(List.of("--pod", "curl-pod", "--protocol", "icmp"));
    StringBuilder ctr = new StringBuilder();
    o.select(lab.rings.get("k8s-ctr").flows()).forEach(f -> ctr.append(p.line(f)));
    assertEquals("""
        Aug  8 15:05:43.118: default/curl-pod (ID:29101) -> default/webpod-697b545f57-9c7vb (ID:11761) \
        to-overlay FORWARDED (ICMPv4 EchoRequest)
        Aug  8 15:05:43.118: default/curl-pod (ID:29101) <- default/webpod-697b545f57-9c7vb (ID:11761) \
        to-endpoint FORWARDED (ICMPv4 EchoReply)
        """, ctr.toString());
    StringBuilder w0 = new StringBuilder();
    o.select(lab.rings.get("k8s-w0").flows()).forEach(f -> w0.append(p.line(f)));
    assertEquals("""
        Aug  8 15:05:43.118: default/curl-pod (ID:29101) -> default/webpod-697b545f57-9c7vb (ID:11761) \
        to-endpoint FORWARDED (ICMPv4 EchoRequest)
        Aug  8 15:05:43.118: default/curl-pod (ID:29101) <- default/webpod-697b545f57-9c7vb (ID:11761) \
        to-overlay FORWARDED (ICMPv4 EchoReply)
        """, w0.toString());
    // monitor aggregation off: the from-* points too
    lab.datapaths.get("k8s-w0").setMonitorAggregation(false);
    ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 56, false);
    List<String> points = lab.rings.get("k8s-w0").flows().stream().map(Flow::type).toList();
    assertTrue(points.contains("from-overlay") && points.contains("from-endpoint"), points.toString());
  }

  @Test
  void dfAndTooBigForTheTunnelGetsFragmentationNeeded() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    List<PingSocket.Event> ev = ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 1472, true);
    assertEquals(1, ev.size(), ev.toString());
    PingSocket.Error e = assertInstanceOf(PingSocket.Error.class, ev.get(0));
    assertEquals(IcmpMessage.CODE_FRAGMENTATION_NEEDED, e.code());
    assertEquals(1450, e.nextHopMtu());
    Flow drop = lab.rings.get("k8s-ctr").flows().stream().filter(f -> f.kind() == Flow.Kind.DROP).findFirst()
        .orElseThrow();
    assertEquals("Fragmentation needed", drop.type());
    assertEquals(1, lab.host("k8s-ctr").drops("Fragmentation needed"));
    // 1422 bytes of data make 1450: through
    assertEquals(List.of(63), ttls(ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 1422, true)));
  }

  @Test
  void nativeRoutingReachesSameSubnetNodesAndNeedsRouterRoutesForTheOthers() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(nativeRouting());
    assertEquals(List.of(62), ttls(ping(lab, "curl-pod", "webpod-697b545f57-smclf", 1, 56, false)));
    List<PingSocket.Event> lost = ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 56, false);
    assertTrue(lost.stream().noneMatch(x -> x instanceof PingSocket.EchoReply), lost.toString());
    lab.ip("router", "route add 172.20.0.0/24 via 192.168.10.100");
    lab.ip("router", "route add 172.20.1.0/24 via 192.168.10.101");
    lab.ip("router", "route add 172.20.2.0/24 via 192.168.20.100");
    assertEquals(List.of(61), ttls(ping(lab, "curl-pod", "webpod-697b545f57-9c7vb", 1, 56, false)));
  }

  @Test
  void nodeToLocalAndRemotePods() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    PingSocket s = lab.host("k8s-ctr").openPing(9);
    List<PingSocket.Event> ev = new ArrayList<>();
    s.setListener(ev::add);
    s.send(Ipv4Address.parse("172.20.0.163"), 1, new byte[56]);
    lab.runFor(SECOND);
    s.send(Ipv4Address.parse("172.20.2.54"), 2, new byte[56]);
    lab.runFor(SECOND);
    assertEquals(2, ev.size(), ev.toString());
    PingSocket.EchoReply local = assertInstanceOf(PingSocket.EchoReply.class, ev.get(0));
    assertEquals(Ipv4Address.parse("172.20.0.74"), local.to(), "from the router IP, the route's src");
    assertInstanceOf(PingSocket.EchoReply.class, ev.get(1));
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    List<String> w0 = lab.rings.get("k8s-w0").flows().stream().map(p::line).toList();
    assertTrue(w0.get(0).contains("172.20.0.74 (remote-node) -> default/webpod-697b545f57-9c7vb (ID:11761) "
        + "to-endpoint FORWARDED (ICMPv4 EchoRequest)"), w0.toString());
  }

  @Test
  void clusterIpServiceTranslatesToABackendAndRepliesComeFromTheFrontend() throws Exception {
    DatapathLab lab = new DatapathLab(START).build(geneve());
    Ipv4Address vip = Ipv4Address.parse("10.96.107.144");
    List<ServiceTable.Backend> bes = List.of(new ServiceTable.Backend(Ipv4Address.parse("172.20.1.73"), 80),
        new ServiceTable.Backend(Ipv4Address.parse("172.20.2.54"), 80));
    for (CiliumDatapath dp : lab.datapaths.values()) {
      dp.setServices(List.of(new ServiceTable.Frontend("default", "webpod", "ClusterIP", vip, 80, IpProtocol.UDP,
          bes)));
    }
    List<String> servedBy = new ArrayList<>();
    for (String web : List.of("webpod-697b545f57-smclf", "webpod-697b545f57-9c7vb")) {
      UdpSocket srv = lab.host(web).openUdp();
      assertEquals(0, srv.bind(Ipv4Address.ANY, 80));
      srv.setListener(d -> {
        servedBy.add(web);
        srv.sendTo(d.source(), d.sourcePort(), ("Hostname: " + web).getBytes());
      });
    }
    UdpSocket cli = lab.host("curl-pod").openUdp();
    List<UdpSocket.Datagram> got = new ArrayList<>();
    cli.setListener(got::add);
    for (int i = 0; i < 8; i++) {
      cli.sendTo(vip, 80, "GET /".getBytes());
      lab.runFor(SECOND);
    }
    assertEquals(8, got.size());
    for (UdpSocket.Datagram d : got) {
      assertEquals(vip, d.source(), "reverse-translated");
      assertEquals(80, d.sourcePort());
    }
    assertEquals(8, servedBy.size());
    assertEquals(1, servedBy.stream().distinct().count(), "one connection (same source port), one backend");
    List<Flow> trace = lab.rings.get("k8s-ctr").flows().stream().filter(f -> f.kind() == Flow.Kind.TRACE_SOCK)
        .toList();
    CompactPrinter p = new CompactPrinter(ZoneOffset.UTC);
    assertTrue(p.line(trace.get(0)).endsWith(
        ": default/curl-pod (ID:29101) <> 10.96.107.144:80 (world) pre-xlate-fwd TRACED (UDP)\n"), p.line(trace.get(0)));
    Flow rev = trace.stream().filter(f -> f.type().equals("pre-xlate-rev")).findFirst().orElseThrow();
    assertTrue(p.line(rev).matches(".*: default/curl-pod:\\d+ \\(ID:29101\\) <> default/webpod-697b545f57-\\w+ "
        + "\\(ID:11761\\) pre-xlate-rev TRACED \\(UDP\\)\n"), p.line(rev));
    // new connections (new source ports) spread over both backends
    for (int i = 0; i < 12; i++) {
      UdpSocket c = lab.host("curl-pod").openUdp();
      c.sendTo(vip, 80, "GET /".getBytes());
      lab.runFor(SECOND);
    }
    assertEquals(2, servedBy.stream().distinct().count(), servedBy.toString());
  }
}
