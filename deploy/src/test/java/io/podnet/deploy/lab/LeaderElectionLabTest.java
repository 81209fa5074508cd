package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.api.ApiGateway;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.controllers.ControllerManager;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.netstack.actor.LabClock;
import io.podnet.node.leader.LeaderElection;
import io.podnet.node.leader.LeaderElection.Event;
import io.podnet.node.leader.LeaderElection.StartedLeading;
import io.podnet.node.leader.LeaderElection.StoppedLeading;
import io.podnet.proto.api.ApiRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leader election for node agents against the real API server: the {@link ApiServerActor} with its
 * controllers over an {@link ObjectStore}, and the {@link ApiGateway} found through the
 * Receptionist, as {@code LabApiServer} starts them; three {@link LeaderElection}s on ManualTime
 * with client-go's core timings (15 s, 10 s, 2 s). Messages are serialized on the way, the
 * electors' through Kryo (the API server actor's own protocol is local by design and exempt).
 */
class LeaderElectionLabTest {

  static final long WALL_CLOCK_AT_START = Instant.parse("2025-08-09T12:35:25Z").toEpochMilli();
  static final String NS = "kube-system";
  static final String LEASE = "cilium-l2announce-default-webpod";
  static final long STEP_MS = 500;

  ActorTestKit testKit;
  ManualTime time;
  ActorRef<ApiServerActor.Command> api;
  final Map<String, ActorRef<LeaderElection.Command>> electors = new LinkedHashMap<>();
  TestProbe<LeaderElection.Leader> statusProbe;

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  void startApiServer() {
    testKit = ActorTestKit.create("leader-election-lab", ManualTime.config().withFallback(ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.actor.serialize-messages = on
        pekko.actor.no-serialization-verification-needed-class-prefix = [
          "org.apache.pekko.", "io.podnet.apiserver.api.ApiServerActor$"]
        """)));
    time = ManualTime.get(testKit.system());
    statusProbe = testKit.createTestProbe();
    LabClock labClock = LabClock.get(testKit.system());
    LongSupplier clock = () -> WALL_CLOCK_AT_START + labClock.nowMicros() / 1000;
    ApiResources resources = ApiResources.standard();
    SplittableRandom random = new SplittableRandom(11);
    ControllerManager controllers = ControllerManager.standard(resources, "10.96.0.0/12", 40_000, random.split());
    api = testKit.spawn(ApiServerActor.create(new ObjectStore(clock, random.split()), resources, controllers, clock,
        Duration.ofSeconds(1)), "apiserver");
    TestProbe<ApiServerActor.Reply> reply = testKit.createTestProbe();
    api.tell(new ApiServerActor.Create(ApiResources.NAMESPACE, KubeObject.of(ApiResources.NAMESPACE,
        ObjectMeta.of("", NS, Map.of("kubernetes.io/metadata.name", NS)), Struct.getDefaultInstance()), reply.ref()));
    assertTrue(reply.receiveMessage().ok());
    ActorRef<ApiRequest> gateway = testKit.spawn(ApiGateway.create(api), "apiserver-gateway");
    TestProbe<Receptionist.Listing> l = testKit.createTestProbe();
    l.awaitAssert(() -> {
      testKit.system().receptionist().tell(Receptionist.find(ApiGateway.SERVICE_KEY, l.ref()));
      assertTrue(l.receiveMessage().getServiceInstances(ApiGateway.SERVICE_KEY).contains(gateway));
      return null;
    });
  }

  LeaderElection.Leader status(ActorRef<LeaderElection.Command> e) {
    e.tell(new LeaderElection.GetLeader(statusProbe.ref()));
    return statusProbe.receiveMessage();
  }

  /** Waits, without moving time, until no elector has a request out. */
  void settle() {
    for (ActorRef<LeaderElection.Command> e : electors.values()) {
      for (int i = 0; status(e).requesting(); i++) {
        assertTrue(i < 100_000, "elector " + e + " never finished its request");
      }
    }
  }

  long nowMs() {
    return LabClock.get(testKit.system()).nowMicros() / 1000;
  }

  /** The electors that believe they lead; never more than one. */
  List<String> leading() {
    List<String> l = new ArrayList<>();
    electors.forEach((name, e) -> {
      if (status(e).leading()) {
        l.add(name);
      }
    });
    assertTrue(l.size() <= 1, "two leaders at " + nowMs() + " ms: " + l);
    return l;
  }

  KubeObject lease() {
    TestProbe<ApiServerActor.Reply> reply = testKit.createTestProbe();
    api.tell(new ApiServerActor.Get(ApiResources.LEASE, NS, LEASE, reply.ref()));
    ApiServerActor.Reply r = reply.receiveMessage();
    assertTrue(r.ok(), () -> "no lease: " + r.error());
    return (KubeObject) r.value();
  }

  String holder() {
    return lease().spec().getFieldsOrThrow("holderIdentity").getStringValue();
  }

  /** The Lease's renewTime, in lab milliseconds. */
  long renewTimeMs() {
    String t = lease().spec().getFieldsOrThrow("renewTime").getStringValue();
    assertTrue(t.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z"), "a MicroTime: " + t);
    return Instant.parse(t).toEpochMilli() - WALL_CLOCK_AT_START;
  }

  @Test
  void oneLeaderAndATakeoverOnlyAfterTheLeaseExpires() {
    startApiServer();
    Map<String, List<Event>> events = new LinkedHashMap<>();
    SplittableRandom jitter = new SplittableRandom(2025);
    for (String node : List.of("k8s-w1", "k8s-w2", "k8s-ctr")) {
      List<Event> seen = new ArrayList<>();
      events.put(node, seen);
      electors.put(node, testKit.spawn(LeaderElection.create(LeaderElection.Config.defaults(NS, LEASE, node),
          testKit.spawn(Behaviors.<Event>receiveMessage(e -> {
            synchronized (seen) {
              seen.add(e);
            }
            return Behaviors.same();
          })), WALL_CLOCK_AT_START, jitter.split()), "elector-" + node));
    }
    settle();

    // Exactly one leads, and it is the Lease's holder, for as long as it runs.
    List<String> first = leading();
    assertEquals(1, first.size(), "one leader at once");
    String leader = first.get(0);
    assertEquals(leader, holder());
    for (long t = 1000; t <= 12_000; t += 1000) {
      time.timePasses(Duration.ofMillis(1000));
      settle();
      assertEquals(List.of(leader), leading());
      assertEquals(leader, holder());
    }
    assertTrue(renewTimeMs() >= 10_000, "renewed every 2 s: " + renewTimeMs());

    // Kill it: no release, the Lease still names it. The others wait a full leaseDuration from
    // when they saw its last renewal, which is no earlier than the renewal itself.
    testKit.stop(electors.remove(leader));
    long lastRenewal = renewTimeMs();
    long tookOverAt = -1;
    String next = null;
    while (next == null) {
      assertTrue(nowMs() < lastRenewal + 30_000, "nobody took over by " + nowMs() + " ms");
      time.timePasses(Duration.ofMillis(STEP_MS));
      settle();
      List<String> l = leading();
      if (!l.isEmpty()) {
        next = l.get(0);
        tookOverAt = nowMs();
      }
    }
    assertTrue(tookOverAt >= lastRenewal + 15_000,
        "took over at " + tookOverAt + " ms, before the lease renewed at " + lastRenewal + " ms expired");
    assertEquals(next, holder());
    assertEquals(tookOverAt, renewTimeMs(), "acquired and renewed at once, at lab wall time");
    assertEquals("1", String.valueOf((long) lease().spec().getFieldsOrThrow("leaseTransitions").getNumberValue()));

    // It leads on; every follower hears of it within a few retries.
    for (long t = 1000; t <= 8_000; t += 1000) {
      time.timePasses(Duration.ofMillis(1000));
      settle();
      assertEquals(List.of(next), leading());
    }

    // The callbacks: the first leader started and (killed) stopped; the next one started; the
    // others heard of both leaders, in order.
    String n = next;
    String lease = NS + "/" + LEASE;
    statusProbe.awaitAssert(() -> {
      List<Event> ofLeader = snapshot(events.get(leader));
      assertEquals(List.of(new LeaderElection.NewLeader(lease, leader), new StartedLeading(lease),
          new StoppedLeading(lease)), ofLeader);
      assertEquals(List.of(new LeaderElection.NewLeader(lease, leader), new LeaderElection.NewLeader(lease, n),
          new StartedLeading(lease)), snapshot(events.get(n)));
      for (Map.Entry<String, List<Event>> e : events.entrySet()) {
        if (!e.getKey().equals(leader) && !e.getKey().equals(n)) {
          assertEquals(List.of(new LeaderElection.NewLeader(lease, leader), new LeaderElection.NewLeader(lease, n)),
              snapshot(e.getValue()));
          assertFalse(status(electors.get(e.getKey())).leading());
        }
      }
      return null;
    });
  }

  private static List<Event> snapshot(List<Event> seen) {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }
}
