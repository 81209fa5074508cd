package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FragmenterTest {
  static final Ipv4Address SRC = Ipv4Address.parse("192.168.10.100");
  static final Ipv4Address DST = Ipv4Address.parse("192.168.20.100");

  static byte[] datagram(ByteString options, int payload, int flags, int offsetUnits) {
    Ipv4Header h = Ipv4Header.builder().source(SRC).destination(DST).protocol(IpProtocol.UDP).identification(0xbeef)
        .ttl(63).options(options).flags(flags).fragmentOffset(offsetUnits).payloadLength(payload).build();
    byte[] d = new byte[h.totalLength()];
    h.encode(d, 0);
    for (int i = h.length(); i < d.length; i++) {
      d[i] = (byte) (i * 7);
    }
    return d;
  }

  @Test
  void optionsWithoutTheCopiedFlagBecomeNopsAfterTheFirstFragment() {
    ByteString opts = ByteString.copyFrom(new byte[] {
        0x07, 0x07, 0x04, 0, 0, 0, 0, // record route (copied flag clear), length 7, pointer 4, one slot
        (byte) 0x94, 0x04, 0, 0,      // router alert (copied flag set), length 4, value 0
        0x00                          // end of list
    });
    byte[] d = datagram(opts, 100, 0, 0);
    List<byte[]> frags = Fragmenter.fragment(d, 32 + 48);
    assertEquals(3, frags.size());
    Ipv4Header first = Ipv4Header.decode(frags.get(0), 0, frags.get(0).length);
    Ipv4Header second = Ipv4Header.decode(frags.get(1), 0, frags.get(1).length);
    assertEquals(opts, first.options());
    assertEquals(ByteString.copyFrom(new byte[] {1, 1, 1, 1, 1, 1, 1, (byte) 0x94, 0x04, 0, 0, 0}), second.options());
    assertEquals(32, second.length(), "same header length on every fragment");
    assertEquals(List.of(48, 48, 4), frags.stream().map(f -> f.length - 32).toList());
  }

  @Test
  void fragmentsOfAFragmentKeepOffsetsAndTheLastMf() {
    byte[] d = datagram(ByteString.EMPTY, 200, Ipv4Header.FLAG_MF, 10);
    List<byte[]> frags = Fragmenter.fragment(d, 20 + 80);
    assertEquals(3, frags.size());
    int units = 10;
    for (byte[] f : frags) {
      Ipv4Header h = Ipv4Header.decode(f, 0, f.length);
      assertTrue(h.checksumValid());
      assertTrue(h.moreFragments(), "the original was not the last fragment either");
      assertFalse(h.dontFragment());
      assertEquals(units, h.fragmentOffset());
      assertEquals(0xbeef, h.identification());
      assertEquals(63, h.ttl());
      units += h.payloadLength() / 8;
    }
    byte[] joined = new byte[200];
    int at = 0;
    for (byte[] f : frags) {
      System.arraycopy(f, 20, joined, at, f.length - 20);
      at += f.length - 20;
    }
    byte[] expected = new byte[200];
    System.arraycopy(d, 20, expected, 0, 200);
    assertArrayEquals(expected, joined);
  }

  @Test
  void ttlDecrementKeepsTheChecksumRightForEveryTtl() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int ttl = 2; ttl <= 255; ttl++) {
      for (int k = 0; k < 50; k++) {
        Ipv4Header h = Ipv4Header.builder().source(new Ipv4Address(rnd.nextInt()))
            .destination(new Ipv4Address(rnd.nextInt())).identification(rnd.nextInt(0x10000)).ttl(ttl)
            .protocol(rnd.nextInt(256)).dscp(rnd.nextInt(64)).payloadLength(rnd.nextInt(1000)).build();
        byte[] b = new byte[20];
        h.encode(b, 0);
        HostCore.decreaseTtl(b);
        Ipv4Header after = Ipv4Header.decodeHeaderOnly(b, 0, 20);
        assertEquals(ttl - 1, after.ttl());
        assertTrue(after.checksumValid(), "ttl " + ttl + " " + h);
      }
    }
  }

  @Test
  void tooSmallAnMtuGivesNoFragments() {
    assertTrue(Fragmenter.fragment(datagram(ByteString.EMPTY, 100, 0, 0), 27).isEmpty());
  }
}
