package io.podnet.netstack.tcp;

import io.podnet.netstack.core.IpProtocolHandler;
import io.podnet.netstack.core.IpSender;
import io.podnet.netstack.core.Timers;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.TcpHeader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * The TCP of one host (net/ipv4/tcp*.c as plain code): sockets, demultiplexing, RST for segments
 * nobody wants, ICMP errors. Registered with the host's IPv4 core for protocol 6; sends through
 * its {@link IpSender}. Single-threaded: every call, callback and timer runs on the host's core.
 *
 * <p>Linux's defaults throughout: ephemeral ports from net.ipv4.ip_local_port_range (32768-60999,
 * connect() trying even ports first), SYN options MSS/SACK-permitted/timestamps/NOP/window scale
 * 7, initial receive window 64240 (65535 rounded down to a multiple of the MSS), initial RTO 1 s,
 * RTO minimum 200 ms, tcp_syn_retries 6 (SYNs at 0, 1, 3, 7, 15, 31, 63 s, ETIMEDOUT at 127 s),
 * tcp_synack_retries 5, TIME-WAIT and tcp_fin_timeout 60 s, tcp_retries2 15 (924.6 s).
 */
public final class TcpLayer implements IpProtocolHandler {
  /** Tunables, named after their sysctls. Times in microseconds. */
  public record Params(int portLow, int portHigh, int synRetries, int synAckRetries, long rtoInitial, long rtoMin,
      long rtoMax, long retries2Timeout, long timeWait, long finTimeout, int receiveBuffer, int initialCwnd,
      boolean timestamps, boolean sack, boolean windowScaling, int somaxconn) {
    /** Linux 6.x defaults. tcp_rmem[1] = 131072 gives the 64 KiB initial window. */
    public static final Params LINUX = new Params(32768, 60999, 6, 5, 1_000_000, 200_000, 120_000_000,
        924_600_000, 60_000_000, 60_000_000, 131_072, 10, true, true, true, 4096);

    public Params withReceiveBuffer(int bytes) {
      return new Params(portLow, portHigh, synRetries, synAckRetries, rtoInitial, rtoMin, rtoMax, retries2Timeout,
          timeWait, finTimeout, bytes, initialCwnd, timestamps, sack, windowScaling, somaxconn);
    }

    public Params withOptions(boolean ts, boolean sackOn, boolean ws) {
      return new Params(portLow, portHigh, synRetries, synAckRetries, rtoInitial, rtoMin, rtoMax, retries2Timeout,
          timeWait, finTimeout, receiveBuffer, initialCwnd, ts, sackOn, ws, somaxconn);
    }
  }

  record Key(Ipv4Address localAddress, int localPort, Ipv4Address remoteAddress, int remotePort) {}

  private record ListenKey(Ipv4Address address, int port) {}

  final Timers timers;
  final RandomGenerator random;
  final IpSender ip;
  final Params params;
  private final ToIntFunction<Ipv4Address> routeMtu;
  private final Map<Key, TcpConnection> connections = new LinkedHashMap<>();
  private final Map<ListenKey, TcpServerSocket> listeners = new LinkedHashMap<>();
  private final Map<Integer, Integer> portUse = new HashMap<>();

  /** Linux defaults, every route with MTU 1500. */
  public TcpLayer(Timers timers, RandomGenerator random, IpSender ip) {
    this(timers, random, ip, dst -> 1500, Params.LINUX);
  }

  /**
   * @param routeMtu the MTU of the route to a destination (the MSS offered is that minus 40)
   */
  public TcpLayer(Timers timers, RandomGenerator random, IpSender ip, ToIntFunction<Ipv4Address> routeMtu,
      Params params) {
    this.timers = timers;
    this.random = random;
    this.ip = ip;
    this.routeMtu = routeMtu;
    this.params = params;
  }

  // ---- sockets ----

  /**
   * listen(2) on {@code local} (or {@link Ipv4Address#ANY}) and {@code port}; {@code acceptor} is
   * called for each connection when its handshake completes.
   *
   * @throws TcpException EADDRINUSE when another listener has the port on that address (or on
   *     any); connections using the port do not conflict, as for a server that sets SO_REUSEADDR
   */
  public TcpServerSocket listen(Ipv4Address local, int port, int backlog, TcpServerSocket.Acceptor acceptor)
      throws TcpException {
    if (port < 1 || port > 0xffff) {
      throw new IllegalArgumentException("port out of range 1-65535: " + port);
    }
    for (TcpServerSocket l : listeners.values()) {
      if (l.localPort == port && (l.localAddress.equals(local) || l.localAddress.equals(Ipv4Address.ANY)
          || local.equals(Ipv4Address.ANY))) {
        throw new TcpException(SocketError.EADDRINUSE);
      }
    }
    TcpServerSocket s = new TcpServerSocket(this, local, port, Math.max(1, Math.min(backlog, params.somaxconn())),
        acceptor);
    listeners.put(new ListenKey(local, port), s);
    usePort(port, 1);
    return s;
  }

