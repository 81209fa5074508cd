package io.podnet.netstack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.podnet.netstack.core.IpSender;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.TcpHeader;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Two TcpLayers back to back on one lab clock. Every datagram sent is checked (protocol 6, DF,
 * TTL 0, TCP checksum over the pseudo-header) and logged, then delivered after {@link #latency}
 * unless the seeded network drops it; it may also duplicate or delay (reorder) it.
 */
final class TcpNet {
  static final Ipv4Address A = Ipv4Address.parse("10.0.1.10");
  static final Ipv4Address B = Ipv4Address.parse("10.0.2.20");
  /** Routed, but nothing answers: packets vanish. */
  static final Ipv4Address BLACKHOLE = Ipv4Address.parse("10.0.9.99");

  /** One segment as it left a host. */
  record Seg(long at, Ipv4Address src, Ipv4Address dst, TcpHeader h, byte[] data, byte[] raw) {
    boolean is(int flags) {
      return h.flags() == flags;
    }

    @Override
    public String toString() {
      return at + " " + src + " > " + dst + " " + h + " len " + data.length;
    }
  }

  final TimerQueue clock = new TimerQueue(0);
  final Random net;
  double loss;
  double duplicate;
  double reorder;
  long latency = 1_000;
  Predicate<Seg> drop = s -> false;
  final List<Seg> log = new ArrayList<>();
  final Host a;
  final Host b;

  TcpNet(long seed) {
    this(seed, TcpLayer.Params.LINUX, TcpLayer.Params.LINUX, 1500);
  }

  TcpNet(long seed, TcpLayer.Params pa, TcpLayer.Params pb, int mtu) {
    net = new Random(seed);
    a = new Host(A, new Random(seed * 31 + 1), pa, mtu);
    b = new Host(B, new Random(seed * 31 + 2), pb, mtu);
  }

  final class Host implements IpSender {
    final Ipv4Address addr;
    final TcpLayer tcp;
    final Set<Ipv4Address> unroutable = new HashSet<>();

    Host(Ipv4Address addr, Random random, TcpLayer.Params params, int mtu) {
      this.addr = addr;
      this.tcp = new TcpLayer(clock, random, this, dst -> mtu, params);
    }

    Host peer() {
      return this == a ? b : a;
    }

    @Override
    public Ipv4Address sourceFor(Ipv4Address dst) {
      return unroutable.contains(dst) || dst.equals(Ipv4Address.parse("192.0.2.1")) ? null : addr;
    }

    @Override
    public int send(Ipv4Address src, Ipv4Address dst, int protocol, int ttl, boolean df, byte[] p, int off, int len) {
      assertEquals(IpProtocol.TCP, protocol);
      assertTrue(df, "DF set on every TCP segment");
      assertEquals(0, ttl, "default TTL");
      assertEquals(addr, src);
      assertTrue(TcpHeader.checksumValid(src, dst, p, off, len), "TCP checksum");
      TcpHeader h = TcpHeader.decode(p, off, len);
      byte[] data = new byte[len - h.length()];
      System.arraycopy(p, off + h.length(), data, 0, data.length);
      byte[] raw = new byte[len];
      System.arraycopy(p, off, raw, 0, len);
      Seg s = new Seg(clock.nowMicros(), src, dst, h, data, raw);
      log.add(s);
      if (sourceFor(dst) == null) {
        return ENETUNREACH;
      }
      if (!dst.equals(peer().addr) || drop.test(s) || net.nextDouble() < loss) {
        return OK;
      }
      int copies = net.nextDouble() < duplicate ? 2 : 1;
      for (int i = 0; i < copies; i++) {
        long delay = latency + (net.nextDouble() < reorder ? 1 + net.nextInt(5_000) : 0);
        clock.after(delay, () -> peer().deliver(src, dst, raw));
      }
      return OK;
    }

    void deliver(Ipv4Address src, Ipv4Address dst, byte[] segment) {
      Ipv4Header ip = Ipv4Header.builder().source(src).destination(dst).protocol(IpProtocol.TCP).dontFragment(true)
          .payloadLength(segment.length).build();
      byte[] dg = new byte[ip.length() + segment.length + 7];
      ip.encode(dg, 3);
      System.arraycopy(segment, 0, dg, 3 + ip.length(), segment.length);
      assertTrue(tcp.receive(Ipv4Header.decode(dg, 3, dg.length - 3), dg, 3, "eth0"));
    }

    /** Hands this host a segment built by the test, as if {@code from} had sent it. */
    void inject(Ipv4Address from, TcpHeader.Builder h, byte[] data) {
      TcpHeader th = h.build(from, addr, data, 0, data.length);
      deliver(from, addr, th.segment(data, 0, data.length));
    }

    List<Seg> sent() {
      return log.stream().filter(s -> s.src.equals(addr)).toList();
    }
  }

  void runFor(long micros) {
    clock.advanceTo(clock.nowMicros() + micros);
  }

  /** Runs timers in order until {@code done} holds; fails after {@code maxMicros} of lab time. */
  void runUntil(BooleanSupplier done, long maxMicros) {
    long limit = clock.nowMicros() + maxMicros;
    while (!done.getAsBoolean()) {
      long next = clock.nextDeadline();
      if (next > limit) {
        fail("not done within " + maxMicros + " us of lab time; last segments: "
            + log.subList(Math.max(0, log.size() - 6), log.size()));
      }
      clock.advanceTo(next);
    }
  }

  /** Records what a connection reports. */
  static final class Rec implements TcpListener {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final List<String> events = new ArrayList<>();
    TcpConnection conn;
    boolean connected;
    boolean peerClosed;
    SocketError error;

    @Override
    public void onConnected(TcpConnection c) {
      conn = c;
      connected = true;
      events.add("connected");
    }

    @Override
    public void onData(TcpConnection c, byte[] d) {
      data.writeBytes(d);
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
      peerClosed = true;
      events.add("eof");
    }

    @Override
    public void onReset(TcpConnection c) {
      events.add("reset");
      TcpListener.super.onReset(c);
    }

    @Override
    public void onError(TcpConnection c, SocketError e) {
      error = e;
      events.add("error " + e);
    }
  }
}
