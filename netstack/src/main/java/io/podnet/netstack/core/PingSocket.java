package io.podnet.netstack.core;

import com.google.protobuf.ByteString;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An ICMP echo socket, as ping uses one: sends echo requests with its identifier and receives the
 * echo replies carrying it, and the ICMP errors that quote one of its requests (ping's
 * {@code From X icmp_seq=N Destination Host Unreachable}). A neighbour that never answers comes
 * back as such an error from this host's own address, as on Linux (the error loops through lo).
 * Events queue until {@link #poll()}ed, or go to a listener.
 */
public final class PingSocket {
  /** Something the socket received. */
  public sealed interface Event {
    long timeMicros();
  }

  /**
   * An echo reply: from whom, the sequence, the reply's IP TTL, the ICMP length (ping's "64 bytes
   * from"), the echoed data.
   */
  public record EchoReply(Ipv4Address from, Ipv4Address to, int sequence, int ttl, int icmpLength, byte[] data,
      long timeMicros) implements Event {}

  /**
   * An ICMP error about one of our requests: the error's sender, the request's destination and
   * sequence, type and code, and the next-hop MTU of a "fragmentation needed" (else 0).
   */
  public record Error(Ipv4Address from, Ipv4Address destination, int sequence, int type, int code, int nextHopMtu,
      long timeMicros) implements Event {

    /** ping's text for the error, e.g. "Destination Host Unreachable", "Time to live exceeded". */
    public String text() {
      return switch (type) {
        case IcmpMessage.DESTINATION_UNREACHABLE -> switch (code) {
          case IcmpMessage.CODE_NET_UNREACHABLE -> "Destination Net Unreachable";
          case IcmpMessage.CODE_HOST_UNREACHABLE -> "Destination Host Unreachable";
          case IcmpMessage.CODE_PROTOCOL_UNREACHABLE -> "Destination Protocol Unreachable";
          case IcmpMessage.CODE_PORT_UNREACHABLE -> "Destination Port Unreachable";
          case IcmpMessage.CODE_FRAGMENTATION_NEEDED -> "Frag needed and DF set (mtu = " + nextHopMtu + ")";
          case IcmpMessage.CODE_SOURCE_ROUTE_FAILED -> "Source Route Failed";
          case IcmpMessage.CODE_ADMIN_PROHIBITED -> "Packet filtered";
          default -> "Dest Unreachable, Bad Code: " + code;
        };
        case IcmpMessage.TIME_EXCEEDED -> code == IcmpMessage.CODE_TTL_EXCEEDED ? "Time to live exceeded"
            : code == IcmpMessage.CODE_REASSEMBLY_TIME_EXCEEDED ? "Frag reassembly time exceeded"
            : "Time exceeded, Bad Code: " + code;
        case IcmpMessage.PARAMETER_PROBLEM -> "Parameter problem: pointer = " + (code);
        case IcmpMessage.REDIRECT -> "Redirect";
        case IcmpMessage.SOURCE_QUENCH -> "Source Quench";
        default -> "Bad ICMP type: " + type;
      };
    }
  }

  private final HostCore core;
  private final int id;
  private final ArrayDeque<Event> queue = new ArrayDeque<>();
  private Consumer<Event> listener;
  private HostCore.Pmtu pmtu = HostCore.Pmtu.WANT;
  private boolean open = true;

  PingSocket(HostCore core, int id) {
    if (id < 0 || id > 0xffff) {
      throw new IllegalArgumentException("echo identifier out of range 0-65535: " + id);
    }
    this.core = core;
    this.id = id;
  }

  public int identifier() {
    return id;
  }

  /** ping -M want|do|dont. */
  public void setPmtuDiscovery(HostCore.Pmtu mode) {
    this.pmtu = mode;
  }

  /** Events go to {@code l} from now on instead of the queue (null: back to the queue). */
  public void setListener(Consumer<Event> l) {
    this.listener = l;
  }

  /**
   * Sends an echo request. {@code ttl} 0 means 64; {@code src} and {@code dev} may be null
   * (ping -I). Returns 0, or the errno ping reports (ENETUNREACH: "connect: Network is
   * unreachable"; EMSGSIZE with {@link HostCore.Pmtu#DO}: "local error: message too long").
   */
  public int send(Ipv4Address dst, int sequence, byte[] data, int ttl, Ipv4Address src, String dev) {
    if (!open) {
      return HostCore.EINVAL;
    }
    byte[] icmp = IcmpMessage.echoRequest(id, sequence & 0xffff, ByteString.copyFrom(data)).toBytes();
    return core.enter(() -> core.sendLocal(src, dst, IpProtocol.ICMP, ttl, 0, pmtu, icmp, 0, icmp.length, dev));
  }

  public int send(Ipv4Address dst, int sequence, byte[] data) {
    return send(dst, sequence, data, 0, null, null);
  }

  /** The next event, or null. */
  public Event poll() {
    return queue.pollFirst();
  }

  /** Every queued event, oldest first. */
  public List<Event> drain() {
    List<Event> out = new ArrayList<>(queue);
    queue.clear();
    return out;
  }

  public void close() {
    open = false;
    core.pingSockets.remove(this);
  }

  boolean offerReply(Ipv4Header ip, IcmpMessage m, long now) {
    if (m.identifier() != id) {
      return false;
    }
    deliver(new EchoReply(ip.source(), ip.destination(), m.sequence(), ip.ttl(), m.length(), m.body().toByteArray(),
        now));
    return true;
  }

  void offerError(Ipv4Address from, Ipv4Header quoted, int qid, int seq, IcmpMessage m, long now) {
    if (qid != id) {
      return;
    }
    int mtu = m.type() == IcmpMessage.DESTINATION_UNREACHABLE && m.code() == IcmpMessage.CODE_FRAGMENTATION_NEEDED
        ? m.nextHopMtu() : 0;
    deliver(new Error(from, quoted.destination(), seq, m.type(), m.code(), mtu, now));
  }

  private void deliver(Event e) {
    if (listener != null) {
      listener.accept(e);
    } else {
      queue.addLast(e);
    }
  }
}
