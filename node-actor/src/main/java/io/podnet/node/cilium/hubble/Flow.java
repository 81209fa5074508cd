package io.podnet.node.cilium.hubble;

import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;

/**
 * One Hubble flow event (the fields of flow.Flow that the compact printer and the observe
 * filters use).
 *
 * @param timeMicros lab time of the event
 * @param node the node that observed it
 * @param source IP source
 * @param destination IP destination
 * @param protocol IP protocol (6, 17, 1, or another)
 * @param sourcePort L4 source port, 0 when unknown or none
 * @param destinationPort L4 destination port, 0 when unknown or none
 * @param tcpFlags TCP flags (TcpHeader bits)
 * @param icmpType ICMP type, -1 when not ICMP
 * @param icmpCode ICMP code
 * @param sourceIdentity the source's security identity
 * @param destinationIdentity the destination's security identity
 * @param sourcePod {@code namespace/name} of the source pod, or null
 * @param destinationPod {@code namespace/name} of the destination pod, or null
 * @param kind trace, drop or socket trace
 * @param verdict FORWARDED, DROPPED or TRACED
 * @param type the observation point (trace), the drop reason (drop), or the translation point
 * @param isReply whether the packet is a reply of a tracked connection, null when unknown
 */
public record Flow(long timeMicros, String node, Ipv4Address source, Ipv4Address destination, int protocol,
    int sourcePort, int destinationPort, int tcpFlags, int icmpType, int icmpCode, int sourceIdentity,
    int destinationIdentity, String sourcePod, String destinationPod, Kind kind, Verdict verdict, String type,
    Boolean isReply) {

  /** The monitor message type the flow came from. */
  public enum Kind {
    TRACE, DROP, TRACE_SOCK
  }

  /** flow.Verdict values used here. */
  public enum Verdict {
    FORWARDED, DROPPED, TRACED
  }

  /** The namespace of a {@code namespace/name}, or null. */
  static String namespaceOf(String pod) {
    if (pod == null) {
      return null;
    }
    int slash = pod.indexOf('/');
    return slash < 0 ? "" : pod.substring(0, slash);
  }

  /** The same flow stamped {@code micros} later (lab time to wall time). */
  public Flow shifted(long micros) {
    return new Flow(timeMicros + micros, node, source, destination, protocol, sourcePort, destinationPort, tcpFlags,
        icmpType, icmpCode, sourceIdentity, destinationIdentity, sourcePod, destinationPod, kind, verdict, type,
        isReply);
  }

  public boolean isTcp() {
    return protocol == IpProtocol.TCP;
  }
}
