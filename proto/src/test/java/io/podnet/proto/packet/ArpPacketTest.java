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

class ArpPacketTest {
  static final MacAddress ROUTER_MAC = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress NODE_MAC = MacAddress.parse("08:00:27:04:d1:9c");
  static final Ipv4Address ROUTER_IP = Ipv4Address.parse("192.168.10.200");
  static final Ipv4Address LB_IP = Ipv4Address.parse("192.168.10.211");

  /** The router asks for the LoadBalancer IP, as the kernel sends it (target MAC zero). */
  static final byte[] REQUEST = bytes(
      0x00, 0x01,                         // hardware type: Ethernet
      0x08, 0x00,                         // protocol type: IPv4
      0x06,                               // hardware address length 6
      0x04,                               // protocol address length 4
      0x00, 0x01,                         // operation: request
      0x08, 0x00, 0x27, 0xaf, 0xe6, 0xdf, // sender MAC 08:00:27:af:e6:df
      0xc0, 0xa8, 0x0a, 0xc8,             // sender IP 192.168.10.200
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC: unknown
      0xc0, 0xa8, 0x0a, 0xd3);            // target IP 192.168.10.211

  /** The node answering for the LoadBalancer IP with its own MAC. */
  static final byte[] REPLY = bytes(
      0x00, 0x01,                         // hardware type: Ethernet
      0x08, 0x00,                         // protocol type: IPv4
      0x06,                               // hardware address length 6
      0x04,                               // protocol address length 4
      0x00, 0x02,                         // operation: reply
      0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c, // sender MAC 08:00:27:04:d1:9c
      0xc0, 0xa8, 0x0a, 0xd3,             // sender IP 192.168.10.211
      0x08, 0x00, 0x27, 0xaf, 0xe6, 0xdf, // target MAC: the asker
      0xc0, 0xa8, 0x0a, 0xc8);            // target IP 192.168.10.200

  @Test
  void decodesRequest() {
    ArpPacket p = ArpPacket.decode(REQUEST, 0, REQUEST.length);
    assertEquals(ArpPacket.OP_REQUEST, p.operation());
    assertTrue(p.isRequest());
    assertEquals(ROUTER_MAC, p.senderMac());
    assertEquals(ROUTER_IP, p.senderIp());
    assertEquals(MacAddress.ZERO, p.targetMac());
    assertEquals(LB_IP, p.targetIp());
    assertFalse(p.isGratuitous());
    assertFalse(p.isProbe());
    assertEquals(ArpPacket.request(ROUTER_MAC, ROUTER_IP, LB_IP), p);
    assertEquals("ARP, Request who-has 192.168.10.211 tell 192.168.10.200, length 28", p.toString());
  }

  @Test
  void decodesReplyAndAnswerMatches() {
    ArpPacket p = ArpPacket.decode(REPLY, 0, REPLY.length);
    assertTrue(p.isReply());
    assertEquals(NODE_MAC, p.senderMac());
    assertEquals(LB_IP, p.senderIp());
    assertEquals(ROUTER_MAC, p.targetMac());
    assertEquals(ROUTER_IP, p.targetIp());
    assertEquals(ArpPacket.request(ROUTER_MAC, ROUTER_IP, LB_IP).answer(NODE_MAC), p);
    assertEquals("ARP, Reply 192.168.10.211 is-at 08:00:27:04:d1:9c, length 28", p.toString());
    assertThrows(IllegalStateException.class, () -> p.answer(NODE_MAC));
  }

  @Test
  void roundTripsByteExact() {
    for (byte[] v : new byte[][] {REQUEST, REPLY}) {
      ArpPacket p = ArpPacket.decode(v, 0, v.length);
      byte[] out = new byte[28];
      assertEquals(28, p.encode(out, 0));
      assertArrayEquals(v, out);
      assertArrayEquals(v, p.toBytes());
      assertEquals(p, CodecAssertions.decodeEmbedded(ArpPacket::decode, v));
    }
  }

  @Test
  void everyTruncationRejected() {
    CodecAssertions.everyPrefixRejected(ArpPacket::decode, REQUEST, 28);
    PacketException e = assertThrows(PacketException.class, () -> ArpPacket.decode(REQUEST, 0, 27));
    assertEquals("ARP packet at offset 0: expected 28 bytes, found 27 bytes", e.getMessage());
  }

  @Test
  void ethernetPaddingAfterPacketIgnored() {
    byte[] padded = concat(REPLY, new byte[18]);
    assertEquals(ArpPacket.decode(REPLY, 0, 28), ArpPacket.decode(padded, 0, padded.length));
  }

  @Test
  void unknownOperationRejected() {
    for (int op : new int[] {0, 3, 4, 8, 9, 0xffff}) {
      byte[] v = REQUEST.clone();
      Bytes.put16(v, 6, op);
      PacketException e = assertThrows(PacketException.class, () -> ArpPacket.decode(v, 0, v.length));
      assertEquals("ARP operation at offset 6: expected 1 (request) or 2 (reply), found " + op, e.getMessage());
      assertEquals("ARP operation", e.reason());
    }
  }

