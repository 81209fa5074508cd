package io.podnet.netstack.tools.tcpdump;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.tools.tcpdump.TcpdumpOptions.UsageException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Literal lines as tcpdump 4.99.3 printed them for InteropFrames (observed with -nn -r). */
class TcpdumpPrinterTest {
  static final long T = 65_507_232_880L;
  final Map<String, byte[]> frames = new HashMap<>();

  TcpdumpPrinterTest() {
    InteropFrames.all().forEach(s -> frames.put(s.name(), s.frame()));
  }

  String line(TcpdumpPrinter p, String name) {
    return p.line(T, null, null, frames.get(name));
  }

  String line(String name) {
    return line(new TcpdumpPrinter(false, false), name);
  }

  @Test
  void arp() {
    assertEquals("18:11:47.232880 ARP, Request who-has 192.168.10.211 tell 192.168.10.200, length 46",
        line("arp request"));
    assertEquals("18:11:47.232880 ARP, Reply 192.168.10.211 is-at 08:00:27:af:e6:df, length 46", line("arp reply"));
    assertEquals("18:11:47.232880 ARP, Request who-has 192.168.10.211 tell 192.168.10.211, length 46",
        line("arp gratuitous request"));
    assertEquals("18:11:47.232880 ARP, Reply 192.168.10.211 is-at 08:00:27:af:e6:df, length 46",
        line("arp gratuitous reply"));
    assertEquals("18:11:47.232880 ARP, Request who-has 192.168.10.211 tell 0.0.0.0, length 46", line("arp probe"));
    assertEquals("18:11:47.232880 ARP, Inverse Reply 08:00:27:0f:bd:dd at 192.168.10.200, length 46",
        line("arp unknown op"));
    assertEquals("18:11:47.232880 ARP, Reverse Request who-is 00:00:00:00:00:00 tell 08:00:27:0f:bd:dd, length 46",
        line("rarp"));
    assertEquals("18:11:47.232880  [|arp]", line("truncated arp"));
  }

