package io.podnet.proto.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.TestFrames;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Sll2HeaderTest {
  /** The lab ping leaving a pod's interface 3, as tcpdump -i any records it. */
  static final byte[] OUTGOING = bytes(
      0x08, 0x00,             // protocol type: IPv4
      0x00, 0x00,             // reserved (MBZ)
      0x00, 0x00, 0x00, 0x03, // interface index 3
      0x00, 0x01,             // ARPHRD_ETHER
      0x04,                   // packet type: PACKET_OUTGOING
      0x06,                   // address length 6
      0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, // address: the frame's source MAC
      0x00, 0x00);            // address padding

  static byte[] bytes(int... v) {
    byte[] out = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (byte) v[i];
    }
    return out;
  }

  @Test
  void decodesFields() {
    Sll2Header h = Sll2Header.decode(OUTGOING, 0, OUTGOING.length);
    assertEquals(0x0800, h.protocolType());
    assertEquals(0, h.reserved());
    assertEquals(3, h.interfaceIndex());
    assertEquals(Sll2Header.ARPHRD_ETHER, h.arphrdType());
    assertEquals(Sll2Header.PACKET_OUTGOING, h.packetType());
    assertTrue(h.outgoing());
    assertEquals(6, h.addressLength());
    assertEquals(MacAddress.parse("1a:2b:3c:4d:5e:6f"), h.mac());
  }

  @Test
  void builtFromAnEthernetFrameWithItsSourceMac() {
    byte[] ping = TestFrames.labPing();
    Sll2Header h = Sll2Header.forEthernet(ping, 0, ping.length, 3, Sll2Header.PACKET_OUTGOING);
    byte[] out = new byte[20];
    assertEquals(20, h.encode(out, 0));
    assertArrayEquals(OUTGOING, out);
    // incoming: still the source MAC (eth_header_parse copies h_source)
    Sll2Header in = Sll2Header.forEthernet(ping, 0, ping.length, 7, Sll2Header.PACKET_HOST);
    assertEquals(MacAddress.parse("1a:2b:3c:4d:5e:6f"), in.mac());
    assertEquals(7, in.interfaceIndex());
  }

  @Test
  void roundTripsAndDecodesEmbedded() {
    byte[] odd = OUTGOING.clone();
    odd[2] = 0x12;          // reserved bits kept
    odd[4] = (byte) 0xff;   // a negative (signed) interface index
    odd[19] = 0x77;
    for (byte[] v : new byte[][] {OUTGOING, odd}) {
      Sll2Header h = Sll2Header.decode(v, 0, v.length);
      byte[] out = new byte[20];
      h.encode(out, 0);
      assertArrayEquals(v, out);
      byte[] big = new byte[40];
      Arrays.fill(big, (byte) 0xa5);
      System.arraycopy(v, 0, big, 7, 20);
      assertEquals(h, Sll2Header.decode(big, 7, 20));
    }
    assertTrue(Sll2Header.decode(odd, 0, 20).interfaceIndex() < 0);
  }

  @Test
  void everyTruncationRejected() {
    for (int n = 0; n < 20; n++) {
      final int len = n;
      PacketException e = assertThrows(PacketException.class,
          () -> Sll2Header.decode(Arrays.copyOf(OUTGOING, len), 0, len));
      assertEquals("SLL2 header at offset 0: expected 20 bytes, found " + n + " byte" + (n == 1 ? "" : "s"),
          e.getMessage());
    }
  }

  @Test
  void packetTypesAsLinuxAssignsThem() {
    MacAddress me = MacAddress.parse("08:00:27:af:e6:df");
    assertEquals(Sll2Header.PACKET_OUTGOING, Sll2Header.packetTypeOf(true, MacAddress.BROADCAST, me));
    assertEquals(Sll2Header.PACKET_BROADCAST, Sll2Header.packetTypeOf(false, MacAddress.BROADCAST, me));
    assertEquals(Sll2Header.PACKET_MULTICAST,
        Sll2Header.packetTypeOf(false, MacAddress.parse("01:00:5e:00:00:fb"), me));
    assertEquals(Sll2Header.PACKET_HOST, Sll2Header.packetTypeOf(false, me, me));
    assertEquals(Sll2Header.PACKET_OTHERHOST,
        Sll2Header.packetTypeOf(false, MacAddress.parse("08:00:27:04:d1:9c"), me));
  }

  @Test
  void misuseRejected() {
    byte[] ping = TestFrames.labPing();
    assertThrows(IllegalArgumentException.class, () -> Sll2Header.forEthernet(ping, 0, 13, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> Sll2Header.forEthernet(ping, 0, 98, 1, 5));
    assertThrows(IllegalArgumentException.class, () -> new Sll2Header(0x10000, 0, 1, 1, 0, 6, 0));
  }
}
