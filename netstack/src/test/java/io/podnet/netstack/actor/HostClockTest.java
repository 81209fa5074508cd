package io.podnet.netstack.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.tool.Tools;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hosts' CLOCK_REALTIME: a lab that sets {@link LabClock#REALTIME_ORIGIN} gets it as the time
 * of day in tcpdump's lines and captures and in HTTP dates, plus lab time (ManualTime here).
 */
class HostClockTest {
  static final long ORIGIN_MS = Instant.parse("2025-08-08T15:05:43.118Z").toEpochMilli();
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          podnet.clock.realtime-origin-ms = %d
          """.formatted(ORIGIN_MS))).withFallback(ConfigFactory.load()));
  static final ManualTime manualTime = ManualTime.get(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void tcpdumpAndHttpDatesShowTheLabsTimeOfDay(@TempDir Path dir) throws Exception {
    assertEquals(ORIGIN_MS * 1000, LabClock.get(testKit.system()).realtimeOriginMicros());
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan-t"), "lan-t");
    var tools = Tools.standard();
    ActorRef<HostActor.Command> a = testKit.spawn(HostActor.create(HostActorTest.host("a", "08:00:27:04:d1:9c",
        "192.168.10.100/24", "lan-t", List.of()), Map.of("eth1", seg), tools), "a");
    ActorRef<HostActor.Command> b = testKit.spawn(HostActor.create(HostActorTest.host("b", "08:00:27:af:e6:df",
        "192.168.10.101/24", "lan-t", List.of()), Map.of("eth1", seg), tools), "b");
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    stats.awaitAssert(() -> {
      seg.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(2, stats.receiveMessage().ports().size());
      return null;
    });
    manualTime.timePasses(Duration.ofMillis(2_500));
    TestProbe<ToolOutput> dump = testKit.createTestProbe();
    b.tell(new HostActor.RunTool("dump", List.of("tcpdump", "-nn", "-c", "1", "icmp"), "/tmp", dump.getRef()));
    TestProbe<ToolOutput> pcap = testKit.createTestProbe();
    b.tell(new HostActor.RunTool("pcap", List.of("tcpdump", "-c", "1", "-w", "t.pcap", "icmp"), dir.toString(),
        pcap.getRef()));
    // (b takes both RunTools before the echo request that a sends next reaches it)
    TestProbe<ToolOutput> ping = testKit.createTestProbe();
    a.tell(new HostActor.RunTool("ping", List.of("ping", "-c", "1", "192.168.10.101"), "/tmp", ping.getRef()));
    // 15:05:43.118 + 2.5 s of lab time, in the hosts' zone (UTC)
    ToolOutput o;
    do {
      o = dump.receiveMessage(Duration.ofSeconds(5));
    } while (!(o instanceof ToolOutput.Stdout));
    assertEquals(new ToolOutput.Stdout("dump",
        "15:05:45.618000 IP 192.168.10.100 > 192.168.10.101: ICMP echo request, id 1, seq 1, length 64\n"), o);
    do {
      o = pcap.receiveMessage(Duration.ofSeconds(5));
    } while (!(o instanceof ToolOutput.Exited));
    ByteBuffer rec = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("t.pcap"))).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(ORIGIN_MS / 1000 + 2, rec.getInt(24) & 0xffffffffL, "ts_sec of the first record");
    assertEquals(618_000, rec.getInt(28), "ts_usec of the first record");

    // whoami's Date header is the host's time of day too.
    b.tell(new HostActor.RunTool("web", List.of("whoami"), "/tmp", testKit.<ToolOutput>createTestProbe().getRef()));
    TestProbe<ToolOutput> curl = testKit.createTestProbe();
    a.tell(new HostActor.RunTool("curl", List.of("curl", "-sI", "192.168.10.101"), "/tmp", curl.getRef()));
    StringBuilder head = new StringBuilder();
    do {
      o = curl.receiveMessage(Duration.ofSeconds(5));
      if (o instanceof ToolOutput.Stdout s) {
        head.append(s.text());
      }
    } while (!(o instanceof ToolOutput.Exited));
    assertTrue(head.toString().contains("Date: Fri, 08 Aug 2025 15:05:45 GMT\r\n"), head.toString());
  }
}
