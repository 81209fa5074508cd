package io.podnet.node.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostExtension;
import io.podnet.netstack.actor.ToolOutput;
import io.podnet.proto.packet.TcpHeader;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The tools inside a node's host actor: the agent (a host extension) records flows and answers
 * helm on the host's thread, a following {@code hubble observe} prints them as they come, and
 * Ctrl-C reaches it as a signal.
 */
class NodeToolsActorTest {
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """)).withFallback(ConfigFactory.load()));
  static final AtomicInteger ids = new AtomicInteger();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** The node's agent on the host thread: its tools, and events the test triggers through its inbox. */
  static final class Agent implements HostExtension {
    final FakeAgent agent;
    volatile ActorRef<String> inbox;

    Agent(FakeAgent agent) {
      this.agent = agent;
    }

    @Override
    public void start(Context ctx) {
      NodeTools.standard(agent).forEach(ctx::addTool);
      inbox = ctx.adapter(String.class);
    }

    @Override
    public void onMessage(Object message) {
      try {
        switch ((String) message) {
          case "flow" -> agent.ring.add(HubbleToolTest.tcp(HubbleToolTest.T, HubbleToolTest.CURL, 36548,
              HubbleToolTest.WEB, 80, TcpHeader.SYN, "to-endpoint", false));
          case "udp" -> agent.ring.add(HubbleToolTest.udp(HubbleToolTest.T));
          case "helm-done" -> agent.completeUpgrade();
          default -> throw new AssertionError(message);
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  static String id() {
    return "run-" + ids.incrementAndGet();
  }

  static TestProbe<ToolOutput> start(ActorRef<HostActor.Command> host, String id, String line) {
    TestProbe<ToolOutput> probe = testKit.createTestProbe();
    host.tell(new HostActor.RunTool(id, Arrays.asList(line.split(" ")), "/root", probe.getRef()));
    return probe;
  }

  static Agent node(String name) throws Exception {
    Agent a = new Agent(new FakeAgent());
    ActorRef<HostActor.Command> host = testKit.spawn(HostActor.create(new HostConfig(name, 1, false, List.of(),
        List.of(), Map.of()), Map.of(), Map.of(), a), name);
    hosts.put(a, host);
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(() -> {
      assertNotNull(a.inbox);
      return null;
    });
    return a;
  }

  static final Map<Agent, ActorRef<HostActor.Command>> hosts = new java.util.concurrent.ConcurrentHashMap<>();

  @Test
  void followingObserveGetsFlowsFromTheHostThreadUntilCtrlC() throws Exception {
    Agent a = node("node-a");
    ActorRef<HostActor.Command> host = hosts.get(a);
    String id = id();
    TestProbe<ToolOutput> probe = start(host, id, "hubble observe -f --protocol tcp");
    a.inbox.tell("udp");
    a.inbox.tell("flow");
    assertEquals(new ToolOutput.Stdout(id, HubbleToolTest.SYN), probe.receiveMessage(Duration.ofSeconds(5)));
    host.tell(new HostActor.SignalTool(id, "INT"));
    assertEquals(new ToolOutput.Exited(id, 0), probe.receiveMessage(Duration.ofSeconds(5)));
    a.inbox.tell("flow");
    probe.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void helmWaitsForTheAgentsAnswerOnTheHostThread() throws Exception {
    Agent a = node("node-b");
    ActorRef<HostActor.Command> host = hosts.get(a);
    String id = id();
    TestProbe<ToolOutput> probe = start(host, id, CiliumToolsTest.HELM_GENEVE);
    TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(() -> {
      assertEquals(1, a.agent.upgrades);
      return null;
    });
    probe.expectNoMessage(Duration.ofMillis(50));
    a.inbox.tell("helm-done");
    ToolOutput out = probe.receiveMessage(Duration.ofSeconds(5));
    assertTrue(out instanceof ToolOutput.Stdout s
        && s.text().startsWith("Release \"cilium\" has been upgraded. Happy Helming!\n"), out.toString());
    assertEquals(new ToolOutput.Exited(id, 0), probe.receiveMessage(Duration.ofSeconds(5)));
    // the restarted agent shows the new routing
    String id2 = id();
    TestProbe<ToolOutput> status = start(host, id2, "cilium-dbg status");
    ToolOutput s = status.receiveMessage(Duration.ofSeconds(5));
    assertTrue(s instanceof ToolOutput.Stdout o && o.text().contains("Network: Tunnel [geneve]"), s.toString());
    assertEquals(new ToolOutput.Exited(id2, 0), status.receiveMessage(Duration.ofSeconds(5)));
  }
}