  @Test
  void icmp() {
    assertEquals("18:11:47.232880 IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, length 64",
        line("icmp echo request"));
    assertEquals("18:11:47.232880 IP 172.20.2.54 > 172.20.0.163: ICMP echo reply, id 7, seq 1, length 64",
        line("icmp echo reply"));
    assertEquals("18:11:47.232880 IP 172.20.2.54 > 172.20.0.163: ICMP 172.20.2.54 udp port 9999 unreachable, "
        + "length 48", line("icmp port unreachable"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP host 172.20.2.54 unreachable, length 92",
        line("icmp host unreachable"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP net 172.20.2.54 unreachable, length 92",
        line("icmp net unreachable"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP 172.20.2.54 protocol 1 unreachable, "
        + "length 92", line("icmp protocol unreachable"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP host 172.20.2.54 unreachable - admin "
        + "prohibited filter, length 92", line("icmp admin prohibited"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP 172.20.2.54 unreachable - need to frag "
        + "(mtu 1450), length 92", line("icmp frag needed"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP time exceeded in-transit, length 92",
        line("icmp time exceeded"));
    assertEquals("18:11:47.232880 IP 192.168.10.200 > 172.20.0.163: ICMP ip reassembly time exceeded, length 92",
        line("icmp reassembly time exceeded"));
    assertEquals("18:11:47.232880 IP 192.168.10.100 > 192.168.20.100: ICMP time stamp query id 1 seq 2, length 20",
        line("icmp timestamp"));
    assertEquals("18:11:47.232880 IP 192.168.10.100 > 192.168.20.100: ICMP type-#42, length 12",
        line("icmp unknown type"));
  }

  @Test
  void udpAndIp() {
    assertEquals("18:11:47.232880 IP 172.20.0.163.41234 > 172.20.2.54.9999: UDP, length 12", line("udp"));
    assertEquals("18:11:47.232880 IP 192.168.10.100 > 192.168.20.100:  ip-proto-253 8", line("ip proto 253"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.5000 > 192.168.20.100.5001: UDP, length 92",
        line("ip fragment first"));
    assertEquals("18:11:47.232880 IP 192.168.10.100 > 192.168.20.100: ip-proto-17", line("ip fragment later"));
    assertEquals("18:11:47.232880 IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, length 64",
        line("vlan"));
  }

  @Test
  void tcpConnectionWithRelativeNumbers() {
    TcpdumpPrinter p = new TcpdumpPrinter(false, false);
    String c = "IP 172.20.0.201.45678 > 172.20.2.50.80: ";
    String s = "IP 172.20.2.50.80 > 172.20.0.201.45678: ";
    assertEquals("18:11:47.232880 " + c + "Flags [S], seq 3000000000, win 64240, options [mss 1460,sackOK,"
        + "TS val 1000001 ecr 0,nop,wscale 7], length 0", line(p, "tcp syn"));
    assertEquals("18:11:47.232880 " + s + "Flags [S.], seq 123456789, ack 3000000001, win 502, options [mss 1410,"
        + "sackOK,TS val 2000002 ecr 1000001,nop,wscale 7], length 0", line(p, "tcp syn-ack"));
    assertEquals("18:11:47.232880 " + c + "Flags [.], ack 1, win 502, options [nop,nop,TS val 1000002 ecr 2000002], "
        + "length 0", line(p, "tcp ack"));
    assertEquals("18:11:47.232880 " + c + "Flags [P.], seq 1:71, ack 1, win 502, options [nop,nop,TS val 1000002 "
        + "ecr 2000002], length 70: HTTP: GET / HTTP/1.1", line(p, "tcp get"));
    assertEquals("18:11:47.232880 " + s + "Flags [.], ack 71, win 502, options [nop,nop,TS val 2000003 ecr 1000002], "
        + "length 0", line(p, "tcp ack get"));
    assertEquals("18:11:47.232880 " + s + "Flags [P.], seq 1:44, ack 71, win 502, options [nop,nop,TS val 2000003 "
        + "ecr 1000002], length 43: HTTP: HTTP/1.1 200 OK", line(p, "tcp response"));
    assertEquals("18:11:47.232880 " + c + "Flags [F.], seq 71, ack 44, win 502, options [nop,nop,TS val 1000003 "
        + "ecr 2000003], length 0", line(p, "tcp fin"));
    assertEquals("18:11:47.232880 " + s + "Flags [F.], seq 44, ack 72, win 502, options [nop,nop,TS val 2000004 "
        + "ecr 1000003], length 0", line(p, "tcp fin 2"));
    assertEquals("18:11:47.232880 " + c + "Flags [.], ack 45, win 502, options [nop,nop,TS val 1000004 ecr 2000004], "
        + "length 0", line(p, "tcp last ack"));
    assertEquals("18:11:47.232880 " + s + "Flags [.], ack 72, win 502, options [nop,nop,sack 1 {100:200}], length 0",
        line(p, "tcp sack"));
    // A RST|ACK is the first packet with ACK of its conversation: absolute numbers.
    assertEquals("18:11:47.232880 IP 172.20.0.201.40000 > 172.20.2.54.9000: Flags [S], seq 77, win 64240, "
        + "options [mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7], length 0", line(p, "tcp syn closed"));
    assertEquals("18:11:47.232880 IP 172.20.2.54.9000 > 172.20.0.201.40000: Flags [R.], seq 0, ack 78, win 502, "
        + "length 0", line(p, "tcp rst"));
    assertEquals("18:11:47.232880 IP 172.20.0.201.40001 > 172.20.2.54.9001: Flags [P.], seq 500:512, ack 900, "
        + "win 502, length 12", line(p, "tcp data other port"));
    assertEquals("18:11:47.232880 IP 172.20.0.201.40001 > 172.20.2.54.9001: Flags [.UEW], seq 12:13, ack 1, "
        + "win 502, urg 0, length 1", line(p, "tcp urg ece cwr"));
  }

  @Test
  void tcpAbsoluteNumbers() {
    TcpdumpPrinter p = new TcpdumpPrinter(false, true);
    line(p, "tcp syn");
    line(p, "tcp syn-ack");
    assertEquals("18:11:47.232880 IP 172.20.0.201.45678 > 172.20.2.50.80: Flags [.], ack 123456790, win 502, "
        + "options [nop,nop,TS val 1000002 ecr 2000002], length 0", line(p, "tcp ack"));
  }

  @Test
  void tunnels() {
    assertEquals("18:11:47.232880 IP 192.168.10.100.51234 > 192.168.20.100.4789: VXLAN, flags [I] (0x08), vni 11761\n"
        + "IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 37, seq 1, length 64", line("vxlan 4789"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.51234 > 192.168.20.100.8472: OTV, flags [I] (0x08), overlay 0, "
        + "instance 2\nIP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 37, seq 1, length 64", line("vxlan 8472"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.31322 > 192.168.20.100.6081: Geneve, Flags [none], vni 0x71ad: "
        + "IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 37, seq 1, length 64", line("geneve"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.31322 > 192.168.20.100.6081: Geneve, Flags [C], vni 0x71ad, "
        + "options [8 bytes]: IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 37, seq 1, length 64",
        line("geneve options"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.31322 > 192.168.20.100.6081: Geneve, Flags [O], vni 0x10: "
        + "IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 37, seq 1, length 64", line("geneve oam ipv4"));
    assertEquals("18:11:47.232880 IP 192.168.10.100.51234 > 192.168.20.100.4789: VXLAN, flags [I] (0x08), vni 5\n"
        + "ARP, Request who-has 192.168.10.211 tell 192.168.10.200, length 46", line("vxlan inner arp"));
  }

  @Test
  void malformed() {
    assertEquals("18:11:47.232880  [|ether]", line("runt frame"));
    assertEquals("18:11:47.232880 IP  [|ip]", line("truncated ip header"));
    assertEquals("18:11:47.232880 IP truncated-ip - 60 bytes missing! 172.20.0.163 > 172.20.2.54:  [|icmp]",
        line("truncated icmp"));
    assertEquals("18:11:47.232880 IP truncated-ip - 34 bytes missing! 172.20.0.163 > 172.20.2.54: ICMP echo request, "
        + "id 7, seq 1, length 64", line("truncated datagram"));
    assertEquals("18:11:47.232880 IP6, wrong link-layer encapsulation (invalid)", line("bad ip version"));
    assertEquals("18:11:47.232880 IP bad-hlen 12", line("bad ihl"));
    assertEquals("18:11:47.232880 IP bad-len 10", line("total length below header"));
    assertEquals("18:11:47.232880 IP truncated-ip - 28 bytes missing! 172.20.0.201.45678 > 172.20.2.50.80:  [|tcp]",
        line("truncated tcp"));
    assertEquals("18:11:47.232880 IP truncated-ip - 10 bytes missing! 172.20.0.201.45678 > 172.20.2.50.80: "
        + "Flags [S], seq 3000000000, win 64240, options [mss 1460,sackOK,TS [|tcp]>", line("truncated tcp options"));
    assertEquals("18:11:47.232880 IP 172.20.0.201.45678 > 172.20.2.50.80:  tcp 28 [bad hdr length 12 - too short, "
        + "< 20]", line("tcp bad data offset"));
    assertEquals("18:11:47.232880 IP truncated-ip - 16 bytes missing! 172.20.0.163.41234 > 172.20.2.54.9999:  [|udp]",
        line("truncated udp"));
    assertEquals("18:11:47.232880 IP 172.20.0.163.41234 > 172.20.2.54.9999: UDP, bad length 192 > 12",
        line("udp length too long"));
    assertEquals("18:11:47.232880 IP 172.20.0.163.41234 > 172.20.2.54.9999: truncated-udplength 4",
        line("udp length too short"));
    assertEquals("18:11:47.232880 IP truncated-ip - 101 bytes missing! 192.168.10.100.51234 > 192.168.20.100.4789: "
        + "VXLAN, flags [I] (0x08),  [|vxlan]", line("truncated vxlan"));
    assertEquals("18:11:47.232880 IP truncated-ip - 108 bytes missing! 192.168.10.100.31322 > 192.168.20.100.6081: "
        + "Geneve [|geneve]", line("truncated geneve"));
    assertEquals("18:11:47.232880 IP truncated-ip - 102 bytes missing! 192.168.10.100.31322 > 192.168.20.100.6081: "
        + "Geneve, Flags [C], vni 0x71ad [|geneve]", line("truncated geneve options"));
  }

  @Test
  void unknownEtherTypeIsDumped() {
    assertEquals("18:11:47.232880 08:00:27:5d:a1:13 > ff:ff:ff:ff:ff:ff, ethertype Unknown (0x88b5), length 60: \n"
        + "\t0x0000:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n"
        + "\t0x0010:  0000 0000 0000 0000 0000 0000 0000 0000  ................\n"
        + "\t0x0020:  0000 0000 0000 0000 0000 0000 0000       ..............", line("unknown ethertype"));
  }

  @Test
  void linkHeaders() {
    TcpdumpPrinter p = new TcpdumpPrinter(true, false);
    assertEquals("18:11:47.232880 08:00:27:0f:bd:dd > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 60: "
        + "Request who-has 192.168.10.211 tell 192.168.10.200, length 46", line(p, "arp request"));
    assertEquals("18:11:47.232880 08:00:27:5d:a1:13 > 08:00:27:0f:bd:dd, ethertype 802.1Q (0x8100), length 102: "
        + "vlan 10, p 0, ethertype IPv4 (0x0800), 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, "
        + "length 64", line(p, "vlan"));
  }

  @Test
  void anyInterfaceAsInTheReferenceLab() {
    TcpdumpPrinter p = new TcpdumpPrinter(false, false);
    byte[] f = frames.get("icmp echo request");
    assertEquals("18:11:47.232880 eth1  In  IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, length 64",
        p.line(T, "eth1", Direction.IN, f));
    assertEquals("18:11:47.232892 eth0  Out IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, length 64",
        p.line(T + 12, "eth0", Direction.OUT, f));
    assertEquals("18:11:47.232880 lxc12345 B   IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, "
        + "length 64", p.line(T, "lxc12345", Direction.BROADCAST, f));
    assertEquals("18:11:47.232880 lo    ?   IP 172.20.0.163 > 172.20.2.54: ICMP echo request, id 7, seq 1, length 64",
        p.line(T, "lo", null, f));
  }

  @Test
  void timestampsAreTheTimeOfDay() {
    assertEquals("00:00:00.000000", TcpdumpPrinter.timestamp(0));
    assertEquals("23:59:32.251108", TcpdumpPrinter.timestamp(86_400_000_000L * 3 + 86_372_251_108L));
  }

  @Test
  void bannerAndStatistics() throws UsageException {
    assertEquals("tcpdump: data link type LINUX_SLL2\n"
        + "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
        + "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n",
        TcpdumpPrinter.banner(TcpdumpOptions.parse("-i", "any", "icmp", "-nn"), "any"));
    assertEquals("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
        + "listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n",
        TcpdumpPrinter.banner(TcpdumpOptions.parse("-i", "eth1"), "eth1"));
    assertEquals("tcpdump: listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n",
        TcpdumpPrinter.banner(TcpdumpOptions.parse("-i", "eth1", "-w", "/tmp/x.pcap"), "eth1"));
    assertEquals("tcpdump: listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n",
        TcpdumpPrinter.banner(TcpdumpOptions.parse("-i", "eth1", "-v"), "eth1"));
    assertEquals("4 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n",
        TcpdumpPrinter.statistics(4, 4, 0));
    assertEquals("1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n",
        TcpdumpPrinter.statistics(1, 1, 0));
  }
}
