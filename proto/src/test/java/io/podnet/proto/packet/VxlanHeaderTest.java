package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VxlanHeaderTest {
  /** VNI 0x71ad (29101, the lab's curl-pod identity) as Linux sends it. */
  static final byte[] HEADER = bytes(
      0x08,             // flags: I
      0x00, 0x00, 0x00, // reserved
      0x00, 0x71, 0xad, // VNI 0x0071ad
      0x00);            // reserved

  /** Reserved bits set by a sloppy sender: ignored, but kept. */
  static final byte[] DIRTY = bytes(
      0x88,             // flags: I and a reserved bit (the GBP G bit position)
      0x00, 0x12, 0x34, // reserved (GBP would put a group policy ID here)
      0xff, 0xff, 0xff, // VNI 16777215, the largest
      0x5a);            // reserved

  @Test
  void decodesFields() {
    VxlanHeader h = VxlanHeader.decode(HEADER, 0, HEADER.length);
    assertEquals(0x71ad, h.vni());
    assertEquals(VxlanHeader.FLAG_I, h.flags());
    assertEquals(0, h.reserved1());
    assertEquals(0, h.reserved2());
    assertEquals(8, h.length());
  }

  @Test
  void builderWritesZeroReserved() {
    byte[] out = new byte[8];
    assertEquals(8, VxlanHeader.of(0x71ad).encode(out, 0));
    assertArrayEquals(HEADER, out);
  }

  @Test
  void roundTripsByteExactIncludingReservedBits() {
    for (byte[] v : new byte[][] {HEADER, DIRTY}) {
      VxlanHeader h = VxlanHeader.decode(v, 0, v.length);
      byte[] out = new byte[8];
      h.encode(out, 0);
      assertArrayEquals(v, out);
      assertEquals(h, CodecAssertions.decodeEmbedded(VxlanHeader::decode, v));
    }
    VxlanHeader d = VxlanHeader.decode(DIRTY, 0, 8);
    assertEquals(0x88, d.flags());
    assertEquals(0x1234, d.reserved1());
    assertEquals(0xffffff, d.vni());
    assertEquals(0x5a, d.reserved2());
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(VxlanHeader::decode, HEADER, 8);
    PacketException e = assertThrows(PacketException.class, () -> VxlanHeader.decode(HEADER, 0, 7));
    assertEquals("VXLAN header at offset 0: expected 8 bytes, found 7 bytes", e.getMessage());
  }

  @Test
  void missingIFlagRejected() {
    byte[] v = HEADER.clone();
    v[0] = 0x00;
    PacketException e = assertThrows(PacketException.class, () -> VxlanHeader.decode(v, 0, 8));
    assertEquals("VXLAN flags at offset 0: expected I flag 0x08 set, found 0x00", e.getMessage());
    byte[] big = CodecAssertions.concat(new byte[5], v);
    e = assertThrows(PacketException.class, () -> VxlanHeader.decode(big, 5, 8));
    assertEquals("VXLAN flags at offset 5: expected I flag 0x08 set, found 0x00", e.getMessage());
  }

  @Test
  void builderMisuseRejected() {
    assertThrows(IllegalArgumentException.class, () -> VxlanHeader.of(1 << 24));
    assertThrows(IllegalArgumentException.class, () -> VxlanHeader.of(-1));
    assertThrows(IllegalArgumentException.class, () -> new VxlanHeader(0, 0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new VxlanHeader(8, 1 << 24, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new VxlanHeader(8, 0, 1, 256));
  }
}
