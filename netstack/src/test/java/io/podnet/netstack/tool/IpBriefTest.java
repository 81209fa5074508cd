package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** ip -br: one line per device, as iproute2's brief mode prints it. */
class IpBriefTest {

  @Test
  void briefAddressesAndLinks() {
    NetToolsLab lab = new NetToolsLab(true);
    assertEquals("""
        lo               UNKNOWN        127.0.0.1/8 ::1/128 \n\
        eth1             UP             192.168.10.200/24 fe80::a00:27ff:fe11:1111/64 \n\
        eth2             UP             192.168.20.200/24 fe80::a00:27ff:fe22:2222/64 \n\
        """, lab.run(Duration.ZERO, "r", "ip", "-br", "addr").out());
    assertEquals("""
        lo               UNKNOWN        127.0.0.1/8 \n\
        eth1             UP             192.168.10.200/24 \n\
        eth2             UP             192.168.20.200/24 \n\
        """, lab.run(Duration.ZERO, "r", "ip", "-4", "-brief", "address", "show").out());
    assertEquals("""
        lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n\
        eth1             UP             08:00:27:11:11:11 <BROADCAST,MULTICAST,UP,LOWER_UP> \n\
        eth2             UP             08:00:27:22:22:22 <BROADCAST,MULTICAST,UP,LOWER_UP> \n\
        """, lab.run(Duration.ZERO, "r", "ip", "-br", "link").out());
    lab.run(Duration.ZERO, "r", "ip", "link", "set", "eth2", "down");
    assertEquals("eth2             DOWN           192.168.20.200/24 \n",
        lab.run(Duration.ZERO, "r", "ip", "-br", "addr", "show", "dev", "eth2").out());
  }
}
