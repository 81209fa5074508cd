package io.podnet.netstack.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4PrefixTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "10.0.2.0/24, 10.0.2.0, 24, 10.0.2.0/24",
    "10.0.2.15, 10.0.2.15, 32, 10.0.2.15",
    "default, 0.0.0.0, 0, default",
    "any, 0.0.0.0, 0, default",
    "0.0.0.0/0, 0.0.0.0, 0, default",
    "10.1/16, 10.1.0.0, 16, 10.1.0.0/16",
    "10/8, 10.0.0.0, 8, 10.0.0.0/8",
    "192.168.10.0/255.255.255.0, 192.168.10.0, 24, 192.168.10.0/24",
    "10.0.2.15/24, 10.0.2.15, 24, 10.0.2.15/24",
  })
  void parses(String text, String addr, int len, String printed) {
    Ipv4Prefix p = Ipv4Prefix.parse(text);
    assertEquals(Ipv4Address.parse(addr), p.address());
    assertEquals(len, p.length());
    assertEquals(printed, p.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "foo", "10.0.2.0/33", "10.0.2.0/", "256.0.0.0", "1.2.3.4.5", "1..2", "10.0.0.0/255.0.255.0",
      "10.0.0.0/-1", "1.2.3.4/24x"})
  void rejects(String text) {
    assertThrows(IllegalArgumentException.class, () -> Ipv4Prefix.parse(text));
  }

  @Test
  void canonicalContainsBroadcast() {
    Ipv4Prefix p = Ipv4Prefix.parse("10.0.2.15/24");
    assertFalse(p.isCanonical());
    assertEquals(Ipv4Prefix.parse("10.0.2.0/24"), p.network());
    assertTrue(p.contains(Ipv4Address.parse("10.0.2.200")));
    assertFalse(p.contains(Ipv4Address.parse("10.0.3.1")));
    assertEquals(Ipv4Address.parse("10.0.2.255"), p.broadcast());
    assertTrue(Ipv4Prefix.DEFAULT.contains(Ipv4Address.parse("203.0.113.9")));
    assertTrue(Ipv4Prefix.parse("172.20.0.0/32").contains(Ipv4Address.parse("172.20.0.0")));
  }

  @Test
  void dumpOrderIsAddressThenLongestFirst() {
    assertTrue(Ipv4Prefix.parse("172.20.0.0/24").compareTo(Ipv4Prefix.parse("172.20.0.0/16")) < 0);
    assertTrue(Ipv4Prefix.parse("172.20.0.0/16").compareTo(Ipv4Prefix.parse("172.20.1.0/24")) < 0);
    assertTrue(Ipv4Prefix.parse("10.0.0.0/8").compareTo(Ipv4Prefix.parse("192.168.0.0/16")) < 0);
    assertTrue(Ipv4Prefix.parse("192.168.0.0/16").compareTo(Ipv4Prefix.parse("200.0.0.0/8")) < 0, "unsigned order");
  }
}
