package io.podnet.proto.packet;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * What {@link Encapsulation#decapsulate} found in a tunnel frame: the outer addresses and ports,
 * the tunnel's VNI and flags, Geneve options ({@code List.of()} when there are none, and always
 * for VXLAN), and where the inner Ethernet frame lies in the same array (no copy).
 *
 * <p>Addresses are kept as raw values (network-order ints, 48-bit longs) so that decapsulating
 * costs one allocation on the fast path; {@link #outerSource()} and friends wrap them.
 * {@code flags} is the tunnel header's flags byte as carried: VXLAN's first byte (I = 0x08), or
 * Geneve's second byte (O = 0x80, C = 0x40, six reserved bits).
 */
public record Decapsulated(
    TunnelKind kind,
    long outerSourceMac,
    long outerDestinationMac,
    int outerSourceIp,
    int outerDestinationIp,
    int outerTtl,
    int sourcePort,
    int destinationPort,
    int vni,
    int flags,
    List<GeneveOption> options,
    int innerOffset,
    int innerLength) {

  public MacAddress outerSourceMacAddress() {
    return new MacAddress(outerSourceMac);
  }

  public MacAddress outerDestinationMacAddress() {
    return new MacAddress(outerDestinationMac);
  }

  public Ipv4Address outerSource() {
    return new Ipv4Address(outerSourceIp);
  }

  public Ipv4Address outerDestination() {
    return new Ipv4Address(outerDestinationIp);
  }

  /** Geneve's O bit: an OAM frame (never set for VXLAN). */
  public boolean oam() {
    return kind == TunnelKind.GENEVE && (flags & GeneveHeader.FLAG_OAM) != 0;
  }

  /** Geneve's C bit: critical options are present (never set for VXLAN). */
  public boolean criticalOptionsPresent() {
    return kind == TunnelKind.GENEVE && (flags & GeneveHeader.FLAG_CRITICAL) != 0;
  }

  /** See {@link GeneveOption#firstUnknownCritical}. */
  public Optional<GeneveOption> firstUnknownCritical(Predicate<? super GeneveOption> known) {
    return GeneveOption.firstUnknownCritical(options, known);
  }

  /** See {@link GeneveOption#dropReason}: null when the frame may be accepted. */
  public String dropReason(Predicate<? super GeneveOption> known) {
    return GeneveOption.dropReason(options, known);
  }

  /** A copy of the inner Ethernet frame (the record itself only points into the original array). */
  public byte[] innerFrame(byte[] frame) {
    byte[] out = new byte[innerLength];
    System.arraycopy(frame, innerOffset, out, 0, innerLength);
    return out;
  }
}
