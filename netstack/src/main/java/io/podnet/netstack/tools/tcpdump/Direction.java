package io.podnet.netstack.tools.tcpdump;

/**
 * The direction of a packet seen on {@code -i any}: the Linux packet type (PACKET_HOST, ...) that
 * a cooked (SLL2) capture carries, printed as print-sll.c prints it, padded to four columns.
 */
public enum Direction {
  /** PACKET_HOST (0): to this host. */
  IN(0, "In  "),
  /** PACKET_BROADCAST (1). */
  BROADCAST(1, "B   "),
  /** PACKET_MULTICAST (2). */
  MULTICAST(2, "M   "),
  /** PACKET_OTHERHOST (3): to another host, seen in promiscuous mode. */
  OTHERHOST(3, "P   "),
  /** PACKET_OUTGOING (4): sent by this host. */
  OUT(4, "Out ");

  private final int packetType;
  private final String text;

  Direction(int packetType, String text) {
    this.packetType = packetType;
    this.text = text;
  }

  /** The Linux packet type (sll2_pkttype). */
  public int packetType() {
    return packetType;
  }

  /** The four columns tcpdump prints after the interface name. */
  public String text() {
    return text;
  }

  /** The direction for a packet type; null when there is none (tcpdump prints {@code ?}). */
  public static Direction ofPacketType(int type) {
    for (Direction d : values()) {
      if (d.packetType == type) {
        return d;
      }
    }
    return null;
  }
}