  void unlisten(TcpServerSocket s) {
    listeners.remove(new ListenKey(s.localAddress, s.localPort));
    usePort(s.localPort, -1);
    for (TcpConnection c : List.copyOf(connections.values())) {
      if (c.server == s && c.state == TcpState.SYN_RECV) {
        c.destroy();
      }
    }
  }

  /**
   * A cgroup connect4 program (Cilium's socket-level load balancer): it may rewrite the address
   * and port a connect(2) goes to; null leaves them.
   */
  @FunctionalInterface
  public interface ConnectHook {
    /** The destination to use instead of {@code dst:port}, or null. */
    Destination translate(Ipv4Address dst, int port);
  }

  /** A rewritten connect destination. */
  public record Destination(Ipv4Address address, int port) {}

  private ConnectHook connectHook = (dst, port) -> null;

  /** Attaches a connect hook (replacing any); null detaches. */
  public void setConnectHook(ConnectHook hook) {
    this.connectHook = hook != null ? hook : (dst, port) -> null;
  }

  /** connect(2) from the address the route picks. */
  public TcpConnection connect(Ipv4Address dst, int port, TcpListener listener) {
    return connect(dst, port, null, listener);
  }

  /**
   * connect(2): sends a SYN and returns the socket in SYN-SENT at once; the outcome arrives on
   * {@code listener} ({@link TcpListener#onConnected} or {@link TcpListener#onError}, the latter
   * also for "no route", reported from a timer due now, not from inside this call).
   *
   * @param src the source address (bind before connect), or null for the route's choice
   */
  public TcpConnection connect(Ipv4Address dst, int port, Ipv4Address src, TcpListener listener) {
    if (port < 1 || port > 0xffff) {
      throw new IllegalArgumentException("port out of range 1-65535: " + port);
    }
    Destination to = connectHook.translate(dst, port);
    if (to != null) {
      dst = to.address();
      port = to.port();
    }
    Ipv4Address from = src != null ? src : ip.sourceFor(dst);
    if (from == null) {
      return TcpConnection.failed(this, dst, port, listener, SocketError.ENETUNREACH);
    }
    int lport = ephemeralPort(from, dst, port);
    if (lport < 0) {
      return TcpConnection.failed(this, dst, port, listener, SocketError.EADDRNOTAVAIL);
    }
    TcpConnection c = new TcpConnection(this, from, lport, dst, port, listener, null, mssFor(dst));
    register(c);
    c.startConnect();
    return c;
  }

  /** Sockets as {@code ss -tan} lists them: listeners first, then connections in creation order. */
  public List<TcpSocketInfo> connections() {
    List<TcpSocketInfo> out = new ArrayList<>();
    for (TcpServerSocket l : listeners.values()) {
      out.add(new TcpSocketInfo(TcpState.LISTEN, 0, l.backlog, l.localAddress, l.localPort, Ipv4Address.ANY, 0));
    }
    for (TcpConnection c : connections.values()) {
      out.add(c.info());
    }
    return out;
  }

  int mssFor(Ipv4Address dst) {
    return Math.max(routeMtu.applyAsInt(dst) - 40, 88 - 40);
  }

  /**
   * __inet_hash_connect: a random offset into the range, even ports first (connect() takes one
   * parity and bind() the other), then odd; a port in use by any local socket is skipped.
   */
  private int ephemeralPort(Ipv4Address src, Ipv4Address dst, int dport) {
    int low = params.portLow();
    int remaining = params.portHigh() - low + 1;
    int offset = random.nextInt(remaining) & ~1;
    for (int parity = 0; parity < 2; parity++) {
      int port = low + offset + parity;
      for (int i = 0; i < remaining; i += 2, port += 2) {
        if (port > params.portHigh()) {
          port -= remaining;
        }
        if (port >= low && port <= params.portHigh() && !portUse.containsKey(port)) {
          return port;
        }
      }
    }
    return -1;
  }

  private void usePort(int port, int delta) {
    portUse.merge(port, delta, (a, b) -> a + b == 0 ? null : a + b);
  }

  void register(TcpConnection c) {
    connections.put(c.key(), c);
    usePort(c.localPort, 1);
  }

  void unregister(TcpConnection c) {
    if (connections.remove(c.key(), c)) {
      usePort(c.localPort, -1);
    }
  }

  // ---- input ----

