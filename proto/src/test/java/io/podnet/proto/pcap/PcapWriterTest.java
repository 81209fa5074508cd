package io.podnet.proto.pcap;

import static io.podnet.proto.pcap.Sll2HeaderTest.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.TestFrames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PcapWriterTest {
  static final byte[] FILE_HEADER_ETHERNET = bytes(
      0xd4, 0xc3, 0xb2, 0xa1, // magic 0xa1b2c3d4, little-endian: microseconds
      0x02, 0x00,             // version major 2
      0x04, 0x00,             // version minor 4
      0x00, 0x00, 0x00, 0x00, // thiszone 0
      0x00, 0x00, 0x00, 0x00, // sigfigs 0
      0x00, 0x00, 0x04, 0x00, // snaplen 262144
      0x01, 0x00, 0x00, 0x00); // network: LINKTYPE_ETHERNET

  /** 86371.251108 s on the lab clock (23:59:31.251108 on day 0). */
  static final long TS = 86_371_251_108L;

  static final byte[] RECORD_HEADER_98 = bytes(
      0x63, 0x51, 0x01, 0x00, // ts_sec 86371
      0xe4, 0xd4, 0x03, 0x00, // ts_usec 251108
      0x62, 0x00, 0x00, 0x00, // incl_len 98
      0x62, 0x00, 0x00, 0x00); // orig_len 98

  static final byte[] RECORD_HEADER_SLL2 = bytes(
      0x63, 0x51, 0x01, 0x00, // ts_sec 86371
      0xe4, 0xd4, 0x03, 0x00, // ts_usec 251108
      0x68, 0x00, 0x00, 0x00, // incl_len 104 = 20 + 98 - 14
      0x68, 0x00, 0x00, 0x00); // orig_len 104

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      o.writeBytes(p);
    }
    return o.toByteArray();
  }

  @Test
  void ethernetCaptureIsByteExact() throws IOException {
    byte[] ping = TestFrames.labPing();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PcapWriter w = PcapWriter.ethernet(out)) {
      assertArrayEquals(FILE_HEADER_ETHERNET, out.toByteArray());
      w.writeEthernet(TS, ping);
    }
    assertArrayEquals(concat(FILE_HEADER_ETHERNET, RECORD_HEADER_98, ping), out.toByteArray());
  }

  @Test
  void sll2CaptureIsByteExact() throws IOException {
    byte[] ping = TestFrames.labPing();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PcapWriter w = PcapWriter.linuxSll2(out)) {
      w.writeSll2(TS, 3, Sll2Header.PACKET_OUTGOING, ping);
    }
    byte[] fileHeader = FILE_HEADER_ETHERNET.clone();
    fileHeader[20] = 0x14; // network 276 = 0x0114: LINKTYPE_LINUX_SLL2
    fileHeader[21] = 0x01;
    assertArrayEquals(concat(fileHeader, RECORD_HEADER_SLL2, Sll2HeaderTest.OUTGOING,
        Arrays.copyOfRange(ping, 14, 98)), out.toByteArray());
  }

  @Test
  void readsBackBothLinkTypes() throws IOException {
    byte[] ping = TestFrames.labPing();
    ByteArrayOutputStream eth = new ByteArrayOutputStream();
    try (PcapWriter w = PcapWriter.ethernet(eth)) {
      w.writeEthernet(TS, ping);
      w.writeEthernet(TS + 1_000_000, ping, 0, 60);
    }
    PcapReader r = new PcapReader(new ByteArrayInputStream(eth.toByteArray()));
    assertEquals(PcapWriter.LINKTYPE_ETHERNET, r.linkType());
    assertEquals(262144, r.snaplen());
    assertEquals(2, r.versionMajor());
    assertEquals(4, r.versionMinor());
    assertFalse(r.bigEndian());
    PcapReader.Record a = r.next();
    assertEquals(TS, a.timestampMicros());
    assertEquals(98, a.originalLength());
    assertArrayEquals(ping, a.data());
    PcapReader.Record b = r.next();
    assertEquals(TS + 1_000_000, b.timestampMicros());
    assertEquals(60, b.data().length);
    assertNull(r.next());

    ByteArrayOutputStream any = new ByteArrayOutputStream();
    try (PcapWriter w = PcapWriter.linuxSll2(any)) {
      w.writeSll2(TS, 3, Sll2Header.PACKET_OUTGOING, ping);
      w.writeSll2(TS + 17, 2, Sll2Header.PACKET_HOST, ping);
    }
    r = new PcapReader(new ByteArrayInputStream(any.toByteArray()));
    assertEquals(PcapWriter.LINKTYPE_LINUX_SLL2, r.linkType());
    PcapReader.Record out = r.next();
    assertEquals(Sll2Header.decode(Sll2HeaderTest.OUTGOING, 0, 20), out.sll2());
    assertArrayEquals(Arrays.copyOfRange(ping, 14, 98), Arrays.copyOfRange(out.data(), 20, out.data().length));
    PcapReader.Record in = r.next();
    assertEquals(TS + 17, in.timestampMicros());
    assertEquals(Sll2Header.PACKET_HOST, in.sll2().packetType());
    assertEquals(2, in.sll2().interfaceIndex());
    assertNull(r.next());
  }

  @Test
  void snaplenCutsRecords() throws IOException {
    byte[] ping = TestFrames.labPing();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PcapWriter w = new PcapWriter(out, PcapWriter.LINKTYPE_ETHERNET, 64)) {
      w.writeEthernet(TS, ping);
    }
    byte[] f = out.toByteArray();
    assertEquals(24 + 16 + 64, f.length);
    PcapReader r = new PcapReader(new ByteArrayInputStream(f));
    assertEquals(64, r.snaplen());
    PcapReader.Record rec = r.next();
    assertEquals(98, rec.originalLength());
    assertTrue(rec.truncated());
    assertArrayEquals(Arrays.copyOf(ping, 64), rec.data());

    ByteArrayOutputStream tiny = new ByteArrayOutputStream();
    try (PcapWriter w = new PcapWriter(tiny, PcapWriter.LINKTYPE_LINUX_SLL2, 10)) {
      w.writeSll2(TS, 3, Sll2Header.PACKET_OUTGOING, ping);
    }
    rec = new PcapReader(new ByteArrayInputStream(tiny.toByteArray())).next();
    assertEquals(104, rec.originalLength());
    assertArrayEquals(Arrays.copyOf(Sll2HeaderTest.OUTGOING, 10), rec.data());
  }

  @Test
  void readsBigEndianAndNanosecondFiles() throws IOException {
    byte[] file = bytes(
        0xa1, 0xb2, 0x3c, 0x4d, // magic, big-endian, nanoseconds
        0x00, 0x02, 0x00, 0x04, // version 2.4
        0x00, 0x00, 0x00, 0x00, // thiszone
        0x00, 0x00, 0x00, 0x00, // sigfigs
        0x00, 0x00, 0xff, 0xff, // snaplen 65535
        0x00, 0x00, 0x00, 0x01, // Ethernet
        0x00, 0x00, 0x00, 0x02, // ts_sec 2
        0x00, 0x00, 0x03, 0xe9, // ts_nsec 1001
        0x00, 0x00, 0x00, 0x03, // incl_len 3
        0x00, 0x00, 0x00, 0x05, // orig_len 5
        0xaa, 0xbb, 0xcc);      // data
    PcapReader r = new PcapReader(new ByteArrayInputStream(file));
    assertTrue(r.bigEndian());
    assertEquals(65535, r.snaplen());
    assertEquals(1, r.linkType());
    PcapReader.Record rec = r.next();
    assertEquals(2_000_001, rec.timestampMicros());
    assertEquals(5, rec.originalLength());
    assertArrayEquals(bytes(0xaa, 0xbb, 0xcc), rec.data());
    assertNull(r.next());
  }

  @Test
  void malformedFilesRejectedWithOffsets() throws IOException {
    PacketException e = assertThrows(PacketException.class, () -> new PcapReader(new ByteArrayInputStream(new byte[10])));
    assertEquals("pcap file header at offset 0: expected 24 bytes, found 10 bytes", e.getMessage());

    byte[] bad = FILE_HEADER_ETHERNET.clone();
    bad[0] = 0x00;
    e = assertThrows(PacketException.class, () -> new PcapReader(new ByteArrayInputStream(bad)));
    assertEquals("pcap magic at offset 0: expected 0xa1b2c3d4 or 0xa1b23c4d in either byte order, found 0x00c3b2a1",
        e.getMessage());

    byte[] v1 = FILE_HEADER_ETHERNET.clone();
    v1[4] = 1;
    e = assertThrows(PacketException.class, () -> new PcapReader(new ByteArrayInputStream(v1)));
    assertEquals("pcap major version at offset 4: expected 2, found 1", e.getMessage());

    byte[] ping = TestFrames.labPing();
    byte[] whole = concat(FILE_HEADER_ETHERNET, RECORD_HEADER_98, ping);
    PcapReader cutHeader = new PcapReader(new ByteArrayInputStream(Arrays.copyOf(whole, 24 + 9)));
    e = assertThrows(PacketException.class, cutHeader::next);
    assertEquals("pcap record header at offset 24: expected 16 bytes, found 9 bytes", e.getMessage());

    PcapReader cutData = new PcapReader(new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 1)));
    e = assertThrows(PacketException.class, cutData::next);
    assertEquals("pcap record data at offset 40: expected 98 bytes, found 97 bytes", e.getMessage());

    byte[] huge = whole.clone();
    huge[24 + 11] = (byte) 0x80; // incl_len 0x80000062
    e = assertThrows(PacketException.class, () -> new PcapReader(new ByteArrayInputStream(huge)).next());
    assertEquals("pcap record length at offset 32: expected 0 to 67108864, found 2147483746", e.getMessage());
  }

  @Test
  void misuseRejected() throws IOException {
    byte[] ping = TestFrames.labPing();
    PcapWriter eth = PcapWriter.ethernet(new ByteArrayOutputStream());
    assertThrows(IllegalStateException.class, () -> eth.writeSll2(TS, 1, 0, ping));
    assertThrows(IllegalArgumentException.class, () -> eth.writeEthernet(-1, ping));
    assertThrows(IllegalArgumentException.class, () -> eth.writeEthernet(0x1_0000_0000L * 1_000_000, ping));
    PcapWriter any = PcapWriter.linuxSll2(new ByteArrayOutputStream());
    assertThrows(IllegalStateException.class, () -> any.writeEthernet(TS, ping));
    assertThrows(IllegalArgumentException.class, () -> any.writeSll2(TS, 1, 9, ping));
    assertThrows(IllegalArgumentException.class, () -> new PcapWriter(new ByteArrayOutputStream(), 113));
  }
}
