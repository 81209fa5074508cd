package io.podnet.bench;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.WatchEvent;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Watch fan-out: one update of a pod, delivered by the {@link ObjectStore} to {@code watchers}
 * watches of pods in its namespace (as {@code kubectl get pods -w} or an agent's informer would
 * watch). One benchmark operation is one event delivered to one watcher
 * ({@code @OperationsPerInvocation(1000)}), so the score is events per second; an invocation is
 * one update (a new resourceVersion, one change in the history) fanned out to all of them. The
 * watchers only count, as the API server's listeners only hand the event on. With
 * {@code selective = true} half the watchers select {@code app=other} and see nothing: the store
 * still converts the change for each of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WatchFanOutBench {
  static final int WATCHERS = 1000;

  @Param({"false", "true"})
  boolean selective;

  private long now = 1_754_742_925_085L;
  private ObjectStore store;
  private KubeObject pod;
  private int flip;
  private long delivered;
  private long expected;

  @Setup
  public void setup() {
    store = new ObjectStore(() -> now, new SplittableRandom(1));
    pod = store.create(ApiResources.POD, new KubeObject("v1", "Pod",
        ObjectMeta.of("default", "webpod-696774f575-5nvlc", Map.of("app", "webpod", "pod-template-hash", "696774f575")),
        Json.obj("nodeName", "k8s-w0", "containers", List.of(Map.of("name", "webpod", "image", "traefik/whoami"))),
        Json.obj("phase", "Running", "podIP", "172.20.2.50")));
    LabelSelector webpod = LabelSelector.parse("app=webpod");
    LabelSelector other = LabelSelector.parse("app=other");
    for (int i = 0; i < WATCHERS; i++) {
      LabelSelector s = selective && i % 2 == 1 ? other : webpod;
      store.watch(ApiResources.POD, "default", s, FieldSelector.EVERYTHING, store.resourceVersion(),
          (WatchEvent e) -> delivered++);
    }
  }

  @Benchmark
  @OperationsPerInvocation(WATCHERS)
  public KubeObject updateFannedOut() {
    now++;
    flip ^= 1;
    pod = store.update(ApiResources.POD, pod.withMetadata(pod.metadata().withAnnotations(
        Map.of("podnet.io/flip", flip == 0 ? "a" : "b"))));
    expected += selective ? WATCHERS / 2 : WATCHERS;
    return pod;
  }

  @TearDown(Level.Trial)
  public void check() {
    if (delivered != expected) {
      throw new IllegalStateException("delivered " + delivered + " events, expected " + expected);
    }
  }
}
