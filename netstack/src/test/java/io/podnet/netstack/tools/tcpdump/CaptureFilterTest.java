package io.podnet.netstack.tools.tcpdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tools.tcpdump.TcpdumpOptions.UsageException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CaptureFilterTest {
  final Map<String, byte[]> f = new HashMap<>();

  CaptureFilterTest() {
    InteropFrames.all().forEach(s -> f.put(s.name(), s.frame()));
  }

  boolean m(String expr, String frame) throws UsageException {
    return CaptureFilter.compile(expr).matches(f.get(frame));
  }

  @Test
  void protocols() throws UsageException {
    assertTrue(m("icmp", "icmp echo request"));
    assertFalse(m("icmp", "udp"));
    assertTrue(m("arp", "arp request"));
    assertFalse(m("ip", "arp request"));
    assertTrue(m("udp", "vxlan 4789"));
    assertTrue(m("tcp", "tcp syn"));
    assertFalse(m("ip", "vlan"));  // the outer EtherType is 802.1Q
    assertTrue(m("", "runt frame"));
  }

  @Test
  void outerHeadersOnly() throws UsageException {
    assertFalse(m("icmp", "geneve"));
    assertTrue(m("udp port 6081", "geneve"));
    assertFalse(m("host 172.20.0.163", "vxlan 4789"));
  }

  @Test
  void portsHostsNets() throws UsageException {
    assertTrue(m("port 80", "tcp syn"));
    assertTrue(m("src port 80", "tcp syn-ack"));
    assertFalse(m("src port 80", "tcp syn"));
    assertFalse(m("udp port 80", "tcp syn"));
    assertTrue(m("port 5001", "ip fragment first"));
    assertFalse(m("udp", "ip fragment later") && m("port 5001", "ip fragment later"));
    assertTrue(m("host 192.168.10.211", "arp request"));
    assertFalse(m("src host 192.168.10.211", "arp request"));
    assertTrue(m("net 172.20.0.0/16", "icmp echo request"));
    assertTrue(m("dst net 172.20.2", "icmp echo request"));
    assertTrue(m("ether host 08:00:27:0f:bd:dd", "arp request"));
    assertTrue(m("ether broadcast", "arp request"));
    assertTrue(m("port 80 or 9000", "tcp rst"));
  }

  @Test
  void outOfFrameLoadRejectsTheWholePacket() throws UsageException {
    assertFalse(m("not tcp", "runt frame"));
    assertFalse(m("arp or not arp", "runt frame"));
  }

  @Test
  void andOrHaveEqualPrecedenceLeftToRight() throws UsageException {
    // (tcp or udp) and port 80: a UDP datagram to 9999 is out; "tcp or (udp and port 80)" would keep a SYN
    // to 9000 and drop it as well, so use the SYN to 9000: left-to-right drops it.
    assertFalse(m("tcp or udp and port 80", "tcp syn closed"));
    assertTrue(m("tcp or (udp and port 80)", "tcp syn closed"));
    assertTrue(m("udp and port 80 or tcp", "tcp syn closed"));
  }

  @Test
  void notBindsTightest() throws UsageException {
    assertTrue(m("not tcp or udp", "udp"));
    assertFalse(m("not tcp or udp", "tcp syn"));
    assertTrue(m("not (tcp or udp)", "icmp echo request"));
    assertTrue(m("! arp && ! icmp", "udp"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"icmp and", "(icmp", "icmp)", "tcp port", "foo", "1.2.3.4", "tcp or", "not", "and",
      "vxlan", "port 80 80", "host"})
  void syntaxErrors(String expr) {
    UsageException e = assertThrows(UsageException.class, () -> CaptureFilter.compile(expr));
    assertEquals("tcpdump: can't parse filter expression: syntax error\n", e.stderr());
    assertEquals(1, e.exitCode());
  }

  @Test
  void semanticErrors() {
    assertEquals("tcpdump: illegal port number 99999 > 65535\n",
        assertThrows(UsageException.class, () -> CaptureFilter.compile("port 99999")).stderr());
    assertEquals("tcpdump: non-network bits set in \"10.0.0.1/8\"\n",
        assertThrows(UsageException.class, () -> CaptureFilter.compile("net 10.0.0.1/8")).stderr());
    assertEquals("tcpdump: unknown port 'foo'\n",
        assertThrows(UsageException.class, () -> CaptureFilter.compile("port foo")).stderr());
    assertEquals("tcpdump: unknown host 'webpod'\n",
        assertThrows(UsageException.class, () -> CaptureFilter.compile("host webpod")).stderr());
  }
}
