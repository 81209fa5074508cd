package io.podnet.proto.packet;

/** The UDP tunnel encapsulations podnet speaks, with their header cost and usual ports. */
public enum TunnelKind {
  /** RFC 7348. IANA port 4789; Linux's and Cilium's VXLAN devices listen on 8472. */
  VXLAN(VxlanHeader.LENGTH, 4789),
  /** RFC 8926, with options. IANA port 6081, which Cilium uses too. */
  GENEVE(GeneveHeader.MIN_LENGTH, 6081);

  /** The IANA-assigned VXLAN port. */
  public static final int VXLAN_IANA_PORT = 4789;
  /** The port Linux's vxlan driver (and so Cilium's cilium_vxlan) defaults to. */
  public static final int VXLAN_LINUX_PORT = 8472;
  public static final int GENEVE_PORT = 6081;

  private final int headerLength;
  private final int defaultPort;

  TunnelKind(int headerLength, int defaultPort) {
    this.headerLength = headerLength;
    this.defaultPort = defaultPort;
  }

  /** The tunnel header's fixed length (Geneve options come on top). */
  public int headerLength() {
    return headerLength;
  }

  public int defaultPort() {
    return defaultPort;
  }

  /**
   * The tunnel a UDP destination port stands for by default: 4789 and 8472 VXLAN, 6081 Geneve;
   * null for any other port.
   */
  public static TunnelKind forPort(int udpDestinationPort) {
    return switch (udpDestinationPort) {
      case VXLAN_IANA_PORT, VXLAN_LINUX_PORT -> VXLAN;
      case GENEVE_PORT -> GENEVE;
      default -> null;
    };
  }
}
