package io.podnet.netstack.tools.tcpdump;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A minimal classic-pcap writer for the interop test (little-endian, microsecond timestamps),
 * Ethernet (linktype 1) or Linux cooked v2 (linktype 276). Replace with io.podnet.proto.pcap once
 * it is on main.
 */
final class MiniPcap {
  static final int LINKTYPE_ETHERNET = 1;
  static final int LINKTYPE_LINUX_SLL2 = 276;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  MiniPcap(int linkType) {
    le32(0xa1b2c3d4);
    le16(2);
    le16(4);
    le32(0);
    le32(0);
    le32(262144);
    le32(linkType);
  }

  void add(long micros, byte[] data) {
    le32((int) (micros / 1_000_000));
    le32((int) (micros % 1_000_000));
    le32(data.length);
    le32(data.length);
    out.write(data, 0, data.length);
  }

  /** A Linux cooked v2 header (20 bytes) followed by {@code frame}'s payload after its Ethernet header. */
  static byte[] sll2(int ifIndex, int packetType, byte[] frame) {
    byte[] r = new byte[20 + frame.length - 14];
    r[0] = frame[12];                       // protocol type (the EtherType)
    r[1] = frame[13];
    // 2-3 reserved
    r[4] = (byte) (ifIndex >>> 24);          // interface index
    r[5] = (byte) (ifIndex >>> 16);
    r[6] = (byte) (ifIndex >>> 8);
    r[7] = (byte) ifIndex;
    r[8] = 0;                                // ARPHRD_ETHER = 1
    r[9] = 1;
    r[10] = (byte) packetType;               // PACKET_HOST, _BROADCAST, ... _OUTGOING
    r[11] = 6;                               // link-layer address length
    System.arraycopy(frame, 6, r, 12, 6);    // the source MAC, then 2 bytes of padding
    System.arraycopy(frame, 14, r, 20, frame.length - 14);
    return r;
  }

  void write(Path file) throws IOException {
    Files.write(file, out.toByteArray());
  }

  private void le16(int v) {
    out.write(v);
    out.write(v >>> 8);
  }

  private void le32(int v) {
    le16(v & 0xffff);
    le16(v >>> 16);
  }
}
