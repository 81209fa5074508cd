package io.podnet.netstack.tools.tcpdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.tools.tcpdump.TcpdumpOptions.UsageException;
import org.junit.jupiter.api.Test;

class TcpdumpOptionsTest {
  @Test
  void referenceCommandLines() throws UsageException {
    TcpdumpOptions o = TcpdumpOptions.parse("-i", "any", "icmp", "-nn");
    assertEquals("any", o.interfaceName());
    assertEquals(2, o.numeric());
    assertEquals("icmp", o.filterExpression());
    o = TcpdumpOptions.parse("-i", "any", "udp", "port", "6081", "-nn");
    assertEquals("udp port 6081", o.filterExpression());
  }

  @Test
  void clusteredAndAttached() throws UsageException {
    TcpdumpOptions o = TcpdumpOptions.parse("-nnc1", "-ieth1", "-vvv", "-eSl", "--immediate-mode", "-w", "f.pcap",
        "--", "-x");
    assertEquals(1, o.count());
    assertEquals("eth1", o.interfaceName());
    assertEquals(3, o.verbosity());
    assertTrue(o.linkHeaders() && o.absoluteSequence() && o.lineBuffered() && o.immediateMode());
    assertEquals("f.pcap", o.writeFile());
    assertEquals("-x", o.filterExpression());
    assertEquals(2, TcpdumpOptions.parse("-c", "2x").count());
  }

  @Test
  void errors() {
    UsageException e = assertThrows(UsageException.class, () -> TcpdumpOptions.parse("-c"));
    assertTrue(e.stderr().startsWith("tcpdump: option requires an argument -- 'c'\ntcpdump version 4.99.3\n"));
    assertTrue(e.stderr().contains("Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#]"));
    assertEquals(1, e.exitCode());
    assertEquals("tcpdump: invalid packet count abc\n",
        assertThrows(UsageException.class, () -> TcpdumpOptions.parse("-c", "abc")).stderr());
    assertEquals("tcpdump: invalid packet count 0\n",
        assertThrows(UsageException.class, () -> TcpdumpOptions.parse("-c", "0")).stderr());
    assertTrue(assertThrows(UsageException.class, () -> TcpdumpOptions.parse("--bogus")).stderr()
        .startsWith("tcpdump: unrecognized option '--bogus'\n"));
    assertTrue(assertThrows(UsageException.class, () -> TcpdumpOptions.parse("-i")).stderr()
        .startsWith("tcpdump: option requires an argument -- 'i'\n"));
    assertTrue(assertThrows(UsageException.class, () -> TcpdumpOptions.parse("-:")).stderr()
        .startsWith("tcpdump: invalid option -- ':'\n"));
  }
}
