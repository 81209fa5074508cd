package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Struct;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.controllers.TestLab;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.proto.k8s.JsonTree;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The actor's PATCH checks the patched object's fields and answers the warnings in its Reply. */
class ApiServerActorFieldValidationTest {
  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.loglevel = WARNING
      pekko.actor.serialize-messages = on
      pekko.actor.no-serialization-verification-needed-class-prefix = [
        "org.apache.pekko.", "io.podnet.apiserver.api.ApiServerActor$"]
      """).withFallback(ManualTime.config());

  final ActorTestKit kit = ActorTestKit.create(CONFIG);
  final AtomicLong clock = new AtomicLong(TestLab.T0.toEpochMilli());
  final ObjectStore store = new ObjectStore(clock::get, new SplittableRandom(7), 100_000, 0);
  final ActorRef<ApiServerActor.Command> api = kit.spawn(ApiServerActor.create(store));

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  ApiServerActor.Reply patch(String patchJson, FieldValidation.Directive directive) {
    JsonTree.Obj tree = (JsonTree.Obj) JsonTree.parse(patchJson);
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(new ApiServerActor.Patch(ApiResources.CONFIG_MAP, "default", "cm", ApiServerActor.PatchType.MERGE,
        JsonTree.toStruct(tree), false, directive, FieldValidation.patchDuplicates(tree), probe.getRef()));
    return probe.receiveMessage();
  }

  void createConfigMap() {
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(new ApiServerActor.Create(ApiResources.CONFIG_MAP, TestLab.obj(ApiResources.CONFIG_MAP, "default", "cm",
        Map.of(), Struct.getDefaultInstance()).withExtra(Json.obj("data", Map.of("a", "1"))), probe.getRef()));
    assertEquals(true, probe.receiveMessage().ok());
  }

  @Test
  void strictRefusesAndLeavesTheObject() {
    createConfigMap();
    ApiServerActor.Reply r = patch("{\"data\":{\"a\":\"2\",\"a\":\"3\"},\"dta\":{}}", FieldValidation.Directive.STRICT);
    assertEquals(400, r.error().code());
    assertEquals("strict decoding error: duplicate field \"data.a\", unknown field \"dta\"", r.error().message());
    assertEquals("1", Json.string(store.get(ApiResources.CONFIG_MAP, "default", "cm").extra(), "data", "a"));
  }

  @Test
  void warnAppliesAndAnswersTheWarnings() {
    createConfigMap();
    ApiServerActor.Reply r = patch("{\"data\":{\"a\":\"2\"},\"dta\":{}}", FieldValidation.Directive.WARN);
    assertEquals(true, r.ok());
    assertEquals(List.of("unknown field \"dta\""), r.warnings());
    assertEquals("2", Json.string(((KubeObject) r.value()).extra(), "data", "a"));
    // The next answer carries no stale warnings.
    ApiServerActor.Reply next = patch("{\"data\":{\"a\":\"4\"}}", FieldValidation.Directive.WARN);
    assertEquals(List.of(), next.warnings());
  }

  /** Unknown fields let through by Warn are dropped: the next Strict patch does not trip on them. */
  @Test
  void warnedFieldsAreNotStored() {
    createConfigMap();
    assertEquals(true, patch("{\"dta\":{\"b\":\"1\"}}", FieldValidation.Directive.IGNORE).ok());
    assertEquals(false, store.get(ApiResources.CONFIG_MAP, "default", "cm").extra().containsFields("dta"));
    assertEquals(true, patch("{\"data\":{\"a\":\"5\"}}", FieldValidation.Directive.STRICT).ok());
  }

  /** The gateway's patches (actors inside the lab) are not checked, as their creates and updates are not. */
  @Test
  void actorsInsideTheLabPatchUnchecked() {
    createConfigMap();
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(new ApiServerActor.Patch(ApiResources.CONFIG_MAP, "default", "cm", ApiServerActor.PatchType.MERGE,
        Json.obj("dta", Json.obj("b", "1")), false, probe.getRef()));
    ApiServerActor.Reply r = probe.receiveMessage();
    assertEquals(true, r.ok());
    assertEquals(List.of(), r.warnings());
    assertEquals(true, store.get(ApiResources.CONFIG_MAP, "default", "cm").extra().containsFields("dta"));
  }
}
