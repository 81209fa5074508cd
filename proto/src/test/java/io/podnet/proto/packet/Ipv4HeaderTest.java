package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static io.podnet.proto.packet.CodecAssertions.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class Ipv4HeaderTest {
  /** 172.20.0.163 -> 172.20.2.54 ICMP, 84 bytes, DF, TTL 64: a ping as Linux sends it. */
  static final byte[] HEADER = bytes(
      0x45,             // version 4, IHL 5
      0x00,             // DSCP 0, ECN 0
      0x00, 0x54,       // total length 84
      0x3d, 0x1e,       // identification 0x3d1e
      0x40, 0x00,       // flags DF, fragment offset 0
      0x40,             // TTL 64
      0x01,             // protocol ICMP
      0xa2, 0x89,       // header checksum
      0xac, 0x14, 0x00, 0xa3, // source 172.20.0.163
      0xac, 0x14, 0x02, 0x36); // destination 172.20.2.54

  static final byte[] WITH_OPTIONS = bytes(
      0x46,             // version 4, IHL 6
      0xb8,             // DSCP 46 (EF), ECN 0
      0x00, 0x18,       // total length 24 (header only)
      0x00, 0x01,       // identification 1
      0x20, 0x05,       // flags MF, fragment offset 5
      0x01,             // TTL 1
      0x11,             // protocol UDP
      0x00, 0x00,       // checksum, filled below
      0xc0, 0xa8, 0x0a, 0x64, // source 192.168.10.100
      0xc0, 0xa8, 0x14, 0x64, // destination 192.168.20.100
      0x94, 0x04, 0x00, 0x00); // option: router alert

  static byte[] datagram() {
    return concat(HEADER, new byte[64]);
  }

  @Test
  void decodesEveryField() {
    Ipv4Header h = Ipv4Header.decode(datagram(), 0, 84);
    assertEquals(5, h.ihl());
    assertEquals(0, h.dscp());
    assertEquals(84, h.totalLength());
    assertEquals(0x3d1e, h.identification());
    assertTrue(h.dontFragment());
    assertFalse(h.moreFragments());
    assertEquals(64, h.ttl());
    assertEquals(IpProtocol.ICMP, h.protocol());
    assertEquals(Ipv4Address.parse("172.20.0.163"), h.source());
    assertEquals(Ipv4Address.parse("172.20.2.54"), h.destination());
    assertEquals(64, h.payloadLength());
    assertTrue(h.checksumValid());
    assertEquals(0xa289, h.computeChecksum());
  }

  @Test
  void optionsAndFragmentFields() {
    byte[] v = WITH_OPTIONS.clone();
    Bytes.put16(v, 10, Checksum.compute(v, 0, 24));
    Ipv4Header h = Ipv4Header.decode(v, 0, v.length);
    assertEquals(6, h.ihl());
    assertEquals(46, h.dscp());
    assertTrue(h.moreFragments());
    assertTrue(h.isFragment());
    assertEquals(5, h.fragmentOffset());
    assertEquals(ByteString.copyFrom(bytes(0x94, 0x04, 0x00, 0x00)), h.options());
    assertTrue(h.checksumValid());
    byte[] out = new byte[24];
    h.encode(out, 0);
    assertArrayEquals(v, out);
  }

  @Test
  void roundTripsByteExact() {
    byte[] d = datagram();
    Ipv4Header h = Ipv4Header.decode(d, 0, d.length);
    byte[] out = new byte[20];
    h.encode(out, 0);
    assertArrayEquals(HEADER, out);
    assertEquals(h, CodecAssertions.decodeEmbedded(Ipv4Header::decode, d));
  }

  @Test
  void builderComputesChecksum() {
    Ipv4Header h = Ipv4Header.builder().identification(0x3d1e).dontFragment(true).ttl(64)
        .protocol(IpProtocol.ICMP).source(Ipv4Address.parse("172.20.0.163"))
        .destination(Ipv4Address.parse("172.20.2.54")).payloadLength(64).build();
    byte[] out = new byte[20];
    h.encode(out, 0);
    assertArrayEquals(HEADER, out);
  }

  @Test
  void badChecksumDetectedNotThrown() {
    byte[] d = datagram();
    d[11] ^= 1;
    Ipv4Header h = Ipv4Header.decode(d, 0, d.length);
    assertFalse(h.checksumValid());
  }

  @Test
  void ttlDecrementKeepsChecksumValid() {
    Ipv4Header h = Ipv4Header.decode(datagram(), 0, 84).withTtl(63);
    assertEquals(63, h.ttl());
    assertTrue(h.checksumValid());
    byte[] out = new byte[20];
    h.encode(out, 0);
    assertTrue(Checksum.verify(out, 0, 20));
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(Ipv4Header::decode, datagram(), 84);
    CodecAssertions.everyPrefixRejected(Ipv4Header::decode, WITH_OPTIONS, 24);
  }

  @Test
  void badFieldsRejectedWithOffsets() {
    byte[] d = datagram();
    d[0] = 0x65;
    PacketException e = assertThrows(PacketException.class, () -> Ipv4Header.decode(d, 0, 84));
    assertEquals("IPv4 version at offset 0: expected 4, found 6", e.getMessage());

    byte[] d2 = datagram();
    d2[0] = 0x44;
    assertEquals("IPv4 IHL", assertThrows(PacketException.class, () -> Ipv4Header.decode(d2, 0, 84)).reason());

    byte[] d3 = datagram();
    Bytes.put16(d3, 2, 19);
    e = assertThrows(PacketException.class, () -> Ipv4Header.decode(d3, 0, 84));
    assertEquals("IPv4 total length at offset 2: expected >= header length 20, found 19", e.getMessage());

    byte[] d4 = datagram();
    Bytes.put16(d4, 2, 85);
    e = assertThrows(PacketException.class, () -> Ipv4Header.decode(d4, 0, 84));
    assertEquals("IPv4 datagram", e.reason());
  }

  @Test
  void paddingAfterDatagramIgnored() {
    byte[] padded = concat(datagram(), new byte[6]);
    Ipv4Header h = Ipv4Header.decode(padded, 0, padded.length);
    assertEquals(84, h.totalLength());
  }
}