  @Test
  void nonEthernetIpv4Rejected() {
    byte[] v1 = REQUEST.clone();
    v1[1] = 6; // IEEE 802
    assertEquals("ARP hardware type at offset 0: expected 1 (Ethernet), found 6",
        assertThrows(PacketException.class, () -> ArpPacket.decode(v1, 0, 28)).getMessage());
    byte[] v2 = REQUEST.clone();
    Bytes.put16(v2, 2, 0x86dd);
    assertEquals("ARP protocol type at offset 2: expected 0x0800 (IPv4), found 0x86dd",
        assertThrows(PacketException.class, () -> ArpPacket.decode(v2, 0, 28)).getMessage());
    byte[] v3 = REQUEST.clone();
    v3[4] = 8;
    assertEquals("ARP hardware address length at offset 4: expected 6, found 8",
        assertThrows(PacketException.class, () -> ArpPacket.decode(v3, 0, 28)).getMessage());
    byte[] v4 = REQUEST.clone();
    v4[5] = 16;
    assertEquals("ARP protocol address length at offset 5: expected 4, found 16",
        assertThrows(PacketException.class, () -> ArpPacket.decode(v4, 0, 28)).getMessage());
    // Offsets are from the start of the buffer handed to the decoder.
    byte[] big = concat(new byte[10], v4);
    assertEquals(15, assertThrows(PacketException.class, () -> ArpPacket.decode(big, 10, 28)).offset());
  }

  @Test
  void constructorRejectsMisuse() {
    assertThrows(IllegalArgumentException.class, () -> new ArpPacket(3, ROUTER_MAC, ROUTER_IP, NODE_MAC, LB_IP));
    assertThrows(IllegalArgumentException.class, () -> new ArpPacket(1, null, ROUTER_IP, NODE_MAC, LB_IP));
  }

  @Test
  void gratuitousRequestAsTheKernelSendsIt() {
    ArpPacket g = ArpPacket.gratuitousRequest(NODE_MAC, LB_IP);
    assertTrue(g.isGratuitous());
    assertTrue(g.isRequest());
    assertEquals(MacAddress.ZERO, g.targetMac());
    assertEquals(LB_IP, g.senderIp());
    assertEquals(LB_IP, g.targetIp());
    byte[] f = g.toFrame();
    assertEquals(60, f.length);
    assertArrayEquals(concat(
        bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   // destination: broadcast
              0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c,   // source: the announcer
              0x08, 0x06),                          // EtherType ARP
        bytes(0x00, 0x01, 0x08, 0x00, 0x06, 0x04,   // Ethernet / IPv4
              0x00, 0x01,                           // request
              0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c,   // sender MAC
              0xc0, 0xa8, 0x0a, 0xd3,               // sender IP 192.168.10.211
              0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   // target MAC zero
              0xc0, 0xa8, 0x0a, 0xd3),              // target IP = sender IP
        new byte[18]),                              // padding to 60
        f);
  }

  @Test
  void gratuitousReplyAsArpingMinusA() {
    ArpPacket g = ArpPacket.gratuitousReply(NODE_MAC, LB_IP);
    assertTrue(g.isGratuitous());
    assertTrue(g.isReply());
    assertEquals(NODE_MAC, g.targetMac());
    assertEquals(MacAddress.BROADCAST, g.ethernetDestination());
    byte[] f = g.toFrame();
    assertEquals(60, f.length);
    assertEquals(MacAddress.BROADCAST, MacAddress.read(f, 0));
    assertEquals(g, ArpPacket.decode(f, 14, f.length - 14));
    assertEquals(ArpPacket.OP_REPLY, Bytes.u16(f, 14 + 6));
  }

  @Test
  void probeIsNotGratuitous() {
    ArpPacket probe = ArpPacket.request(NODE_MAC, Ipv4Address.ANY, LB_IP);
    assertTrue(probe.isProbe());
    assertFalse(probe.isGratuitous());
    assertFalse(ArpPacket.request(NODE_MAC, Ipv4Address.ANY, Ipv4Address.ANY).isGratuitous());
  }

  @Test
  void framesGoBroadcastForRequestsUnicastForReplies() {
    ArpPacket req = ArpPacket.decode(REQUEST, 0, 28);
    byte[] f = req.toFrame();
    assertEquals(60, f.length);
    EthernetHeader eth = EthernetHeader.decode(f, 0, f.length);
    assertEquals(MacAddress.BROADCAST, eth.destination());
    assertEquals(ROUTER_MAC, eth.source());
    assertEquals(EtherType.ARP, eth.etherType());
    assertArrayEquals(REQUEST, Arrays.copyOfRange(f, 14, 42));
    for (int i = 42; i < 60; i++) {
      assertEquals(0, f[i], "padding byte " + i);
    }

    ArpPacket rep = ArpPacket.decode(REPLY, 0, 28);
    byte[] g = rep.toFrame();
    assertEquals(60, g.length);
    assertEquals(ROUTER_MAC, MacAddress.read(g, 0));
    assertEquals(NODE_MAC, MacAddress.read(g, 6));
    assertArrayEquals(REPLY, Arrays.copyOfRange(g, 14, 42));

    byte[] unicastProbe = req.toFrame(NODE_MAC);
    assertEquals(NODE_MAC, MacAddress.read(unicastProbe, 0));
  }
}
