package io.podnet.netstack.tcp;

import io.podnet.netstack.core.Timers;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.TcpHeader;
import io.podnet.proto.packet.TcpOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One TCP connection (a connected socket) with Linux's behaviour: the handshake with Linux's SYN
 * options, segmentation at the MSS less the timestamp option, PSH on the last segment of a write,
 * an immediate ACK for every data segment (Linux's quick-ack mode, kept on for the whole
 * connection; no delayed ACKs), SACK blocks for out-of-order data, Linux's receive window
 * (tcp_select_window: never shrinks, scaled by 7), the peer's window respected with zero-window
 * probes, RFC 6298 retransmission (Linux's 200 ms floor, doubling back-off), NewReno-style fast
 * retransmit on three duplicate ACKs (Linux runs CUBIC with PRR; this is the simpler Reno), the
 * FIN handshake in both orders with TIME-WAIT, RST rules of RFC 9293 / RFC 5961.
 *
 * <p>Sequence numbers are kept unwrapped in longs (the 32-bit value is {@code seq & 0xffffffff}).
 * The owner behaves like a TCP_NODELAY socket (curl and Go servers set it): no Nagle delay.
 */
public final class TcpConnection {
  private static final long MASK = 0xffffffffL;
  private static final int TS_LEN = 12;
  /** ilog2(max(tcp_rmem[2] 6 MiB, rmem_max)) - 15: Linux's window scale on a default host. */
  private static final int LINUX_WSCALE = 7;
  /** TCP_TIMEOUT_FALLBACK: the RTO once data starts after a retransmitted SYN (RFC 6298 5.7). */
  private static final long RTO_FALLBACK = 3_000_000;

  private final TcpLayer layer;
  private final Timers timers;
  final Ipv4Address localAddress;
  final int localPort;
  final Ipv4Address remoteAddress;
  final int remotePort;
  final TcpServerSocket server;
  private TcpListener listener;
  TcpState state = TcpState.CLOSED;
  private boolean orphan;
  private boolean userClosed;

  // negotiated
  private final int advMss;
  private int peerMss = 536;
  private boolean tsOk;
  private boolean sackOk;
  private int sndWscale;
  private int rcvWscale;
  private long tsOffset;
  private long tsRecent;
  private int mss;

  // send side
  private long iss;
  private long sndUna;
  private long sndNxt;
  private long sndMax;
  private long sndWnd;
  private long sndWl1;
  private long maxSndWnd;
  private final ByteQueue sendBuf = new ByteQueue();
  private final Deque<Long> pushMarks = new ArrayDeque<>();
  private boolean finQueued;
  private long cwnd;
  private long ssthresh = Long.MAX_VALUE;
  private int dupAcks;
  private boolean inRecovery;
  private long recover;
  private final TreeMap<Long, Long> sacked = new TreeMap<>();

  // timers and RTT
  private long srtt = -1;
  private long rttvar;
  private long rto;
  private int backoff;
  private int retransmits;
  private long rttSeq = -1;
  private long rttStart;
  private long retransStamp = -1;
  private boolean handshakeRetransmitted;
  private long synSentAt;
  private Timers.Timer rtxTimer;
  private Timers.Timer persistTimer;
  private Timers.Timer waitTimer;
  private int probes;
  private SocketError softError;

  // receive side
  private long rcvNxt;
  private long rcvWnd;
  private long rcvWup;
  private long rcvSsthresh;
  private long windowClamp;
  private final TreeMap<Long, byte[]> ooo = new TreeMap<>();
  private long oooFin = -1;
  private long lastOooSeq = -1;
  private final Deque<byte[]> readQueue = new ArrayDeque<>();
  private long rcvQueued;
  private boolean paused;
  private boolean eofPending;
  private boolean ackNow;

  TcpConnection(TcpLayer layer, Ipv4Address localAddress, int localPort, Ipv4Address remoteAddress, int remotePort,
      TcpListener listener, TcpServerSocket server, int advMss) {
    this.layer = layer;
    this.timers = layer.timers;
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
    this.listener = listener;
    this.server = server;
    this.advMss = advMss;
    this.rto = layer.params.rtoInitial();
  }

  /** A connect() refused before any packet: the error is reported from a timer due now. */
  static TcpConnection failed(TcpLayer layer, Ipv4Address dst, int port, TcpListener listener, SocketError error) {
    TcpConnection c = new TcpConnection(layer, Ipv4Address.ANY, 0, dst, port, listener, null, 536);
    layer.timers.after(0, () -> c.notifyError(error));
    return c;
  }

  // ---- public API ----

  public TcpState state() {
    return state;
  }

  public Ipv4Address localAddress() {
    return localAddress;
  }

  public int localPort() {
    return localPort;
  }

  public Ipv4Address remoteAddress() {
    return remoteAddress;
  }

  public int remotePort() {
    return remotePort;
  }

  /** The payload bytes per segment this side sends (1448 on a 1500-byte path with timestamps). */
  public int sendMss() {
    return mss;
  }

  /** Bytes written and not yet acknowledged ({@code ss}'s Send-Q). */
  public long sendQueue() {
    return Math.max(0, sendBuf.end() - Math.max(sndUna, iss + 1));
  }

  /** Replaces the listener (e.g. an acceptor that hands the connection on). */
  public void setListener(TcpListener listener) {
    this.listener = listener;
  }

  public TcpListener listener() {
    return listener;
  }

  /**
   * Queues bytes for sending (the socket's send buffer is unbounded) and sends what the windows
   * allow now. Allowed in SYN-SENT: the bytes go after the handshake.
   *
   * @throws TcpException EPIPE after shutdownOutput/close or once the connection is gone
   */
  public void send(byte[] data, int off, int len) throws TcpException {
    if (finQueued || userClosed || state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
      throw new TcpException(SocketError.EPIPE);
    }
    if (len == 0) {
      return;
    }
    sendBuf.append(data, off, len);
    pushMarks.addLast(sendBuf.end());
    output();
  }

  public void send(byte[] data) throws TcpException {
    send(data, 0, data.length);
  }

  /** shutdown(SHUT_WR): sends FIN after the queued data; the peer can still send. */
  public void shutdownOutput() {
    switch (state) {
      case SYN_SENT -> destroy(); // tcp_close_state: SYN-SENT goes straight to CLOSE
      case ESTABLISHED -> {
        state = TcpState.FIN_WAIT_1;
        queueFin();
      }
      case CLOSE_WAIT -> {
        state = TcpState.LAST_ACK;
        queueFin();
      }
      default -> { }
    }
  }

  /**
   * close(): no more callbacks; sends FIN after the queued data (the socket lingers in the kernel
   * until the FIN handshake ends), or RST at once when received data was left unread, as Linux
   * does.
   */
  public void close() {
    if (orphan) {
      return;
    }
    orphan = true;
    userClosed = true;
    if (rcvQueued > 0 && state.synchronizedState()) {
      sendActiveReset();
      destroy();
      return;
    }
    switch (state) {
      case SYN_SENT, SYN_RECV -> destroy();
      case ESTABLISHED, CLOSE_WAIT -> shutdownOutput();
      case FIN_WAIT_2 -> armFinTimeout();
      default -> { }
    }
  }

  /** close() with SO_LINGER 0: RST at once (from a synchronized state), no more callbacks. */
  public void abort() {
    orphan = true;
    userClosed = true;
    switch (state) {
      case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, SYN_RECV -> sendActiveReset();
      default -> { }
    }
    if (state != TcpState.TIME_WAIT) {
      destroy();
    }
  }

  /** Stops delivering data: it queues (Recv-Q) and the advertised window closes as it fills. */
  public void pauseReading() {
    paused = true;
  }

  /** Delivers what queued and reopens the window (a window update when it grew a lot). */
  public void resumeReading() {
    paused = false;
    long before = Math.max(0, rcvWup + rcvWnd - rcvNxt);
    while (!readQueue.isEmpty() && !paused && !orphan) {
      byte[] d = readQueue.pollFirst();
      rcvQueued -= d.length;
      if (listener != null) {
        listener.onData(this, d);
      }
    }
    if (paused || orphan) {
      return;
    }
    if (eofPending) {
      eofPending = false;
      if (listener != null) {
        listener.onPeerClosed(this);
      }
    }
    if (state.synchronizedState() && state != TcpState.TIME_WAIT && before * 2 <= windowClamp) {
      long now = rawWindow();
      if (now > 0 && now >= 2 * before) {
        sendAck(); // tcp_cleanup_rbuf: the window doubled, tell the sender
      }
    }
  }

  TcpSocketInfo info() {
    return new TcpSocketInfo(state, rcvQueued, sendQueue(), localAddress, localPort, remoteAddress, remotePort);
  }

  TcpLayer.Key key() {
    return new TcpLayer.Key(localAddress, localPort, remoteAddress, remotePort);
  }

  // ---- opening ----

  void startConnect() {
    iss = layer.random.nextInt() & MASK;
    tsOffset = layer.random.nextInt() & MASK;
    sndUna = iss;
    sndNxt = iss;
    sndMax = iss;
    sendBuf.reset(iss + 1);
    tsOk = layer.params.timestamps();
    sackOk = layer.params.sack();
    rcvWscale = layer.params.windowScaling() ? LINUX_WSCALE : 0;
    initReceiveWindow(advMss);
    state = TcpState.SYN_SENT;
    synSentAt = timers.nowMicros();
    int err = sendSyn();
    if (err != 0) {
      // The route lookup in tcp_v4_connect failed: connect() returns the error, no SYN leaves.
      SocketError e = SocketError.ofErrno(err);
      destroy();
      timers.after(0, () -> notifyError(e));
      return;
    }
    armRtx();
  }

  /** A SYN reached a listener: this child answers with SYN-ACK from SYN-RECV. */
  void synArrived(TcpHeader h) {
    iss = layer.random.nextInt() & MASK;
    tsOffset = layer.random.nextInt() & MASK;
    sndUna = iss;
    sndNxt = iss;
    sndMax = iss;
    sendBuf.reset(iss + 1);
    rcvNxt = (h.sequenceNumber() + 1) & MASK;
    Syn s = Syn.parse(h);
    negotiate(s, layer.params.timestamps(), layer.params.sack(), layer.params.windowScaling());
    initReceiveWindow(advMss - (tsOk ? TS_LEN : 0));
    sndWnd = h.window();
    maxSndWnd = sndWnd;
    sndWl1 = rcvNxt - 1;
    state = TcpState.SYN_RECV;
    synSentAt = timers.nowMicros();
    sendSyn();
    armRtx();
  }

  /** tcp_select_initial_window: 64 KiB of space rounded down to the MSS, at most 65535. */
  private void initReceiveWindow(int mssForRounding) {
    long space = layer.params.receiveBuffer() / 2;
    windowClamp = space;
    if (space > mssForRounding) {
      space = space / mssForRounding * mssForRounding;
    }
    rcvWnd = Math.min(space, 65535);
    rcvSsthresh = rcvWnd;
  }

  private void negotiate(Syn s, boolean ts, boolean sack, boolean ws) {
    peerMss = s.mss >= 0 ? s.mss : 536;
    tsOk = ts && s.tsVal >= 0;
    sackOk = sack && s.sackPermitted;
    boolean wsOk = ws && s.wscale >= 0;
    sndWscale = wsOk ? Math.min(s.wscale, 14) : 0;
    rcvWscale = wsOk ? LINUX_WSCALE : 0;
    if (tsOk) {
      tsRecent = s.tsVal;
    }
    mss = Math.max(Math.min(peerMss, advMss) - (tsOk ? TS_LEN : 0), 8);
  }

  private int sendSyn() {
    boolean synAck = state == TcpState.SYN_RECV;
    List<TcpOption> o = new ArrayList<>();
    o.add(new TcpOption.MaximumSegmentSize(advMss));
    boolean ts = synAck ? tsOk : layer.params.timestamps();
    boolean sack = synAck ? sackOk : layer.params.sack();
    boolean ws = synAck ? rcvWscale > 0 : layer.params.windowScaling();
    // tcp_options_write: SACK-permitted shares a word with the timestamps when both are on.
    if (ts) {
      if (sack) {
        o.add(TcpOption.SACK_PERMITTED);
      } else {
        o.add(TcpOption.NOP);
        o.add(TcpOption.NOP);
      }
      o.add(new TcpOption.Timestamps(tsVal(), synAck ? tsRecent : 0));
    } else if (sack) {
      o.add(TcpOption.NOP);
      o.add(TcpOption.NOP);
      o.add(TcpOption.SACK_PERMITTED);
    }
    if (ws) {
      o.add(TcpOption.NOP);
      o.add(new TcpOption.WindowScale(LINUX_WSCALE));
    }
    sndMax = Math.max(sndMax, iss + 1);
    sndNxt = Math.max(sndNxt, iss + 1);
    return xmit(iss, synAck ? TcpHeader.SYN | TcpHeader.ACK : TcpHeader.SYN, null, 0, o);
  }

  // ---- input ----

  void segmentArrived(TcpHeader h, byte[] buf, int dataOff, int dataLen) {
    switch (state) {
      case SYN_SENT -> synSentInput(h, dataLen);
      case SYN_RECV -> synRecvInput(h, buf, dataOff, dataLen);
      case TIME_WAIT -> timeWaitInput(h, dataLen);
      case CLOSED, LISTEN -> { }
      default -> synchronizedInput(h, buf, dataOff, dataLen);
    }
    if (state != TcpState.CLOSED) {
      output();
      if (ackNow) {
        sendAck();
      }
    }
  }

  private void synSentInput(TcpHeader h, int dataLen) {
    boolean ackOk = h.ack() && h.acknowledgmentNumber() == ((iss + 1) & MASK);
    if (h.ack() && !ackOk) {
      layer.sendReset(localAddress, remoteAddress, h, dataLen); // not for a RST: sendReset checks
      return;
    }
    if (h.rst()) {
      if (ackOk) {
        reset();
      }
      return;
    }
    if (!h.syn() || !ackOk) {
      return; // simultaneous open (a bare SYN) is not supported: dropped
    }
    Syn s;
    try {
      s = Syn.parse(h);
    } catch (PacketException e) {
      return;
    }
    boolean wantWs = rcvWscale > 0;
    negotiate(s, tsOk, sackOk, wantWs);
    rcvNxt = (h.sequenceNumber() + 1) & MASK;
    rcvWup = rcvNxt;
    sndUna = iss + 1;
    sndNxt = Math.max(sndNxt, sndUna);
    sndWnd = h.window(); // never scaled on a SYN
    maxSndWnd = sndWnd;
    sndWl1 = rcvNxt - 1;
    established();
    sendAck();
    if (!orphan && listener != null) {
      listener.onConnected(this);
    }
  }

  private void synRecvInput(TcpHeader h, byte[] buf, int dataOff, int dataLen) {
    long seq = unwrapRcv(h.sequenceNumber());
    if (h.rst()) {
      if (seq >= rcvNxt && seq <= rcvNxt + rcvWnd) {
        destroy(); // the request is dropped silently
      }
      return;
    }
    if (h.syn() && !h.ack()) {
      if (seq == rcvNxt - 1) {
        sendSyn(); // a retransmitted SYN: our SYN-ACK was lost
      }
      return;
    }
    if (!h.ack()) {
      return;
    }
    if (h.acknowledgmentNumber() != ((iss + 1) & MASK)) {
      layer.sendReset(localAddress, remoteAddress, h, dataLen);
      return;
    }
    if (h.syn()) {
      return;
    }
    cancel(rtxTimer);
    rtxTimer = null;
    if (!handshakeRetransmitted) {
      rttSample(timers.nowMicros() - synSentAt);
    } else {
      rto = RTO_FALLBACK;
    }
    sndUna = iss + 1;
    sndWnd = (long) h.window() << sndWscale;
    maxSndWnd = sndWnd;
    sndWl1 = seq;
    rcvWup = rcvNxt;
    server.synRecv--;
    state = TcpState.ESTABLISHED;
    retransmits = 0;
    backoff = 0;
    cwnd = (long) layer.params.initialCwnd() * mss;
    if (!server.open) {
      destroy();
      return;
    }
    listener = server.acceptor.accept(this);
    if (state == TcpState.CLOSED) {
      return;
    }
    synchronizedInput(h, buf, dataOff, dataLen);
  }

  private void established() {
    cancel(rtxTimer);
    rtxTimer = null;
    if (!handshakeRetransmitted) {
      rttSample(timers.nowMicros() - synSentAt);
    } else {
      rto = RTO_FALLBACK;
    }
    retransmits = 0;
    backoff = 0;
    state = TcpState.ESTABLISHED;
    cwnd = (long) layer.params.initialCwnd() * mss;
  }

  private void timeWaitInput(TcpHeader h, int dataLen) {
    if (h.rst()) {
      destroy(); // RFC 1337 protection is off by default: a RST ends TIME-WAIT
      return;
    }
    if (h.fin() || dataLen > 0 || h.syn()) {
      ackNow = true;
      if (h.fin()) {
        armTimeWait(); // a retransmitted FIN: our last ACK was lost
      }
    }
  }

  private void synchronizedInput(TcpHeader h, byte[] buf, int dataOff, int dataLen) {
    long seq = unwrapRcv(h.sequenceNumber());
    long segLen = dataLen + (h.syn() ? 1 : 0) + (h.fin() ? 1 : 0);
    long winEdge = rcvWup + rcvWnd;
    // tcp_sequence: the segment must overlap [rcv_wup, rcv_nxt + window]
    if (seq + segLen < rcvWup || seq > Math.max(winEdge, rcvNxt)) {
      if (!h.rst()) {
        ackNow = true;
      }
      return;
    }
    if (h.rst()) {
      if (seq == rcvNxt) {
        reset();
      } else {
        ackNow = true; // RFC 5961 3.2: challenge ACK
      }
      return;
    }
    if (h.syn()) {
      ackNow = true; // RFC 5961 4.2: challenge ACK
      return;
    }
    if (!h.ack()) {
      return;
    }
    List<TcpOption> opts;
    try {
      opts = h.parsedOptions();
    } catch (PacketException e) {
      return;
    }
    if (tsOk) {
      for (TcpOption o : opts) {
        if (o instanceof TcpOption.Timestamps t && seq <= rcvNxt && ((t.value() - tsRecent) & MASK) < (1L << 31)) {
          tsRecent = t.value(); // RFC 7323 4.3
        }
      }
    }
    if (!processAck(h, seq, dataLen, opts) || state == TcpState.CLOSED) {
      return;
    }
    if (dataLen > 0 || h.fin()) {
      receiveData(h, seq, buf, dataOff, dataLen);
    }
  }

  private boolean processAck(TcpHeader h, long seq, int dataLen, List<TcpOption> opts) {
    long ack = unwrapSnd(h.acknowledgmentNumber());
    if (ack > sndMax) {
      ackNow = true; // acknowledges data never sent: dropped (RFC 9293 3.10.7.4)
      return false;
    }
    if (sackOk) {
      for (TcpOption o : opts) {
        if (o instanceof TcpOption.Sack s) {
          for (TcpOption.SackBlock b : s.blocks()) {
            long l = unwrapSnd(b.left());
            long r = unwrapSnd(b.right());
            if (l < r && l >= Math.max(ack, sndUna) && r <= sndMax) {
              addSacked(l, r);
            }
          }
        }
      }
    }
    long nwin = (long) h.window() << sndWscale;
    boolean windowChanged = false;
    // tcp_may_update_window
    if (ack > sndUna || seq > sndWl1 || (seq == sndWl1 && (nwin > sndWnd || nwin == 0))) {
      windowChanged = nwin != sndWnd;
      sndWnd = nwin;
      sndWl1 = seq;
      maxSndWnd = Math.max(maxSndWnd, nwin);
    }
    if (ack > sndUna) {
      newlyAcked(ack);
    } else if (ack == sndUna && dataLen == 0 && !h.fin() && !windowChanged && sndMax > sndUna) {
      dupAck();
    }
    if (sndWnd > 0 && persistTimer != null) {
      cancel(persistTimer);
      persistTimer = null;
      probes = 0;
    }
    return true;
  }

  private void newlyAcked(long ack) {
    long finSeq = sendBuf.end();
    boolean finAcked = finQueued && ack == finSeq + 1;
    long acked = ack - sndUna;
    if (rttSeq >= 0 && ack >= rttSeq) {
      rttSample(timers.nowMicros() - rttStart);
      rttSeq = -1;
    }
    sndUna = ack;
    if (sndNxt < sndUna) {
      sndNxt = sndUna;
    }
    sendBuf.dropTo(Math.min(ack, finSeq));
    while (!pushMarks.isEmpty() && pushMarks.peekFirst() <= ack) {
      pushMarks.pollFirst();
    }
    while (!sacked.isEmpty() && sacked.firstKey() < ack) {
      Map.Entry<Long, Long> e = sacked.pollFirstEntry();
      if (e.getValue() > ack) {
        sacked.put(ack, e.getValue());
      }
    }
    backoff = 0;
    retransmits = 0;
    retransStamp = -1;
    softError = null;
    dupAcks = 0;
    if (inRecovery) {
      if (ack >= recover) {
        inRecovery = false;
        cwnd = ssthresh;
      } else {
        retransmitHead(); // NewReno partial ACK: the next hole is lost too
      }
    } else if (cwnd < ssthresh) {
      cwnd += Math.min(acked, 2L * mss); // slow start, RFC 3465 L=2
    } else {
      cwnd += Math.max(1, (long) mss * mss / cwnd);
    }
    cwnd = Math.min(cwnd, 1L << 30);
    cancel(rtxTimer);
    rtxTimer = null;
    if (sndUna < sndMax) {
      armRtx();
    }
    if (finAcked) {
      switch (state) {
        case FIN_WAIT_1 -> {
          state = TcpState.FIN_WAIT_2;
          if (userClosed) {
            armFinTimeout();
          }
        }
        case CLOSING -> enterTimeWait();
        case LAST_ACK -> destroy();
        default -> { }
      }
    }
  }

  private void dupAck() {
    dupAcks++;
    if (dupAcks == 3 && !inRecovery) {
      long flight = sndMax - sndUna;
      ssthresh = Math.max(flight / 2, 2L * mss);
      cwnd = ssthresh;
      inRecovery = true;
      recover = sndMax;
      retransmitHead();
    }
  }

  private void receiveData(TcpHeader h, long seq, byte[] buf, int off, int len) {
    boolean fin = h.fin();
    if (state != TcpState.ESTABLISHED && state != TcpState.FIN_WAIT_1 && state != TcpState.FIN_WAIT_2) {
      ackNow = true; // after the peer's FIN: nothing more is accepted
      return;
    }
    long end = seq + len;
    if (userClosed && len > 0 && end > rcvNxt) {
      // tcp_rcv_state_process: new data for a closed socket (TCPAbortOnData) answered with RST
      layer.sendReset(localAddress, remoteAddress, h, len);
      destroy();
      return;
    }
    long winEnd = Math.max(rcvWup + rcvWnd, rcvNxt);
    if (end > winEnd) {
      end = Math.max(winEnd, seq);
      fin = false; // the tail beyond the window is dropped, FIN with it
    }
    ackNow = true;
    if (seq > rcvNxt) {
      if (end > seq) {
        byte[] d = new byte[(int) (end - seq)];
        System.arraycopy(buf, off, d, 0, d.length);
        byte[] prev = ooo.get(seq);
        if (prev == null || prev.length < d.length) {
          ooo.put(seq, d);
        }
        lastOooSeq = seq;
      }
      if (fin) {
        oooFin = end;
      }
      return;
    }
    if (end > rcvNxt) {
      int skip = (int) (rcvNxt - seq);
      byte[] d = new byte[(int) (end - rcvNxt)];
      System.arraycopy(buf, off + skip, d, 0, d.length);
      rcvNxt = end;
      growWindow(d.length);
      deliver(d);
      if (state == TcpState.CLOSED) {
        return;
      }
    }
    if (fin && end == rcvNxt) {
      finArrived();
      return;
    }
    drainOutOfOrder();
  }

  private void drainOutOfOrder() {
    while (!ooo.isEmpty() && ooo.firstKey() <= rcvNxt && state != TcpState.CLOSED) {
      Map.Entry<Long, byte[]> e = ooo.pollFirstEntry();
      long s = e.getKey();
      byte[] d = e.getValue();
      long end = s + d.length;
      if (end > rcvNxt) {
        byte[] part = new byte[(int) (end - rcvNxt)];
        System.arraycopy(d, (int) (rcvNxt - s), part, 0, part.length);
        rcvNxt = end;
        growWindow(part.length);
        deliver(part);
      }
    }
    if (ooo.isEmpty()) {
      lastOooSeq = -1;
    }
    if (state != TcpState.CLOSED && oooFin >= 0 && oooFin == rcvNxt) {
      oooFin = -1;
      finArrived();
    }
  }

  private void finArrived() {
    rcvNxt++;
    ackNow = true;
    ooo.clear();
    switch (state) {
      case ESTABLISHED -> state = TcpState.CLOSE_WAIT;
      case FIN_WAIT_1 -> state = TcpState.CLOSING;
      case FIN_WAIT_2 -> enterTimeWait();
      default -> { }
    }
    if (orphan) {
      return;
    }
    if (paused || !readQueue.isEmpty()) {
      eofPending = true;
    } else if (listener != null) {
      listener.onPeerClosed(this);
    }
  }

  private void deliver(byte[] d) {
    if (paused || !readQueue.isEmpty()) {
      readQueue.addLast(d);
      rcvQueued += d.length;
    } else if (!orphan && listener != null) {
      listener.onData(this, d);
    }
  }

  /**
   * tcp_grow_window: the receive threshold opens by two segments per full-sized in-order segment
   * (Linux's truesize test leaves it alone for small ones).
   */
  private void growWindow(int len) {
    long space = freeSpace();
    if (len >= rcvMss() && rcvSsthresh < windowClamp && space > rcvSsthresh) {
      rcvSsthresh = Math.min(rcvSsthresh + 2L * rcvMss(), windowClamp);
    }
  }

  // ---- errors and teardown ----

  private void reset() {
    SocketError e = switch (state) {
      case SYN_SENT -> SocketError.ECONNREFUSED;
      case CLOSE_WAIT -> SocketError.EPIPE;
      default -> SocketError.ECONNRESET;
    };
    boolean passiveHandshake = state == TcpState.SYN_RECV;
    destroy();
    if (orphan || passiveHandshake || listener == null) {
      return;
    }
    if (e == SocketError.ECONNRESET) {
      listener.onReset(this);
    } else {
      listener.onError(this, e);
    }
  }

  private void fail(SocketError e) {
    destroy();
    notifyError(e);
  }

  private void notifyError(SocketError e) {
    if (!orphan && listener != null) {
      listener.onError(this, e);
    }
  }

  void destroy() {
    if (state == TcpState.SYN_RECV && server != null) {
      server.synRecv--;
    }
    state = TcpState.CLOSED;
    cancel(rtxTimer);
    cancel(persistTimer);
    cancel(waitTimer);
    rtxTimer = null;
    persistTimer = null;
    waitTimer = null;
    layer.unregister(this);
  }

  void icmpError(long seq32, SocketError e) {
    long seq = unwrapSnd(seq32);
    if (seq < sndUna || seq > sndMax) {
      return; // not a segment we have outstanding (LINUX_MIB_OUTOFWINDOWICMPS)
    }
    switch (state) {
      case SYN_SENT -> fail(e);
      case SYN_RECV -> destroy();
      default -> softError = e; // reported only if the connection times out (no IP_RECVERR)
    }
  }

  void icmpFragNeeded(long seq32, int mtu) {
    long seq = unwrapSnd(seq32);
    if (seq < sndUna || seq > sndMax || mtu < 68) {
      return;
    }
    int pmtu = Math.max(mtu, 552); // ip_rt_min_pmtu
    int newMss = Math.min(peerMss, pmtu - 40) - (tsOk ? TS_LEN : 0);
    if (newMss >= mss) {
      return;
    }
    mss = newMss;
    if (state.synchronizedState() && sndMax > sndUna) {
      sndNxt = sndUna; // tcp_simple_retransmit: what was too big goes again, smaller
      rttSeq = -1;
      output();
    }
  }

  private void enterTimeWait() {
    state = TcpState.TIME_WAIT;
    cancel(rtxTimer);
    cancel(persistTimer);
    rtxTimer = null;
    persistTimer = null;
    armTimeWait();
  }

  private void armTimeWait() {
    cancel(waitTimer);
    waitTimer = timers.after(layer.params.timeWait(), this::destroy);
  }

  private void armFinTimeout() {
    if (state == TcpState.FIN_WAIT_2) {
      cancel(waitTimer);
      waitTimer = timers.after(layer.params.finTimeout(), this::destroy);
    }
  }

  // ---- output ----

  private void queueFin() {
    finQueued = true;
    output();
  }

  /** Sends what the peer's window and the congestion window allow (tcp_write_xmit). */
  void output() {
    switch (state) {
      case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> { }
      default -> {
        return;
      }
    }
    while (true) {
      long dataEnd = sendBuf.end();
      long finEnd = dataEnd + (finQueued ? 1 : 0);
      if (sndNxt >= finEnd) {
        break;
      }
      Map.Entry<Long, Long> s = sacked.floorEntry(sndNxt);
      if (s != null && s.getValue() > sndNxt) {
        sndNxt = s.getValue(); // the peer holds it already
        continue;
      }
      if (sndNxt == dataEnd) {
        sndNxt = sendSegmentAt(sndNxt, 0); // FIN alone
        continue;
      }
      long len = Math.min(mss, dataEnd - sndNxt);
      Long nextSacked = sacked.higherKey(sndNxt);
      if (nextSacked != null) {
        len = Math.min(len, nextSacked - sndNxt);
      }
      long inFlight = sndNxt - sndUna - sackedBelow(sndNxt);
      long wndRoom = sndUna + sndWnd - sndNxt;
      long cwndRoom = cwnd - inFlight;
      if (cwndRoom < len && inFlight > 0) {
        break;
      }
      if (wndRoom < len) {
        if (wndRoom <= 0 || inFlight > 0) {
          break;
        }
        len = wndRoom; // the peer's whole window, nothing in flight: send what fits
      }
      sndNxt = sendSegmentAt(sndNxt, (int) len);
    }
    if (sndNxt == sndUna && sndUna < sendBuf.end() && rtxTimer == null && persistTimer == null) {
      armPersist();
    }
  }

  /** One segment of up to {@code maxLen} bytes at {@code seq}, FIN on it if it ends the stream. */
  private long sendSegmentAt(long seq, int maxLen) {
    long dataEnd = sendBuf.end();
    int len = (int) Math.min(maxLen, Math.max(0, dataEnd - seq));
    boolean fin = finQueued && seq + len == dataEnd;
    if (len == 0 && !fin) {
      return seq;
    }
    int flags = TcpHeader.ACK;
    if (len > 0 && pushMarkIn(seq, seq + len)) {
      flags |= TcpHeader.PSH;
    }
    if (fin) {
      flags |= TcpHeader.FIN;
    }
    byte[] data = sendBuf.copy(seq, len);
    long end = seq + len + (fin ? 1 : 0);
    if (end > sndMax) {
      if (rttSeq < 0 && seq >= sndMax) {
        rttSeq = end;
        rttStart = timers.nowMicros();
      }
      sndMax = end;
    } else {
      rttSeq = -1; // Karn: no RTT sample across a retransmission
    }
    xmit(seq, flags, data, len, null);
    if (rtxTimer == null) {
      armRtx();
    }
    return end;
  }

  private boolean pushMarkIn(long from, long to) {
    for (long m : pushMarks) {
      if (m > from && m <= to) {
        return true;
      }
      if (m > to) {
        break;
      }
    }
    return false;
  }

  private void retransmitHead() {
    if (retransStamp < 0) {
      retransStamp = timers.nowMicros();
    }
    long dataEnd = sendBuf.end();
    long len = Math.min(mss, dataEnd - sndUna);
    Long nextSacked = sacked.higherKey(sndUna);
    if (nextSacked != null) {
      len = Math.min(len, nextSacked - sndUna);
    }
    sendSegmentAt(sndUna, (int) Math.max(0, len));
    rttSeq = -1;
  }

  private void sendAck() {
    xmit(sndMax, TcpHeader.ACK, null, 0, null);
  }

  /** tcp_send_active_reset: RST+ACK at snd_nxt. */
  private void sendActiveReset() {
    xmit(sndMax, TcpHeader.RST | TcpHeader.ACK, null, 0, null);
  }

  private int xmit(long seq, int flags, byte[] data, int len, List<TcpOption> synOptions) {
    TcpHeader.Builder b = TcpHeader.builder().sourcePort(localPort).destinationPort(remotePort)
        .sequenceNumber(seq & MASK).flags(flags);
    if ((flags & TcpHeader.ACK) != 0) {
      b.acknowledgmentNumber(rcvNxt & MASK);
      ackNow = false;
    }
    List<TcpOption> o;
    if ((flags & TcpHeader.SYN) != 0) {
      b.window((int) Math.min(rcvWnd, 65535));
      o = synOptions;
    } else {
      b.window(selectWindow());
      o = new ArrayList<>(4);
      if (tsOk) {
        o.addAll(TcpHeader.linuxTimestampOptions(tsVal(), tsRecent));
      }
      if (sackOk && !ooo.isEmpty() && (flags & TcpHeader.RST) == 0) {
        o.add(TcpOption.NOP);
        o.add(TcpOption.NOP);
        o.add(new TcpOption.Sack(sackBlocks(tsOk ? 3 : 4)));
      }
    }
    b.options(o);
    byte[] payload = data == null ? new byte[0] : data;
    TcpHeader h = b.build(localAddress, remoteAddress, payload, 0, len);
    int err = layer.transmit(localAddress, remoteAddress, h, payload, 0, len);
    if (err != 0) {
      softError = SocketError.ofErrno(err);
    }
    return err;
  }

  /** Out-of-order data as SACK blocks, the one holding the latest arrival first (RFC 2018). */
  private List<TcpOption.SackBlock> sackBlocks(int max) {
    List<long[]> ranges = new ArrayList<>();
    for (Map.Entry<Long, byte[]> e : ooo.entrySet()) {
      long l = e.getKey();
      long r = l + e.getValue().length;
      long[] last = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
      if (last != null && l <= last[1]) {
        last[1] = Math.max(last[1], r);
      } else {
        ranges.add(new long[] {l, r});
      }
    }
    List<TcpOption.SackBlock> out = new ArrayList<>();
    for (long[] r : ranges) {
      if (lastOooSeq >= r[0] && lastOooSeq < r[1]) {
        out.add(new TcpOption.SackBlock(r[0] & MASK, r[1] & MASK));
      }
    }
    for (int i = ranges.size() - 1; i >= 0 && out.size() < max; i--) {
      long[] r = ranges.get(i);
      if (!(lastOooSeq >= r[0] && lastOooSeq < r[1])) {
        out.add(new TcpOption.SackBlock(r[0] & MASK, r[1] & MASK));
      }
    }
    return out.subList(0, Math.min(max, out.size()));
  }

  /** tcp_select_window: the window field for a non-SYN segment; the window never shrinks. */
  private int selectWindow() {
    long cur = Math.max(0, rcvWup + rcvWnd - rcvNxt);
    long win = rawWindow();
    if (win < cur) {
      win = align(cur);
    }
    rcvWnd = win;
    rcvWup = rcvNxt;
    win = Math.min(win, 65535L << rcvWscale);
    return (int) (win >> rcvWscale);
  }

  /** __tcp_select_window. */
  private long rawWindow() {
    long free = freeSpace();
    long full = windowClamp;
    int rmss = (int) Math.min(rcvMss(), full);
    if (free < full / 2) {
      free = free >> rcvWscale << rcvWscale;
      if (free < (layer.params.receiveBuffer() / 2) >> 4 || free < rmss) {
        return 0; // receiver-side silly window avoidance
      }
    }
    free = Math.min(free, rcvSsthresh);
    if (rcvWscale > 0) {
      return align(free);
    }
    long window = rcvWnd;
    if (window <= free - rmss || window > free) {
      window = free / rmss * rmss;
    }
    return window;
  }

  private long align(long w) {
    long unit = 1L << rcvWscale;
    return (w + unit - 1) / unit * unit;
  }

  private long freeSpace() {
    return Math.max(0, (layer.params.receiveBuffer() - rcvQueued) / 2);
  }

  private int rcvMss() {
    return advMss - (tsOk ? TS_LEN : 0);
  }

  private long sackedBelow(long limit) {
    long n = 0;
    for (Map.Entry<Long, Long> e : sacked.headMap(limit, false).entrySet()) {
      n += Math.min(e.getValue(), limit) - e.getKey();
    }
    return n;
  }

  private void addSacked(long l, long r) {
    Map.Entry<Long, Long> before = sacked.floorEntry(l);
    if (before != null && before.getValue() >= l) {
      l = before.getKey();
      r = Math.max(r, before.getValue());
      sacked.remove(before.getKey());
    }
    Map.Entry<Long, Long> next = sacked.ceilingEntry(l);
    while (next != null && next.getKey() <= r) {
      r = Math.max(r, next.getValue());
      sacked.remove(next.getKey());
      next = sacked.ceilingEntry(l);
    }
    sacked.put(l, r);
  }

  private long tsVal() {
    return (timers.nowMicros() / 1000 + tsOffset) & MASK;
  }

  // ---- timers ----

  private void rttSample(long r) {
    r = Math.max(r, 1);
    if (srtt < 0) {
      srtt = r;
      rttvar = r / 2;
    } else {
      rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
      srtt = (7 * srtt + r) / 8;
    }
    // Linux's __tcp_set_rto: srtt + max(4 * rttvar, tcp_rto_min)
    rto = Math.min(srtt + Math.max(4 * rttvar, layer.params.rtoMin()), layer.params.rtoMax());
  }

  private long currentRto() {
    return Math.min(rto << Math.min(backoff, 20), layer.params.rtoMax());
  }

  private void armRtx() {
    cancel(persistTimer);
    persistTimer = null;
    cancel(rtxTimer);
    rtxTimer = timers.after(currentRto(), this::onRetransmitTimeout);
  }

  private void onRetransmitTimeout() {
    rtxTimer = null;
    long now = timers.nowMicros();
    switch (state) {
      case SYN_SENT -> {
        if (retransmits >= layer.params.synRetries()) {
          fail(softError != null ? softError : SocketError.ETIMEDOUT);
          return;
        }
        retransmits++;
        backoff++;
        handshakeRetransmitted = true;
        sendSyn();
        armRtx();
      }
      case SYN_RECV -> {
        if (retransmits >= layer.params.synAckRetries()) {
          destroy();
          return;
        }
        retransmits++;
        backoff++;
        handshakeRetransmitted = true;
        sendSyn();
        armRtx();
      }
      case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> {
        if (sndUna >= sndMax) {
          return;
        }
        if (retransStamp < 0) {
          retransStamp = now - currentRto();
        }
        if (now - retransStamp >= layer.params.retries2Timeout()) {
          fail(softError != null ? softError : SocketError.ETIMEDOUT); // tcp_write_err: no RST
          return;
        }
        long flight = sndMax - sndUna - sackedBelow(sndMax);
        ssthresh = Math.max(flight / 2, 2L * mss);
        cwnd = mss;
        inRecovery = false;
        dupAcks = 0;
        rttSeq = -1;
        retransmits++;
        backoff++;
        sndNxt = sndUna; // go back: resend from the first unacknowledged byte
        output();
        if (rtxTimer == null) {
          armRtx();
        }
      }
      default -> { }
    }
  }

  private void armPersist() {
    persistTimer = timers.after(Math.min(rto << Math.min(probes, 20), layer.params.rtoMax()), this::onPersist);
  }

  /** tcp_probe_timer: a zero-window probe, the ACK with seq snd_una - 1 (tcp_xmit_probe_skb). */
  private void onPersist() {
    persistTimer = null;
    if (state == TcpState.CLOSED || sndNxt != sndUna || sndUna >= sendBuf.end()) {
      return;
    }
    if (sndWnd > 0) {
      output();
      return;
    }
    xmit(sndUna - 1, TcpHeader.ACK, null, 0, null);
    probes++;
    armPersist();
  }

  private static void cancel(Timers.Timer t) {
    if (t != null) {
      t.cancel();
    }
  }

  // ---- sequence numbers ----

  private long unwrapRcv(long seq32) {
    return rcvNxt + (int) (seq32 - (rcvNxt & MASK));
  }

  private long unwrapSnd(long seq32) {
    return sndUna + (int) (seq32 - (sndUna & MASK));
  }

  /** The options of a SYN or SYN-ACK that matter: -1 where absent. */
  private record Syn(int mss, boolean sackPermitted, long tsVal, int wscale) {
    static Syn parse(TcpHeader h) {
      int mss = -1;
      boolean sack = false;
      long ts = -1;
      int ws = -1;
      for (TcpOption o : h.parsedOptions()) {
        if (o instanceof TcpOption.MaximumSegmentSize m) {
          mss = m.mss();
        } else if (o instanceof TcpOption.SackPermitted) {
          sack = true;
        } else if (o instanceof TcpOption.Timestamps t) {
          ts = t.value();
        } else if (o instanceof TcpOption.WindowScale w) {
          ws = w.shift();
        }
      }
      return new Syn(mss, sack, ts, ws);
    }
  }

  /** The send buffer: bytes from sequence number {@link #base} (the oldest unacknowledged). */
  private static final class ByteQueue {
    private byte[] buf = new byte[4096];
    private int head;
    private int size;
    private long base;

    void reset(long base) {
      this.base = base;
      head = 0;
      size = 0;
    }

    long end() {
      return base + size;
    }

    void append(byte[] d, int off, int len) {
      if (head + size + len > buf.length) {
        byte[] nb = buf.length >= 2 * (size + len) ? buf : new byte[Math.max(buf.length * 2, 2 * (size + len))];
        System.arraycopy(buf, head, nb, 0, size);
        buf = nb;
        head = 0;
      }
      System.arraycopy(d, off, buf, head + size, len);
      size += len;
    }

    void dropTo(long seq) {
      int n = (int) Math.max(0, Math.min(seq - base, size));
      head += n;
      size -= n;
      base += n;
    }

    byte[] copy(long seq, int len) {
      byte[] out = new byte[len];
      System.arraycopy(buf, head + (int) (seq - base), out, 0, len);
      return out;
    }
  }
}
