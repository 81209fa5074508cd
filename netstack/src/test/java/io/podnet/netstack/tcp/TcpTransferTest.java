package io.podnet.netstack.tcp;

import static io.podnet.netstack.tcp.TcpNet.A;
import static io.podnet.netstack.tcp.TcpNet.B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tcp.TcpNet.Rec;
import io.podnet.netstack.tcp.TcpNet.Seg;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.TcpHeader;
import io.podnet.proto.packet.TcpOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TcpTransferTest {
  private static final int F = TcpHeader.FIN;
  private static final int ACK = TcpHeader.ACK;
  private static final int PSH = TcpHeader.PSH;

  /** A connected pair: client on A, server on B port 80. */
  private static final class Pair {
    final TcpNet n;
    final Rec cli = new Rec();
    final Rec srv = new Rec();
    final TcpConnection c;
    TcpConnection s;

    Pair(TcpNet n) throws TcpException {
      this.n = n;
      n.b.tcp.listen(Ipv4Address.ANY, 80, 128, conn -> {
        s = conn;
        srv.conn = conn;
        return srv;
      });
      c = n.a.tcp.connect(B, 80, cli);
      n.runUntil(() -> cli.connected && s != null && s.state() == TcpState.ESTABLISHED, 120_000_000);
    }
  }

  private static byte[] random(int len, long seed) {
    byte[] d = new byte[len];
    new Random(seed).nextBytes(d);
    return d;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void hundredKilobytesArriveIntactOverALossyReorderingNetwork(long seed) throws Exception {
    TcpNet n = new TcpNet(seed);
    n.loss = 0.10;
    n.duplicate = 0.02;
    n.reorder = 0.05;
    Pair p = new Pair(n);
    byte[] up = random(100 * 1024, seed);
    byte[] down = random(30_000, seed + 100);
    // in several writes, both directions at once
    for (int off = 0; off < up.length; off += 25 * 1024) {
      p.c.send(up, off, Math.min(25 * 1024, up.length - off));
    }
    p.s.send(down);
    p.c.shutdownOutput();
    n.runUntil(() -> p.srv.peerClosed && p.cli.data.size() == down.length, 600_000_000);
    p.s.close();
    n.runUntil(() -> p.cli.peerClosed, 600_000_000);
    assertArrayEquals(up, p.srv.data.toByteArray());
    assertArrayEquals(down, p.cli.data.toByteArray());
    assertEquals(List.of("connected", "eof"), p.cli.events);
    assertTrue(p.srv.events.equals(List.of("eof")), p.srv.events.toString());
    // the active closer ends in TIME-WAIT (unless its last ACK was lost and the FIN comes again)
    n.runUntil(() -> p.s.state() == TcpState.CLOSED, 600_000_000);
    assertEquals(TcpState.TIME_WAIT, p.c.state());
    n.runFor(61_000_000);
    assertEquals(TcpState.CLOSED, p.c.state());
    assertTrue(n.a.tcp.connections().isEmpty());
    assertEquals(1, n.b.tcp.connections().size()); // the listener
    for (Seg s : n.log) {
      assertTrue(s.data().length <= 1448, "segment above the MSS: " + s);
    }
    assertTrue(n.log.size() > 100);
  }

  @Test
  void writesAreSegmentedAtTheMssWithPshOnTheLastSegmentOfEachWrite() throws Exception {
    TcpNet n = new TcpNet(20);
    Pair p = new Pair(n);
    int before = n.log.size();
    p.c.send(new byte[3000]);
    p.c.send(new byte[100]);
    List<Seg> data = n.log.subList(before, n.log.size()).stream().filter(s -> s.src().equals(A)).toList();
    assertEquals(List.of(1448, 1448, 104, 100), data.stream().map(s -> s.data().length).toList());
    assertEquals(List.of(ACK, ACK, ACK | PSH, ACK | PSH), data.stream().map(s -> s.h().flags()).toList());
    n.runFor(10_000);
    // one ACK per data segment (quick-ack), cumulative
    List<Seg> acks = n.log.stream().filter(s -> s.src().equals(B) && s.at() > data.get(0).at()).toList();
    assertEquals(4, acks.size());
    long base = data.get(0).h().sequenceNumber();
    assertEquals(List.of(base + 1448, base + 2896, base + 3000, base + 3100),
        acks.stream().map(s -> s.h().acknowledgmentNumber()).toList());
    assertEquals(3100, p.srv.data.size());
  }

  @Test
  void activeCloseGoesThroughFinWait2AndTimeWaitWhilePassiveGoesThroughCloseWaitAndLastAck() throws Exception {
    TcpNet n = new TcpNet(21);
    n.latency = 10_000;
    Pair p = new Pair(n);
    int before = n.log.size();
    p.c.close(); // client closes first
    assertEquals(TcpState.FIN_WAIT_1, p.c.state());
    n.runFor(10_000);
    assertEquals(TcpState.CLOSE_WAIT, p.s.state());
    assertTrue(p.srv.peerClosed);
    n.runFor(10_000);
    assertEquals(TcpState.FIN_WAIT_2, p.c.state());
    p.s.close();
    assertEquals(TcpState.LAST_ACK, p.s.state());
    n.runFor(10_000);
    assertEquals(TcpState.TIME_WAIT, p.c.state());
    assertEquals("TIME-WAIT", n.a.tcp.connections().get(0).stateName());
    n.runFor(10_000);
    assertEquals(TcpState.CLOSED, p.s.state());
    List<Seg> fin = n.log.subList(before, n.log.size());
    assertEquals(List.of("A F.", "B .", "B F.", "A ."), fin.stream()
        .map(s -> (s.src().equals(A) ? "A " : "B ") + TcpHeader.tcpdumpFlags(s.h().flags()).replaceAll("[\\[\\]]", ""))
        .toList());
    long cfin = fin.get(0).h().sequenceNumber();
    assertEquals(cfin + 1, fin.get(1).h().acknowledgmentNumber());
    assertEquals(cfin + 1, fin.get(3).h().sequenceNumber());
    assertEquals(fin.get(2).h().sequenceNumber() + 1, fin.get(3).h().acknowledgmentNumber());
    n.runFor(59_950_000);
    assertEquals(TcpState.TIME_WAIT, p.c.state());
    n.runFor(100_000);
    assertEquals(TcpState.CLOSED, p.c.state());
    assertTrue(p.cli.events.equals(List.of("connected")), "no callbacks after close(): " + p.cli.events);
  }

  @Test
  void serverClosesFirstAfterItsResponse() throws Exception {
    TcpNet n = new TcpNet(22);
    Pair p = new Pair(n);
    p.s.send("HTTP/1.1 200 OK\r\n\r\n".getBytes());
    p.s.close();
    n.runFor(2_000);
    assertEquals(TcpState.CLOSE_WAIT, p.c.state());
    assertEquals(List.of("connected", "eof"), p.cli.events);
    assertEquals(19, p.cli.data.size());
    p.c.close();
    n.runFor(10_000);
    assertEquals(TcpState.CLOSED, p.c.state());
    assertEquals(TcpState.TIME_WAIT, p.s.state());
    assertEquals("TIME-WAIT", n.b.tcp.connections().get(1).stateName());
  }

  @Test
  void simultaneousCloseGoesThroughClosingToTimeWaitOnBothSides() throws Exception {
    TcpNet n = new TcpNet(23);
    n.latency = 10_000;
    Pair p = new Pair(n);
    p.c.shutdownOutput();
    p.s.shutdownOutput();
    n.runFor(10_000);
    assertEquals(TcpState.CLOSING, p.c.state());
    assertEquals(TcpState.CLOSING, p.s.state());
    n.runFor(10_000);
    assertEquals(TcpState.TIME_WAIT, p.c.state());
    assertEquals(TcpState.TIME_WAIT, p.s.state());
    assertTrue(p.cli.peerClosed && p.srv.peerClosed);
  }

  @Test
  void lostFinIsRetransmittedAndTimeWaitReacksARetransmittedFin() throws Exception {
    TcpNet n = new TcpNet(24);
    Pair p = new Pair(n);
    int[] fins = {0};
    n.drop = s -> s.src().equals(A) && s.h().fin() && fins[0]++ == 0; // the client's first FIN is lost
    p.c.close();
    n.runFor(100_000);
    assertEquals(TcpState.ESTABLISHED, p.s.state());
    n.runUntil(() -> p.s.state() == TcpState.CLOSE_WAIT, 10_000_000);
    p.s.close();
    int[] acks = {0};
    n.drop = s -> s.src().equals(A) && s.h().flags() == ACK && acks[0]++ == 0; // the client's last ACK is lost
    n.runUntil(() -> p.s.state() == TcpState.CLOSED, 10_000_000);
    assertEquals(TcpState.TIME_WAIT, p.c.state());
    long finFromB = n.log.stream().filter(s -> s.src().equals(B) && s.h().fin()).count();
    assertEquals(2, finFromB, "LAST-ACK retransmits its FIN");
  }

  @Test
  void receiveWindowIsRespectedAndZeroWindowProbed() throws Exception {
    TcpLayer.Params small = TcpLayer.Params.LINUX.withReceiveBuffer(16_384);
    TcpNet n = new TcpNet(25, TcpLayer.Params.LINUX, small, 1500);
    n.latency = 5_000;
    Pair p = new Pair(n);
    p.s.pauseReading();
    byte[] d = random(60_000, 9);
    p.c.send(d);
    n.runFor(30_000_000);
    // the window closed and the sender probes
    assertEquals(0, p.srv.data.size());
    TcpSocketInfo srvInfo = n.b.tcp.connections().get(1);
    assertTrue(srvInfo.recvQ() > 0 && srvInfo.recvQ() < 16_384, "Recv-Q " + srvInfo.recvQ());
    assertEquals(60_000 - srvInfo.recvQ(), n.a.tcp.connections().get(0).sendQ());
    List<Seg> probes = n.log.stream().filter(s -> s.src().equals(A) && s.data().length == 0
        && s.h().flags() == ACK && s.at() > 1_000_000).toList();
    assertTrue(probes.size() >= 3, "zero-window probes " + probes);
    p.s.resumeReading();
    n.runUntil(() -> p.srv.data.size() == d.length, 120_000_000);
    assertArrayEquals(d, p.srv.data.toByteArray());
    // every data segment the client sent lies within the right edge the server had advertised
    long edge = 0;
    for (Seg s : n.log) {
      if (s.src().equals(B) && s.h().ack()) {
        // a SYN's window is never scaled
        edge = Math.max(edge, s.h().acknowledgmentNumber() + ((long) s.h().window() << (s.h().syn() ? 0 : 7)));
      } else if (s.src().equals(A) && s.data().length > 0) {
        assertTrue(s.h().sequenceNumber() + s.data().length <= edge, "beyond the window: " + s + " edge " + edge);
      }
    }
    // the server's window shrank to zero at some point, never below an advertised right edge
    assertTrue(n.log.stream().anyMatch(s -> s.src().equals(B) && s.h().window() == 0 && !s.h().syn()));
  }

  @Test
  void closeWithUnreadDataSendsRst() throws Exception {
    TcpNet n = new TcpNet(26);
    Pair p = new Pair(n);
    p.s.pauseReading();
    p.c.send(new byte[500]);
    n.runFor(10_000);
    p.s.close();
    Seg rst = n.log.get(n.log.size() - 1);
    assertEquals(TcpHeader.RST | ACK, rst.h().flags());
    n.runFor(10_000);
    assertEquals(SocketError.ECONNRESET, p.cli.error);
  }

  @Test
  void dataForAClosedSocketIsAnsweredWithRst() throws Exception {
    TcpNet n = new TcpNet(27);
    n.latency = 10_000;
    Pair p = new Pair(n);
    p.s.close(); // server closes; the client still writes
    p.c.send(new byte[10]);
    n.runFor(30_000);
    assertTrue(n.log.stream().anyMatch(s -> s.src().equals(B) && s.h().rst()));
    assertEquals(TcpState.CLOSED, p.s.state());
    // the RST reaches the client after the server's FIN: in CLOSE-WAIT, tcp_reset reports EPIPE
    assertEquals(TcpState.CLOSED, p.c.state());
    assertEquals(SocketError.EPIPE, p.cli.error);
  }

  @Test
  void outOfOrderDataIsSackedAndDeliveredInOrder() throws Exception {
    TcpNet n = new TcpNet(28);
    Pair p = new Pair(n);
    int[] k = {0};
    n.drop = s -> s.src().equals(A) && s.data().length > 0 && k[0]++ == 0; // the first data segment is lost
    byte[] d = random(5 * 1448, 3);
    p.c.send(d);
    n.runFor(5_000);
    List<Seg> dupAcks = n.log.stream().filter(s -> s.src().equals(B) && s.data().length == 0
        && s.h().parsedOptions().stream().anyMatch(o -> o instanceof TcpOption.Sack)).toList();
    assertEquals(4, dupAcks.size());
    long base = n.log.stream().filter(s -> s.src().equals(A) && s.data().length > 0).findFirst().get()
        .h().sequenceNumber();
    TcpOption.Sack last = (TcpOption.Sack) dupAcks.get(3).h().parsedOptions().get(5);
    assertEquals(List.of(new TcpOption.SackBlock(base + 1448, base + 5 * 1448)), last.blocks());
    assertEquals("0101050a", Bytes.hex(dupAcks.get(3).raw(), 32, 4)); // nop nop sack len 10, after the TS
    // the third duplicate ACK triggers a fast retransmit, long before the RTO
    assertArrayEquals(d, p.srv.data.toByteArray());
  }

  @Test
  void fragmentationNeededShrinksTheMssAndResends() throws Exception {
    TcpNet n = new TcpNet(29);
    Pair p = new Pair(n);
    n.drop = s -> s.data().length > 1000 - 52; // a 1000-byte link on the way
    p.c.send(new byte[4000]);
    Seg big = n.log.get(n.log.size() - 1);
    byte[] q = new byte[28];
    io.podnet.proto.packet.Ipv4Header.builder().source(A).destination(B).protocol(6)
        .payloadLength(big.raw().length).dontFragment(true).build().encode(q, 0);
    System.arraycopy(big.raw(), 0, q, 20, 8);
    Bytes.put32(q, 24, n.log.stream().filter(s -> s.src().equals(A) && s.data().length > 0).findFirst().get()
        .h().sequenceNumber());
    n.a.tcp.icmpError(3, 4, 1000, q, 0, q.length);
    assertEquals(1000 - 52, p.c.sendMss());
    byte[] q2 = q.clone();
    n.a.tcp.icmpError(3, 4, 300, q2, 0, q2.length); // below ip_rt_min_pmtu: clamped to 552
    assertEquals(552 - 52, p.c.sendMss());
    n.drop = s -> false;
    n.runUntil(() -> p.srv.data.size() == 4000, 10_000_000);
  }

  @Test
  void rtoRetransmitsWithBackoffAndGivesUpWithEtimedout() throws Exception {
    TcpNet n = new TcpNet(30);
    Pair p = new Pair(n);
    n.drop = s -> true; // the path dies
    long t0 = n.clock.nowMicros();
    p.c.send(new byte[100]);
    n.runUntil(() -> p.cli.error != null, 2_000_000_000L);
    assertEquals(SocketError.ETIMEDOUT, p.cli.error);
    List<Long> gaps = new ArrayList<>();
    List<Seg> tx = n.log.stream().filter(s -> s.src().equals(A) && s.data().length == 100).toList();
    for (int i = 1; i < tx.size(); i++) {
      gaps.add(tx.get(i).at() - tx.get(i - 1).at());
    }
    // each gap doubles (from the 200 ms floor plus the measured RTT), capped at 120 s
    for (int i = 1; i < gaps.size(); i++) {
      assertEquals(Math.min(gaps.get(i - 1) * 2, 120_000_000), gaps.get(i), gaps.toString());
    }
    assertTrue(gaps.get(0) >= 200_000 && gaps.get(0) < 300_000, gaps.toString());
    long elapsed = n.clock.nowMicros() - t0;
    assertTrue(elapsed > 900_000_000L && elapsed < 1_000_000_000L, "gave up after " + elapsed);
    assertEquals(TcpState.CLOSED, p.c.state());
  }
}
