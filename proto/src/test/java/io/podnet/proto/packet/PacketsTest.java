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

/**
 * Whole frames checked against frames verified independently: the python-built ones were read
 * back by tshark with IPv4/ICMP/UDP/TCP checksum validation on (all "Good"); the loopback ones
 * were sent by a Linux kernel and captured with tshark.
 */
class PacketsTest {
  static final MacAddress NODE = MacAddress.parse("08:00:27:0f:bd:dd");
  static final MacAddress ROUTER = MacAddress.parse("08:00:27:04:1d:9c");
  static final Ipv4Address POD = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address WEBPOD = Ipv4Address.parse("172.20.2.54");
  static final Ipv4Address LO = Ipv4Address.parse("127.0.0.1");

  static final byte[] ETH = bytes(
      0x08, 0x00, 0x27, 0x04, 0x1d, 0x9c, // destination
      0x08, 0x00, 0x27, 0x0f, 0xbd, 0xdd, // source
      0x08, 0x00);                        // IPv4

  static final byte[] LO_ETH = bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00);

  @Test
  void pingRequestAsIputilsSendsIt() {
    byte[] f = Packets.icmpEcho(NODE, ROUTER, POD, WEBPOD, true, 19, 1, Packets.linuxPingData(1700000000L, 250000L),
        64, 0x3d1e);
    assertEquals(14 + 84, f.length);
    assertArrayEquals(concat(ETH, Ipv4HeaderTest.HEADER, IcmpMessageTest.ECHO_REQUEST), f);
    Ipv4Header ip = Ipv4Header.decode(f, 14, f.length - 14);
    assertTrue(ip.dontFragment());
    assertTrue(ip.checksumValid());
    assertTrue(Checksum.verify(f, 34, 64));
    assertEquals(0, TestChecksums.internet(f, 34, 64));
    assertEquals(0, TestChecksums.internet(f, 14, 20));
  }

  @Test
  void echoReplyMatchesLinuxKernelCapture() {
    byte[] data = Arrays.copyOfRange(IcmpMessageTest.KERNEL_ECHO_REPLY, 8, 64);
    assertArrayEquals(Packets.linuxPingData(1700000000L, 123456L), data);
    byte[] f = Packets.icmpEcho(MacAddress.ZERO, MacAddress.ZERO, LO, LO, false, 0x1234, 1, data, 64, 0x945b);
    assertArrayEquals(concat(LO_ETH, bytes(
        0x45, 0x00,             // IPv4, IHL 5, TOS 0
        0x00, 0x54,             // total length 84
        0x94, 0x5b,             // identification
        0x00, 0x00,             // flags none: the kernel's ICMP socket does not set DF
        0x40, 0x01,             // TTL 64, ICMP
        0xe8, 0x4b,             // header checksum
        0x7f, 0x00, 0x00, 0x01, // source 127.0.0.1
        0x7f, 0x00, 0x00, 0x01),// destination 127.0.0.1
        IcmpMessageTest.KERNEL_ECHO_REPLY), f);
  }

  @Test
  void portUnreachableMatchesLinuxKernelCapture() {
    byte[] udp = IcmpMessageTest.offendingUdp();
    IcmpMessage err = IcmpMessage.destinationUnreachable(IcmpMessage.CODE_PORT_UNREACHABLE, udp, 0, udp.length);
    byte[] f = Packets.icmpError(MacAddress.ZERO, MacAddress.ZERO, LO, err, 64, 0x9459);
    assertEquals(590, f.length); // as captured: 14 + 576
    assertArrayEquals(concat(LO_ETH, bytes(
        0x45, 0xc0,             // IPv4, IHL 5, TOS 0xc0 (internetwork control)
        0x02, 0x40,             // total length 576
        0x94, 0x59,             // identification
        0x00, 0x00,             // flags none
        0x40, 0x01,             // TTL 64, ICMP
        0xe5, 0xa1,             // header checksum
        0x7f, 0x00, 0x00, 0x01, // source 127.0.0.1
        0x7f, 0x00, 0x00, 0x01),// destination: the offending datagram's source
        bytes(0x03, 0x03, 0xae, 0x14, 0, 0, 0, 0), // port unreachable, checksum, unused
        Arrays.copyOf(udp, 548)), f);
  }

  @Test
  void icmpErrorKeepsTosBitsAsLinux() {
    byte[] udp = IcmpMessageTest.offendingUdp();
    udp[1] = (byte) 0xb9; // DSCP 46 (EF) + ECN 01: only bits 0x1e survive
    Bytes.put16(udp, 10, 0);
    Bytes.put16(udp, 10, Checksum.compute(udp, 0, 20));
    IcmpMessage err = IcmpMessage.timeExceeded(0, udp, 0, udp.length);
    byte[] f = Packets.icmpError(ROUTER, NODE, POD, err, 64, 1);
    assertEquals((0xb9 & 0x1e) | 0xc0, f[15] & 0xff);
    Ipv4Header ip = Ipv4Header.decode(f, 14, f.length - 14);
    assertFalse(ip.dontFragment());
    assertEquals(POD, ip.source());
    assertEquals(LO, ip.destination());
    assertTrue(ip.checksumValid());
  }

  @Test
  void udpFrameMatchesVerifiedVector() {
    byte[] payload = Arrays.copyOfRange(UdpHeaderTest.DATAGRAM, 8, 32);
    byte[] f = Packets.udp(NODE, ROUTER, POD, Ipv4Address.parse("10.96.0.10"), 41234, 53, payload, 64, 0x51f3);
    assertArrayEquals(concat(ETH, bytes(
        0x45, 0x00, 0x00, 0x34, // IPv4, TOS 0, total length 52
        0x51, 0xf3, 0x40, 0x00, // identification, DF
        0x40, 0x11, 0x31, 0xa5, // TTL 64, UDP, header checksum
        0xac, 0x14, 0x00, 0xa3, // 172.20.0.163
        0x0a, 0x60, 0x00, 0x0a),// 10.96.0.10
        UdpHeaderTest.DATAGRAM), f);
  }

  @Test
  void tcpSynFrameMatchesVerifiedVector() {
    TcpHeader.Builder syn = TcpHeader.builder().sourcePort(36548).destinationPort(80).sequenceNumber(0x5a1c9e07L)
        .flags(TcpHeader.SYN).window(64240).options(TcpHeader.linuxSynOptions(1460, 203041596L, 0, 7));
    byte[] f = Packets.tcp(NODE, ROUTER, POD, WEBPOD, syn, new byte[0], 64, 0x8a2e);
    assertEquals(74, f.length);
    assertArrayEquals(concat(ETH, bytes(
        0x45, 0x00, 0x00, 0x3c, // IPv4, TOS 0, total length 60
        0x8a, 0x2e, 0x40, 0x00, // identification, DF
        0x40, 0x06, 0x55, 0x8c, // TTL 64, TCP, header checksum
        0xac, 0x14, 0x00, 0xa3, // 172.20.0.163
        0xac, 0x14, 0x02, 0x36),// 172.20.2.54
        TcpHeaderTest.SYN), f);
  }

  @Test
  void tcpWithPayloadHasConsistentLengths() {
    byte[] payload = "GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    TcpHeader.Builder seg = TcpHeader.builder().sourcePort(36548).destinationPort(80).sequenceNumber(1)
        .acknowledgmentNumber(2).flags(TcpHeader.PSH | TcpHeader.ACK).window(502)
        .options(TcpHeader.linuxTimestampOptions(5, 6));
    byte[] f = Packets.tcp(NODE, ROUTER, POD, WEBPOD, seg, payload, 64, 7);
    Ipv4Header ip = Ipv4Header.decode(f, 14, f.length - 14);
    assertEquals(20 + 32 + payload.length, ip.totalLength());
    assertEquals(14 + ip.totalLength(), f.length);
    TcpHeader h = TcpHeader.decode(f, 34, ip.payloadLength());
    assertEquals(32, h.length());
    assertTrue(TcpHeader.checksumValid(POD, WEBPOD, f, 34, ip.payloadLength()));
    assertEquals(0, TestChecksums.transport(POD, WEBPOD, IpProtocol.TCP, f, 34, ip.payloadLength()));
    assertArrayEquals(payload, Arrays.copyOfRange(f, 34 + 32, f.length));
  }

  @Test
  void arpFrame() {
    ArpPacket p = ArpPacket.request(NODE, POD, WEBPOD);
    assertArrayEquals(p.toFrame(), Packets.arp(p));
    assertEquals(60, Packets.arp(p).length);
  }

  @Test
  void ipv4FrameRejectsLengthMismatch() {
    Ipv4Header ip = Ipv4Header.builder().payloadLength(10).build();
    assertThrows(IllegalArgumentException.class,
        () -> Packets.ipv4Frame(NODE, ROUTER, ip, new byte[9], 0, 9));
  }
}
