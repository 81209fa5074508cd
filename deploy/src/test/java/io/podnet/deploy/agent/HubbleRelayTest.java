package io.podnet.deploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.node.agent.Hubble;
import io.podnet.node.agent.HubbleRelay;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.proto.packet.Ipv4Address;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hubble Relay on its own, with probes as the nodes' observers: every GetFlows goes to every
 * observer, the backlogs come back merged in time order and cut to --last, followed flows are
 * forwarded until the requester stops. Messages cross the serializer (serialize-messages on).
 */
class HubbleRelayTest {
  final ActorTestKit testKit = ActorTestKit.create("relay", com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.serialize-messages = on").withFallback(com.typesafe.config.ConfigFactory.load()));

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  static Flow flow(String node, int n) {
    return new Flow(1_000_000L * n, node, Ipv4Address.parse("172.20.0.10"), Ipv4Address.parse("172.20.1.20"), 1, 0, 0,
        0, 8, 0, 1000, 2000, "default/a", "default/b", Flow.Kind.TRACE, Flow.Verdict.FORWARDED, "to-stack", false);
  }

  ActorRef<HubbleRelay.Command> relayWith(List<TestProbe<Hubble.Observe>> observers, Duration nodeTimeout) {
    for (TestProbe<Hubble.Observe> o : observers) {
      testKit.system().receptionist().tell(Receptionist.register(Hubble.OBSERVER, o.ref()));
    }
    TestProbe<Receptionist.Listing> listing = testKit.createTestProbe();
    listing.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(Hubble.OBSERVER, listing.ref()));
      assertEquals(observers.size(), listing.receiveMessage().getServiceInstances(Hubble.OBSERVER).size());
      return null;
    });
    ActorRef<HubbleRelay.Command> relay = testKit.spawn(HubbleRelay.create(nodeTimeout));
    return relay;
  }

  /** A GetFlows the relay has passed to every observer; a fresh client per try (an early try gets an empty answer). */
  record Asked(TestProbe<Hubble.Flows> client, List<Hubble.Observe> asked) {}

  Asked ask(ActorRef<HubbleRelay.Command> relay, List<String> filter, boolean follow,
      List<TestProbe<Hubble.Observe>> observers) {
    Asked[] a = new Asked[1];
    testKit.createTestProbe().awaitAssert(() -> {
      TestProbe<Hubble.Flows> client = testKit.createTestProbe();
      relay.tell(new Hubble.Observe(filter, follow, client.ref()));
      List<Hubble.Observe> got = new java.util.ArrayList<>();
      for (TestProbe<Hubble.Observe> o : observers) {
        got.add(o.receiveMessage(Duration.ofMillis(200)));
      }
      a[0] = new Asked(client, got);
      return null;
    });
    return a[0];
  }

  @Test
  void backlogsOfEveryNodeMergedInTimeOrderAndCutToLast() {
    TestProbe<Hubble.Observe> w1 = testKit.createTestProbe();
    TestProbe<Hubble.Observe> w2 = testKit.createTestProbe();
    ActorRef<HubbleRelay.Command> relay = relayWith(List.of(w1, w2), Duration.ofSeconds(5));
    List<String> filter = List.of("--pod", "default/a", "--last", "3");
    Asked a = ask(relay, filter, false, List.of(w1, w2));
    TestProbe<Hubble.Flows> client = a.client();
    Hubble.Observe[] asked = a.asked().toArray(new Hubble.Observe[0]);
    assertEquals(filter, asked[0].filter());
    asked[0].replyTo().tell(new Hubble.Flows(List.of(flow("k8s-w1", 1), flow("k8s-w1", 4)), true));
    asked[1].replyTo().tell(new Hubble.Flows(List.of(flow("k8s-w2", 2), flow("k8s-w2", 3), flow("k8s-w2", 5)), true));
    assertEquals(new Hubble.Flows(List.of(flow("k8s-w2", 3), flow("k8s-w1", 4), flow("k8s-w2", 5)), true),
        client.receiveMessage());
    client.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void followForwardsEveryNodesNewFlowsUntilTheRequesterStops() {
    TestProbe<Hubble.Observe> w1 = testKit.createTestProbe();
    TestProbe<Hubble.Observe> w2 = testKit.createTestProbe();
    ActorRef<HubbleRelay.Command> relay = relayWith(List.of(w1, w2), Duration.ofSeconds(5));
    Asked a = ask(relay, List.of("-f"), true, List.of(w1, w2));
    TestProbe<Hubble.Flows> client = a.client();
    Hubble.Observe[] asked = a.asked().toArray(new Hubble.Observe[0]);
    // A followed flow that overtakes the other node's backlog waits for the merged backlog.
    asked[0].replyTo().tell(new Hubble.Flows(List.of(), true));
    asked[0].replyTo().tell(new Hubble.Flows(List.of(flow("k8s-w1", 7)), false));
    asked[1].replyTo().tell(new Hubble.Flows(List.of(), true));
    assertEquals(new Hubble.Flows(List.of(), true), client.receiveMessage());
    assertEquals(new Hubble.Flows(List.of(flow("k8s-w1", 7)), false), client.receiveMessage());
    asked[1].replyTo().tell(new Hubble.Flows(List.of(flow("k8s-w2", 8)), false));
    assertEquals(new Hubble.Flows(List.of(flow("k8s-w2", 8)), false), client.receiveMessage());
    // The requester goes (Ctrl-C): the request ends, and with it the observers' follow (they watch it).
    TestProbe<Object> watcher = testKit.createTestProbe();
    client.stop();
    watcher.expectTerminated(asked[0].replyTo(), Duration.ofSeconds(3));
  }

  @Test
  void aNodeThatDoesNotAnswerIsLeftOutAfterTheTimeout() {
    TestProbe<Hubble.Observe> w1 = testKit.createTestProbe();
    TestProbe<Hubble.Observe> silent = testKit.createTestProbe();
    ActorRef<HubbleRelay.Command> relay = relayWith(List.of(w1, silent), Duration.ofMillis(300));
    Asked a = ask(relay, List.of(), false, List.of(w1, silent));
    TestProbe<Hubble.Flows> client = a.client();
    Hubble.Observe[] asked = a.asked().toArray(new Hubble.Observe[0]);
    asked[0].replyTo().tell(new Hubble.Flows(List.of(flow("k8s-w1", 1)), true));
    assertEquals(new Hubble.Flows(List.of(flow("k8s-w1", 1)), true), client.receiveMessage(Duration.ofSeconds(3)));
  }

  @Test
  void noObserversAnEmptyBacklog() {
    ActorRef<HubbleRelay.Command> relay = testKit.spawn(HubbleRelay.create());
    TestProbe<Hubble.Flows> client = testKit.createTestProbe();
    relay.tell(new Hubble.Observe(List.of(), false, client.ref()));
    assertEquals(new Hubble.Flows(List.of(), true), client.receiveMessage());
    client.expectNoMessage(Duration.ofMillis(100));
  }
}
