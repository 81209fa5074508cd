package io.podnet.netstack.tcp;

import static io.podnet.netstack.tcp.TcpNet.A;
import static io.podnet.netstack.tcp.TcpNet.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tcp.TcpNet.Rec;
import io.podnet.netstack.tcp.TcpNet.Seg;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.TcpHeader;
import io.podnet.proto.packet.TcpOption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TcpHandshakeTest {
  private static final int S = TcpHeader.SYN;
  private static final int A_ = TcpHeader.ACK;
  private static final int P = TcpHeader.PSH;

  private static Rec server(TcpNet n, List<TcpConnection> accepted) throws TcpException {
    Rec r = new Rec();
    n.b.tcp.listen(Ipv4Address.ANY, 80, 511, c -> {
      accepted.add(c);
      r.conn = c;
      return r;
    });
    return r;
  }

  private static long ts(Seg s, boolean echo) {
    for (TcpOption o : s.h().parsedOptions()) {
      if (o instanceof TcpOption.Timestamps t) {
        return echo ? t.echoReply() : t.value();
      }
    }
    throw new AssertionError("no timestamps on " + s);
  }

  @Test
  void handshakeCarriesLinuxOptionsWindowsAndTimestamps() throws Exception {
    TcpNet n = new TcpNet(1);
    List<TcpConnection> accepted = new ArrayList<>();
    Rec srv = server(n, accepted);
    Rec cli = new Rec();
    n.runFor(5_000_000); // the lab clock at 5 s
    TcpConnection c = n.a.tcp.connect(B, 80, cli);
    assertEquals(TcpState.SYN_SENT, c.state());
    n.runUntil(() -> cli.connected && !accepted.isEmpty(), 10_000);
    c.send("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    n.runFor(10_000);

    List<Seg> log = n.log;
    Seg syn = log.get(0);
    Seg synAck = log.get(1);
    Seg ack = log.get(2);
    Seg get = log.get(3);
    Seg getAck = log.get(4);
    assertEquals(5, log.size(), log.toString());

    // SYN: 64240, mss 1460, sackOK, TS val ecr 0, nop, wscale 7 (20 bytes of options, doff 10)
    assertEquals(A, syn.src());
    assertEquals(S, syn.h().flags());
    assertEquals(64240, syn.h().window());
    assertEquals(0, syn.h().acknowledgmentNumber());
    assertEquals(10, syn.h().dataOffset());
    assertEquals(List.of(new TcpOption.MaximumSegmentSize(1460), TcpOption.SACK_PERMITTED,
        new TcpOption.Timestamps(ts(syn, false), 0), TcpOption.NOP, new TcpOption.WindowScale(7)),
        syn.h().parsedOptions());
    assertEquals("020405b40402080a", Bytes.hex(syn.raw(), 20, 8)); // mss 1460, sackOK, TS kind/len
    assertEquals("01030307", Bytes.hex(syn.raw(), 36, 4)); // nop, wscale 7
    int sport = syn.h().sourcePort();
    assertTrue(sport >= 32768 && sport <= 60999 && sport % 2 == 0, "even ephemeral port " + sport);
    assertEquals(80, syn.h().destinationPort());
    assertEquals(c.localPort(), sport);

    // SYN-ACK: 65160 (45 * 1448), options mirroring the SYN, TS echoing the SYN's
    assertEquals(B, synAck.src());
    assertEquals(S | A_, synAck.h().flags());
    assertEquals(65160, synAck.h().window());
    assertEquals((syn.h().sequenceNumber() + 1) & 0xffffffffL, synAck.h().acknowledgmentNumber());
    assertEquals(List.of(new TcpOption.MaximumSegmentSize(1460), TcpOption.SACK_PERMITTED,
        new TcpOption.Timestamps(ts(synAck, false), ts(syn, false)), TcpOption.NOP, new TcpOption.WindowScale(7)),
        synAck.h().parsedOptions());

    // ACK: win 502 (64240 aligned up to 128, scaled), nop nop TS
    assertEquals(A_, ack.h().flags());
    assertEquals(502, ack.h().window());
    assertEquals((syn.h().sequenceNumber() + 1) & 0xffffffffL, ack.h().sequenceNumber());
    assertEquals((synAck.h().sequenceNumber() + 1) & 0xffffffffL, ack.h().acknowledgmentNumber());
    assertEquals(List.of(TcpOption.NOP, TcpOption.NOP, new TcpOption.Timestamps(ts(ack, false), ts(synAck, false))),
        ack.h().parsedOptions());
    // the TS clock is the lab clock in ms (plus a per-connection offset): 2 ms after the SYN
    assertEquals(2, ts(ack, false) - ts(syn, false));
    assertEquals(syn.at() + 2_000, ack.at());

    // the request: PSH on the write's only segment; the server's ACK: win 510 (65160 -> 65280 / 128)
    assertEquals(P | A_, get.h().flags());
    assertEquals(18, get.data().length);
    assertEquals(A_, getAck.h().flags());
    assertEquals(510, getAck.h().window());
    assertEquals((ack.h().sequenceNumber() + 18) & 0xffffffffL, getAck.h().acknowledgmentNumber());
    assertEquals("GET / HTTP/1.1\r\n\r\n", srv.data.toString(StandardCharsets.US_ASCII));

    // ss: listener and both ends ESTAB
    List<TcpSocketInfo> ss = n.b.tcp.connections();
    assertEquals("LISTEN", ss.get(0).stateName());
    assertEquals(511, ss.get(0).sendQ());
    assertEquals(new TcpSocketInfo(TcpState.ESTABLISHED, 0, 0, B, 80, A, sport), ss.get(1));
    assertEquals(List.of(new TcpSocketInfo(TcpState.ESTABLISHED, 0, 0, A, sport, B, 80)), n.a.tcp.connections());
    assertEquals(1448, c.sendMss());
  }

  @Test
  void optionsFollowTheRouteMtuAndWhatTheSynOffered() throws Exception {
    // A offers neither SACK nor window scaling; B's SYN-ACK must not offer them either.
    TcpLayer.Params noSackNoWs = TcpLayer.Params.LINUX.withOptions(true, false, false);
    TcpNet n = new TcpNet(2, noSackNoWs, TcpLayer.Params.LINUX, 1400);
    List<TcpConnection> accepted = new ArrayList<>();
    server(n, accepted);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(B, 80, cli);
    n.runUntil(() -> cli.connected, 10_000);
    Seg syn = n.log.get(0);
    Seg synAck = n.log.get(1);
    assertEquals(List.of(new TcpOption.MaximumSegmentSize(1360), TcpOption.NOP, TcpOption.NOP,
        new TcpOption.Timestamps(ts(syn, false), 0)), syn.h().parsedOptions());
    assertEquals(65280, syn.h().window()); // 65536 rounded down to 48 * 1360
    assertEquals(List.of(new TcpOption.MaximumSegmentSize(1360), TcpOption.NOP, TcpOption.NOP,
        new TcpOption.Timestamps(ts(synAck, false), ts(syn, false))), synAck.h().parsedOptions());
    assertEquals(1348, c.sendMss());
    // unscaled windows afterwards
    assertEquals(65280, n.log.get(2).h().window());

    // No timestamps at all: MSS, then nop nop sackOK, nop wscale; segments carry no options.
    TcpNet m = new TcpNet(3, TcpLayer.Params.LINUX.withOptions(false, true, true), TcpLayer.Params.LINUX, 1500);
    server(m, new ArrayList<>());
    Rec cli2 = new Rec();
    TcpConnection c2 = m.a.tcp.connect(B, 80, cli2);
    m.runUntil(() -> cli2.connected, 10_000);
    assertEquals("020405b4" + "01010402" + "01030307", Bytes.hex(m.log.get(0).raw(), 20, 12));
    assertEquals("020405b4" + "01010402" + "01030307", Bytes.hex(m.log.get(1).raw(), 20, 12));
    assertEquals(0, m.log.get(2).h().options().size());
    assertEquals(1460, c2.sendMss());
  }

  @Test
  void ephemeralPortsAreDistinctEvenFirstAndInRange() {
    TcpNet n = new TcpNet(4);
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      TcpConnection c = n.a.tcp.connect(TcpNet.BLACKHOLE, 443, new Rec());
      int p = c.localPort();
      assertTrue(p >= 32768 && p <= 60999 && p % 2 == 0, "port " + p);
      assertTrue(ports.add(p), "port reused " + p);
    }
    assertEquals(200, n.a.tcp.connections().size());
    assertTrue(n.a.tcp.connections().stream().allMatch(i -> i.stateName().equals("SYN-SENT")));
  }

  @Test
  void synRetransmissionsAtOneThreeSevenSecondsThenEtimedout() {
    TcpNet n = new TcpNet(5);
    n.runFor(2_000_000);
    Rec cli = new Rec();
    n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli);
    n.runUntil(() -> cli.error != null, 200_000_000);
    List<Long> at = n.log.stream().map(s -> (s.at() - 2_000_000) / 1000).toList();
    assertEquals(List.of(0L, 1000L, 3000L, 7000L, 15000L, 31000L, 63000L), at);
    long isn = n.log.get(0).h().sequenceNumber();
    for (Seg s : n.log) {
      assertEquals(S, s.h().flags());
      assertEquals(isn, s.h().sequenceNumber());
      assertEquals(s.at() / 1000 - n.log.get(0).at() / 1000, ts(s, false) - ts(n.log.get(0), false));
    }
    assertEquals(SocketError.ETIMEDOUT, cli.error);
    assertEquals(129_000_000, n.clock.nowMicros()); // 127 s after the first SYN
    assertTrue(n.a.tcp.connections().isEmpty());
  }

  @Test
  void connectTimeoutByTheToolAbortsSilently() {
    // curl --connect-timeout 1: the tool gives up at 1 s; one retransmission has gone by then
    TcpNet n = new TcpNet(6);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli);
    n.clock.after(1_000_001, c::abort);
    n.runFor(10_000_000);
    assertEquals(2, n.log.size());
    assertEquals(TcpState.CLOSED, c.state());
    assertNull(cli.error);
    assertTrue(n.a.tcp.connections().isEmpty());
  }

  @Test
  void closedPortAnswersRstAckAndTheClientGetsEconnrefused() {
    TcpNet n = new TcpNet(7);
    Rec cli = new Rec();
    n.a.tcp.connect(B, 81, cli);
    n.runFor(100_000);
    assertEquals(SocketError.ECONNREFUSED, cli.error);
    assertEquals(List.of("error ECONNREFUSED"), cli.events);
    assertEquals(2, n.log.size(), "no RST in reply to the RST: " + n.log);
    Seg syn = n.log.get(0);
    Seg rst = n.log.get(1);
    assertEquals(TcpHeader.RST | TcpHeader.ACK, rst.h().flags());
    assertEquals(0, rst.h().sequenceNumber());
    assertEquals((syn.h().sequenceNumber() + 1) & 0xffffffffL, rst.h().acknowledgmentNumber());
    assertEquals(0, rst.h().window());
    assertEquals(0, rst.h().options().size());
    assertEquals(81, rst.h().sourcePort());
    assertEquals(syn.h().sourcePort(), rst.h().destinationPort());
  }

  /** A connect hook (Cilium's socket LB) sends the SYN to the address it picks; unknown frontends pass. */
  @Test
  void connectHookRewritesTheDestinationBeforeTheSyn() throws Exception {
    TcpNet n = new TcpNet(7);
    n.b.tcp.listen(Ipv4Address.ANY, 8080, 10, c -> new Rec());
    Ipv4Address service = Ipv4Address.parse("10.96.0.10");
    n.a.tcp.setConnectHook((dst, port) -> dst.equals(service) && port == 80
        ? new TcpLayer.Destination(B, 8080) : null);
    Rec cli = new Rec();
    n.a.tcp.connect(service, 80, cli);
    n.runFor(100_000);
    assertEquals(List.of("connected"), cli.events.subList(0, 1));
    assertEquals(8080, n.log.get(0).h().destinationPort());
    Rec other = new Rec();
    n.a.tcp.connect(B, 81, other);
    n.runFor(100_000);
    assertEquals(SocketError.ECONNREFUSED, other.error, "not a frontend: untouched");
    n.a.tcp.setConnectHook(null);
    Rec plain = new Rec();
    n.a.tcp.connect(B, 8080, plain);
    n.runFor(100_000);
    assertEquals("connected", plain.events.get(0));
  }

  @Test
  void resetRulesForSegmentsNobodyWants() {
    TcpNet n = new TcpNet(8);
    // ACK set: RST with seq = the ACK's ack number, no ACK flag
    n.b.inject(A, TcpHeader.builder().sourcePort(40000).destinationPort(22).sequenceNumber(1000)
        .acknowledgmentNumber(0xfffffff0L).flags(TcpHeader.ACK | TcpHeader.PSH).window(100), new byte[5]);
    Seg r1 = n.log.get(0);
    assertEquals(TcpHeader.RST, r1.h().flags());
    assertEquals(0xfffffff0L, r1.h().sequenceNumber());
    assertEquals(0, r1.h().acknowledgmentNumber());
    // no ACK: RST+ACK, ack = seq + data length + FIN (wrapping)
    n.b.inject(A, TcpHeader.builder().sourcePort(40000).destinationPort(22).sequenceNumber(0xfffffffeL)
        .flags(TcpHeader.FIN).window(100), new byte[5]);
    Seg r2 = n.log.get(1);
    assertEquals(TcpHeader.RST | TcpHeader.ACK, r2.h().flags());
    assertEquals(0, r2.h().sequenceNumber());
    assertEquals(4, r2.h().acknowledgmentNumber());
    // never a RST for a RST, on a closed port or a listener
    n.b.inject(A, TcpHeader.builder().sourcePort(40000).destinationPort(22).sequenceNumber(7)
        .flags(TcpHeader.RST), new byte[0]);
    n.b.inject(A, TcpHeader.builder().sourcePort(40000).destinationPort(22).sequenceNumber(7)
        .acknowledgmentNumber(9).flags(TcpHeader.RST | TcpHeader.ACK), new byte[0]);
    assertEquals(2, n.log.size());
    // a bad checksum is dropped silently
    byte[] seg = TcpHeader.builder().sourcePort(40000).destinationPort(22).sequenceNumber(7).flags(TcpHeader.SYN)
        .build(A, B).segment(new byte[0], 0, 0);
    seg[16] ^= 1;
    n.b.deliver(A, B, seg);
    assertEquals(2, n.log.size());
  }

  @Test
  void listenerAnswersAStrayAckWithRstAndRefusesDuplicateBinds() throws Exception {
    TcpNet n = new TcpNet(9);
    n.b.tcp.listen(Ipv4Address.ANY, 80, 10, c -> new Rec());
    TcpException e = assertThrows(TcpException.class, () -> n.b.tcp.listen(B, 80, 10, c -> new Rec()));
    assertEquals(SocketError.EADDRINUSE, e.error());
    n.b.inject(A, TcpHeader.builder().sourcePort(40001).destinationPort(80).sequenceNumber(5)
        .acknowledgmentNumber(77).flags(TcpHeader.ACK).window(100), new byte[0]);
    assertEquals(TcpHeader.RST, n.log.get(0).h().flags());
    assertEquals(77, n.log.get(0).h().sequenceNumber());
  }

  @Test
  void icmpErrorsReachTheConnectingSocket() {
    TcpNet n = new TcpNet(10);
    Rec cli = new Rec();
    n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli);
    Seg syn = n.log.get(0);
    // an ICMP error quoting a different sequence number is ignored
    byte[] wrong = quote(syn, 12345);
    n.a.tcp.icmpError(3, 1, 0, wrong, 0, wrong.length);
    assertNull(cli.error);
    byte[] q = quote(syn, syn.h().sequenceNumber());
    n.a.tcp.icmpError(3, 1, 0, q, 0, q.length); // host unreachable
    n.runFor(0);
    assertEquals(SocketError.EHOSTUNREACH, cli.error);
    assertTrue(n.a.tcp.connections().isEmpty());

    Rec cli2 = new Rec();
    n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli2);
    byte[] q2 = quote(n.log.get(1), n.log.get(1).h().sequenceNumber());
    n.a.tcp.icmpError(3, 3, 0, q2, 0, q2.length); // port unreachable
    assertEquals(SocketError.ECONNREFUSED, cli2.error);

    Rec cli3 = new Rec();
    n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli3);
    byte[] q3 = quote(n.log.get(2), n.log.get(2).h().sequenceNumber());
    n.a.tcp.icmpError(11, 0, 0, q3, 0, q3.length); // time exceeded
    assertEquals(SocketError.EHOSTUNREACH, cli3.error);
  }

  /** What an ICMP error quotes: the IPv4 header and the first 8 bytes of the segment. */
  private static byte[] quote(Seg s, long seq) {
    byte[] out = new byte[28];
    io.podnet.proto.packet.Ipv4Header.builder().source(s.src()).destination(s.dst()).protocol(6)
        .payloadLength(s.raw().length).build().encode(out, 0);
    System.arraycopy(s.raw(), 0, out, 20, 8);
    Bytes.put32(out, 24, seq);
    return out;
  }

  @Test
  void noRouteIsReportedAsEnetunreachFromATimer() {
    TcpNet n = new TcpNet(11);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(Ipv4Address.parse("192.0.2.1"), 80, cli);
    assertNull(cli.error, "not reported from inside connect()");
    n.runFor(0);
    assertEquals(SocketError.ENETUNREACH, cli.error);
    assertEquals(TcpState.CLOSED, c.state());
    assertTrue(n.log.isEmpty());
    // the IpSender refuses the SYN itself (route vanished after sourceFor): same error
    n.a.unroutable.add(B);
    Rec cli2 = new Rec();
    n.a.tcp.connect(B, 80, A, cli2);
    n.runFor(0);
    assertEquals(SocketError.ENETUNREACH, cli2.error);
    assertTrue(n.a.tcp.connections().isEmpty());
  }

  @Test
  void resetOnAnEstablishedConnectionIsEconnreset() throws Exception {
    TcpNet n = new TcpNet(12);
    List<TcpConnection> accepted = new ArrayList<>();
    server(n, accepted);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(B, 80, cli);
    n.runUntil(() -> cli.connected && !accepted.isEmpty(), 10_000);
    TcpConnection s = accepted.get(0);
    s.abort();
    Seg rst = n.log.get(n.log.size() - 1);
    assertEquals(TcpHeader.RST | TcpHeader.ACK, rst.h().flags());
    assertEquals(n.log.get(2).h().acknowledgmentNumber(), rst.h().sequenceNumber());
    n.runFor(10_000);
    assertEquals(List.of("connected", "reset", "error ECONNRESET"), cli.events);
    assertEquals(TcpState.CLOSED, c.state());
    assertEquals(4, n.log.size(), "nothing answers the RST");
    TcpException e = assertThrows(TcpException.class, () -> c.send(new byte[1]));
    assertEquals(SocketError.EPIPE, e.error());
  }

  @Test
  void outOfWindowOrInexactRstGetsAChallengeAck() throws Exception {
    TcpNet n = new TcpNet(13);
    List<TcpConnection> accepted = new ArrayList<>();
    server(n, accepted);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(B, 80, cli);
    n.runUntil(() -> cli.connected && !accepted.isEmpty(), 10_000);
    long rcvNxt = n.log.get(2).h().acknowledgmentNumber();
    int before = n.log.size();
    n.a.inject(B, TcpHeader.builder().sourcePort(80).destinationPort(c.localPort()).sequenceNumber(rcvNxt + 100)
        .flags(TcpHeader.RST), new byte[0]);
    assertEquals(TcpState.ESTABLISHED, c.state());
    assertEquals(before + 1, n.log.size());
    Seg challenge = n.log.get(before);
    assertEquals(TcpHeader.ACK, challenge.h().flags());
    assertEquals(rcvNxt, challenge.h().acknowledgmentNumber());
    // exact: reset
    n.a.inject(B, TcpHeader.builder().sourcePort(80).destinationPort(c.localPort()).sequenceNumber(rcvNxt)
        .flags(TcpHeader.RST), new byte[0]);
    assertEquals(TcpState.CLOSED, c.state());
    assertEquals(SocketError.ECONNRESET, cli.error);
    assertEquals(before + 1, n.log.size());
    assertNotEquals(0, before);
  }

  @Test
  void synAckWithAWrongAckIsAnsweredWithRst() {
    TcpNet n = new TcpNet(14);
    Rec cli = new Rec();
    TcpConnection c = n.a.tcp.connect(TcpNet.BLACKHOLE, 80, cli);
    long isn = n.log.get(0).h().sequenceNumber();
    n.a.deliver(TcpNet.BLACKHOLE, A, TcpHeader.builder().sourcePort(80).destinationPort(c.localPort())
        .sequenceNumber(555).acknowledgmentNumber((isn + 7) & 0xffffffffL).flags(S | A_).window(1000)
        .build(TcpNet.BLACKHOLE, A).segment(new byte[0], 0, 0));
    Seg rst = n.log.get(1);
    assertEquals(TcpHeader.RST, rst.h().flags());
    assertEquals((isn + 7) & 0xffffffffL, rst.h().sequenceNumber());
    assertEquals(TcpState.SYN_SENT, c.state());
    assertArrayEquals(new byte[0], rst.data());
  }
}
