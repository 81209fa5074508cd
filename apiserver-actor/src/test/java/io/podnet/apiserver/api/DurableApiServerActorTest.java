package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectList;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.persist.DurableStore;
import io.podnet.apiserver.store.persist.FsyncPolicy;
import io.podnet.apiserver.store.persist.PersistenceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API-server actor over a {@link DurableStore}: restarted by its parent, it recovers from disk. */
class DurableApiServerActorTest {
  final ActorTestKit kit = ActorTestKit.create();
  final AtomicLong clock = new AtomicLong(1_754_742_925_000L);
  final AtomicInteger opens = new AtomicInteger();
  @TempDir Path dir;

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  ApiServerActor.DurableStoreOpener opener() {
    ApiResources resources = ApiResources.standard();
    return () -> {
      opens.incrementAndGet();
      return DurableStore.open(PersistenceSettings.of(dir).withFsync(FsyncPolicy.EVERY_WRITE),
          (gv, r) -> resources.find(gv, r).map(ApiResource::type), clock::get, new SplittableRandom(opens.get()),
          ObjectStore.DEFAULT_HISTORY);
    };
  }

  static KubeObject configMap(String name, String value) {
    return new KubeObject("v1", "ConfigMap", ObjectMeta.of("default", name, Map.of("n", name)),
        Struct.getDefaultInstance(), Struct.getDefaultInstance(), Json.obj("data", Map.of("k", value)));
  }

  ApiServerActor.Reply ask(ActorRef<ApiServerActor.Command> api, java.util.function.Function<ActorRef<ApiServerActor.Reply>,
      ApiServerActor.Command> msg) {
    TestProbe<ApiServerActor.Reply> probe = kit.createTestProbe();
    api.tell(msg.apply(probe.ref()));
    ApiServerActor.Reply r = probe.receiveMessage(Duration.ofSeconds(5));
    assertTrue(r.ok(), () -> String.valueOf(r.error()));
    return r;
  }

  List<KubeObject> list(ActorRef<ApiServerActor.Command> api) {
    return ((ObjectList) ask(api, r -> new ApiServerActor.ListObjects(ApiResources.CONFIG_MAP, "",
        LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, r)).value()).items();
  }

  @Test
  void restartedByItsParentTheActorRecoversFromDisk() {
    ActorRef<ApiServerActor.Command> api = kit.spawn(
        Behaviors.supervise(ApiServerActor.create(opener())).onFailure(SupervisorStrategy.restart()));
    List<KubeObject> written = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      clock.addAndGet(1000);
      KubeObject o = configMap("cm-" + i, "v" + i);
      written.add((KubeObject) ask(api, r -> new ApiServerActor.Create(ApiResources.CONFIG_MAP, o, r)).value());
    }
    ask(api, r -> new ApiServerActor.Delete(ApiResources.CONFIG_MAP, "default", "cm-3", "", r));
    written.remove(3);
    KubeObject patched = (KubeObject) ask(api, r -> new ApiServerActor.Patch(ApiResources.CONFIG_MAP, "default", "cm-7",
        ApiServerActor.PatchType.MERGE, Json.obj("data", Map.of("k", "patched")), false, r)).value();
    written.set(6, patched);
    assertEquals("22", patched.metadata().resourceVersion());
    List<KubeObject> before = list(api);
    written.sort(java.util.Comparator.comparing(o -> o.metadata().name()));
    assertEquals(written, before, "a list is in name order");

    // A request the actor cannot handle crashes it (a null object): its parent restarts it.
    api.tell(new ApiServerActor.Create(ApiResources.CONFIG_MAP, null, kit.<ApiServerActor.Reply>createTestProbe().ref()));
    assertEquals(before, list(api));
    assertEquals(2, opens.get(), "the restart reopened the store from disk");
    KubeObject next = (KubeObject) ask(api, r -> new ApiServerActor.Create(ApiResources.CONFIG_MAP,
        configMap("after", "x"), r)).value();
    assertEquals("23", next.metadata().resourceVersion(), "the counter was restored");

    // Stopped and started afresh: the same again.
    kit.stop(api, Duration.ofSeconds(5));
    ActorRef<ApiServerActor.Command> again = kit.spawn(ApiServerActor.create(opener()));
    List<KubeObject> after = list(again);
    assertEquals(before.size() + 1, after.size());
    assertTrue(after.containsAll(before));
    assertTrue(after.contains(next));
    assertEquals(3, opens.get());
  }
}