  @Override
  public boolean receive(Ipv4Header iph, byte[] buf, int off, String dev) {
    int tOff = off + iph.length();
    int tLen = iph.totalLength() - iph.length();
    TcpHeader h;
    try {
      h = TcpHeader.decode(buf, tOff, tLen);
    } catch (PacketException e) {
      return true; // malformed: dropped (TCP_MIB_INERRS)
    }
    if (!TcpHeader.checksumValid(iph.source(), iph.destination(), buf, tOff, tLen)) {
      return true; // TCP_MIB_CSUMERRORS: dropped without a reply
    }
    int dataOff = tOff + h.length();
    int dataLen = tLen - h.length();
    Key key = new Key(iph.destination(), h.destinationPort(), iph.source(), h.sourcePort());
    TcpConnection c = connections.get(key);
    if (c != null) {
      c.segmentArrived(h, buf, dataOff, dataLen);
      return true;
    }
    TcpServerSocket l = listeners.get(new ListenKey(iph.destination(), h.destinationPort()));
    if (l == null) {
      l = listeners.get(new ListenKey(Ipv4Address.ANY, h.destinationPort()));
    }
    if (l != null) {
      listenSegment(l, iph, h, dataLen);
      return true;
    }
    sendReset(iph.destination(), iph.source(), h, dataLen);
    return true;
  }

  private void listenSegment(TcpServerSocket l, Ipv4Header iph, TcpHeader h, int dataLen) {
    if (h.rst()) {
      return;
    }
    if (h.ack()) {
      sendReset(iph.destination(), iph.source(), h, dataLen);
      return;
    }
    if (!h.syn() || h.fin()) {
      return;
    }
    if (l.synRecv >= l.backlog) {
      return; // SYN queue full and no syncookies: dropped, the client retransmits
    }
    TcpConnection c = new TcpConnection(this, iph.destination(), h.destinationPort(), iph.source(), h.sourcePort(),
        null, l, mssFor(iph.source()));
    register(c);
    l.synRecv++;
    c.synArrived(h);
  }

  /**
   * tcp_v4_send_reset, RFC 9293 "reset generation": never for a RST; with ACK set, RST seq=ack;
   * else RST+ACK, seq 0, ack = seq + length (+1 for SYN and FIN). No options, window 0.
   */
  void sendReset(Ipv4Address src, Ipv4Address dst, TcpHeader in, int dataLen) {
    if (in.rst()) {
      return;
    }
    TcpHeader.Builder b = TcpHeader.builder().sourcePort(in.destinationPort()).destinationPort(in.sourcePort());
    if (in.ack()) {
      b.sequenceNumber(in.acknowledgmentNumber()).flags(TcpHeader.RST);
    } else {
      long ack = in.sequenceNumber() + dataLen + (in.syn() ? 1 : 0) + (in.fin() ? 1 : 0);
      b.sequenceNumber(0).acknowledgmentNumber(ack & 0xffffffffL).flags(TcpHeader.RST | TcpHeader.ACK);
    }
    transmit(src, dst, b.build(src, dst), new byte[0], 0, 0);
  }

  int transmit(Ipv4Address src, Ipv4Address dst, TcpHeader h, byte[] data, int off, int len) {
    byte[] seg = h.segment(data, off, len);
    return ip.send(src, dst, IpProtocol.TCP, 0, true, seg, 0, seg.length);
  }

  /**
   * tcp_v4_err: finds the socket the quoted segment came from and checks that its sequence number
   * is one we have outstanding before acting on the error.
   */
  @Override
  public void icmpError(int type, int code, long restOfHeader, byte[] quoted, int off, int len) {
    Ipv4Header q;
    try {
      q = Ipv4Header.decodeHeaderOnly(quoted, off, len);
    } catch (PacketException e) {
      return;
    }
    int t = off + q.length();
    if (q.protocol() != IpProtocol.TCP || t + 8 > off + len) {
      return; // RFC 792 quotes at least 8 bytes: ports and sequence number
    }
    int sport = Bytes.u16(quoted, t);
    int dport = Bytes.u16(quoted, t + 2);
    long seq = Bytes.u32(quoted, t + 4);
    TcpConnection c = connections.get(new Key(q.source(), sport, q.destination(), dport));
    if (c == null) {
      return;
    }
    if (type == IcmpMessage.DESTINATION_UNREACHABLE) {
      if (code == IcmpMessage.CODE_FRAGMENTATION_NEEDED) {
        c.icmpFragNeeded(seq, (int) (restOfHeader & 0xffff));
      } else {
        c.icmpError(seq, SocketError.ofUnreachableCode(code));
      }
    } else if (type == IcmpMessage.TIME_EXCEEDED) {
      c.icmpError(seq, SocketError.EHOSTUNREACH);
    } else if (type == IcmpMessage.PARAMETER_PROBLEM) {
      c.icmpError(seq, SocketError.EPROTO);
    }
  }
}
