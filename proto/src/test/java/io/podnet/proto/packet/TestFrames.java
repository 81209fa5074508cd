package io.podnet.proto.packet;

/**
 * Inner frames for tunnel and pcap tests, built by hand from EthernetHeader, Ipv4Header and raw
 * ICMP bytes (ICMP has its own codec elsewhere; these tests must not depend on it).
 */
public final class TestFrames {
  private TestFrames() {}

  public static final int ICMP_ECHO_REQUEST = 8;
  public static final int ICMP_ECHO_REPLY = 0;

  /**
   * An Ethernet + IPv4 + ICMP echo frame as Linux ping sends it: DF set, TTL 64, 56 bytes of data
   * (0x00, 0x01, ... 0x37), ICMP checksum computed with {@link Checksum}. 98 bytes.
   */
  public static byte[] icmpEcho(MacAddress src, MacAddress dst, Ipv4Address srcIp, Ipv4Address dstIp, int type,
      int ipId, int echoId, int echoSeq) {
    byte[] icmp = new byte[8 + 56];
    icmp[0] = (byte) type;      // type
    icmp[1] = 0;                // code
    Bytes.put16(icmp, 4, echoId);
    Bytes.put16(icmp, 6, echoSeq);
    for (int i = 0; i < 56; i++) {
      icmp[8 + i] = (byte) i;
    }
    Bytes.put16(icmp, 2, Checksum.compute(icmp, 0, icmp.length));
    Ipv4Header ip = Ipv4Header.builder().identification(ipId).dontFragment(true).ttl(64).protocol(IpProtocol.ICMP)
        .source(srcIp).destination(dstIp).payloadLength(icmp.length).build();
    byte[] datagram = new byte[ip.length() + icmp.length];
    ip.encode(datagram, 0);
    System.arraycopy(icmp, 0, datagram, ip.length(), icmp.length);
    return EthernetHeader.of(dst, src, EtherType.IPV4).frame(datagram, false);
  }

  /** The lab's cross-node ping: curl-pod 172.20.0.163 to webpod 172.20.2.54, id 37, seq 1. */
  public static byte[] labPing() {
    return icmpEcho(MacAddress.parse("1a:2b:3c:4d:5e:6f"), MacAddress.parse("9a:8b:7c:6d:5e:4f"),
        Ipv4Address.parse("172.20.0.163"), Ipv4Address.parse("172.20.2.54"), ICMP_ECHO_REQUEST, 0x3d1e, 37, 1);
  }
}
