package io.podnet.netstack.core;

import io.podnet.proto.packet.MacAddress;

/**
 * How a frame reached a device, as Linux's skb->pkt_type says it (and as a packet socket's
 * sll_pkttype and tcpdump's In/Out show it).
 */
public enum PacketType {
  /** Unicast to the device's own MAC. */
  HOST,
  BROADCAST,
  MULTICAST,
  /** Unicast to another MAC: seen only by a promiscuous capture, dropped by the stack. */
  OTHERHOST,
  /** Sent by this host. */
  OUTGOING;

  /** The type of a received frame addressed to {@code dst} on a device whose MAC is {@code own}. */
  public static PacketType classify(MacAddress dst, MacAddress own) {
    if (dst.equals(own)) {
      return HOST;
    }
    if (dst.isBroadcast()) {
      return BROADCAST;
    }
    if (dst.isMulticast()) {
      return MULTICAST;
    }
    return OTHERHOST;
  }
}
