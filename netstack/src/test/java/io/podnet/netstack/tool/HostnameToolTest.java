package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** hostname as Debian's: the name, its short form, the interfaces' addresses, errors. */
class HostnameToolTest {

  @Test
  void nameShortFormAndAddresses() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ZERO, "a", "hostname");
    assertEquals("a\n", r.out());
    assertEquals(0, r.code());
    assertEquals("a\n", lab.run(Duration.ZERO, "a", "hostname", "-s").out());
    assertEquals("a\n", lab.run(Duration.ZERO, "a", "hostname", "--fqdn").out());
    assertEquals("\n", lab.run(Duration.ZERO, "a", "hostname", "-d").out());
    // every address of the up, non-loopback interfaces, each followed by a space
    assertEquals("192.168.10.100 \n", lab.run(Duration.ZERO, "a", "hostname", "-I").out());
    assertEquals("192.168.10.200 192.168.20.200 \n", lab.run(Duration.ZERO, "r", "hostname", "-I").out());
    lab.run(Duration.ZERO, "r", "ip", "link", "set", "eth2", "down");
    assertEquals("192.168.10.200 \n", lab.run(Duration.ZERO, "r", "hostname", "--all-ip-addresses").out());
  }

  @Test
  void errorsAsTheRealOne() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ZERO, "a", "hostname", "-i");
    assertEquals("hostname: Name or service not known\n", r.err(), "a is not in its /etc/hosts");
    assertEquals(1, r.code());
    r = lab.run(Duration.ZERO, "a", "hostname", "-x");
    assertTrue(r.err().startsWith("hostname: invalid option -- 'x'\nUsage: hostname [-b] {hostname|-F file}"), r.err());
    assertEquals(1, r.code());
    r = lab.run(Duration.ZERO, "a", "hostname", "--bogus");
    assertTrue(r.err().startsWith("hostname: unrecognized option '--bogus'\n"), r.err());
    r = lab.run(Duration.ZERO, "a", "hostname", "newname");
    assertEquals("podnet: hostname: setting the host name is not emulated\n", r.err());
    assertEquals(1, r.code());
    assertEquals("a\n", lab.run(Duration.ZERO, "a", "hostname").out(), "unchanged");
  }
}
