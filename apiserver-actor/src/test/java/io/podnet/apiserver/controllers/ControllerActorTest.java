package io.podnet.apiserver.controllers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The controllers inside ApiServerActor, on actor timers under ManualTime and the lab clock. */
class ControllerActorTest {
  final ActorTestKit kit = ActorTestKit.create(ManualTime.config()
      .withFallback(ConfigFactory.parseString("pekko.loglevel = WARNING")));
  final ManualTime time = ManualTime.get(kit.system());

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  KubeObject get(ActorRef<ApiServerActor.Command> api, String ns, String name,
      io.podnet.apiserver.store.ResourceType type) {
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(new ApiServerActor.Get(type, ns, name, probe.getRef()));
    return (KubeObject) probe.receiveMessage().value();
  }

  @Test
  void watchesDriveTheControllersAndTheTimerDrivesNodeHeartbeats() {
    TestLab lab = new TestLab();
    ActorRef<ApiServerActor.Command> api = kit.spawn(ApiServerActor.create(lab.store, ApiResources.standard(),
        lab.controllers, lab.clock::get, Duration.ofSeconds(5)));
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(new ApiServerActor.Create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3), probe.getRef()));
    assertTrue(probe.receiveMessage().ok());
    // The create's watch event schedules a reconcile: no time needs to pass for the pods to appear.
    TestProbe<ApiServerActor.Reply> list = kit.createTestProbe();
    api.tell(new ApiServerActor.ListObjects(ApiResources.POD, "default", io.podnet.apiserver.store.LabelSelector.EVERYTHING,
        io.podnet.apiserver.store.FieldSelector.EVERYTHING, list.getRef()));
    assertEquals(3, ((io.podnet.apiserver.store.ObjectList) list.receiveMessage().value()).items().size());
    // 40 s without renewals: still Ready (the grace period is exceeded only after 40 s).
    lab.advance(40_000);
    time.timePasses(Duration.ofSeconds(5));
    assertEquals("True", Json.string(Kube.condition(get(api, "", "k8s-w0", ApiResources.NODE).status(), "Ready"),
        "status"));
    lab.advance(1);
    time.expectNoMessageFor(Duration.ofSeconds(4), kit.createTestProbe());
    assertEquals("True", Json.string(Kube.condition(get(api, "", "k8s-w0", ApiResources.NODE).status(), "Ready"),
        "status"), "no tick yet: nothing changes between ticks");
    time.timePasses(Duration.ofSeconds(1));
    assertEquals("Unknown", Json.string(Kube.condition(get(api, "", "k8s-w0", ApiResources.NODE).status(), "Ready"),
        "status"));
  }
}
