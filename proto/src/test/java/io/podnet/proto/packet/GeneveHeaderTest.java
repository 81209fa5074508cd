package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class GeneveHeaderTest {
  /** What Cilium's cilium_geneve sends: no options, VNI = source security identity. */
  static final byte[] PLAIN = bytes(
      0x00,             // version 0, opt len 0
      0x00,             // O 0, C 0, reserved 0
      0x65, 0x58,       // protocol type: transparent Ethernet bridging
      0x00, 0x71, 0xad, // VNI 0x0071ad (29101)
      0x00);            // reserved

  /** The lab's service-chaining option and a critical option of another class. */
  static final byte[] WITH_OPTIONS = bytes(
      0x05,             // version 0, opt len 5 words (20 bytes)
      0x40,             // O 0, C 1 (critical options present), reserved 0
      0x65, 0x58,       // protocol type: transparent Ethernet bridging
      0x00, 0x2d, 0xf1, // VNI 0x002df1 (11761)
      0x00,             // reserved
      0x01, 0x01,       // option 1 class 0x0101 (service chaining)
      0x01,             // type 0x01 "Path + Index", C clear
      0x02,             // reserved 0, length 2 words
      0x00, 0x00, 0x12, // SPID 0x000012
      0x04,             // SI 4
      0x00, 0x00, 0x00, 0x00, // reserved
      0x01, 0x02,       // option 2 class 0x0102
      0x80,             // type 0x00 with C set
      0x01,             // reserved 0, length 1 word
      0xde, 0xad, 0xbe, 0xef); // data

  /** Every reserved bit set, O set, another protocol type: kept as carried. */
  static final byte[] DIRTY = bytes(
      0x01,             // version 0, opt len 1 word
      0xbf,             // O 1, C 0, reserved 0x3f
      0x08, 0x00,       // protocol type IPv4
      0x00, 0x00, 0x01, // VNI 1
      0xaa,             // reserved
      0xff, 0xff,       // option class 0xffff
      0x7f,             // type 0x7f, C clear
      0xe0);            // reserved 0b111, length 0 words

  static final GeneveOption SERVICE_CHAIN = new GeneveOption.ServiceChain(0x12, 4).toOption();
  static final GeneveOption CRITICAL = GeneveOption.of(0x0102, 0x80, ByteString.copyFrom(bytes(0xde, 0xad, 0xbe, 0xef)));

  @Test
  void decodesPlain() {
    GeneveHeader h = GeneveHeader.decode(PLAIN, 0, PLAIN.length);
    assertEquals(0, h.version());
    assertEquals(0, h.optionLengthWords());
    assertFalse(h.oam());
    assertFalse(h.criticalOptionsPresent());
    assertEquals(EtherType.TRANSPARENT_ETHERNET, h.protocolType());
    assertEquals(0x71ad, h.vni());
    assertSame(List.of(), h.options());
    assertEquals(8, h.length());
  }

  @Test
  void decodesOptions() {
    GeneveHeader h = GeneveHeader.decode(WITH_OPTIONS, 0, WITH_OPTIONS.length);
    assertEquals(5, h.optionLengthWords());
    assertEquals(28, h.length());
    assertTrue(h.criticalOptionsPresent());
    assertEquals(0x2df1, h.vni());
    assertEquals(List.of(SERVICE_CHAIN, CRITICAL), h.options());
    GeneveOption o1 = h.options().get(0);
    assertEquals(0x0101, o1.optionClass());
    assertEquals(0x01, o1.type());
    assertFalse(o1.critical());
    assertEquals(2, o1.lengthWords());
    assertEquals(12, o1.length());
    GeneveOption o2 = h.options().get(1);
    assertTrue(o2.critical());
    assertEquals(1, o2.lengthWords());
  }

  @Test
  void builderMatchesVectors() {
    byte[] out = new byte[8];
    GeneveHeader.of(0x71ad, List.of()).encode(out, 0);
    assertArrayEquals(PLAIN, out);
    GeneveHeader h = GeneveHeader.of(0x2df1, List.of(SERVICE_CHAIN, CRITICAL));
    assertTrue(h.criticalOptionsPresent());
    out = new byte[h.length()];
    assertEquals(28, h.encode(out, 0));
    assertArrayEquals(WITH_OPTIONS, out);
    assertFalse(GeneveHeader.of(1, List.of(SERVICE_CHAIN)).criticalOptionsPresent());
  }

  @Test
  void roundTripsByteExact() {
    for (byte[] v : new byte[][] {PLAIN, WITH_OPTIONS, DIRTY}) {
      GeneveHeader h = GeneveHeader.decode(v, 0, v.length);
      byte[] out = new byte[h.length()];
      h.encode(out, 0);
      assertArrayEquals(v, out);
      assertEquals(h, CodecAssertions.decodeEmbedded(GeneveHeader::decode, v));
    }
    GeneveHeader d = GeneveHeader.decode(DIRTY, 0, DIRTY.length);
    assertTrue(d.oam());
    assertFalse(d.criticalOptionsPresent());
    assertEquals(0x3f, d.reserved1());
    assertEquals(0xaa, d.reserved2());
    assertEquals(EtherType.IPV4, d.protocolType());
    assertEquals(new GeneveOption(0xffff, 0x7f, 7, ByteString.EMPTY), d.options().get(0));
  }

  @Test
  void payloadFollowsOptions() {
    byte[] v = CodecAssertions.concat(WITH_OPTIONS, bytes(1, 2, 3));
    assertEquals(28, GeneveHeader.decode(v, 0, v.length).length());
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(GeneveHeader::decode, PLAIN, PLAIN.length);
    CodecAssertions.everyPrefixRejected(GeneveHeader::decode, WITH_OPTIONS, WITH_OPTIONS.length);
    CodecAssertions.everyPrefixRejected(GeneveHeader::decode, DIRTY, DIRTY.length);
    PacketException e = assertThrows(PacketException.class, () -> GeneveHeader.decode(WITH_OPTIONS, 0, 27));
    assertEquals("Geneve options at offset 8: expected 20 bytes, found 19 bytes", e.getMessage());
  }

  @Test
  void onlyVersionZeroAccepted() {
    byte[] v = PLAIN.clone();
    v[0] = 0x40;
    PacketException e = assertThrows(PacketException.class, () -> GeneveHeader.decode(v, 0, 8));
    assertEquals("Geneve version at offset 0: expected 0, found 1", e.getMessage());
    v[0] = (byte) 0xc0;
    e = assertThrows(PacketException.class, () -> GeneveHeader.decode(v, 0, 8));
    assertEquals("Geneve version at offset 0: expected 0, found 3", e.getMessage());
  }

  @Test
  void optionOverrunningDeclaredLengthRejected() {
    byte[] v = WITH_OPTIONS.clone();
    v[23] = 0x02; // option 2 claims 2 words; only 1 is left of the declared 5
    PacketException e = assertThrows(PacketException.class, () -> GeneveHeader.decode(v, 0, v.length));
    assertEquals("Geneve option length at offset 23: expected at most 1 words (options length declared in the"
        + " header), found 2 words", e.getMessage());
    // The same even when the buffer has bytes to spare after the declared options.
    byte[] longer = CodecAssertions.concat(v, new byte[16]);
    assertEquals("Geneve option length",
        assertThrows(PacketException.class, () -> GeneveHeader.decode(longer, 0, longer.length)).reason());

    byte[] w = WITH_OPTIONS.clone();
    w[11] = 0x05; // option 1 claims 5 words of the 4 after its header
    e = assertThrows(PacketException.class, () -> GeneveHeader.decode(w, 0, w.length));
    assertEquals("Geneve option length at offset 11: expected at most 4 words (options length declared in the"
        + " header), found 5 words", e.getMessage());
  }

  @Test
  void unknownCriticalOptionIsADropReasonNotAnException() {
    GeneveHeader h = GeneveHeader.decode(WITH_OPTIONS, 0, WITH_OPTIONS.length);
    Set<Integer> known = Set.of(GeneveOption.key(0x0101, 0x01));
    Predicate<GeneveOption> knows = o -> known.contains(o.key());
    assertEquals(Optional.of(CRITICAL), h.firstUnknownCritical(knows));
    assertEquals("Geneve unknown critical option class 0x0102 type 0x80", h.dropReason(knows));
    // Knowing the critical one is enough: the unknown service-chaining option is not critical.
    Predicate<GeneveOption> knowsCritical = o -> o.key() == GeneveOption.key(0x0102, 0x80);
    assertEquals(Optional.empty(), h.firstUnknownCritical(knowsCritical));
    assertNull(h.dropReason(knowsCritical));
    assertNull(GeneveHeader.decode(PLAIN, 0, 8).dropReason(o -> false));
  }

  @Test
  void serviceChainOption() {
    GeneveOption.ServiceChain sc = GeneveOption.ServiceChain.of(SERVICE_CHAIN);
    assertEquals(0x12, sc.pathId());
    assertEquals(4, sc.index());
    assertArrayEquals(bytes(0x00, 0x00, 0x12, 0x04, 0, 0, 0, 0), SERVICE_CHAIN.data().toByteArray());
    GeneveOption.ServiceChain end = sc.next().next().next().next();
    assertEquals(0, end.index());
    assertTrue(end.ended());
    assertThrows(IllegalStateException.class, end::next);
    PacketException e = assertThrows(PacketException.class, () -> GeneveOption.ServiceChain.of(CRITICAL));
    assertEquals("Geneve service chaining option class/type at offset 0: expected 0x0101/0x01, found 0x0102/0x80",
        e.getMessage());
    GeneveOption shortOne = GeneveOption.of(0x0101, 0x01, ByteString.copyFrom(new byte[4]));
    e = assertThrows(PacketException.class, () -> GeneveOption.ServiceChain.of(shortOne));
    assertEquals("Geneve service chaining option length at offset 3: expected 2 words, found 1 words",
        e.getMessage());
  }

  @Test
  void optionDecodesAlone() {
    byte[] opt = java.util.Arrays.copyOfRange(WITH_OPTIONS, 8, 20);
    assertEquals(SERVICE_CHAIN, GeneveOption.decode(opt, 0, opt.length));
    assertEquals(SERVICE_CHAIN, CodecAssertions.decodeEmbedded(GeneveOption::decode, opt));
    CodecAssertions.everyPrefixRejected(GeneveOption::decode, opt, opt.length);
    byte[] out = new byte[12];
    SERVICE_CHAIN.encode(out, 0);
    assertArrayEquals(opt, out);
  }

  @Test
  void builderMisuseRejected() {
    assertThrows(IllegalArgumentException.class, () -> GeneveOption.of(0x10000, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> GeneveOption.of(1, 0x100, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> GeneveOption.of(1, 1, ByteString.copyFrom(new byte[3])));
    assertThrows(IllegalArgumentException.class, () -> GeneveOption.of(1, 1, ByteString.copyFrom(new byte[128])));
    assertThrows(IllegalArgumentException.class, () -> new GeneveOption(1, 1, 8, ByteString.EMPTY));
    GeneveOption big = GeneveOption.of(1, 1, ByteString.copyFrom(new byte[124]));
    assertEquals(31, big.lengthWords());
    // 2 x 128 = 256 bytes of options: more than the 252 Opt Len can say.
    assertThrows(IllegalArgumentException.class, () -> GeneveHeader.of(1, List.of(big, big)));
    assertThrows(IllegalArgumentException.class, () -> GeneveHeader.of(1 << 24, List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new GeneveHeader(4, false, false, 0, EtherType.TRANSPARENT_ETHERNET, 1, 0, List.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new GeneveHeader(0, false, false, 0x40, EtherType.TRANSPARENT_ETHERNET, 1, 0, List.of()));
  }
}
