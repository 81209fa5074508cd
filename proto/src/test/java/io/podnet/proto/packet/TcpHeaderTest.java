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
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpHeaderTest {
  static final Ipv4Address CURL_POD = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address WEBPOD = Ipv4Address.parse("172.20.2.54");
  static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");

  /**
   * curl-pod:36548 -> webpod:80 SYN with Linux's options. Checksum 0x337f computed in Python and
   * reported Good by tshark (tcp.check_checksum), which also printed "MSS=1460 SACK_PERM
   * TSval=203041596 TSecr=0 WS=128".
   */
  static final byte[] SYN = bytes(
      0x8e, 0xc4,             // source port 36548
      0x00, 0x50,             // destination port 80
      0x5a, 0x1c, 0x9e, 0x07, // sequence number 0x5a1c9e07
      0x00, 0x00, 0x00, 0x00, // acknowledgment number 0
      0xa0,                   // data offset 10 (40 bytes), reserved 0, AE 0
      0x02,                   // flags: SYN
      0xfa, 0xf0,             // window 64240
      0x33, 0x7f,             // checksum
      0x00, 0x00,             // urgent pointer 0
      0x02, 0x04, 0x05, 0xb4, // MSS 1460
      0x04, 0x02,             // SACK permitted
      0x08, 0x0a,             // timestamps, length 10
      0x0c, 0x1a, 0x2b, 0x3c, //   TSval 203041596
      0x00, 0x00, 0x00, 0x00, //   TSecr 0
      0x01,                   // NOP
      0x03, 0x03, 0x07);      // window scale 7

  /**
   * A Linux SYN-ACK captured with tshark on lo (127.0.0.1:18080 -> :33370). Loopback leaves the
   * checksum as the offload's partial sum 0xfe30; the full one is 0x55fd.
   */
  static final byte[] LOOPBACK_SYN_ACK = bytes(
      0x46, 0xa0,             // source port 18080
      0x82, 0x5a,             // destination port 33370
      0x90, 0x82, 0xd8, 0x6a, // sequence number
      0xd3, 0x63, 0x6c, 0x07, // acknowledgment number
      0xa0,                   // data offset 10
      0x12,                   // flags: SYN, ACK
      0xff, 0xcb,             // window 65483
      0xfe, 0x30,             // checksum (partial, offloaded)
      0x00, 0x00,             // urgent pointer
      0x02, 0x04, 0xff, 0xd7, // MSS 65495 (lo MTU 65536)
      0x04, 0x02,             // SACK permitted
      0x08, 0x0a,             // timestamps
      0xae, 0xc8, 0x45, 0x0d, //   TSval
      0xe6, 0x3a, 0xae, 0x99, //   TSecr
      0x01,                   // NOP
      0x03, 0x03, 0x0a);      // window scale 10

  /** The captured ACK after it: NOP, NOP, timestamps, as Linux pads them. */
  static final byte[] LOOPBACK_ACK = bytes(
      0x82, 0x5a,             // source port 33370
      0x46, 0xa0,             // destination port 18080
      0xd3, 0x63, 0x6c, 0x07, // sequence number
      0x90, 0x82, 0xd8, 0x6b, // acknowledgment number
      0x80,                   // data offset 8 (32 bytes)
      0x10,                   // flags: ACK
      0x00, 0x40,             // window 64 (scaled)
      0xfe, 0x28,             // checksum (partial, offloaded)
      0x00, 0x00,             // urgent pointer
      0x01, 0x01,             // NOP, NOP
      0x08, 0x0a,             // timestamps
      0xe6, 0x3a, 0xae, 0x99, //   TSval
      0xae, 0xc8, 0x45, 0x0d);//   TSecr

  @Test
  void decodesLinuxSyn() {
    TcpHeader h = TcpHeader.decode(SYN, 0, SYN.length);
    assertEquals(36548, h.sourcePort());
    assertEquals(80, h.destinationPort());
    assertEquals(0x5a1c9e07L, h.sequenceNumber());
    assertEquals(0, h.acknowledgmentNumber());
    assertEquals(10, h.dataOffset());
    assertEquals(40, h.length());
    assertEquals(TcpHeader.SYN, h.flags());
    assertTrue(h.syn());
    assertFalse(h.ack());
    assertEquals(64240, h.window());
    assertEquals(0x337f, h.checksum());
    assertEquals(0, h.urgentPointer());
    assertEquals(List.of(new TcpOption.MaximumSegmentSize(1460), TcpOption.SACK_PERMITTED,
        new TcpOption.Timestamps(203041596L, 0), TcpOption.NOP, new TcpOption.WindowScale(7)), h.parsedOptions());
    assertEquals(TcpHeader.linuxSynOptions(1460, 203041596L, 0, 7), h.parsedOptions());
    assertTrue(TcpHeader.checksumValid(CURL_POD, WEBPOD, SYN, 0, SYN.length));
    assertEquals("36548 > 80: Flags [S], seq 1511824903, win 64240, options [mss 1460,sackOK,TS val 203041596 "
        + "ecr 0,nop,wscale 7]", h.toString());
  }

  @Test
  void builderReproducesLinuxSyn() {
    TcpHeader h = TcpHeader.builder().sourcePort(36548).destinationPort(80).sequenceNumber(0x5a1c9e07L)
        .flags(TcpHeader.SYN).window(64240).options(TcpHeader.linuxSynOptions(1460, 203041596L, 0, 7))
        .build(CURL_POD, WEBPOD);
    byte[] out = new byte[40];
    assertEquals(40, h.encode(out, 0));
    assertArrayEquals(SYN, out);
    assertEquals(0x337f, TestChecksums.transport(CURL_POD, WEBPOD, IpProtocol.TCP,
        UdpHeaderTest.zeroed(SYN, 16), 0, 40));
  }

  @Test
  void loopbackCapturesDecodeAndChecksumIsRecomputed() {
    TcpHeader sa = TcpHeader.decode(LOOPBACK_SYN_ACK, 0, LOOPBACK_SYN_ACK.length);
    assertEquals("[S.]", sa.tcpdumpFlags());
    assertEquals("SYN, ACK", sa.hubbleFlags());
    assertEquals(TcpHeader.linuxSynOptions(65495, 0xaec8450dL, 0xe63aae99L, 10), sa.parsedOptions());
    assertFalse(TcpHeader.checksumValid(LOOPBACK, LOOPBACK, LOOPBACK_SYN_ACK, 0, 40)); // partial sum
    int full = sa.computeChecksum(LOOPBACK, LOOPBACK, new byte[0], 0, 0);
    assertEquals(0x55fd, full);
    assertEquals(full, TestChecksums.transport(LOOPBACK, LOOPBACK, IpProtocol.TCP,
        UdpHeaderTest.zeroed(LOOPBACK_SYN_ACK, 16), 0, 40));
    byte[] fixed = LOOPBACK_SYN_ACK.clone();
    sa.withChecksum(full).encode(fixed, 0);
    assertTrue(TcpHeader.checksumValid(LOOPBACK, LOOPBACK, fixed, 0, 40));

    TcpHeader ack = TcpHeader.decode(LOOPBACK_ACK, 0, LOOPBACK_ACK.length);
    assertEquals("[.]", ack.tcpdumpFlags());
    assertEquals("ACK", ack.hubbleFlags());
    assertEquals(TcpHeader.linuxTimestampOptions(0xe63aae99L, 0xaec8450dL), ack.parsedOptions());
    assertEquals(8, ack.dataOffset());
  }

  @Test
  void roundTripsByteExact() {
    byte[] eolThenJunk = concat(Arrays.copyOf(SYN, 20), bytes(
        0x01,                   // NOP
        0x00,                   // EOL
        0x5a, 0xa5));           // padding after EOL, not zero (kept anyway)
    eolThenJunk[12] = 0x6f;     // data offset 6, reserved bits 111, AE set
    eolThenJunk[13] = (byte) 0xff; // every flag
    byte[] bare = Arrays.copyOf(SYN, 20);
    bare[12] = 0x50;            // data offset 5, no options
    for (byte[] v : new byte[][] {SYN, LOOPBACK_SYN_ACK, LOOPBACK_ACK, eolThenJunk, bare}) {
      byte[] seg = concat(v, bytes(1, 2, 3));
      TcpHeader h = TcpHeader.decode(seg, 0, seg.length);
      byte[] out = new byte[h.length()];
      assertEquals(v.length, h.encode(out, 0));
      assertArrayEquals(v, out);
      assertEquals(h, CodecAssertions.decodeEmbedded(TcpHeader::decode, seg));
    }
    TcpHeader odd = TcpHeader.decode(eolThenJunk, 0, eolThenJunk.length);
    assertEquals(0b111, odd.reserved());
    assertEquals(0x1ff, odd.flags());
    assertTrue(odd.ae());
    assertEquals(List.of(TcpOption.NOP, TcpOption.EOL), odd.parsedOptions());
    assertEquals("[FSRP.UEWe]", odd.tcpdumpFlags());
    assertEquals("SYN, ACK, RST, FIN, PSH, URG, ECE, CWR, NS", odd.hubbleFlags());
  }

  @Test
  void sackAndUnknownOptions() {
    byte[] opts = bytes(
        0x01, 0x01,             // NOP, NOP
        0x05, 0x12,             // SACK, length 18: two blocks
        0x00, 0x00, 0x03, 0xe8, //   left 1000
        0x00, 0x00, 0x07, 0xd0, //   right 2000
        0xff, 0xff, 0xff, 0x00, //   left 4294967040
        0xff, 0xff, 0xff, 0xff, //   right 4294967295
        0x1e, 0x04, 0xab, 0xcd);// kind 30 (MPTCP), length 4: kept raw
    byte[] seg = concat(Arrays.copyOf(SYN, 20), opts);
    seg[12] = (byte) 0xb0;      // data offset 11
    TcpHeader h = TcpHeader.decode(seg, 0, seg.length);
    assertEquals(List.of(TcpOption.NOP, TcpOption.NOP,
        new TcpOption.Sack(List.of(new TcpOption.SackBlock(1000, 2000),
            new TcpOption.SackBlock(0xffffff00L, 0xffffffffL))),
        new TcpOption.Unknown(30, ByteString.copyFrom(bytes(0xab, 0xcd)))), h.parsedOptions());
    assertEquals(ByteString.copyFrom(opts), TcpOption.encode(h.parsedOptions()));
    assertEquals("[nop,nop,sack 2 {1000:2000} {4294967040:4294967295},unknown-30 0xabcd]", h.tcpdumpOptions());
  }

  @Test
  void builderPadsOptionsWithZeros() {
    TcpHeader h = TcpHeader.builder().sourcePort(1).destinationPort(2).flags(TcpHeader.SYN)
        .options(List.of(new TcpOption.MaximumSegmentSize(1460), new TcpOption.WindowScale(7)))
        .build(CURL_POD, WEBPOD);
    assertEquals(ByteString.copyFrom(bytes(0x02, 0x04, 0x05, 0xb4, 0x03, 0x03, 0x07, 0x00)), h.options());
    assertEquals(7, h.dataOffset());
    assertThrows(IllegalArgumentException.class, () -> TcpOption.encode(List.of(
        new TcpOption.Unknown(30, ByteString.copyFrom(new byte[38])), TcpOption.NOP)));
  }

  @Test
  void checksumCoversPayload() {
    byte[] payload = "GET / HTTP/1.1\r\nHost: webpod\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    TcpHeader h = TcpHeader.builder().sourcePort(36548).destinationPort(80).sequenceNumber(0x5a1c9e08L)
        .acknowledgmentNumber(0x11223344L).flags(TcpHeader.PSH | TcpHeader.ACK).window(502)
        .options(TcpHeader.linuxTimestampOptions(203041600L, 99L)).build(CURL_POD, WEBPOD, payload, 0, payload.length);
    byte[] seg = h.segment(payload, 0, payload.length);
    assertTrue(TcpHeader.checksumValid(CURL_POD, WEBPOD, seg, 0, seg.length));
    assertEquals(h.checksum(), TestChecksums.transport(CURL_POD, WEBPOD, IpProtocol.TCP,
        UdpHeaderTest.zeroed(seg, 16), 0, seg.length));
    assertEquals("[P.]", h.tcpdumpFlags());
    assertEquals("ACK, PSH", h.hubbleFlags());
    seg[seg.length - 1] ^= 1;
    assertFalse(TcpHeader.checksumValid(CURL_POD, WEBPOD, seg, 0, seg.length));
    assertFalse(TcpHeader.checksumValid(CURL_POD, WEBPOD, SYN, 0, 39)); // wrong segment length
  }

  @Test
  void flagTexts() {
    assertEquals("[S]", TcpHeader.tcpdumpFlags(TcpHeader.SYN));
    assertEquals("[S.]", TcpHeader.tcpdumpFlags(TcpHeader.SYN | TcpHeader.ACK));
    assertEquals("[P.]", TcpHeader.tcpdumpFlags(TcpHeader.PSH | TcpHeader.ACK));
    assertEquals("[F.]", TcpHeader.tcpdumpFlags(TcpHeader.FIN | TcpHeader.ACK));
    assertEquals("[R]", TcpHeader.tcpdumpFlags(TcpHeader.RST));
    assertEquals("[R.]", TcpHeader.tcpdumpFlags(TcpHeader.RST | TcpHeader.ACK));
    assertEquals("[.]", TcpHeader.tcpdumpFlags(TcpHeader.ACK));
    assertEquals("[none]", TcpHeader.tcpdumpFlags(0));
    assertEquals("[SEW]", TcpHeader.tcpdumpFlags(TcpHeader.SYN | TcpHeader.ECE | TcpHeader.CWR));
    assertEquals("SYN", TcpHeader.hubbleFlags(TcpHeader.SYN));
    assertEquals("SYN, ACK", TcpHeader.hubbleFlags(TcpHeader.SYN | TcpHeader.ACK));
    assertEquals("ACK, FIN", TcpHeader.hubbleFlags(TcpHeader.FIN | TcpHeader.ACK));
    assertEquals("ACK, RST", TcpHeader.hubbleFlags(TcpHeader.RST | TcpHeader.ACK));
    assertEquals("", TcpHeader.hubbleFlags(0));
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(TcpHeader::decode, SYN, 40);
    CodecAssertions.everyPrefixRejected(TcpHeader::decode, LOOPBACK_ACK, 32);
    PacketException e = assertThrows(PacketException.class, () -> TcpHeader.decode(SYN, 0, 30));
    assertEquals("TCP options at offset 20: expected 20 bytes, found 10 bytes", e.getMessage());
    e = assertThrows(PacketException.class, () -> TcpHeader.decode(SYN, 0, 19));
    assertEquals("TCP header at offset 0: expected 20 bytes, found 19 bytes", e.getMessage());
  }

  @Test
  void badDataOffsetRejected() {
    byte[] v = SYN.clone();
    v[12] = 0x40;
    byte[] big = concat(new byte[5], v);
    PacketException e = assertThrows(PacketException.class, () -> TcpHeader.decode(big, 5, v.length));
    assertEquals("TCP data offset at offset 17: expected >= 5, found 4", e.getMessage());
  }

  @Test
  void inconsistentOptionLengthsRejected() {
    assertOptionError(bytes(0x02, 0x05, 0x05, 0xb4), // MSS with length 5
        "TCP MSS option length at offset 21: expected 4, found 5");
    assertOptionError(bytes(0x03, 0x02, 0x07, 0x00), // window scale with length 2
        "TCP window scale option length at offset 21: expected 3, found 2");
    assertOptionError(bytes(0x04, 0x03, 0x00, 0x00), // SACK-permitted with length 3
        "TCP SACK-permitted option length at offset 21: expected 2, found 3");
    assertOptionError(concat(bytes(0x08, 0x0c), new byte[10]), // timestamps with length 12
        "TCP timestamps option length at offset 21: expected 10, found 12");
    assertOptionError(concat(bytes(0x05, 0x0c), new byte[10]), // SACK with length 12: not 2 + 8n
        "TCP SACK option length at offset 21: expected 10, 18, 26 or 34, found 12");
    assertOptionError(bytes(0x1e, 0x01, 0x00, 0x00), // length 1: shorter than kind + length
        "TCP option length at offset 21: expected >= 2, found 1");
    assertOptionError(bytes(0x1e, 0x00, 0x00, 0x00), // length 0: would loop forever
        "TCP option length at offset 21: expected >= 2, found 0");
    assertOptionError(bytes(0x01, 0x1e, 0x08, 0x00), // kind 30, length 8: past the options area
        "TCP option 30 at offset 21: expected 8 bytes, found 3 bytes");
    assertOptionError(bytes(0x01, 0x01, 0x02, 0x04), // a right MSS cut off by the data offset
        "TCP option 2 at offset 22: expected 4 bytes, found 2 bytes");
    assertOptionError(bytes(0x01, 0x01, 0x01, 0x02), // kind on the last byte, no length byte
        "TCP option length at offset 24: expected 1 byte, found 0 bytes");
  }

  private static void assertOptionError(byte[] options, String message) {
    byte[] seg = concat(Arrays.copyOf(SYN, 20), options);
    seg[12] = (byte) ((5 + options.length / 4) << 4);
    PacketException e = assertThrows(PacketException.class, () -> TcpHeader.decode(seg, 0, seg.length));
    assertEquals(message, e.getMessage());
  }

  @Test
  void constructorRejectsMisuse() {
    assertThrows(IllegalArgumentException.class,
        () -> new TcpHeader(1, 2, 1L << 32, 0, 0, 0, 0, 0, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class,
        () -> new TcpHeader(1, 2, 0, 0, 8, 0, 0, 0, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class,
        () -> new TcpHeader(1, 2, 0, 0, 0, 0x200, 0, 0, 0, ByteString.EMPTY));
    assertThrows(IllegalArgumentException.class,
        () -> new TcpHeader(1, 2, 0, 0, 0, 0, 0, 0, 0, ByteString.copyFrom(new byte[3])));
    assertThrows(IllegalArgumentException.class, () -> new TcpOption.Sack(List.of()));
  }
}
