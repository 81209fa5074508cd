package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PingToolTest {
  private static final String STATS = "\n--- %s ping statistics ---\n";

  @Test
  void pingOnTheSegmentAndThroughTheRouter() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ofSeconds(5), "a", "ping", "-c", "2", "192.168.10.101");
    assertEquals("PING 192.168.10.101 (192.168.10.101) 56(84) bytes of data.\n"
        + "64 bytes from 192.168.10.101: icmp_seq=1 ttl=64 time=0.000 ms\n"
        + "64 bytes from 192.168.10.101: icmp_seq=2 ttl=64 time=0.000 ms\n"
        + STATS.formatted("192.168.10.101")
        + "2 packets transmitted, 2 received, 0% packet loss, time 1000ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals("", r.err());
    assertEquals(0, r.code());

    r = lab.run(Duration.ofSeconds(5), "a", "ping", "-c", "3", "-i", "0.5", "192.168.20.100");
    assertEquals("PING 192.168.20.100 (192.168.20.100) 56(84) bytes of data.\n"
        + "64 bytes from 192.168.20.100: icmp_seq=1 ttl=63 time=0.000 ms\n"
        + "64 bytes from 192.168.20.100: icmp_seq=2 ttl=63 time=0.000 ms\n"
        + "64 bytes from 192.168.20.100: icmp_seq=3 ttl=63 time=0.000 ms\n"
        + STATS.formatted("192.168.20.100")
        + "3 packets transmitted, 3 received, 0% packet loss, time 1000ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals(0, r.code());
  }

  @Test
  void namesFromEtcHostsAndSizeTtlInterface() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ofSeconds(3), "a", "ping", "-c", "1", "-s", "100", "w0");
    assertEquals("PING k8s-w0 (192.168.20.100) 100(128) bytes of data.\n"
        + "108 bytes from k8s-w0 (192.168.20.100): icmp_seq=1 ttl=63 time=0.000 ms\n"
        + STATS.formatted("k8s-w0")
        + "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    r = lab.run(Duration.ofSeconds(3), "a", "ping", "-n", "-q", "-I", "eth1", "k8s-w1", "-c1");
    assertEquals("PING k8s-w1 (192.168.10.101) from 192.168.10.100 eth1: 56(84) bytes of data.\n"
        + STATS.formatted("k8s-w1")
        + "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    // -s 8: no room for the timestamp, so no times
    r = lab.run(Duration.ofSeconds(3), "a", "ping", "-c", "1", "-s", "8", "192.168.10.101");
    assertEquals("PING 192.168.10.101 (192.168.10.101) 8(36) bytes of data.\n"
        + "16 bytes from 192.168.10.101: icmp_seq=1 ttl=64\n"
        + STATS.formatted("192.168.10.101")
        + "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n\n", r.out());
    // TTL 1 dies at the router
    r = lab.run(Duration.ofSeconds(3), "a", "ping", "-c", "1", "-t", "1", "192.168.20.100");
    assertEquals("PING 192.168.20.100 (192.168.20.100) 56(84) bytes of data.\n"
        + "From 192.168.10.200 icmp_seq=1 Time to live exceeded\n"
        + STATS.formatted("192.168.20.100")
        + "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n", r.out());
    assertEquals(1, r.code());
  }

  @Test
  void totalLossWithLingerAndTheTranscriptsDeadlineCase() {
    NetToolsLab lab = new NetToolsLab(false); // b cannot answer: no route back
    NetToolsLab.Run r = lab.start("a", "ping", "-c", "2", "-W", "1", "192.168.20.100");
    lab.advance(Duration.ofMillis(1900));
    assertNull(r.code());
    lab.advance(Duration.ofMillis(100)); // 1 s after the last probe
    assertEquals("PING 192.168.20.100 (192.168.20.100) 56(84) bytes of data.\n"
        + STATS.formatted("192.168.20.100")
        + "2 packets transmitted, 0 received, 100% packet loss, time 1000ms\n\n", r.out());
    assertEquals(1, r.code());

    // kubectl exec ... ping -c 2 -w 1 -W 1 $WEBPOD, before the router knew the way
    r = lab.run(Duration.ofSeconds(3), "a", "ping", "-c", "2", "-w", "1", "-W", "1", "192.168.20.100");
    assertEquals("PING 192.168.20.100 (192.168.20.100) 56(84) bytes of data.\n"
        + STATS.formatted("192.168.20.100")
        + "1 packets transmitted, 0 received, 100% packet loss, time 0ms\n\n", r.out());
    assertEquals(1, r.code());

    // ... and after: one reply by the deadline, fewer than COUNT, so exit code 1
    NetToolsLab ok = new NetToolsLab(true);
    r = ok.run(Duration.ofSeconds(3), "a", "ping", "-c", "2", "-w", "1", "-W", "1", "192.168.20.100");
    assertEquals("PING 192.168.20.100 (192.168.20.100) 56(84) bytes of data.\n"
        + "64 bytes from 192.168.20.100: icmp_seq=1 ttl=63 time=0.000 ms\n"
        + STATS.formatted("192.168.20.100")
        + "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals(1, r.code());
    // -w alone: replies until the deadline, exit 0
    r = ok.run(Duration.ofSeconds(4), "a", "ping", "-w", "2", "-q", "192.168.10.101");
    assertEquals("PING 192.168.10.101 (192.168.10.101) 56(84) bytes of data.\n"
        + STATS.formatted("192.168.10.101")
        + "2 packets transmitted, 2 received, 0% packet loss, time 1000ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals(0, r.code());
  }

  @Test
  void destinationHostUnreachableAfterArpFails() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.run(Duration.ofSeconds(10), "a", "ping", "-c", "1", "192.168.10.9");
    assertEquals("PING 192.168.10.9 (192.168.10.9) 56(84) bytes of data.\n"
        + "From 192.168.10.100 icmp_seq=1 Destination Host Unreachable\n"
        + STATS.formatted("192.168.10.9")
        + "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms\n\n", r.out());
    assertEquals(1, r.code());
  }

  @Test
  void ctrlCPrintsTheStatistics() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run r = lab.start("a", "ping", "192.168.10.101");
    lab.advance(Duration.ofMillis(2500));
    assertNull(r.code());
    r.signal("INT");
    lab.settle();
    assertEquals("PING 192.168.10.101 (192.168.10.101) 56(84) bytes of data.\n"
        + "64 bytes from 192.168.10.101: icmp_seq=1 ttl=64 time=0.000 ms\n"
        + "64 bytes from 192.168.10.101: icmp_seq=2 ttl=64 time=0.000 ms\n"
        + "64 bytes from 192.168.10.101: icmp_seq=3 ttl=64 time=0.000 ms\n"
        + STATS.formatted("192.168.10.101")
        + "3 packets transmitted, 3 received, 0% packet loss, time 2000ms\n"
        + "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms\n", r.out());
    assertEquals(0, r.code());
    // TERM: no handler in ping, no statistics
    NetToolsLab.Run t = lab.start("a", "ping", "192.168.10.101");
    t.signal("TERM");
    lab.settle();
    assertEquals(143, t.code());
    assertEquals("PING 192.168.10.101 (192.168.10.101) 56(84) bytes of data.\n"
        + "64 bytes from 192.168.10.101: icmp_seq=1 ttl=64 time=0.000 ms\n", t.out());
  }

  @Test
  void errorsBeforeTheFirstProbe() {
    NetToolsLab lab = new NetToolsLab(false);
    NetToolsLab.Run r = lab.run(Duration.ZERO, "b", "ping", "-c", "1", "8.8.8.8");
    assertEquals("", r.out());
    assertEquals("ping: connect: Network is unreachable\n", r.err());
    assertEquals(2, r.code());
    r = lab.run(Duration.ZERO, "a", "ping", "foo");
    assertEquals("ping: foo: Name or service not known\n", r.err());
    assertEquals(2, r.code());
    r = lab.run(Duration.ZERO, "a", "ping");
    assertEquals("ping: usage error: Destination address required\n", r.err());
    assertEquals(1, r.code());
    r = lab.run(Duration.ZERO, "a", "ping", "-c", "0", "192.168.10.101");
    assertEquals("ping: invalid argument: '0': out of range: 1 <= value <= 9223372036854775807\n", r.err());
    assertEquals(1, r.code());
    r = lab.run(Duration.ZERO, "a", "ping", "-c", "x", "192.168.10.101");
    assertEquals("ping: invalid argument: 'x'\n", r.err());
    r = lab.run(Duration.ZERO, "a", "ping", "-i", "abc", "192.168.10.101");
    assertEquals("ping: bad timing interval: abc\n", r.err());
    assertEquals(2, r.code());
    r = lab.run(Duration.ZERO, "a", "ping", "-W", "0", "192.168.10.101");
    assertEquals("ping: bad linger time: 0\n", r.err());
    r = lab.run(Duration.ZERO, "a", "ping", "-k", "192.168.10.101");
    assertEquals(2, r.code());
    assertEquals("ping: invalid option -- 'k'\n" + PingTool.usage(), r.err());
    r = lab.run(Duration.ZERO, "a", "ping", "-I", "eth9", "192.168.10.101");
    assertEquals("ping: SO_BINDTODEVICE eth9: No such device\n", r.err());
    assertEquals(2, r.code());
    r = lab.run(Duration.ZERO, "a", "ping", "-c");
    assertEquals("ping: option requires an argument -- 'c'\n" + PingTool.usage(), r.err());
  }

  @Test
  void timeAndLossFormatsAsIputils() {
    assertEquals("0.958", PingTool.formatTime(958));
    assertEquals("0.007", PingTool.formatTime(7));
    assertEquals("1.23", PingTool.formatTime(1234));
    assertEquals("9.99", PingTool.formatTime(9994));
    assertEquals("10.0", PingTool.formatTime(9995));
    assertEquals("12.3", PingTool.formatTime(12345));
    assertEquals("100", PingTool.formatTime(99950));
    assertEquals("1235", PingTool.formatTime(1234567));
    assertEquals("0", CFormat.g(0));
    assertEquals("100", CFormat.g(100));
    assertEquals("33.3333", CFormat.g((float) (100.0 / 3)));
    assertEquals("66.6667", CFormat.g((float) (200.0 / 3)));
    assertEquals("0.990099", CFormat.g((float) (100.0 / 101)));
    assertEquals("50", CFormat.g(50f));
  }
}
