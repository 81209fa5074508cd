package io.podnet.netstack.core;

import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.UdpHeader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A UDP socket (net/ipv4/udp.c): bind to an address (or any) and port, or get an ephemeral port
 * on first send; optionally connect. Receives datagrams for its port (a connected socket only from
 * its peer; broadcasts to every socket on the port). Like Linux without IP_RECVERR, only a
 * connected socket hears about ICMP errors, and only hard ones (port or protocol unreachable,
 * administratively prohibited), as a pending error ({@link #takeError()}).
 */
public final class UdpSocket {
  static final int ECONNREFUSED = 111;
  static final int ENOPROTOOPT = 92;

  /** A received datagram. */
  public record Datagram(Ipv4Address source, int sourcePort, Ipv4Address destination, int destinationPort,
      byte[] data, String dev, long timeMicros) {}

  private final HostCore core;
  private Ipv4Address localAddress = Ipv4Address.ANY;
  private int localPort;
  private Ipv4Address peer;
  private int peerPort;
  private int pendingError;
  private HostCore.Pmtu pmtu = HostCore.Pmtu.WANT;
  private final ArrayDeque<Datagram> queue = new ArrayDeque<>();
  private Consumer<Datagram> listener;
  private boolean open = true;

  UdpSocket(HostCore core) {
    this.core = core;
  }

  public int localPort() {
    return localPort;
  }

  public Ipv4Address localAddress() {
    return localAddress;
  }

  public void setPmtuDiscovery(HostCore.Pmtu mode) {
    this.pmtu = mode;
  }

  public void setListener(Consumer<Datagram> l) {
    this.listener = l;
  }

  /**
   * Binds to {@code addr} (null or 0.0.0.0 for any) and {@code port} (0: ephemeral). Returns 0,
   * EADDRINUSE, EADDRNOTAVAIL (not a local address) or EINVAL (already bound).
   */
  public int bind(Ipv4Address addr, int port) {
    if (localPort != 0 || port < 0 || port > 0xffff) {
      return HostCore.EINVAL;
    }
    Ipv4Address a = addr == null ? Ipv4Address.ANY : addr;
    if (a.value() != 0 && !core.stack().isLocalAddress(a)) {
      return HostCore.EADDRNOTAVAIL;
    }
    if (port == 0) {
      port = core.ephemeralPort();
    }
    for (UdpSocket s : core.udpSockets) {
      if (s != this && s.localPort == port && (s.localAddress.value() == 0 || a.value() == 0
          || s.localAddress.equals(a))) {
        return HostCore.EADDRINUSE;
      }
    }
    localAddress = a;
    localPort = port;
    return 0;
  }

  /** connect(): fixes the peer (and binds an ephemeral port if unbound). */
  public int connect(Ipv4Address dst, int port) {
    if (localPort == 0) {
      int rc = bind(null, 0);
      if (rc != 0) {
        return rc;
      }
    }
    peer = dst;
    peerPort = port;
    return 0;
  }

  /** sendto(): returns 0 or an errno (ENETUNREACH, EMSGSIZE, ...). */
  public int sendTo(Ipv4Address dst, int port, byte[] data) {
    if (!open) {
      return HostCore.EINVAL;
    }
    if (localPort == 0) {
      int rc = bind(null, 0);
      if (rc != 0) {
        return rc;
      }
    }
    return core.enter(() -> {
      Ipv4Address src = localAddress.value() != 0 ? localAddress : core.ipSender().sourceFor(dst);
      if (src == null) {
        return IpSender.ENETUNREACH;
      }
      byte[] seg = new byte[UdpHeader.LENGTH + data.length];
      System.arraycopy(data, 0, seg, UdpHeader.LENGTH, data.length);
      UdpHeader.writeWithChecksum(seg, 0, localPort, port, data.length, src, dst);
      return core.sendLocal(src, dst, IpProtocol.UDP, 0, 0, pmtu, seg, 0, seg.length, null);
    });
  }

  /** send() on a connected socket. */
  public int send(byte[] data) {
    if (peer == null) {
      return 89; // EDESTADDRREQ
    }
    return sendTo(peer, peerPort, data);
  }

  public Datagram poll() {
    return queue.pollFirst();
  }

  public List<Datagram> drain() {
    List<Datagram> out = new ArrayList<>(queue);
    queue.clear();
    return out;
  }

  /** The pending socket error (sk_err), cleared by reading; 0 when none. */
  public int takeError() {
    int e = pendingError;
    pendingError = 0;
    return e;
  }

  public void close() {
    open = false;
    core.udpSockets.remove(this);
  }

  /** How well this socket matches a datagram (udp4_lib_lookup's score), -1 for not at all. */
  int score(Ipv4Address dst, int dport, Ipv4Address src, int sport) {
    if (!open || localPort != dport) {
      return -1;
    }
    int score = 0;
    if (localAddress.value() != 0) {
      if (!localAddress.equals(dst)) {
        return -1;
      }
      score += 4;
    }
    if (peer != null) {
      if (!peer.equals(src) || peerPort != sport) {
        return -1;
      }
      score += 4;
    }
    return score;
  }

  boolean matches(Ipv4Address dst, int dport, boolean broadcast, Ipv4Address src, int sport) {
    if (!open || localPort != dport) {
      return false;
    }
    boolean addrOk = localAddress.value() == 0 || localAddress.equals(dst) || broadcast;
    boolean peerOk = peer == null || (peer.equals(src) && peerPort == sport);
    return addrOk && peerOk;
  }

  void offer(Ipv4Header ip, UdpHeader u, byte[] data, String dev, long now) {
    Datagram d = new Datagram(ip.source(), u.sourcePort(), ip.destination(), u.destinationPort(), data, dev, now);
    if (listener != null) {
      listener.accept(d);
    } else {
      queue.addLast(d);
    }
  }

  void offerError(Ipv4Header quoted, int sport, int dport, IcmpMessage m) {
    if (!open || sport != localPort || peer == null || !peer.equals(quoted.destination()) || dport != peerPort) {
      return;
    }
    if (localAddress.value() != 0 && !localAddress.equals(quoted.source())) {
      return;
    }
    if (m.type() != IcmpMessage.DESTINATION_UNREACHABLE) {
      return; // time exceeded and the rest are soft errors
    }
    switch (m.code()) {
      case IcmpMessage.CODE_PORT_UNREACHABLE -> pendingError = ECONNREFUSED;
      case IcmpMessage.CODE_PROTOCOL_UNREACHABLE -> pendingError = ENOPROTOOPT;
      case IcmpMessage.CODE_ADMIN_PROHIBITED -> pendingError = IpSender.EHOSTUNREACH;
      default -> {
        // soft: net/host unreachable, fragmentation needed
      }
    }
  }
}
