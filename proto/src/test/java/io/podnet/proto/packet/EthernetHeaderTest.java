package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EthernetHeaderTest {
  static final byte[] UNTAGGED = bytes(
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // destination: broadcast
      0x08, 0x00, 0x27, 0xaf, 0xe6, 0xdf, // source: 08:00:27:af:e6:df
      0x08, 0x06);                        // EtherType: ARP

  static final byte[] TAGGED = bytes(
      0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c, // destination
      0x08, 0x00, 0x27, 0x0f, 0xbd, 0xdd, // source
      0x81, 0x00,                         // TPID: 802.1Q
      0xa0, 0x64,                         // TCI: PCP 5, DEI 0, VID 100
      0x08, 0x00);                        // EtherType: IPv4

  @Test
  void decodesUntagged() {
    EthernetHeader h = EthernetHeader.decode(UNTAGGED, 0, UNTAGGED.length);
    assertEquals(MacAddress.BROADCAST, h.destination());
    assertEquals(MacAddress.parse("08:00:27:af:e6:df"), h.source());
    assertEquals(EtherType.ARP, h.etherType());
    assertNull(h.vlan());
    assertEquals(14, h.length());
  }

  @Test
  void decodesAndKeepsVlanTag() {
    EthernetHeader h = EthernetHeader.decode(TAGGED, 0, TAGGED.length);
    assertEquals(new EthernetHeader.VlanTag(5, false, 100), h.vlan());
    assertEquals(EtherType.IPV4, h.etherType());
    assertEquals(18, h.length());
    byte[] out = new byte[18];
    assertEquals(18, h.encode(out, 0));
    assertArrayEquals(TAGGED, out);
  }

  @Test
  void roundTrips() {
    for (byte[] v : new byte[][] {UNTAGGED, TAGGED}) {
      EthernetHeader h = EthernetHeader.decode(v, 0, v.length);
      byte[] out = new byte[h.length()];
      h.encode(out, 0);
      assertArrayEquals(v, out);
      assertEquals(h, CodecAssertions.decodeEmbedded(EthernetHeader::decode, v));
    }
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(EthernetHeader::decode, UNTAGGED, UNTAGGED.length);
    CodecAssertions.everyPrefixRejected(EthernetHeader::decode, TAGGED, TAGGED.length);
  }

  @Test
  void badRegionsRejected() {
    assertThrows(IndexOutOfBoundsException.class, () -> EthernetHeader.decode(UNTAGGED, -1, 14));
    assertThrows(IndexOutOfBoundsException.class, () -> EthernetHeader.decode(UNTAGGED, 1, 14));
    assertThrows(IndexOutOfBoundsException.class, () -> EthernetHeader.decode(UNTAGGED, 0, -3));
  }

  @Test
  void truncationMessageSaysWhatWhereAndHowMuch() {
    PacketException e = assertThrows(PacketException.class, () -> EthernetHeader.decode(UNTAGGED, 0, 9));
    assertEquals("Ethernet header at offset 0: expected 14 bytes, found 9 bytes", e.getMessage());
    assertEquals("Ethernet header", e.reason());
  }

  @Test
  void shortFramesPaddedTo60() {
    EthernetHeader h = EthernetHeader.of(MacAddress.BROADCAST, MacAddress.parse("08:00:27:af:e6:df"), EtherType.ARP);
    byte[] payload = new byte[28];
    Arrays.fill(payload, (byte) 1);
    byte[] f = h.frame(payload, true);
    assertEquals(60, f.length);
    for (int i = 14 + 28; i < 60; i++) {
      assertEquals(0, f[i]);
    }
    assertEquals(42, h.frame(payload, false).length);
    assertTrue(h.frame(new byte[100], true).length == 114);
  }
}
