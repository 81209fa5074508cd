package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tools.tcpdump.TcpdumpPrinter;
import io.podnet.proto.pcap.PcapReader;
import io.podnet.proto.pcap.PcapWriter;
import io.podnet.proto.pcap.Sll2Header;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArpingTcpdumpTest {
  @Test
  void arpingRepliesAndStatistics() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ofSeconds(5), "r", "arping", "-i", "eth1", "192.168.10.101", "-c", "2");
    assertEquals("ARPING 192.168.10.101\n"
        + "60 bytes from 08:00:27:af:e6:df (192.168.10.101): index=0 time=0.000 nsec\n"
        + "60 bytes from 08:00:27:af:e6:df (192.168.10.101): index=1 time=0.000 nsec\n"
        + "\n--- 192.168.10.101 statistics ---\n"
        + "2 packets transmitted, 2 packets received,   0% unanswered (0 extra)\n"
        + "rtt min/avg/max/std-dev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals("", r.err());
    assertEquals(0, r.code());
    // the interface comes from the route when -i is not given
    r = lab.run(Duration.ofSeconds(3), "r", "arping", "-c", "1", "192.168.20.100");
    assertEquals("ARPING 192.168.20.100\n"
        + "60 bytes from 08:00:27:3a:be:fa (192.168.20.100): index=0 time=0.000 nsec\n"
        + "\n--- 192.168.20.100 statistics ---\n"
        + "1 packets transmitted, 1 packets received,   0% unanswered (0 extra)\n"
        + "rtt min/avg/max/std-dev = 0.000/0.000/0.000/0.000 ms\n", r.out());
  }

  @Test
  void arpingTimeoutsAndCtrlC() {
    NetToolsLab lab = new NetToolsLab(true);
    // the transcript: an address nobody owns
    NetToolsLab.Run r = lab.start("r", "arping", "-i", "eth1", "192.168.10.211", "-c", "1");
    lab.advance(Duration.ofMillis(900));
    assertNull(r.code());
    assertEquals("ARPING 192.168.10.211\n", r.out());
    lab.advance(Duration.ofMillis(100));
    assertEquals("ARPING 192.168.10.211\n"
        + "Timeout\n"
        + "\n--- 192.168.10.211 statistics ---\n"
        + "1 packets transmitted, 0 packets received, 100% unanswered (0 extra)\n\n", r.out());
    assertEquals(1, r.code());

    r = lab.start("r", "arping", "-i", "eth1", "192.168.10.211", "-c", "100000");
    lab.advance(Duration.ofMillis(3500));
    r.signal("INT");
    lab.settle();
    assertEquals("ARPING 192.168.10.211\nTimeout\nTimeout\nTimeout\n"
        + "\n--- 192.168.10.211 statistics ---\n"
        + "4 packets transmitted, 0 packets received, 100% unanswered (0 extra)\n\n", r.out());
    assertEquals(1, r.code());

    // -w: a deadline in seconds; it ends the run before the request due at the same instant
    r = lab.run(Duration.ofSeconds(5), "r", "arping", "-i", "eth1", "-w", "2", "192.168.10.101");
    assertEquals("ARPING 192.168.10.101\n"
        + "60 bytes from 08:00:27:af:e6:df (192.168.10.101): index=0 time=0.000 nsec\n"
        + "60 bytes from 08:00:27:af:e6:df (192.168.10.101): index=1 time=0.000 nsec\n"
        + "\n--- 192.168.10.101 statistics ---\n"
        + "2 packets transmitted, 2 packets received,   0% unanswered (0 extra)\n"
        + "rtt min/avg/max/std-dev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals(0, r.code());

    r = lab.run(Duration.ZERO, "r", "arping", "-i", "eth9", "192.168.10.101");
    assertEquals("arping: libnet_init(): libnet_check_iface() ioctl: No such device\n", r.err());
    assertEquals(1, r.code());
  }

  @Test
  void arpingTimeFormat() {
    assertEquals("362.306 usec", ArpingTool.ts2str(362306));
    assertEquals("999.000 nsec", ArpingTool.ts2str(999));
    assertEquals("1.500 msec", ArpingTool.ts2str(1_500_000));
    assertEquals("  0", CFormat.fixed(0.0, 3, 0));
    assertEquals(" 62", CFormat.fixed(62.5, 3, 0)); // glibc rounds ties to even
    assertEquals("0.062", CFormat.fixed(0.0625, 3)); // an exact tie: to even, as glibc
    assertEquals("0.045", CFormat.fixed(0.0455, 3)); // 0.0455 is a little less in binary
  }

  private static String ts() {
    return TcpdumpPrinter.timestamp(NetToolsLab.now());
  }

  @Test
  void tcpdumpOnTheRouterShowsInAndOut() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run dump = lab.start("r", "tcpdump", "-i", "any", "icmp", "-nn");
    String t = ts();
    NetToolsLab.Run ping = lab.run(Duration.ofSeconds(2), "a", "ping", "-c", "1", "192.168.20.100");
    assertEquals(0, ping.code());
    assertNull(dump.code());
    dump.signal("TERM");
    lab.settle();
    assertEquals(t + " eth1  In  IP 192.168.10.100 > 192.168.20.100: ICMP echo request, id 1, seq 1, length 64\n"
        + t + " eth2  Out IP 192.168.10.100 > 192.168.20.100: ICMP echo request, id 1, seq 1, length 64\n"
        + t + " eth2  In  IP 192.168.20.100 > 192.168.10.100: ICMP echo reply, id 1, seq 1, length 64\n"
        + t + " eth1  Out IP 192.168.20.100 > 192.168.10.100: ICMP echo reply, id 1, seq 1, length 64\n"
        + "\n", dump.out());
    assertEquals("tcpdump: data link type LINUX_SLL2\n"
        + "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
        + "listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n"
        + "4 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n", dump.err());
    assertEquals(0, dump.code());
  }

  @Test
  void tcpdumpCountOnOneInterfaceAndErrors() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run dump = lab.start("r", "tcpdump", "-nn", "-i", "eth1", "-c", "2", "icmp");
    String t = ts();
    lab.run(Duration.ofSeconds(3), "a", "ping", "-c", "2", "192.168.20.100");
    assertEquals(t + " IP 192.168.10.100 > 192.168.20.100: ICMP echo request, id 1, seq 1, length 64\n"
        + t + " IP 192.168.20.100 > 192.168.10.100: ICMP echo reply, id 1, seq 1, length 64\n", dump.out());
    assertEquals("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n"
        + "listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n"
        + "2 packets captured\n2 packets received by filter\n0 packets dropped by kernel\n", dump.err());
    assertEquals(0, dump.code());
    // arp with the default interface (the first up non-loopback one: eth1)
    dump = lab.start("a", "tcpdump", "-c", "1", "arp");
    t = ts();
    lab.run(Duration.ofSeconds(5), "a", "arping", "-c", "1", "192.168.10.101");
    assertEquals(t + " ARP, Request who-has 192.168.10.101 tell 192.168.10.100, length 46\n", dump.out());
    NetToolsLab.Run bad = lab.run(Duration.ZERO, "r", "tcpdump", "-i", "eth9");
    assertEquals("tcpdump: eth9: No such device exists\n(SIOCGIFHWADDR: No such device)\n", bad.err());
    assertEquals(1, bad.code());
    bad = lab.run(Duration.ZERO, "r", "tcpdump", "port");
    assertEquals("tcpdump: can't parse filter expression: syntax error\n", bad.err());
    assertEquals(1, bad.code());
  }

  @Test
  void tcpdumpWritesAPcapThatReadsBack(@TempDir Path dir) throws Exception {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run dump = lab.startIn(dir.toString(), "r", "tcpdump", "-i", "any", "-w", "cap.pcap", "icmp");
    long t = NetToolsLab.now();
    lab.run(Duration.ofSeconds(2), "a", "ping", "-c", "1", "192.168.20.100");
    dump.signal("INT");
    lab.settle();
    assertEquals("", dump.out());
    assertEquals("tcpdump: data link type LINUX_SLL2\n"
        + "tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n"
        + "4 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n", dump.err());
    assertEquals(0, dump.code());
    List<PcapReader.Record> recs = new ArrayList<>();
    try (InputStream in = Files.newInputStream(dir.resolve("cap.pcap")); PcapReader rd = new PcapReader(in)) {
      assertEquals(PcapWriter.LINKTYPE_LINUX_SLL2, rd.linkType());
      for (PcapReader.Record rec = rd.next(); rec != null; rec = rd.next()) {
        recs.add(rec);
      }
    }
    assertEquals(4, recs.size());
    int[] ifindex = {2, 3, 3, 2}; // lo is 1, eth1 2, eth2 3
    int[] types = {Sll2Header.PACKET_HOST, Sll2Header.PACKET_OUTGOING, Sll2Header.PACKET_HOST,
        Sll2Header.PACKET_OUTGOING};
    for (int i = 0; i < 4; i++) {
      Sll2Header h = recs.get(i).sll2();
      assertEquals(ifindex[i], h.interfaceIndex(), "record " + i);
      assertEquals(types[i], h.packetType(), "record " + i);
      assertEquals(0x0800, h.protocolType());
      assertEquals(t, recs.get(i).timestampMicros());
      assertEquals(Sll2Header.LENGTH + 84, recs.get(i).data().length);
    }
    assertTrue(recs.get(0).data()[Sll2Header.LENGTH + 20] == 8); // ICMP echo request
    assertTrue(recs.get(2).data()[Sll2Header.LENGTH + 20] == 0); // ICMP echo reply
  }
}
