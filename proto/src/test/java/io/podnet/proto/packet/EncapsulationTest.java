package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static io.podnet.proto.packet.CodecAssertions.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncapsulationTest {
  static final MacAddress CTR_MAC = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress ROUTER_MAC = MacAddress.parse("08:00:27:04:d1:9c");
  static final Ipv4Address CTR = Ipv4Address.parse("192.168.10.100");
  static final Ipv4Address W0 = Ipv4Address.parse("192.168.20.100");

  /** The outer 50 bytes of the lab's Geneve ping, k8s-ctr to k8s-w0 (as the router's tcpdump saw it). */
  static final byte[] GENEVE_OUTER = bytes(
      0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c, // Ethernet destination: the router
      0x08, 0x00, 0x27, 0xaf, 0xe6, 0xdf, // Ethernet source: k8s-ctr
      0x08, 0x00,                         // EtherType IPv4
      0x45,                               // IPv4 version 4, IHL 5
      0x00,                               // DSCP 0, ECN 0
      0x00, 0x86,                         // total length 134
      0x3c, 0x5e,                         // identification
      0x00, 0x00,                         // flags none (DF clear), fragment offset 0
      0x40,                               // TTL 64
      0x11,                               // protocol UDP
      0x9d, 0xf0,                         // header checksum
      0xc0, 0xa8, 0x0a, 0x64,             // source 192.168.10.100
      0xc0, 0xa8, 0x14, 0x64,             // destination 192.168.20.100
      0x7a, 0x5a,                         // UDP source port 31322
      0x17, 0xc1,                         // UDP destination port 6081
      0x00, 0x72,                         // UDP length 114
      0x00, 0x00,                         // UDP checksum 0 (none)
      0x00,                               // Geneve version 0, opt len 0
      0x00,                               // O 0, C 0
      0x65, 0x58,                         // protocol type: Ethernet
      0x00, 0x71, 0xad,                   // VNI 0x71ad
      0x00);                              // reserved

  /** The reply over VXLAN on Linux's port 8472, k8s-w0 to k8s-ctr. */
  static final byte[] VXLAN_OUTER = bytes(
      0x08, 0x00, 0x27, 0xaf, 0xe6, 0xdf, // Ethernet destination: k8s-ctr
      0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c, // Ethernet source: the router
      0x08, 0x00,                         // EtherType IPv4
      0x45,                               // IPv4 version 4, IHL 5
      0x00,                               // DSCP 0, ECN 0
      0x00, 0x86,                         // total length 134
      0x1a, 0x2b,                         // identification
      0x00, 0x00,                         // flags none, fragment offset 0
      0x40,                               // TTL 64
      0x11,                               // protocol UDP
      0xc0, 0x23,                         // header checksum
      0xc0, 0xa8, 0x14, 0x64,             // source 192.168.20.100
      0xc0, 0xa8, 0x0a, 0x64,             // destination 192.168.10.100
      0xaf, 0xc8,                         // UDP source port 45000
      0x21, 0x18,                         // UDP destination port 8472
      0x00, 0x72,                         // UDP length 114
      0x00, 0x00,                         // UDP checksum 0
      0x08,                               // VXLAN flags: I
      0x00, 0x00, 0x00,                   // reserved
      0x00, 0x2d, 0xf1,                   // VNI 0x2df1
      0x00);                              // reserved

  static final byte[] INNER = TestFrames.labPing();
  static final GeneveOption SERVICE_CHAIN = new GeneveOption.ServiceChain(0x12, 4).toOption();
  static final GeneveOption CRITICAL = GeneveOption.of(0x0102, 0x80, ByteString.copyFrom(bytes(1, 2, 3, 4)));

  static byte[] geneveFrame() {
    return Encapsulation.geneve(INNER, 0, INNER.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 0x3c5e, 31322, 6081,
        0x71ad, List.of());
  }

  static byte[] vxlanFrame() {
    return Encapsulation.vxlan(INNER, 0, INNER.length, ROUTER_MAC, CTR_MAC, W0, CTR, 64, 0x1a2b, 45000, 8472, 0x2df1);
  }

  @Test
  void geneveFrameIsByteExact() {
    byte[] f = geneveFrame();
    assertEquals(148, f.length);
    assertArrayEquals(concat(GENEVE_OUTER, INNER), f);
    // the pieces agree with the header codecs
    assertTrue(Ipv4Header.decode(f, 14, 134).checksumValid());
    assertEquals(GeneveHeader.of(0x71ad, List.of()), GeneveHeader.decode(f, 42, 106));
  }

  @Test
  void vxlanFrameIsByteExact() {
    byte[] f = vxlanFrame();
    assertEquals(148, f.length);
    assertArrayEquals(concat(VXLAN_OUTER, INNER), f);
    assertEquals(VxlanHeader.of(0x2df1), VxlanHeader.decode(f, 42, 8));
  }

  @Test
  void innerRegionIsCopiedFromItsOffset() {
    byte[] big = concat(new byte[9], INNER, new byte[4]);
    byte[] f = Encapsulation.geneve(big, 9, INNER.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 0x3c5e, 31322, 6081,
        0x71ad, List.of());
    assertArrayEquals(geneveFrame(), f);
  }

  @Test
  void decapsulatesGeneve() {
    byte[] f = geneveFrame();
    Decapsulated d = Encapsulation.decapsulate(f, 0, f.length);
    assertEquals(TunnelKind.GENEVE, d.kind());
    assertEquals(CTR_MAC, d.outerSourceMacAddress());
    assertEquals(ROUTER_MAC, d.outerDestinationMacAddress());
    assertEquals(CTR, d.outerSource());
    assertEquals(W0, d.outerDestination());
    assertEquals(64, d.outerTtl());
    assertEquals(31322, d.sourcePort());
    assertEquals(6081, d.destinationPort());
    assertEquals(0x71ad, d.vni());
    assertSame(List.of(), d.options());
    assertFalse(d.oam());
    assertFalse(d.criticalOptionsPresent());
    assertEquals(50, d.innerOffset());
    assertEquals(98, d.innerLength());
    assertArrayEquals(INNER, d.innerFrame(f));
  }

  @Test
  void decapsulatesVxlan() {
    byte[] f = vxlanFrame();
    Decapsulated d = Encapsulation.decapsulate(f, 0, f.length);
    assertEquals(TunnelKind.VXLAN, d.kind());
    assertEquals(W0, d.outerSource());
    assertEquals(CTR, d.outerDestination());
    assertEquals(45000, d.sourcePort());
    assertEquals(8472, d.destinationPort());
    assertEquals(0x2df1, d.vni());
    assertEquals(VxlanHeader.FLAG_I, d.flags());
    assertSame(List.of(), d.options());
    assertEquals(50, d.innerOffset());
    assertArrayEquals(INNER, d.innerFrame(f));
    // the IANA port too
    byte[] iana = Encapsulation.vxlan(INNER, 0, INNER.length, ROUTER_MAC, CTR_MAC, W0, CTR, 64, 1, 45000, 4789, 7);
    assertEquals(TunnelKind.VXLAN, Encapsulation.decapsulate(iana, 0, iana.length).kind());
  }

  @Test
  void geneveOptionsRoundTrip() {
    byte[] f = Encapsulation.geneve(INNER, 0, INNER.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 1, 31322, 6081,
        0x71ad, List.of(SERVICE_CHAIN, CRITICAL));
    assertEquals(148 + 20, f.length);
    GeneveHeader h = GeneveHeader.decode(f, 42, f.length - 42);
    assertEquals(GeneveHeader.of(0x71ad, List.of(SERVICE_CHAIN, CRITICAL)), h);
    assertTrue(h.criticalOptionsPresent());
    Decapsulated d = Encapsulation.decapsulate(f, 0, f.length);
    assertEquals(List.of(SERVICE_CHAIN, CRITICAL), d.options());
    assertTrue(d.criticalOptionsPresent());
    assertEquals(70, d.innerOffset());
    assertEquals(98, d.innerLength());
    assertArrayEquals(INNER, d.innerFrame(f));
    assertEquals("Geneve unknown critical option class 0x0102 type 0x80",
        d.dropReason(o -> o.key() == GeneveOption.key(0x0101, 0x01)));
    assertNull(d.dropReason(o -> o.optionClass() == 0x0102));
    assertEquals(CRITICAL, d.firstUnknownCritical(o -> false).orElseThrow());
  }

  @Test
  void decapsulatesInsideALargerBufferAndIgnoresPadding() {
    byte[] f = geneveFrame();
    byte[] big = concat(new byte[7], f, bytes(0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5), new byte[3]);
    Decapsulated d = Encapsulation.decapsulate(big, 7, f.length + 6);
    assertEquals(57, d.innerOffset());
    assertEquals(98, d.innerLength());
    assertArrayEquals(INNER, d.innerFrame(big));
    assertEquals(Encapsulation.decapsulate(f, 0, f.length).vni(), d.vni());
  }

  @Test
  void outerVlanTagSkipped() {
    byte[] f = geneveFrame();
    byte[] tagged = concat(Arrays.copyOf(f, 12), bytes(0x81, 0x00, 0x00, 0x64), Arrays.copyOfRange(f, 12, f.length));
    Decapsulated d = Encapsulation.decapsulate(tagged, 0, tagged.length);
    assertEquals(54, d.innerOffset());
    assertEquals(0x71ad, d.vni());
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(Encapsulation::decapsulate, geneveFrame(), 148);
    CodecAssertions.everyPrefixRejected(Encapsulation::decapsulate, vxlanFrame(), 148);
    byte[] opts = Encapsulation.geneve(INNER, 0, INNER.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 1, 1, 6081, 1,
        List.of(SERVICE_CHAIN));
    CodecAssertions.everyPrefixRejected(Encapsulation::decapsulate, opts, opts.length);
    PacketException e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(geneveFrame(), 0, 147));
    assertEquals("IPv4 datagram at offset 14: expected 134 bytes, found 133 bytes", e.getMessage());
  }

  @Test
  void badOuterIpv4ChecksumRejected() {
    byte[] f = geneveFrame();
    f[25] ^= 1;
    PacketException e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(f, 0, f.length));
    assertEquals("IPv4 header checksum at offset 24: expected 0x9df0, found 0x9df1", e.getMessage());
    byte[] g = geneveFrame();
    g[22] = 63; // TTL changed without fixing the checksum
    e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(g, 0, g.length));
    assertEquals("IPv4 header checksum at offset 24: expected 0x9ef0, found 0x9df0", e.getMessage());
  }

  @Test
  void udpChecksumVerifiedWhenPresent() {
    byte[] f = vxlanFrame();
    Encapsulation.fillUdpChecksum(f);
    int sum = Bytes.u16(f, 40);
    assertTrue(sum != 0);
    assertEquals(0, Checksum.transport(W0.value(), CTR.value(), IpProtocol.UDP, f, 34, 114));
    assertEquals(0x2df1, Encapsulation.decapsulate(f, 0, f.length).vni());

    f[100] ^= 0x40; // a bit flipped in the inner frame
    byte[] fixed = f.clone();
    Encapsulation.fillUdpChecksum(fixed);
    PacketException e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(f, 0, f.length));
    assertEquals(String.format("UDP checksum at offset 40: expected 0x%04x, found 0x%04x", Bytes.u16(fixed, 40), sum),
        e.getMessage());
  }

  @Test
  void malformedOuterHeadersRejectedWithExactMessages() {
    assertRejected("Ethernet EtherType at offset 12: expected IPv4 (0x0800), found 0x86dd",
        f -> Bytes.put16(f, 12, EtherType.IPV6));
    assertRejected("IPv4 version at offset 14: expected 4, found 6", f -> f[14] = 0x65);
    assertRejected("IPv4 IHL at offset 14: expected >= 5, found 4", f -> f[14] = 0x44);
    assertRejected("IPv4 total length at offset 16: expected >= header length 20, found 19",
        f -> fixIp(f, () -> Bytes.put16(f, 16, 19)));
    assertRejected("IPv4 fragment at offset 20: expected an unfragmented datagram, found MF 1, offset 0",
        f -> fixIp(f, () -> Bytes.put16(f, 20, 0x2000)));
    assertRejected("IPv4 fragment at offset 20: expected an unfragmented datagram, found MF 0, offset 185",
        f -> fixIp(f, () -> Bytes.put16(f, 20, 185)));
    assertRejected("IPv4 protocol at offset 23: expected UDP (17), found 6", f -> fixIp(f, () -> f[23] = 6));
    assertRejected("UDP length at offset 38: expected 8 to 114 (IPv4 payload), found 115",
        f -> Bytes.put16(f, 38, 115));
    assertRejected("UDP length at offset 38: expected 8 to 114 (IPv4 payload), found 7", f -> Bytes.put16(f, 38, 7));
    assertRejected("UDP destination port at offset 36: expected a tunnel port (4789, 8472 or 6081), found 53",
        f -> Bytes.put16(f, 36, 53));
    assertRejected("Geneve version at offset 42: expected 0, found 1", f -> f[42] = 0x40);
    assertRejected("Geneve protocol type at offset 44: expected 0x6558 (Ethernet), found 0x0800",
        f -> Bytes.put16(f, 44, EtherType.IPV4));
    assertRejected("Geneve options at offset 50: expected 4 bytes, found 0 bytes",
        f -> { f[42] = 0x01; Bytes.put16(f, 38, 16); fixIp(f, () -> Bytes.put16(f, 16, 20 + 16)); });
    assertRejected("Ethernet inner header at offset 50: expected 14 bytes, found 13 bytes",
        f -> { Bytes.put16(f, 38, 8 + 8 + 13); fixIp(f, () -> Bytes.put16(f, 16, 20 + 8 + 8 + 13)); });

    byte[] v = vxlanFrame();
    v[42] = 0x00;
    PacketException e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(v, 0, v.length));
    assertEquals("VXLAN flags at offset 42: expected I flag 0x08 set, found 0x00", e.getMessage());
  }

  /** Changes an outer IPv4 field and recomputes the header checksum, so the next check is reached. */
  private static void fixIp(byte[] f, Runnable change) {
    change.run();
    Bytes.put16(f, 24, 0);
    Bytes.put16(f, 24, Checksum.compute(f, 14, 20));
  }

  private interface Mutation {
    void apply(byte[] f);
  }

  private static void assertRejected(String message, Mutation m) {
    byte[] f = geneveFrame();
    m.apply(f);
    PacketException e = assertThrows(PacketException.class, () -> Encapsulation.decapsulate(f, 0, f.length));
    assertEquals(message, e.getMessage());
  }

  @Test
  void kindCanBeForcedForOtherPorts() {
    byte[] f = Encapsulation.vxlan(INNER, 0, INNER.length, ROUTER_MAC, CTR_MAC, W0, CTR, 64, 1, 45000, 9999, 42);
    assertThrows(PacketException.class, () -> Encapsulation.decapsulate(f, 0, f.length));
    Decapsulated d = Encapsulation.decapsulate(f, 0, f.length, TunnelKind.VXLAN);
    assertEquals(42, d.vni());
    assertEquals(9999, d.destinationPort());
    // the wrong kind forced: a VXLAN header read as Geneve has version 0 but protocol type 0x0000
    PacketException e = assertThrows(PacketException.class,
        () -> Encapsulation.decapsulate(f, 0, f.length, TunnelKind.GENEVE));
    assertEquals("Geneve protocol type", e.reason());
  }

  @Test
  void overheadAndMtu() {
    assertEquals(50, Encapsulation.overhead(TunnelKind.VXLAN, 0));
    assertEquals(50, Encapsulation.overhead(TunnelKind.GENEVE, 0));
    assertEquals(62, Encapsulation.overhead(TunnelKind.GENEVE, SERVICE_CHAIN.length()));
    assertEquals(1450, Encapsulation.innerMtu(1500, TunnelKind.VXLAN, 0));
    assertEquals(1450, Encapsulation.innerMtu(1500, TunnelKind.GENEVE, 0));
    assertEquals(1438, Encapsulation.innerMtu(1500, TunnelKind.GENEVE, 12));
    assertEquals(8950, Encapsulation.innerMtu(9000, TunnelKind.GENEVE, 0));
    assertEquals(148, Encapsulation.frameLength(TunnelKind.GENEVE, 0, 98));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.overhead(TunnelKind.VXLAN, 4));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.overhead(TunnelKind.GENEVE, 6));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.overhead(TunnelKind.GENEVE, 256));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.innerMtu(100, TunnelKind.GENEVE, 0));
    // A full-MTU inner packet fills the underlay MTU exactly.
    byte[] inner = new byte[14 + 1450];
    Bytes.put16(inner, 12, EtherType.IPV4);
    byte[] f = Encapsulation.geneve(inner, 0, inner.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 0, 1, 6081, 1, List.of());
    assertEquals(1500, Bytes.u16(f, 16));
  }

  @Test
  void flowHashedSourcePort() {
    int port = FlowHash.geneveSourcePort(INNER, 0, INNER.length, 0x5eed);
    byte[] f = Encapsulation.geneve(INNER, 0, INNER.length, CTR_MAC, ROUTER_MAC, CTR, W0, 64, 0, port, 6081, 1,
        List.of());
    assertEquals(port, Encapsulation.decapsulate(f, 0, f.length).sourcePort());
  }

  @Test
  void builderMisuseRejected() {
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.vxlan(INNER, 0, 13, CTR_MAC, ROUTER_MAC, CTR,
        W0, 64, 0, 1, 4789, 1));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.vxlan(INNER, 0, 98, CTR_MAC, ROUTER_MAC, CTR,
        W0, 256, 0, 1, 4789, 1));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.vxlan(INNER, 0, 98, CTR_MAC, ROUTER_MAC, CTR,
        W0, 64, 0x10000, 1, 4789, 1));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.vxlan(INNER, 0, 98, CTR_MAC, ROUTER_MAC, CTR,
        W0, 64, 0, 65536, 4789, 1));
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.vxlan(INNER, 0, 98, CTR_MAC, ROUTER_MAC, CTR,
        W0, 64, 0, 1, 4789, 1 << 24));
    assertThrows(IndexOutOfBoundsException.class, () -> Encapsulation.vxlan(INNER, 1, 98, CTR_MAC, ROUTER_MAC, CTR,
        W0, 64, 0, 1, 4789, 1));
    byte[] huge = new byte[65535 - 20 - 8 - 8 + 1];
    assertThrows(IllegalArgumentException.class, () -> Encapsulation.geneve(huge, 0, huge.length, CTR_MAC,
        ROUTER_MAC, CTR, W0, 64, 0, 1, 6081, 1, List.of()));
  }
}
