package io.podnet.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.deploy.control.CommandRequest;
import io.podnet.deploy.control.Output;
import io.podnet.deploy.lab.Lab;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** What the lab harnesses share: commands on a lab's hosts, API lists, CPU and heap readings. */
final class LabBench {
  private LabBench() {}

  /** A command's combined stdout and stderr and its exit code. */
  record Result(int code, String text) {}

  /** Points podnet.home (lab directories, API server data) at a fresh temporary directory. */
  static Path tempHome(String prefix) throws IOException {
    Path home = Files.createTempDirectory(prefix);
    System.setProperty("podnet.home", home.toString());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(home)));
    return home;
  }

  /** Deletes a directory tree, quietly (a harness's temporary home at exit). */
  static void deleteTree(Path root) {
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      System.err.println("could not delete " + root + ": " + e);
    }
  }

  /** Starts {@code argv} on {@code host} (a lab host or NAMESPACE/POD); completes with its output. */
  static CompletableFuture<Result> start(Lab lab, String host, String... argv) {
    StringBuilder out = new StringBuilder();
    int[] code = {-1};
    return lab.runner().run(new CommandRequest(host, "/", List.of(argv)), new CompletableFuture<>())
        .runForeach(o -> {
          if (o instanceof Output.Out t) {
            out.append(t.text());
          } else if (o instanceof Output.Err t) {
            out.append(t.text());
          } else if (o instanceof Output.Exit e) {
            code[0] = e.code();
          }
        }, lab.system()).toCompletableFuture().thenApply(done -> new Result(code[0], out.toString()));
  }

  static Result run(Lab lab, String host, String... argv) throws Exception {
    return start(lab, host, argv).get(10, TimeUnit.MINUTES);
  }

  /** The objects of a list request ({@code labelSelector}, {@code fieldSelector} may be ""). */
  static List<Struct> list(ActorSystem<?> system, KubeResource r, String namespace, String labelSelector,
      String fieldSelector) throws Exception {
    ActorRef<KubeClient.Command> client = system.systemActorOf(KubeClient.create(),
        "bench-client-" + System.nanoTime(), Props.empty());
    {
      KubeClient.Result res = AskPattern.<KubeClient.Command, KubeClient.Result>ask(client,
          reply -> new KubeClient.Call(KubeClient.Request.list(r, namespace, labelSelector, fieldSelector), reply),
          Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
      if (!res.ok()) {
        throw new IllegalStateException("list " + r + ": " + res.code() + " " + res.message());
      }
      return res.items();
    }
  }

  /** A string field of an object by its path, "" when absent. */
  static String str(Struct s, String... path) {
    Struct cur = s;
    for (int i = 0; i < path.length - 1; i++) {
      Value v = cur.getFieldsMap().get(path[i]);
      if (v == null || !v.hasStructValue()) {
        return "";
      }
      cur = v.getStructValue();
    }
    Value v = cur.getFieldsMap().get(path[path.length - 1]);
    return v == null ? "" : v.getStringValue();
  }

  /** CPU time of the whole process (every thread: actors, GC, JIT), in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** CPU time of the threads whose name contains {@code part} (the actor dispatchers), in nanoseconds. */
  static long threadsCpuNanos(String part) {
    ThreadMXBean t = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (var info : t.getThreadInfo(t.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains(part)) {
        long c = t.getThreadCpuTime(info.getThreadId());
        if (c > 0) {
          sum += c;
        }
      }
    }
    return sum;
  }

  /**
   * Bytes allocated so far by the live threads whose name contains {@code part}
   * ({@code com.sun.management.ThreadMXBean}); -1 when the JVM does not measure it.
   */
  static long threadsAllocatedBytes(String part) {
    if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t)
        || !t.isThreadAllocatedMemoryEnabled()) {
      return -1;
    }
    long sum = 0;
    for (var info : t.getThreadInfo(t.getAllThreadIds())) {
      if (info != null && info.getThreadName().contains(part)) {
        long b = t.getThreadAllocatedBytes(info.getThreadId());
        if (b > 0) {
          sum += b;
        }
      }
    }
    return sum;
  }

  /** Used heap after full collections, in bytes (the lowest of a few readings). */
  static long usedHeapAfterGc() throws InterruptedException {
    MemoryMXBean m = ManagementFactory.getMemoryMXBean();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(200);
      best = Math.min(best, m.getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  /** Polls {@code check} every 50 ms until it returns "" (ready) or the timeout passes. */
  static void await(String what, Duration timeout, java.util.concurrent.Callable<String> check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      last = check.call();
      if (last.isEmpty()) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(what + " not reached after " + timeout + ": " + last);
  }
}
