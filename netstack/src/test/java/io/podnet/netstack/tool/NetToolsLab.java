package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.LabClock;
import io.podnet.netstack.actor.SegmentActor;
import io.podnet.netstack.actor.ToolOutput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A small lab for tool tests on ManualTime: host a (192.168.10.100) and host c (192.168.10.101)
 * on lan-a, router r (eth1 192.168.10.200 on lan-a, eth2 192.168.20.200 on lan-b, forwarding),
 * host b (192.168.20.100) on lan-b. a routes 192.168.20.0/24 via r; b's default route is r unless
 * built without it. Time moves only through {@link #advance}, in steps after which every actor of
 * the lab has processed what was sent to it.
 */
final class NetToolsLab {
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """)).withFallback(ConfigFactory.load()));
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  private static final AtomicInteger labs = new AtomicInteger();
  private static final AtomicInteger runs = new AtomicInteger();

  static final String MAC_A = "08:00:27:04:d1:9c";
  static final String MAC_C = "08:00:27:af:e6:df";
  static final String MAC_R1 = "08:00:27:11:11:11";
  static final String MAC_R2 = "08:00:27:22:22:22";
  static final String MAC_B = "08:00:27:3a:be:fa";

  final Map<String, ActorRef<HostActor.Command>> hosts = new HashMap<>();
  final List<ActorRef<SegmentActor.Command>> segments = new ArrayList<>();
  /** The runs started in this lab, whose output sinks {@link #settle} drains. */
  private final List<Run> started = new ArrayList<>();
  private static final AtomicInteger barrierIds = new AtomicInteger();

  NetToolsLab(boolean bHasDefaultRoute) {
    int n = labs.incrementAndGet();
    ActorRef<SegmentActor.Command> lanA = testKit.spawn(SegmentActor.create("lan-a"), "lan-a-" + n);
    ActorRef<SegmentActor.Command> lanB = testKit.spawn(SegmentActor.create("lan-b"), "lan-b-" + n);
    segments.add(lanA);
    segments.add(lanB);
    Map<String, String> etcHosts = Map.of("192.168.10.101", "k8s-w1", "192.168.20.100", "k8s-w0 w0");
    Map<String, ToolFactory> tools = Tools.standard();
    spawn(n, new HostConfig("a", 1, false, List.of(link("eth1", "lan-a", MAC_A, "192.168.10.100/24")),
        List.of("192.168.20.0/24 via 192.168.10.200"), etcHosts), Map.of("eth1", lanA), tools);
    spawn(n, new HostConfig("c", 2, false, List.of(link("eth1", "lan-a", MAC_C, "192.168.10.101/24")),
        List.of(), etcHosts), Map.of("eth1", lanA), tools);
    spawn(n, new HostConfig("r", 3, true, List.of(link("eth1", "lan-a", MAC_R1, "192.168.10.200/24"),
        link("eth2", "lan-b", MAC_R2, "192.168.20.200/24")), List.of(), Map.of()),
        Map.of("eth1", lanA, "eth2", lanB), tools);
    spawn(n, new HostConfig("b", 4, false, List.of(link("eth1", "lan-b", MAC_B, "192.168.20.100/24")),
        bHasDefaultRoute ? List.of("default via 192.168.20.200") : List.of(), etcHosts), Map.of("eth1", lanB),
        tools);
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    stats.awaitAssert(() -> {
      lanA.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(3, stats.receiveMessage().ports().size());
      lanB.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(2, stats.receiveMessage().ports().size());
      return null;
    });
    // The segments' Attached replies reach the hosts through ask adapters, after the ports show
    // up in the segments' stats: give them time, so that no first frame is dropped unattached.
    try {
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    settle();
  }

  private void spawn(int n, HostConfig c, Map<String, ActorRef<SegmentActor.Command>> segs,
      Map<String, ToolFactory> tools) {
    hosts.put(c.name(), testKit.spawn(HostActor.create(c, segs, tools), c.name() + "-" + n));
  }

  private static HostConfig.LinkConfig link(String name, String segment, String mac, String addr) {
    return new HostConfig.LinkConfig(name, "ethernet", segment, mac, 1500, List.of(addr), 0);
  }

  /** A running (or finished) tool: its output so far and its exit code once it exited. */
  static final class Run {
    final String id;
    final ActorRef<HostActor.Command> host;
    final ConcurrentLinkedQueue<ToolOutput> received = new ConcurrentLinkedQueue<>();
    /** Barriers sent to the sink and not yet reached, by id. */
    final Map<String, CompletableFuture<Void>> barriers = new ConcurrentHashMap<>();
    ActorRef<ToolOutput> sink;

    Run(String id, ActorRef<HostActor.Command> host) {
      this.id = id;
      this.host = host;
    }

    String out() {
      StringBuilder sb = new StringBuilder();
      received.forEach(o -> sb.append(o instanceof ToolOutput.Stdout s ? s.text() : ""));
      return sb.toString();
    }

    String err() {
      StringBuilder sb = new StringBuilder();
      received.forEach(o -> sb.append(o instanceof ToolOutput.Stderr s ? s.text() : ""));
      return sb.toString();
    }

    /** The exit code, or null while running. */
    Integer code() {
      for (ToolOutput o : received) {
        if (o instanceof ToolOutput.Exited e) {
          return e.code();
        }
      }
      return null;
    }

    void signal(String sig) {
      host.tell(new HostActor.SignalTool(id, sig));
    }
  }

  /** Starts {@code argv} on {@code host} in {@code cwd}, and lets the lab settle. */
  Run startIn(String cwd, String host, String... argv) {
    Run r = new Run("run-" + runs.incrementAndGet(), hosts.get(host));
    r.sink = testKit.spawn(Behaviors.<ToolOutput>receiveMessage(m -> {
      CompletableFuture<Void> barrier = r.barriers.remove(m.id());
      if (barrier != null) {
        barrier.complete(null);
      } else {
        r.received.add(m);
      }
      return Behaviors.same();
    }));
    started.add(r);
    r.host.tell(new HostActor.RunTool(r.id, List.of(argv), cwd, r.sink));
    settle();
    return r;
  }

  Run start(String host, String... argv) {
    return startIn("/tmp", host, argv);
  }

  /** Runs a tool to its end, moving time on in 100 ms steps (at most {@code limit}). */
  Run run(Duration limit, String host, String... argv) {
    return runIn(limit, "/tmp", host, argv);
  }

  /** {@link #run} in the shell directory {@code cwd}. */
  Run runIn(Duration limit, String cwd, String host, String... argv) {
    Run r = startIn(cwd, host, argv);
    long steps = limit.toMillis() / 100;
    for (long i = 0; i < steps && r.code() == null; i++) {
      advance(Duration.ofMillis(100));
    }
    return r;
  }

  /** Moves the lab clock on in 100 ms steps, letting the lab settle after each. */
  void advance(Duration d) {
    long left = d.toMillis();
    while (left > 0) {
      long step = Math.min(100, left);
      manualTime.timePasses(Duration.ofMillis(step));
      settle();
      left -= step;
    }
  }

  /**
   * Waits until every actor of the lab has handled what was sent to it: three rounds of a request
   * to each segment and host in turn (frames travel host, segment, host, segment, host), then a
   * barrier through each run's output sink, so that what a host sent to a run is in its output.
   */
  void settle() {
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    for (int round = 0; round < 3; round++) {
      for (ActorRef<HostActor.Command> h : hosts.values()) {
        TestProbe<ToolOutput> p = testKit.createTestProbe();
        h.tell(new HostActor.RunTool("barrier", List.of("no-such-tool"), "/", p.getRef()));
        p.receiveMessage(Duration.ofSeconds(5));
        p.receiveMessage(Duration.ofSeconds(5));
        for (ActorRef<SegmentActor.Command> s : segments) {
          s.tell(new SegmentActor.GetStats(stats.getRef()));
          stats.receiveMessage(Duration.ofSeconds(5));
        }
      }
    }
    for (Run r : started) {
      String id = "barrier-" + barrierIds.incrementAndGet();
      CompletableFuture<Void> reached = new CompletableFuture<>();
      r.barriers.put(id, reached);
      r.sink.tell(new ToolOutput.Stdout(id, ""));
      try {
        reached.get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("the output sink of " + r.id + " did not answer a barrier", e);
      }
    }
  }

  /** The lab clock now, in microseconds. */
  static long now() {
    return LabClock.get(testKit.system()).nowMicros();
  }
}
