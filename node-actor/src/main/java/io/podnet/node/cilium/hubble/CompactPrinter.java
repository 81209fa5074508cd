package io.podnet.node.cilium.hubble;

import io.podnet.node.cilium.ReservedIdentity;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.TcpHeader;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code hubble observe -o compact} (hubble/pkg/printer, CompactOutput):
 * {@code TIME: SRC (ID) ARROW DST (ID) TYPE VERDICT (SUMMARY)}, where
 * <ul>
 *   <li>TIME is Go's time.StampMilli ({@code Jan _2 15:04:05.000}) in the viewer's zone;
 *   <li>SRC/DST are {@code namespace/pod} or the IP, with {@code :port} when the port is not 0;
 *   <li>identities print as {@code (ID:n)}, reserved ones by name ({@code (host)}, {@code (world)});
 *   <li>the arrow is {@code ->}, {@code <-} with source and destination swapped for replies, and
 *       {@code <>} when the direction is unknown;
 *   <li>SUMMARY is {@code TCP Flags: SYN, ACK}, {@code UDP}, {@code ICMPv4 EchoRequest}, or for
 *       socket translation events the protocol name.
 * </ul>
 */
public final class CompactPrinter {
  private static final DateTimeFormatter STAMP_MILLI =
      DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss.SSS", Locale.US);

  private final ZoneId zone;

  public CompactPrinter(ZoneId zone) {
    this.zone = zone;
  }

  /** The line for one flow, with its newline. */
  public String line(Flow f) {
    String src = host(f.source().toString(), f.sourcePort(), f.sourcePod());
    String dst = host(f.destination().toString(), f.destinationPort(), f.destinationPod());
    String srcId = identity(f.sourceIdentity());
    String dstId = identity(f.destinationIdentity());
    String arrow = "->";
    if (f.isReply() == null) {
      arrow = "<>";
    } else if (f.isReply()) {
      String t = src;
      src = dst;
      dst = t;
      t = srcId;
      srcId = dstId;
      dstId = t;
      arrow = "<-";
    }
    return timestamp(f.timeMicros()) + ": " + src + " " + srcId + " " + arrow + " " + dst + " " + dstId + " "
        + f.type() + " " + f.verdict() + " (" + summary(f) + ")\n";
  }

  /** time.StampMilli of a lab time (microseconds since the epoch). */
  public String timestamp(long micros) {
    Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    return STAMP_MILLI.format(t.atZone(zone));
  }

  static String host(String ip, int port, String pod) {
    String h = pod != null ? pod : ip;
    return port != 0 ? h + ":" + port : h;
  }

  static String identity(int id) {
    ReservedIdentity r = ReservedIdentity.byId(id);
    if (r != null) {
      return "(" + r.label().substring("reserved:".length()) + ")";
    }
    return "(ID:" + id + ")";
  }

  static String summary(Flow f) {
    if (f.kind() == Flow.Kind.TRACE_SOCK) {
      return protocolName(f.protocol());
    }
    return switch (f.protocol()) {
      case IpProtocol.TCP -> "TCP Flags: " + tcpFlags(f.tcpFlags());
      case IpProtocol.UDP -> "UDP";
      case IpProtocol.ICMP -> "ICMPv4 " + icmpTypeCode(f.icmpType(), f.icmpCode());
      default -> "IPv4";
    };
  }

  static String protocolName(int p) {
    return switch (p) {
      case IpProtocol.TCP -> "TCP";
      case IpProtocol.UDP -> "UDP";
      case IpProtocol.ICMP -> "ICMPv4";
      default -> "IPv4";
    };
  }

  /** Hubble's getTCPFlags order: SYN, ACK, RST, FIN, PSH, URG, ECE, CWR, NS. */
  static String tcpFlags(int flags) {
    List<String> out = new ArrayList<>();
    int[] bits = {TcpHeader.SYN, TcpHeader.ACK, TcpHeader.RST, TcpHeader.FIN, TcpHeader.PSH, TcpHeader.URG,
        TcpHeader.ECE, TcpHeader.CWR, TcpHeader.AE};
    String[] names = {"SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR", "NS"};
    for (int i = 0; i < bits.length; i++) {
      if ((flags & bits[i]) != 0) {
        out.add(names[i]);
      }
    }
    return String.join(", ", out);
  }

  /** gopacket's ICMPv4TypeCode.String(): the type's name, with the code's in parentheses when it has names. */
  static String icmpTypeCode(int type, int code) {
    return switch (type) {
      case 0 -> "EchoReply";
      case 8 -> "EchoRequest";
      case 3 -> "DestinationUnreachable(" + switch (code) {
        case 0 -> "Net";
        case 1 -> "Host";
        case 2 -> "Protocol";
        case 3 -> "Port";
        case 4 -> "FragmentationNeeded";
        case 5 -> "SourceRoutingFailed";
        case 6 -> "NetUnknown";
        case 7 -> "HostUnknown";
        case 13 -> "CommAdminProhibited";
        default -> "Code: " + code;
      } + ")";
      case 11 -> "TimeExceeded(" + (code == 0 ? "TTLExceeded" : code == 1 ? "FragmentReassemblyTimeExceeded"
          : "Code: " + code) + ")";
      default -> type + "(" + code + ")";
    };
  }
}
