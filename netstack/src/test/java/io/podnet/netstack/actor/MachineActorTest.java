package io.podnet.netstack.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.netstack.tool.Tools;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@code reboot} on a host: the command exits 0, running commands end as an ssh session does, the
 * extension shuts down gracefully (or not at all with {@code -f}), the machine stays down for its
 * boot time, then comes back with a fresh stack that answers on its segment again.
 */
class MachineActorTest {
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """)).withFallback(ConfigFactory.load()));
  static final ManualTime manualTime = ManualTime.get(testKit.system());
  static final Duration BOOT = Duration.ofSeconds(30);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** An extension that logs its life and finishes its graceful shutdown when told to. */
  static final class Recorder implements HostExtension {
    final List<String> log;
    final boolean slow;
    Runnable pending;

    Recorder(List<String> log, boolean slow) {
      this.log = log;
      this.slow = slow;
    }

    @Override
    public void start(Context ctx) {
      log.add("start");
    }

    @Override
    public void shutdown(Runnable done) {
      log.add("shutdown");
      if (slow) {
        pending = done; // never finishes: the host's timeout takes it down
      } else {
        done.run();
      }
    }

    @Override
    public void stop() {
      log.add("stop");
    }
  }

  private record Lab(ActorRef<HostActor.Command> machine, ActorRef<HostActor.Command> peer, List<String> log) {}

  private static Lab lab(String suffix, boolean slowShutdown) {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("lan"), "lan-" + suffix);
    List<String> log = new CopyOnWriteArrayList<>();
    HostConfig a = new HostConfig("a", 1, false, List.of(new HostConfig.LinkConfig("eth1", "ethernet", "lan",
        "08:00:27:00:00:0a", 1500, List.of("192.168.10.100/24"), 0)), List.of(), Map.of());
    HostConfig c = new HostConfig("c", 2, false, List.of(new HostConfig.LinkConfig("eth1", "ethernet", "lan",
        "08:00:27:00:00:0c", 1500, List.of("192.168.10.101/24"), 0)), List.of(), Map.of());
    ActorRef<HostActor.Command> machine = testKit.spawn(MachineActor.create("a", BOOT, reboot -> {
      Map<String, ToolFactory> tools = new HashMap<>(Tools.standard());
      tools.put("reboot", reboot);
      return HostActor.create(a, Map.of("eth1", seg), tools, new Recorder(log, slowShutdown));
    }), "machine-a-" + suffix);
    ActorRef<HostActor.Command> peer = testKit.spawn(HostActor.create(c, Map.of("eth1", seg), Tools.standard()),
        "c-" + suffix);
    TestProbe<SegmentActor.Stats> stats = testKit.createTestProbe();
    stats.awaitAssert(() -> {
      seg.tell(new SegmentActor.GetStats(stats.getRef()));
      assertEquals(2, stats.receiveMessage().ports().size());
      return null;
    });
    return new Lab(machine, peer, log);
  }

  private static HostActorTest.Result run(ActorRef<HostActor.Command> host, String... argv) {
    TestProbe<ToolOutput> probe = testKit.createTestProbe();
    host.tell(new HostActor.RunTool("t", List.of(argv), "/tmp", probe.getRef()));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    while (true) {
      ToolOutput o = probe.receiveMessage(Duration.ofSeconds(5));
      if (o instanceof ToolOutput.Stdout t) {
        out.append(t.text());
      } else if (o instanceof ToolOutput.Stderr t) {
        err.append(t.text());
      } else {
        return new HostActorTest.Result(out.toString(), err.toString(), ((ToolOutput.Exited) o).code());
      }
    }
  }

  /** Waits (a real-time bound) until the extension's life so far is {@code expected}. */
  private static void awaitLog(Lab lab, String... expected) {
    testKit.createTestProbe().awaitAssert(() -> {
      assertEquals(List.of(expected), List.copyOf(lab.log()));
      return null;
    });
  }

  /** Moves the lab clock on in 1 s steps, each followed by a command round trip through every host. */
  private static void pass(Lab lab, Duration d) {
    for (long s = 0; s < d.toSeconds(); s++) {
      manualTime.timePasses(Duration.ofSeconds(1));
      run(lab.machine(), "no-such-tool");
      run(lab.peer(), "no-such-tool");
    }
  }

  @Test
  void rebootTakesTheHostDownForItsBootTimeAndBringsBackAFreshOne() {
    Lab lab = lab("graceful", false);
    assertEquals(0, run(lab.machine(), "ip", "route", "add", "10.9.0.0/16", "via", "192.168.10.101").code());
    assertEquals(0, run(lab.machine(), "ping", "-c", "1", "-W", "1", "192.168.10.101").code());
    // a command running when the machine goes down ends as ssh says
    TestProbe<ToolOutput> running = testKit.createTestProbe();
    lab.machine().tell(new HostActor.RunTool("dump", List.of("tcpdump", "-i", "eth1", "-nn"), "/", running.getRef()));
    run(lab.machine(), "no-such-tool");

    HostActorTest.Result r = run(lab.machine(), "reboot");
    assertEquals(new HostActorTest.Result("", "", 0), r);
    List<ToolOutput> ended = new java.util.ArrayList<>();
    while (ended.isEmpty() || !(ended.get(ended.size() - 1) instanceof ToolOutput.Exited)) {
      ended.add(running.receiveMessage(Duration.ofSeconds(5)));
    }
    assertTrue(ended.contains(new ToolOutput.Stderr("dump", "Connection to a closed by remote host.\n")), ended.toString());
    assertEquals(new ToolOutput.Exited("dump", 255), ended.get(ended.size() - 1));
    awaitLog(lab, "start", "shutdown", "stop");

    // down: no command runs, nothing answers on the segment
    assertEquals(new HostActorTest.Result("", "podnet: a is rebooting\n", 255), run(lab.machine(), "ip", "route"));
    TestProbe<ToolOutput> arping = testKit.createTestProbe();
    lab.peer().tell(new HostActor.RunTool("arping", List.of("arping", "-c", "1", "-i", "eth1", "192.168.10.100"), "/",
        arping.getRef()));
    pass(lab, Duration.ofSeconds(2));
    List<ToolOutput> unanswered = arping.receiveSeveralMessages(4, Duration.ofSeconds(5));
    assertEquals(new ToolOutput.Exited("arping", 1), unanswered.get(3), unanswered.toString());

    pass(lab, BOOT.minusSeconds(3));
    assertEquals(255, run(lab.machine(), "ip", "route").code());
    pass(lab, Duration.ofSeconds(1));
    awaitLog(lab, "start", "shutdown", "stop", "start");
    // a fresh stack: the route added before the reboot is gone, the configured address is back
    HostActorTest.Result routes = run(lab.machine(), "ip", "route");
    assertEquals("192.168.10.0/24 dev eth1 proto kernel scope link src 192.168.10.100 \n", routes.out());
    assertEquals(0, run(lab.peer(), "ping", "-c", "1", "-W", "1", "192.168.10.100").code());
  }

  @Test
  void forcedRebootSkipsTheGracefulShutdownAndASlowShutdownIsCutShort() {
    Lab forced = lab("forced", false);
    assertEquals(0, run(forced.machine(), "reboot", "-f").code());
    run(forced.peer(), "no-such-tool");
    assertEquals(255, run(forced.machine(), "ip", "route").code());
    awaitLog(forced, "start", "stop");

    Lab slow = lab("slow", true);
    assertEquals(0, run(slow.machine(), "reboot").code());
    HostActorTest.Result going = run(slow.machine(), "ip", "route");
    assertEquals(new HostActorTest.Result("", "podnet: a is going down\n", 255), going);
    awaitLog(slow, "start", "shutdown");
    pass(slow, HostActor.SHUTDOWN_TIMEOUT);
    awaitLog(slow, "start", "shutdown", "stop");
    assertEquals("podnet: a is rebooting\n", run(slow.machine(), "ip", "route").err());
  }

  @Test
  void rebootRejectsWhatSystemdsRejects() {
    Lab lab = lab("usage", false);
    assertEquals(new HostActorTest.Result("", "reboot: unrecognized option '--now'\n", 1),
        run(lab.machine(), "reboot", "--now"));
    assertEquals(new HostActorTest.Result("", "reboot: invalid option -- 'x'\n", 1), run(lab.machine(), "reboot", "-x"));
    assertEquals(new HostActorTest.Result("", "reboot: too many arguments.\n", 1), run(lab.machine(), "reboot", "now"));
    assertEquals(0, run(lab.machine(), "reboot", "--help").code());
    assertEquals(List.of("start"), List.copyOf(lab.log()));
  }
}
