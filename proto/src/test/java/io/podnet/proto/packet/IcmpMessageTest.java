package io.podnet.proto.packet;

import static io.podnet.proto.packet.CodecAssertions.bytes;
import static io.podnet.proto.packet.CodecAssertions.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class IcmpMessageTest {
  /** 56 bytes of iputils ping data: 16-byte timeval (x86-64, little-endian), then 0x10..0x37. */
  static byte[] pingData(int secLe0, int secLe1, int secLe2, int secLe3, int usec0, int usec1, int usec2) {
    byte[] d = new byte[56];
    byte[] tv = bytes(secLe0, secLe1, secLe2, secLe3, 0, 0, 0, 0, usec0, usec1, usec2, 0, 0, 0, 0, 0);
    System.arraycopy(tv, 0, d, 0, 16);
    for (int i = 16; i < 56; i++) {
      d[i] = (byte) i;
    }
    return d;
  }

  /**
   * A Linux kernel echo reply captured with tshark on lo (request from a raw socket, id 0x1234
   * seq 1, timeval 1700000000.123456). The kernel computed checksum 0x98bf; tshark: Good.
   */
  static final byte[] KERNEL_ECHO_REPLY = concat(bytes(
      0x00,             // type 0: echo reply
      0x00,             // code 0
      0x98, 0xbf,       // checksum
      0x12, 0x34,       // identifier 0x1234
      0x00, 0x01),      // sequence 1
      pingData(0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01)); // tv_sec 1700000000, tv_usec 123456

  /** The lab's ping request (id 19, seq 1); checksum 0x50f2 from Python, tshark: Good. */
  static final byte[] ECHO_REQUEST = concat(bytes(
      0x08,             // type 8: echo request
      0x00,             // code 0
      0x50, 0xf2,       // checksum
      0x00, 0x13,       // identifier 19
      0x00, 0x01),      // sequence 1
      pingData(0x00, 0xf1, 0x53, 0x65, 0x90, 0xd0, 0x03)); // tv_sec 1700000000, tv_usec 250000

  /**
   * The UDP datagram whose port-unreachable Linux answered in the capture: 127.0.0.1:34035 to
   * the closed port 18081, 600 data bytes (0..255, 0..255, 88 zeros). The UDP checksum 0x0074 is
   * the partial sum loopback offload leaves; it is only quoted here.
   */
  static byte[] offendingUdp() {
    byte[] data = new byte[600];
    for (int i = 0; i < 512; i++) {
      data[i] = (byte) i;
    }
    return concat(bytes(
        0x45, 0x00,             // IPv4, IHL 5, TOS 0
        0x02, 0x74,             // total length 628
        0xcd, 0xd4,             // identification
        0x40, 0x00,             // DF
        0x40, 0x11,             // TTL 64, UDP
        0x6c, 0xa2,             // header checksum
        0x7f, 0x00, 0x00, 0x01, // source 127.0.0.1
        0x7f, 0x00, 0x00, 0x01, // destination 127.0.0.1
        0x84, 0xf3,             // source port 34035
        0x46, 0xa1,             // destination port 18081
        0x02, 0x60,             // UDP length 608
        0x00, 0x74),            // UDP checksum (partial, loopback)
        data);
  }

  @Test
  void decodesKernelEchoReply() {
    IcmpMessage m = IcmpMessage.decode(KERNEL_ECHO_REPLY, 0, KERNEL_ECHO_REPLY.length);
    assertEquals(IcmpMessage.ECHO_REPLY, m.type());
    assertEquals(0, m.code());
    assertEquals(0x98bf, m.checksum());
    assertEquals(0x1234, m.identifier());
    assertEquals(1, m.sequence());
    assertEquals(56, m.body().size());
    assertEquals(64, m.length());
    assertTrue(m.isEcho());
    assertFalse(m.isError());
    assertTrue(m.checksumValid());
    assertEquals(0x98bf, TestChecksums.internet(UdpHeaderTest.zeroed(KERNEL_ECHO_REPLY, 2)));
    assertEquals("ICMP echo reply, id 4660, seq 1, length 64", m.toString());
  }

  @Test
  void echoFactoriesComputeChecksum() {
    IcmpMessage req = IcmpMessage.echoRequest(19, 1, ByteString.copyFrom(ECHO_REQUEST, 8, 56));
    assertArrayEquals(ECHO_REQUEST, req.toBytes());
    assertEquals(0x50f2, TestChecksums.internet(UdpHeaderTest.zeroed(ECHO_REQUEST, 2)));
    assertEquals("ICMP echo request, id 19, seq 1, length 64", req.toString());

    IcmpMessage reply = req.echoReplyTo();
    assertEquals(IcmpMessage.ECHO_REPLY, reply.type());
    assertEquals(19, reply.identifier());
    assertEquals(1, reply.sequence());
    assertEquals(req.body(), reply.body());
    assertTrue(reply.checksumValid());
    // The reply differs from the request only in the type byte: the checksum moves by 0x0800.
    assertEquals(0x58f2, reply.checksum());

    IcmpMessage kernel = IcmpMessage.decode(KERNEL_ECHO_REPLY, 0, 64);
    assertEquals(kernel, IcmpMessage.echoReply(0x1234, 1, kernel.body()));
    assertThrows(IllegalStateException.class, reply::echoReplyTo);
    assertThrows(IllegalArgumentException.class, () -> IcmpMessage.echoRequest(65536, 1, ByteString.EMPTY));
  }

  @Test
  void roundTripsByteExact() {
    byte[] unreachable = IcmpMessage.destinationUnreachable(3, offendingUdp(), 0, 628).toBytes();
    byte[] unknown = bytes(42, 7, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3);
    for (byte[] v : new byte[][] {KERNEL_ECHO_REPLY, ECHO_REQUEST, unreachable, unknown}) {
      IcmpMessage m = IcmpMessage.decode(v, 0, v.length);
      byte[] out = new byte[v.length];
      assertEquals(v.length, m.encode(out, 0));
      assertArrayEquals(v, out);
      assertEquals(m, CodecAssertions.decodeEmbedded(IcmpMessage::decode, v));
    }
  }

  @Test
  void unknownTypesPassThrough() {
    byte[] v = bytes(
        42,                     // type 42 (extended echo request, RFC 8335): not modelled
        0,                      // code
        0x12, 0x34,             // checksum, wrong and kept
        0xde, 0xad, 0xbe, 0xef, // rest of header, raw
        1, 2, 3);               // body, raw
    IcmpMessage m = IcmpMessage.decode(v, 0, v.length);
    assertEquals(42, m.type());
    assertEquals(0xdeadbeefL, m.restOfHeader());
    assertEquals(ByteString.copyFrom(bytes(1, 2, 3)), m.body());
    assertFalse(m.checksumValid());
    assertTrue(m.withChecksum(m.computeChecksum()).checksumValid());
    assertEquals("ICMP type 42, code 0, length 11", m.toString());
    assertThrows(IllegalStateException.class, m::identifier);
    assertThrows(IllegalStateException.class, m::quotedHeader);
  }

  @Test
  void portUnreachableMatchesLinuxByteForByte() {
    byte[] udp = offendingUdp();
    IcmpMessage m = IcmpMessage.destinationUnreachable(IcmpMessage.CODE_PORT_UNREACHABLE, udp, 0, udp.length);
    // Captured: 576-byte datagram, ICMP type 3 code 3, checksum 0xae14, unused 0, 548 bytes quoted.
    assertEquals(548, m.body().size());
    assertEquals(556, m.length());
    assertEquals(0xae14, m.checksum());
    assertEquals(0, m.restOfHeader());
    assertArrayEquals(Arrays.copyOf(udp, 548), m.body().toByteArray());
    assertTrue(m.checksumValid());
    byte[] wire = m.toBytes();
    assertEquals(0xae14, TestChecksums.internet(UdpHeaderTest.zeroed(wire, 2)));
    assertEquals("ICMP 127.0.0.1 udp port 18081 unreachable, length 556", m.toString());

    IcmpMessage back = IcmpMessage.decode(wire, 0, wire.length);
    assertEquals(m, back);
    Ipv4Header q = back.quotedHeader();
    assertEquals(628, q.totalLength());
    assertEquals(IpProtocol.UDP, q.protocol());
    assertEquals(0x46a1, Bytes.u16(back.quotedPayload().toByteArray(), 2));
  }

  @Test
  void quoteIsWholeShortDatagramAndIgnoresPadding() {
    byte[] small = Arrays.copyOf(offendingUdp(), 28 + 12);
    Bytes.put16(small, 2, 40); // total length 40
    byte[] padded = concat(small, new byte[6]);
    IcmpMessage m = IcmpMessage.timeExceeded(IcmpMessage.CODE_TTL_EXCEEDED, padded, 0, padded.length);
    assertEquals(40, m.body().size());
    assertArrayEquals(small, m.body().toByteArray());
    assertEquals(IcmpMessage.TIME_EXCEEDED, m.type());
    assertEquals(0, m.restOfHeader());
    assertTrue(m.checksumValid());
    assertEquals(m.checksum(), TestChecksums.internet(UdpHeaderTest.zeroed(m.toBytes(), 2)));
    assertEquals("ICMP time exceeded in-transit, length 48", m.toString());
  }

  @Test
  void linuxQuoteLengthFollows576Rule() {
    assertEquals(548, IcmpMessage.linuxQuoteLength(1500, 1500));
    assertEquals(548, IcmpMessage.linuxQuoteLength(65535, 65536));
    assertEquals(84, IcmpMessage.linuxQuoteLength(84, 1500));
    assertEquals(548, IcmpMessage.linuxQuoteLength(548, 1500));
    assertEquals(500 - 28, IcmpMessage.linuxQuoteLength(1500, 500));
    assertEquals(40, IcmpMessage.linuxQuoteLength(1500, 68));
    assertThrows(IllegalArgumentException.class, () -> IcmpMessage.linuxQuoteLength(100, 67));
    byte[] udp = offendingUdp();
    assertEquals(300 - 28, IcmpMessage.error(IcmpMessage.DESTINATION_UNREACHABLE, 3, 0, udp, 0, udp.length, 300)
        .body().size());
  }

  @Test
  void fragmentationNeededCarriesMtuInBytes6And7() {
    byte[] udp = offendingUdp();
    IcmpMessage m = IcmpMessage.fragmentationNeeded(1450, udp, 0, udp.length);
    byte[] wire = m.toBytes();
    assertArrayEquals(bytes(
        0x03,             // destination unreachable
        0x04,             // fragmentation needed and DF set
        wire[2], wire[3], // checksum (checked below)
        0x00, 0x00,       // unused
        0x05, 0xaa),      // next-hop MTU 1450
        Arrays.copyOf(wire, 8));
    assertEquals(1450, IcmpMessage.decode(wire, 0, wire.length).nextHopMtu());
    assertEquals(m.checksum(), TestChecksums.internet(UdpHeaderTest.zeroed(wire, 2)));
    assertEquals("ICMP 127.0.0.1 unreachable - need to frag (mtu 1450), length 556", m.toString());
    assertThrows(IllegalStateException.class,
        () -> IcmpMessage.destinationUnreachable(1, udp, 0, udp.length).nextHopMtu());
    assertThrows(IllegalArgumentException.class, () -> IcmpMessage.fragmentationNeeded(67, udp, 0, udp.length));
  }

  @Test
  void errorFromMalformedDatagramRejected() {
    byte[] udp = offendingUdp();
    PacketException e = assertThrows(PacketException.class,
        () -> IcmpMessage.timeExceeded(0, udp, 0, 600));
    assertEquals("IPv4 datagram", e.reason());
    assertThrows(IllegalArgumentException.class,
        () -> IcmpMessage.error(IcmpMessage.ECHO_REPLY, 0, 0, udp, 0, udp.length, 1500));
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(IcmpMessage::decode, ECHO_REQUEST, 8);
    byte[] err = IcmpMessage.timeExceeded(0, offendingUdp(), 0, 628).toBytes();
    CodecAssertions.everyPrefixRejected(IcmpMessage::decode, err, 28);
    PacketException e = assertThrows(PacketException.class, () -> IcmpMessage.decode(err, 0, 27));
    assertEquals("ICMP quoted IPv4 header at offset 8: expected 20 bytes, found 19 bytes", e.getMessage());
    e = assertThrows(PacketException.class, () -> IcmpMessage.decode(err, 0, 7));
    assertEquals("ICMP header at offset 0: expected 8 bytes, found 7 bytes", e.getMessage());
  }

  @Test
  void malformedQuoteRejected() {
    byte[] err = IcmpMessage.timeExceeded(0, offendingUdp(), 0, 628).toBytes();
    byte[] v6 = err.clone();
    v6[8] = 0x60;
    PacketException e = assertThrows(PacketException.class, () -> IcmpMessage.decode(v6, 0, v6.length));
    assertEquals("ICMP quoted IPv4 version/IHL at offset 8: expected version 4, IHL >= 5, found 0x60",
        e.getMessage());
    byte[] longIhl = Arrays.copyOf(err, 8 + 24);
    longIhl[8] = 0x47; // IHL 7 = 28 bytes, only 24 quoted
    e = assertThrows(PacketException.class, () -> IcmpMessage.decode(longIhl, 0, longIhl.length));
    assertEquals("ICMP quoted IPv4 header at offset 8: expected 28 bytes, found 24 bytes", e.getMessage());
    byte[] shortTotal = err.clone();
    Bytes.put16(shortTotal, 8 + 2, 10);
    assertEquals("IPv4 total length",
        assertThrows(PacketException.class, () -> IcmpMessage.decode(shortTotal, 0, shortTotal.length)).reason());
  }

  /** Found by CodecFuzzTest: the record constructor's IllegalArgumentException escaped decode. */
  @Test
  void regionLongerThanAnyIpv4PayloadRejected() {
    byte[] big = Arrays.copyOf(ECHO_REQUEST, IcmpMessage.MAX_LENGTH + 1 + 5);
    PacketException e = assertThrows(PacketException.class, () -> IcmpMessage.decode(big, 5, big.length - 5));
    assertEquals("ICMP length at offset 5: expected at most 65515 bytes (an IPv4 payload), found 65516 bytes",
        e.getMessage());
    byte[] max = Arrays.copyOf(ECHO_REQUEST, IcmpMessage.MAX_LENGTH);
    assertEquals(IcmpMessage.MAX_LENGTH, IcmpMessage.decode(max, 0, max.length).length());
  }

  @Test
  void badChecksumDetected() {
    byte[] v = KERNEL_ECHO_REPLY.clone();
    v[40] ^= 0x01;
    assertFalse(IcmpMessage.decode(v, 0, v.length).checksumValid());
    byte[] w = KERNEL_ECHO_REPLY.clone();
    w[3] ^= 0x01;
    assertFalse(IcmpMessage.decode(w, 0, w.length).checksumValid());
  }

  @Test
  void errorAllowedFollowsLinuxRules() {
    byte[] udp = offendingUdp();
    assertTrue(IcmpMessage.errorAllowedFor(udp, 0, udp.length));

    byte[] frag = udp.clone();
    Bytes.put16(frag, 6, 0x0001); // fragment offset 8 bytes: not the first fragment
    assertFalse(IcmpMessage.errorAllowedFor(frag, 0, frag.length));

    byte[] mcast = udp.clone();
    Ipv4Address.parse("224.0.0.251").write(mcast, 16);
    assertFalse(IcmpMessage.errorAllowedFor(mcast, 0, mcast.length));
    byte[] bcast = udp.clone();
    Ipv4Address.BROADCAST.write(bcast, 16);
    assertFalse(IcmpMessage.errorAllowedFor(bcast, 0, bcast.length));
    byte[] anySrc = udp.clone();
    Ipv4Address.ANY.write(anySrc, 12);
    assertFalse(IcmpMessage.errorAllowedFor(anySrc, 0, anySrc.length));

    // An echo request may get an error; an error about an error may not.
    byte[] ping = icmpDatagram(ECHO_REQUEST);
    assertTrue(IcmpMessage.errorAllowedFor(ping, 0, ping.length));
    byte[] aboutError = icmpDatagram(IcmpMessage.timeExceeded(0, udp, 0, udp.length).toBytes());
    assertFalse(IcmpMessage.errorAllowedFor(aboutError, 0, aboutError.length));
    byte[] unknownType = icmpDatagram(bytes(19, 0, 0, 0, 0, 0, 0, 0));
    assertFalse(IcmpMessage.errorAllowedFor(unknownType, 0, unknownType.length));
    byte[] type18 = icmpDatagram(bytes(18, 0, 0, 0, 0, 0, 0, 0));
    assertTrue(IcmpMessage.errorAllowedFor(type18, 0, type18.length));
  }

  static byte[] icmpDatagram(byte[] icmp) {
    Ipv4Header ip = Ipv4Header.builder().protocol(IpProtocol.ICMP).source(Ipv4Address.parse("172.20.0.163"))
        .destination(Ipv4Address.parse("172.20.2.54")).payloadLength(icmp.length).build();
    byte[] out = new byte[20 + icmp.length];
    ip.encode(out, 0);
    System.arraycopy(icmp, 0, out, 20, icmp.length);
    return out;
  }

  @Test
  void constructorRejectsMisuse() {
    assertThrows(IllegalArgumentException.class, () -> new IcmpMessage(256, 0, 0, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> new IcmpMessage(8, 0, 0x10000, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class, () -> new IcmpMessage(8, 0, 0, 1L << 32, ByteString.EMPTY));
    assertEquals(ByteString.EMPTY, new IcmpMessage(8, 0, 0, 0, null).body());
  }
}
