package io.podnet.deploy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** Hubble Relay on its own: found through the Receptionist, every batch to every subscriber. */
class HubbleRelayTest {
  final ActorTestKit testKit = ActorTestKit.create("relay", com.typesafe.config.ConfigFactory.parseString(
      "pekko.actor.serialize-messages = on"));

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  static Flow flow(String node, int n) {
    return new Flow(1_000_000L * n, node, Ipv4Address.parse("172.20.0.10"), Ipv4Address.parse("172.20.1.20"), 1, 0, 0,
        0, 8, 0, 1000, 2000, "default/a", "default/b", Flow.Kind.TRACE, Flow.Verdict.FORWARDED, "to-stack", false);
  }

  @Test
  void everySubscriberGetsEveryNodesBatchesInOrder() {
    ActorRef<HubbleRelay.Command> relay = testKit.spawn(HubbleRelay.create(), "relay");
    TestProbe<Receptionist.Listing> listing = testKit.createTestProbe();
    listing.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(HubbleRelay.KEY, listing.ref()));
      assertEquals(java.util.Set.of(relay), listing.receiveMessage().getServiceInstances(HubbleRelay.KEY));
      return null;
    });
    TestProbe<HubbleRelay.Batch> a = testKit.createTestProbe();
    TestProbe<HubbleRelay.Batch> b = testKit.createTestProbe();
    relay.tell(new HubbleRelay.Subscribe(a.ref()));
    relay.tell(new HubbleRelay.Subscribe(b.ref()));
    List<Flow> w1 = List.of(flow("k8s-w1", 1), flow("k8s-w1", 2));
    List<Flow> w2 = List.of(flow("k8s-w2", 3));
    relay.tell(new HubbleRelay.Publish("k8s-w1", w1));
    relay.tell(new HubbleRelay.Publish("k8s-w2", w2));
    for (TestProbe<HubbleRelay.Batch> p : List.of(a, b)) {
      assertEquals(new HubbleRelay.Batch("k8s-w1", w1), p.receiveMessage());
      assertEquals(new HubbleRelay.Batch("k8s-w2", w2), p.receiveMessage());
    }
    // A subscriber that stops is dropped; the others go on.
    a.stop();
    relay.tell(new HubbleRelay.Publish("k8s-w1", List.of(flow("k8s-w1", 4))));
    assertEquals(new HubbleRelay.Batch("k8s-w1", List.of(flow("k8s-w1", 4))), b.receiveMessage());
    // Subscribing twice does not double the flows.
    relay.tell(new HubbleRelay.Subscribe(b.ref()));
    relay.tell(new HubbleRelay.Publish("k8s-w2", List.of(flow("k8s-w2", 5))));
    assertEquals(new HubbleRelay.Batch("k8s-w2", List.of(flow("k8s-w2", 5))), b.receiveMessage());
    b.expectNoMessage(Duration.ofMillis(100));
  }
}
