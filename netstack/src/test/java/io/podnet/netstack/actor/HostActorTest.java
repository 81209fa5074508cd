package io.podnet.netstack.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.core.PingSocket;
import io.podnet.netstack.tool.ArpTool;
import io.podnet.netstack.tool.IpTool;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.proto.packet.Ipv4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class HostActorTest {
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """)).withFallback(ConfigFactory.load()));
  static final ManualTime manualTime = ManualTime.get(testKit.system());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A test tool: one echo request to args[0]; prints the reply or the error, or times out after 1 s. */
  static final ToolFactory PROBE = (ctx, args) -> new Tool() {
    PingSocket sock;

    @Override
    public void start() {
      sock = ctx.core().openPing(4242);
      ctx.onExit(() -> sock.close());
      sock.setListener(ev -> {
        if (ev instanceof PingSocket.EchoReply r) {
          ctx.out("reply from " + r.from() + " ttl=" + r.ttl() + "\n");
          ctx.exit(0);
        } else if (ev instanceof PingSocket.Error e) {
          ctx.out("From " + e.from() + " " + e.text() + "\n");
          ctx.exit(1);
        }
      });
      int rc = sock.send(Ipv4Address.parse(args.get(0)), 1, new byte[56]);
      if (rc != 0) {
        ctx.err("send: errno " + rc + "\n");
        ctx.exit(2);
        return;
      }
      ctx.after(1_000_000, () -> {
        ctx.out("timeout\n");
        ctx.exit(1);
      });
    }
  };

  static final Map<String, ToolFactory> TOOLS = Map.of("ip", IpTool::new, "arp", ArpTool::new, "probe", PROBE);

  static HostConfig host(String name, String mac, String addr, String segment, List<String> routes) {
    return new HostConfig(name, name.hashCode(), false,
        List.of(new HostConfig.LinkConfig("eth1", "ethernet", segment, mac, 1500, List.of(addr), 0)), routes,
        Map.of("192.168.10.101", "k8s-w1"));
  }

  record Result(String out, String err, int code) {}

  static Result run(ActorRef<HostActor.Command> host, String... argv) {
    TestProbe<ToolOutput> probe = testKit.createTestProbe();
    host.tell(new HostActor.RunTool("t" + System.identityHashCode(probe), List.of(argv), "/tmp", probe.getRef()));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    while (true) {
      ToolOutput o = probe.receiveMessage(Duration.ofSeconds(5));
      if (o instanceof ToolOutput.Stdout s) {
        out.append(s.text());
      } else if (o instanceof ToolOutput.Stderr s) {
        err.append(s.text());
      } else {
        return new Result(out.toString(), err.toString(), ((ToolOutput.Exited) o).code());
      }
    }
  }

  @Test
  void twoHostsOnASegmentResolveAndPing() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan-a"), "lan-a");
    ActorRef<HostActor.Command> a = testKit.spawn(HostActor.create(host("a", "08:00:27:04:d1:9c",
        "192.168.10.100/24", "lan-a", List.of()), Map.of("eth1", seg), TOOLS), "a");
    ActorRef<HostActor.Command> b = testKit.spawn(HostActor.create(host("b", "08:00:27:af:e6:df",
        "192.168.10.101/24", "lan-a", List.of()), Map.of("eth1", seg), TOOLS), "b");
    // Attachment is asynchronous: probe until both ports are up.
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    stats.awaitAssert(() -> {
      seg.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(2, stats.receiveMessage().ports().size());
      return null;
    });
    assertEquals(new Result("reply from 192.168.10.101 ttl=64\n", "", 0), run(a, "probe", "192.168.10.101"));
    assertEquals("k8s-w1 (192.168.10.101) at 08:00:27:af:e6:df [ether] on eth1\n", run(a, "arp", "-a").out());
    assertEquals("? (192.168.10.101) at 08:00:27:af:e6:df [ether] on eth1\n", run(a, "arp", "-an").out());
    // b learned a from its request (STALE), then used the entry for its reply: DELAY, as on Linux.
    assertEquals("192.168.10.100 dev eth1 lladdr 08:00:27:04:d1:9c DELAY \n", run(b, "ip", "neigh").out());
  }

  @Test
  void unansweredNeighbourTimesOutOnManualTime() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan-b"), "lan-b");
    ActorRef<HostActor.Command> a = testKit.spawn(HostActor.create(host("c", "08:00:27:00:00:0c",
        "192.168.10.100/24", "lan-b", List.of()), Map.of("eth1", seg), TOOLS), "c");
    TestProbe<ToolOutput> probe = testKit.createTestProbe();
    a.tell(new HostActor.RunTool("p1", List.of("probe", "192.168.10.9"), "/", probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(100));
    manualTime.timePasses(Duration.ofMillis(999));
    probe.expectNoMessage(Duration.ofMillis(50));
    manualTime.timePasses(Duration.ofMillis(1));
    assertEquals(new ToolOutput.Stdout("p1", "timeout\n"), probe.receiveMessage());
    assertEquals(new ToolOutput.Exited("p1", 1), probe.receiveMessage());
    // ARP keeps going on its own timers: after 3 s the entry is FAILED.
    manualTime.timePasses(Duration.ofSeconds(2));
    assertEquals("192.168.10.9 dev eth1 FAILED \n", run(a, "ip", "neigh").out());
  }

  @Test
  void ipRouteAndUnknownTools() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan-c"), "lan-c");
    ActorRef<HostActor.Command> h = testKit.spawn(HostActor.create(host("d", "08:00:27:00:00:0d",
        "192.168.20.100/24", "lan-c", List.of("10.10.0.0/16 via 192.168.20.200 proto static")), Map.of("eth1", seg),
        TOOLS), "d");
    assertEquals("10.10.0.0/16 via 192.168.20.200 dev eth1 proto static \n"
        + "192.168.20.0/24 dev eth1 proto kernel scope link src 192.168.20.100 \n", run(h, "ip", "route").out());
    assertEquals(new Result("", "podnet: curl: no such tool on d\n", 127), run(h, "curl", "x"));
    Result bad = run(h, "ip", "route", "add", "10.0.0.0/8", "via", "1.2.3.4");
    assertEquals(2, bad.code());
    assertEquals("Error: Nexthop has invalid gateway.\n", bad.err());
  }

  @Test
  void killedToolStopsQuietly() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan-d"), "lan-d");
    ActorRef<HostActor.Command> a = testKit.spawn(HostActor.create(host("e", "08:00:27:00:00:0e",
        "192.168.10.100/24", "lan-d", List.of()), Map.of("eth1", seg), TOOLS), "e");
    TestProbe<ToolOutput> probe = testKit.createTestProbe();
    a.tell(new HostActor.RunTool("k1", List.of("probe", "192.168.10.9"), "/", probe.getRef()));
    a.tell(new HostActor.KillTool("k1"));
    manualTime.timePasses(Duration.ofSeconds(2));
    probe.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void badConfigurationIsReportedWithPaths() {
    HostConfig bad = new HostConfig("r", 1, true, List.of(new HostConfig.LinkConfig("eth1", "ethernet", "x",
        "08:00:27:00:00:01", 1500, List.of("10.0.0.1/24"), 0)), List.of("10.9.0.0/16 via 10.1.1.1",
        "default via 10.0.0.254 metric 5"), Map.of());
    HostSetup.SetupException e = assertThrows(HostSetup.SetupException.class, () -> HostSetup.build(bad));
    assertEquals(List.of("hosts.r.routes[0]: ip route add 10.9.0.0/16 via 10.1.1.1: Error: Nexthop has invalid gateway."),
        e.problems());
    assertTrue(new ArrayList<>(e.problems()).size() == 1);
  }
}
