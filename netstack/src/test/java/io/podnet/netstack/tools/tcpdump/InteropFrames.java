package io.podnet.netstack.tools.tcpdump;

import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.Packets;
import io.podnet.proto.packet.TcpHeader;
import io.podnet.proto.packet.TcpOption;
import io.podnet.proto.packet.UdpHeader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A varied set of Ethernet frames for comparing our printer and filter with the real tcpdump:
 * ARP, ICMP echo and errors, UDP, a TCP connection with options and HTTP, VXLAN and Geneve
 * tunnels, unknown protocols and malformed frames. Addresses are the reference lab's (test data).
 */
final class InteropFrames {
  private InteropFrames() {}

  record Sample(String name, byte[] frame) {}

  static final MacAddress ROUTER = MacAddress.parse("08:00:27:0f:bd:dd");
  static final MacAddress W1 = MacAddress.parse("08:00:27:af:e6:df");
  static final MacAddress CTR = MacAddress.parse("08:00:27:5d:a1:13");
  static final MacAddress POD_A = MacAddress.parse("6e:3c:44:19:fd:0b");
  static final MacAddress POD_B = MacAddress.parse("a2:50:1e:73:8c:41");
  static final Ipv4Address R_IP = Ipv4Address.parse("192.168.10.200");
  static final Ipv4Address LB_IP = Ipv4Address.parse("192.168.10.211");
  static final Ipv4Address CTR_IP = Ipv4Address.parse("192.168.10.100");
  static final Ipv4Address W0_IP = Ipv4Address.parse("192.168.20.100");
  static final Ipv4Address POD1 = Ipv4Address.parse("172.20.0.163");
  static final Ipv4Address POD2 = Ipv4Address.parse("172.20.2.54");
  static final Ipv4Address CURL = Ipv4Address.parse("172.20.0.201");
  static final Ipv4Address WEB = Ipv4Address.parse("172.20.2.50");

  static byte[] echo(boolean request, Ipv4Address src, Ipv4Address dst, int id, int seq) {
    return Packets.icmpEcho(request ? POD_A : POD_B, request ? POD_B : POD_A, src, dst, request, id, seq,
        Packets.linuxPingData(1_700_000_000L + seq, 1234), 64, 0x4000 + seq);
  }

  static byte[] tcp(Ipv4Address src, Ipv4Address dst, int sport, int dport, long seq, long ack, int flags,
      List<TcpOption> options, String data) {
    byte[] payload = data.getBytes(StandardCharsets.US_ASCII);
    TcpHeader.Builder b = TcpHeader.builder().sourcePort(sport).destinationPort(dport).sequenceNumber(seq)
        .acknowledgmentNumber(ack).flags(flags).window(flags == TcpHeader.SYN ? 64240 : 502).options(options);
    return Packets.tcp(POD_A, POD_B, src, dst, b, payload, 64, 1);
  }

  /** An outer IPv4/UDP datagram (checksum 0, as Linux tunnels send it) carrying {@code payload}. */
  static byte[] udpNoChecksum(Ipv4Address src, Ipv4Address dst, int sport, int dport, byte[] payload) {
    byte[] seg = new byte[UdpHeader.LENGTH + payload.length];
    System.arraycopy(payload, 0, seg, UdpHeader.LENGTH, payload.length);
    UdpHeader.writeWithoutChecksum(seg, 0, sport, dport, payload.length);
    Ipv4Header ip = Ipv4Header.builder().source(src).destination(dst).protocol(IpProtocol.UDP)
        .payloadLength(seg.length).ttl(64).build();
    return Packets.ipv4Frame(CTR, ROUTER, ip, seg, 0, seg.length);
  }

  static byte[] vxlan(int flags, int vni, byte[] inner) {
    byte[] p = new byte[8 + inner.length];
    p[0] = (byte) flags;                     // flags: I (0x08)
    Bytes.put24(p, 4, vni);                  // VNI, then 1 reserved byte
    System.arraycopy(inner, 0, p, 8, inner.length);
    return p;
  }

  static byte[] geneve(int flags, int protocol, int vni, byte[] options, byte[] inner) {
    byte[] p = new byte[8 + options.length + inner.length];
    p[0] = (byte) (options.length / 4);      // version 0, option length in 4-byte words
    p[1] = (byte) flags;                     // O (0x80), C (0x40)
    Bytes.put16(p, 2, protocol);             // protocol type
    Bytes.put24(p, 4, vni);                  // VNI, then 1 reserved byte
    System.arraycopy(options, 0, p, 8, options.length);
    System.arraycopy(inner, 0, p, 8 + options.length, inner.length);
    return p;
  }

  static byte[] ipFrame(Ipv4Header ip, byte[] payload) {
    return Packets.ipv4Frame(CTR, ROUTER, ip, payload, 0, payload.length);
  }

