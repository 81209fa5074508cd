package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static io.podnet.proto.packet.CodecAssertions.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UdpHeaderTest {
  static final Ipv4Address POD = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address DNS = Ipv4Address.parse("10.96.0.10");

  /**
   * A DNS query (A k8s.io) from a pod to the cluster DNS Service. Checksum 0xdecf computed
   * independently (Python) and reported "Good" by tshark with udp.check_checksum on.
   */
  static final byte[] DATAGRAM = bytes(
      0xa1, 0x12,             // source port 41234
      0x00, 0x35,             // destination port 53
      0x00, 0x20,             // length 32 (8 header + 24 data)
      0xde, 0xcf,             // checksum
      0x1a, 0x2b,             // DNS id
      0x01, 0x00,             // DNS flags: standard query, RD
      0x00, 0x01,             // QDCOUNT 1
      0x00, 0x00,             // ANCOUNT 0
      0x00, 0x00,             // NSCOUNT 0
      0x00, 0x00,             // ARCOUNT 0
      0x03, 0x6b, 0x38, 0x73, // "k8s"
      0x02, 0x69, 0x6f,       // "io"
      0x00,                   // root
      0x00, 0x01,             // QTYPE A
      0x00, 0x01);            // QCLASS IN

  @Test
  void decodesEveryField() {
    UdpHeader h = UdpHeader.decode(DATAGRAM, 0, DATAGRAM.length);
    assertEquals(41234, h.sourcePort());
    assertEquals(53, h.destinationPort());
    assertEquals(32, h.length());
    assertEquals(24, h.payloadLength());
    assertEquals(0xdecf, h.checksum());
    assertTrue(h.checksumValid(POD, DNS, DATAGRAM, 0));
    assertEquals("UDP 41234 > 53, length 24", h.toString());
  }

  @Test
  void roundTripsByteExact() {
    UdpHeader h = UdpHeader.decode(DATAGRAM, 0, DATAGRAM.length);
    byte[] out = new byte[8];
    assertEquals(8, h.encode(out, 0));
    assertArrayEquals(Arrays.copyOf(DATAGRAM, 8), out);
    assertEquals(h, CodecAssertions.decodeEmbedded(UdpHeader::decode, DATAGRAM));
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(UdpHeader::decode, DATAGRAM, DATAGRAM.length);
    PacketException e = assertThrows(PacketException.class, () -> UdpHeader.decode(DATAGRAM, 0, 31));
    assertEquals("UDP datagram at offset 0: expected 32 bytes, found 31 bytes", e.getMessage());
    e = assertThrows(PacketException.class, () -> UdpHeader.decode(DATAGRAM, 0, 5));
    assertEquals("UDP header at offset 0: expected 8 bytes, found 5 bytes", e.getMessage());
  }

  @Test
  void lengthBelowHeaderRejected() {
    for (int bad : new int[] {0, 1, 7}) {
      byte[] v = DATAGRAM.clone();
      Bytes.put16(v, 4, bad);
      byte[] big = concat(new byte[3], v);
      PacketException e = assertThrows(PacketException.class, () -> UdpHeader.decode(big, 3, v.length));
      assertEquals("UDP length at offset 7: expected >= 8, found " + bad, e.getMessage());
    }
  }

  @Test
  void bytesPastLengthIgnored() {
    byte[] padded = concat(DATAGRAM, new byte[14]);
    UdpHeader h = UdpHeader.decode(padded, 0, padded.length);
    assertEquals(32, h.length());
    assertTrue(h.checksumValid(POD, DNS, padded, 0));
  }

  @Test
  void checksumAgreesWithIndependentSum() {
    assertEquals(0xdecf, TestChecksums.transport(POD, DNS, IpProtocol.UDP, zeroed(DATAGRAM, 6), 0, 32));
    assertEquals(0xdecf, UdpHeader.computeChecksum(POD, DNS, DATAGRAM, 0, 32));
  }

  @Test
  void badChecksumDetectedBothWays() {
    UdpHeader h = UdpHeader.decode(DATAGRAM, 0, DATAGRAM.length);
    // Wrong addresses in the pseudo-header.
    assertFalse(h.checksumValid(POD, Ipv4Address.parse("10.96.0.11"), DATAGRAM, 0));
    // One flipped payload bit.
    byte[] v = DATAGRAM.clone();
    v[20] ^= 0x10;
    assertFalse(UdpHeader.decode(v, 0, v.length).checksumValid(POD, DNS, v, 0));
    // Wrong checksum field.
    byte[] w = DATAGRAM.clone();
    w[7] ^= 1;
    assertFalse(UdpHeader.decode(w, 0, w.length).checksumValid(POD, DNS, w, 0));
  }

  @Test
  void zeroChecksumMeansNotComputed() {
    byte[] v = zeroed(DATAGRAM, 6);
    v[20] ^= 0x10; // even a corrupted payload: nothing to verify against
    UdpHeader h = UdpHeader.decode(v, 0, v.length);
    assertEquals(UdpHeader.NO_CHECKSUM, h.checksum());
    assertTrue(h.checksumValid(POD, DNS, v, 0));
  }

  @Test
  void computedZeroIsSentAsAllOnes() {
    // Choose the last two payload bytes so that the checksum comes out 0.
    byte[] v = zeroed(DATAGRAM, 6);
    v[30] = 0;
    v[31] = 0;
    int c = TestChecksums.transport(POD, DNS, IpProtocol.UDP, v, 0, 32);
    // Adding the word c makes the one's complement sum 0xffff, i.e. the checksum 0.
    Bytes.put16(v, 30, c);
    assertEquals(0, TestChecksums.transport(POD, DNS, IpProtocol.UDP, v, 0, 32));
    byte[] out = v.clone();
    UdpHeader.writeWithChecksum(out, 0, 41234, 53, 24, POD, DNS);
    assertEquals(0xffff, Bytes.u16(out, 6));
    assertTrue(UdpHeader.decode(out, 0, 32).checksumValid(POD, DNS, out, 0));
  }

  @Test
  void writeWithChecksumReproducesVector() {
    byte[] out = new byte[40];
    System.arraycopy(DATAGRAM, 8, out, 4 + 8, 24);
    assertEquals(32, UdpHeader.writeWithChecksum(out, 4, 41234, 53, 24, POD, DNS));
    assertArrayEquals(DATAGRAM, Arrays.copyOfRange(out, 4, 36));
  }

  @Test
  void writeWithoutChecksum() {
    byte[] out = DATAGRAM.clone();
    assertEquals(32, UdpHeader.writeWithoutChecksum(out, 0, 41234, 53, 24));
    assertArrayEquals(zeroed(DATAGRAM, 6), out);
    assertThrows(IndexOutOfBoundsException.class, () -> UdpHeader.writeWithoutChecksum(new byte[20], 0, 1, 2, 24));
  }

  @Test
  void constructorRejectsMisuse() {
    assertThrows(IllegalArgumentException.class, () -> new UdpHeader(70000, 53, 8, 0));
    assertThrows(IllegalArgumentException.class, () -> new UdpHeader(1, 53, 7, 0));
    assertThrows(IllegalArgumentException.class, () -> new UdpHeader(1, 53, 8, -1));
  }

  static byte[] zeroed(byte[] v, int at) {
    byte[] c = v.clone();
    c[at] = 0;
    c[at + 1] = 0;
    return c;
  }
}