  static Ipv4Header.Builder ip(int protocol) {
    return Ipv4Header.builder().source(CTR_IP).destination(W0_IP).protocol(protocol).ttl(64);
  }

  static byte[] cut(byte[] frame, int len) {
    return Arrays.copyOf(frame, len);
  }

  static List<Sample> all() {
    List<Sample> s = new ArrayList<>();
    ArpPacket req = ArpPacket.request(ROUTER, R_IP, LB_IP);
    s.add(new Sample("arp request", Packets.arp(req)));
    s.add(new Sample("arp reply", Packets.arp(req.answer(W1))));
    s.add(new Sample("arp gratuitous request", Packets.arp(ArpPacket.gratuitousRequest(W1, LB_IP))));
    s.add(new Sample("arp gratuitous reply", Packets.arp(ArpPacket.gratuitousReply(W1, LB_IP))));
    s.add(new Sample("arp probe", Packets.arp(ArpPacket.request(W1, Ipv4Address.ANY, LB_IP))));
    byte[] echoReq = echo(true, POD1, POD2, 7, 1);
    s.add(new Sample("icmp echo request", echoReq));
    s.add(new Sample("icmp echo reply", echo(false, POD2, POD1, 7, 1)));
    byte[] udp = Packets.udp(POD_A, POD_B, POD1, POD2, 41234, 9999, new byte[12], 64, 2);
    s.add(new Sample("udp", udp));
    byte[] udpIp = Arrays.copyOfRange(udp, 14, udp.length);
    byte[] reqIp = Arrays.copyOfRange(echoReq, 14, echoReq.length);
    s.add(new Sample("icmp port unreachable", Packets.icmpError(POD_B, POD_A, POD2,
        IcmpMessage.destinationUnreachable(IcmpMessage.CODE_PORT_UNREACHABLE, udpIp, 0, udpIp.length), 64, 3)));
    s.add(new Sample("icmp host unreachable", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.destinationUnreachable(IcmpMessage.CODE_HOST_UNREACHABLE, reqIp, 0, reqIp.length), 64, 4)));
    s.add(new Sample("icmp net unreachable", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.destinationUnreachable(IcmpMessage.CODE_NET_UNREACHABLE, reqIp, 0, reqIp.length), 64, 4)));
    s.add(new Sample("icmp protocol unreachable", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.destinationUnreachable(IcmpMessage.CODE_PROTOCOL_UNREACHABLE, reqIp, 0, reqIp.length), 64, 4)));
    s.add(new Sample("icmp admin prohibited", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.destinationUnreachable(IcmpMessage.CODE_ADMIN_PROHIBITED, reqIp, 0, reqIp.length), 64, 4)));
    s.add(new Sample("icmp frag needed", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.fragmentationNeeded(1450, reqIp, 0, reqIp.length), 64, 5)));
    s.add(new Sample("icmp time exceeded", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.timeExceeded(IcmpMessage.CODE_TTL_EXCEEDED, reqIp, 0, reqIp.length), 64, 6)));
    s.add(new Sample("icmp reassembly time exceeded", Packets.icmpError(ROUTER, POD_A, R_IP,
        IcmpMessage.timeExceeded(IcmpMessage.CODE_REASSEMBLY_TIME_EXCEEDED, reqIp, 0, reqIp.length), 64, 6)));
    byte[] ts = IcmpMessage.of(13, 0, 0x00010002L, com.google.protobuf.ByteString.copyFrom(new byte[12])).toBytes();
    s.add(new Sample("icmp timestamp", ipFrame(ip(IpProtocol.ICMP).payloadLength(ts.length).build(), ts)));
    byte[] odd = IcmpMessage.of(42, 3, 0, com.google.protobuf.ByteString.copyFrom(new byte[4])).toBytes();
    s.add(new Sample("icmp unknown type", ipFrame(ip(IpProtocol.ICMP).payloadLength(odd.length).build(), odd)));

    // A TCP connection to port 80 with HTTP, then one to a closed port.
    long c = 3_000_000_000L;
    long v = 123_456_789L;
    String get = "GET / HTTP/1.1\r\nHost: webpod\r\nUser-Agent: curl/8.14.1\r\nAccept: */*\r\n\r\n";
    String resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    s.add(new Sample("tcp syn", tcp(CURL, WEB, 45678, 80, c, 0, TcpHeader.SYN,
        TcpHeader.linuxSynOptions(1460, 1_000_001L, 0, 7), "")));
    s.add(new Sample("tcp syn-ack", tcp(WEB, CURL, 80, 45678, v, c + 1, TcpHeader.SYN | TcpHeader.ACK,
        TcpHeader.linuxSynOptions(1410, 2_000_002L, 1_000_001L, 7), "")));
    s.add(new Sample("tcp ack", tcp(CURL, WEB, 45678, 80, c + 1, v + 1, TcpHeader.ACK,
        TcpHeader.linuxTimestampOptions(1_000_002L, 2_000_002L), "")));
    s.add(new Sample("tcp get", tcp(CURL, WEB, 45678, 80, c + 1, v + 1, TcpHeader.ACK | TcpHeader.PSH,
        TcpHeader.linuxTimestampOptions(1_000_002L, 2_000_002L), get)));
    s.add(new Sample("tcp ack get", tcp(WEB, CURL, 80, 45678, v + 1, c + 1 + get.length(), TcpHeader.ACK,
        TcpHeader.linuxTimestampOptions(2_000_003L, 1_000_002L), "")));
    s.add(new Sample("tcp response", tcp(WEB, CURL, 80, 45678, v + 1, c + 1 + get.length(),
        TcpHeader.ACK | TcpHeader.PSH, TcpHeader.linuxTimestampOptions(2_000_003L, 1_000_002L), resp)));
    s.add(new Sample("tcp fin", tcp(CURL, WEB, 45678, 80, c + 1 + get.length(), v + 1 + resp.length(),
        TcpHeader.ACK | TcpHeader.FIN, TcpHeader.linuxTimestampOptions(1_000_003L, 2_000_003L), "")));
    s.add(new Sample("tcp fin 2", tcp(WEB, CURL, 80, 45678, v + 1 + resp.length(), c + 2 + get.length(),
        TcpHeader.ACK | TcpHeader.FIN, TcpHeader.linuxTimestampOptions(2_000_004L, 1_000_003L), "")));
    s.add(new Sample("tcp last ack", tcp(CURL, WEB, 45678, 80, c + 2 + get.length(), v + 2 + resp.length(),
        TcpHeader.ACK, TcpHeader.linuxTimestampOptions(1_000_004L, 2_000_004L), "")));
    s.add(new Sample("tcp sack", tcp(WEB, CURL, 80, 45678, v + 2 + resp.length(), c + 2 + get.length(),
        TcpHeader.ACK, List.of(TcpOption.NOP, TcpOption.NOP, new TcpOption.Sack(List.of(
            new TcpOption.SackBlock(c + 100, c + 200)))), "")));
    s.add(new Sample("tcp syn closed", tcp(CURL, POD2, 40000, 9000, 77, 0, TcpHeader.SYN,
        TcpHeader.linuxSynOptions(1460, 5, 0, 7), "")));
    s.add(new Sample("tcp rst", tcp(POD2, CURL, 9000, 40000, 0, 78, TcpHeader.RST | TcpHeader.ACK, List.of(), "")));
    s.add(new Sample("tcp data other port", tcp(CURL, POD2, 40001, 9001, 500, 900, TcpHeader.ACK | TcpHeader.PSH,
        List.of(), "hello world\n")));
    s.add(new Sample("tcp urg ece cwr", tcp(CURL, POD2, 40001, 9001, 512, 900,
        TcpHeader.ACK | TcpHeader.URG | TcpHeader.ECE | TcpHeader.CWR, List.of(), "x")));

    // Tunnels: VXLAN on 4789 and 8472, Geneve with and without options.
    byte[] inner = echo(true, POD1, POD2, 37, 1);
    s.add(new Sample("vxlan 4789", udpNoChecksum(CTR_IP, W0_IP, 51234, 4789, vxlan(0x08, 0x2df1, inner))));
    s.add(new Sample("vxlan 8472", udpNoChecksum(CTR_IP, W0_IP, 51234, 8472, vxlan(0x08, 2, inner))));
    s.add(new Sample("geneve", udpNoChecksum(CTR_IP, W0_IP, 31322, 6081,
        geneve(0, EtherType.TRANSPARENT_ETHERNET, 0x71ad, new byte[0], inner))));
    byte[] opt = {0x01, 0x28, 0x00, 0x01, 0, 0, 0, 42};  // class 0x0128, type 0, length 1 word, 4 bytes data
    s.add(new Sample("geneve options", udpNoChecksum(CTR_IP, W0_IP, 31322, 6081,
        geneve(0x40, EtherType.TRANSPARENT_ETHERNET, 0x71ad, opt, inner))));
    s.add(new Sample("geneve oam ipv4", udpNoChecksum(CTR_IP, W0_IP, 31322, 6081,
        geneve(0x80, EtherType.IPV4, 0x10, new byte[0], Arrays.copyOfRange(inner, 14, inner.length)))));
    s.add(new Sample("vxlan inner arp", udpNoChecksum(CTR_IP, W0_IP, 51234, 4789, vxlan(0x08, 5, Packets.arp(req)))));

    // Unknown protocols and odd headers.
    s.add(new Sample("ip proto 253", ipFrame(ip(253).payloadLength(8).build(), new byte[8])));
    s.add(new Sample("ip options", ipFrame(ip(IpProtocol.UDP).options(com.google.protobuf.ByteString.copyFrom(
        new byte[] {(byte) 0x94, 4, 0, 0})).payloadLength(8).build(), udpHeader(5000, 5001, 0))));
    s.add(new Sample("ip fragment first", ipFrame(ip(IpProtocol.UDP).flags(Ipv4Header.FLAG_MF).payloadLength(16)
        .build(), pad(udpHeader(5000, 5001, 100), 16))));
    s.add(new Sample("ip fragment later", ipFrame(ip(IpProtocol.UDP).fragmentOffset(2).payloadLength(16).build(),
        new byte[16])));
    byte[] unknownType = EthernetHeader.of(MacAddress.BROADCAST, CTR, 0x88b5).frame(new byte[46], true);
    s.add(new Sample("unknown ethertype", unknownType));
    byte[] vlan = new EthernetHeader(ROUTER, CTR, new EthernetHeader.VlanTag(0, false, 10), EtherType.IPV4)
        .frame(Arrays.copyOfRange(echoReq, 14, echoReq.length), false);
    s.add(new Sample("vlan", vlan));

    // Malformed.
    s.add(new Sample("runt frame", cut(echoReq, 10)));
    s.add(new Sample("truncated ip header", cut(echoReq, 14 + 12)));
    s.add(new Sample("truncated icmp", cut(echoReq, 14 + 20 + 4)));
    s.add(new Sample("truncated datagram", cut(echoReq, 14 + 20 + 30)));
    byte[] v6 = echoReq.clone();
    v6[14] = 0x65;
    s.add(new Sample("bad ip version", v6));
    byte[] ihl = echoReq.clone();
    ihl[14] = 0x43;
    s.add(new Sample("bad ihl", ihl));
    byte[] tlen = echoReq.clone();
    Bytes.put16(tlen, 16, 10);
    s.add(new Sample("total length below header", tlen));
    byte[] syn = s.stream().filter(x -> x.name.equals("tcp syn")).findFirst().orElseThrow().frame;
    s.add(new Sample("truncated tcp", cut(syn, 14 + 20 + 12)));
    s.add(new Sample("truncated tcp options", cut(syn, 14 + 20 + 30)));
    byte[] doff = syn.clone();
    doff[14 + 20 + 12] = 0x30;
    s.add(new Sample("tcp bad data offset", doff));
    s.add(new Sample("truncated udp", cut(udp, 14 + 20 + 4)));
    byte[] ulen = udp.clone();
    Bytes.put16(ulen, 14 + 20 + 4, 200);
    s.add(new Sample("udp length too long", ulen));
    byte[] ulen2 = udp.clone();
    Bytes.put16(ulen2, 14 + 20 + 4, 4);
    s.add(new Sample("udp length too short", ulen2));
    s.add(new Sample("truncated arp", cut(Packets.arp(req), 14 + 20)));
    byte[] arpHw = Packets.arp(req);
    arpHw[15] = 6;
    s.add(new Sample("arp ieee802 hardware", arpHw));
    byte[] arpOp = Packets.arp(req);
    arpOp[21] = 9;
    s.add(new Sample("arp unknown op", arpOp));
    byte[] vx = s.stream().filter(x -> x.name.equals("vxlan 4789")).findFirst().orElseThrow().frame;
    s.add(new Sample("truncated vxlan", cut(vx, 14 + 20 + 8 + 5)));
    s.add(new Sample("truncated vxlan inner", cut(vx, 14 + 20 + 8 + 8 + 14 + 10)));
    byte[] gn = s.stream().filter(x -> x.name.equals("geneve options")).findFirst().orElseThrow().frame;
    s.add(new Sample("truncated geneve", cut(gn, 14 + 20 + 8 + 6)));
    s.add(new Sample("truncated geneve options", cut(gn, 14 + 20 + 8 + 12)));
    byte[] rarp = Packets.arp(req);
    Bytes.put16(rarp, 12, 0x8035);
    Bytes.put16(rarp, 20, 3);
    s.add(new Sample("rarp", rarp));
    return s;
  }

  static byte[] udpHeader(int sport, int dport, int length) {
    byte[] u = new byte[8];
    Bytes.put16(u, 0, sport);
    Bytes.put16(u, 2, dport);
    Bytes.put16(u, 4, length == 0 ? 8 : length);
    return u;
  }

  static byte[] pad(byte[] b, int len) {
    return Arrays.copyOf(b, len);
  }
}
