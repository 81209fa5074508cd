package io.podnet.deploy.lab;

import io.podnet.apiserver.http.ExecHandler;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;

/**
 * {@code kubectl exec} in a lab: the command runs as a real local process "in" the pod, the way
 * {@code podnet exec NS/POD -- CMD} runs it. The process gets the lab's tool shims first on its
 * PATH and {@code PODNET_HOST=NS/POD}, so {@code ip}, {@code curl}, {@code ping} ... act on the
 * pod's own host in the lab, and a shell ({@code sh -c '...'}) finds them too; KUBECONFIG points at
 * the lab's API server. stdin, stdout and stderr are streamed; the exit code is the command's.
 * Cancelling the output (kubectl went away, Ctrl-C) kills the command and everything it started.
 *
 * <p>A pod whose node has not registered its host, and a command that is not on the PATH, fail as
 * containerd and runc make them fail ({@link ExecHandler.Failed}: kubectl prints "error: Internal
 * error occurred: error executing command in container: ..." and exits 1).
 *
 * <p>No terminal is allocated with {@code -t}: the command runs on pipes (the API server merges its
 * stderr into stdout, as a terminal would). The working directory is the lab's directory.
 */
public final class LabExec implements ExecHandler {
  /** containerd's execInContainer for a container that is not running, wrapped by its streaming Exec. */
  static final String NOT_RUNNING = "failed to exec in container: container is in CONTAINER_EXITED state";

  private static final int CHUNK = 8192;

  private final ActorSystem<?> system;
  private final Path labDir;
  private final Path kubeconfig;
  private final Executor blocking;
  private final SecureRandom random = new SecureRandom();

  /** Runs commands for the pods registered in {@code system}, with the shims of {@code labDir}/bin. */
  public LabExec(ActorSystem<?> system, Path labDir, Path kubeconfig) {
    this.system = system;
    this.labDir = labDir;
    this.kubeconfig = kubeconfig;
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  @Override
  public Source<Output, NotUsed> exec(Request request, Source<Input, NotUsed> input) {
    // Nothing happens until the API server runs the stream: a process is never started for a
    // WebSocket that did not come up.
    AtomicBoolean ended = new AtomicBoolean(false);
    AtomicReference<Process> started = new AtomicReference<>();
    return Source.lazyCompletionStageSource(() -> Lab.podHost(system, request.namespace(), request.pod())
            .thenComposeAsync(host -> host.isEmpty() ? CompletableFuture.completedFuture(
                Source.single((Output) new Failed(NOT_RUNNING))) : start(request, input, ended, started), blocking))
        .watchTermination((m, done) -> {
          done.whenComplete((d, t) -> {
            ended.set(true);
            Process p = started.get();
            if (p != null && p.isAlive()) {
              destroyTree(p);
            }
          });
          return NotUsed.getInstance();
        });
  }

  /** Starts the process (on the blocking dispatcher: fork and exec are system calls) and streams it. */
  private CompletionStage<Source<Output, NotUsed>> start(Request request, Source<Input, NotUsed> input,
      AtomicBoolean ended, AtomicReference<Process> started) {
    String path = labDir.resolve("bin") + File.pathSeparator + Optional.ofNullable(System.getenv("PATH")).orElse("");
    List<String> argv = new ArrayList<>(request.command());
    String name = argv.isEmpty() ? "" : argv.get(0);
    Optional<String> exe = executable(name, labDir.resolve("bin"), System.getenv("PATH"));
    if (exe.isEmpty()) {
      return CompletableFuture.completedFuture(Source.single(new Failed(startFailed(notFound(name)))));
    }
    argv.set(0, exe.get());
    ProcessBuilder pb = new ProcessBuilder(argv).directory(labDir.toFile());
    Map<String, String> env = pb.environment();
    env.put("PODNET_LAB_DIR", labDir.toString());
    env.put("PODNET_HOST", request.namespace() + "/" + request.pod());
    env.put("PATH", path);
    env.put("KUBECONFIG", kubeconfig.toString());
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      String why = name.contains("/") && !Files.exists(labDir.resolve(name))
          ? "stat " + name + ": no such file or directory" : reason(e);
      return CompletableFuture.completedFuture(Source.single(new Failed(startFailed(
          "exec: " + goQuote(name) + ": " + why))));
    }
    started.set(p);
    if (ended.get()) {
      // The client went away while the process started.
      destroyTree(p);
    }
    input.collectType(Stdin.class).map(Stdin::data)
        .runWith(StreamConverters.fromOutputStream(p::getOutputStream, true), system);
    Source<Output, NotUsed> out = StreamConverters.fromInputStream(p::getInputStream, CHUNK)
        .map(b -> (Output) new Stdout(b)).mapMaterializedValue(m -> NotUsed.getInstance());
    Source<Output, NotUsed> err = StreamConverters.fromInputStream(p::getErrorStream, CHUNK)
        .map(b -> (Output) new Stderr(b)).mapMaterializedValue(m -> NotUsed.getInstance());
    Source<Output, NotUsed> exit = Source.completionStage(p.onExit()).map(x -> new Exit(x.exitValue()));
    return CompletableFuture.completedFuture(out.merge(err).concat(exit));
  }

  /**
   * Where the command is, as runc looks it up: a name with a '/' as it is, any other along PATH,
   * the lab's shims first. A command found on the JVM's own PATH stays a bare name, so that its
   * argv[0] is what was typed ({@code sh: 1: x: not found}): the JDK looks it up along the same
   * PATH (without the shims, which come first and did not have it).
   */
  static Optional<String> executable(String name, Path shims, String jvmPath) {
    if (name.isEmpty()) {
      return Optional.empty();
    }
    if (name.contains("/")) {
      return Optional.of(name);
    }
    if (isExecutable(shims.resolve(name))) {
      return Optional.of(shims.resolve(name).toString());
    }
    for (String dir : (jvmPath == null ? "" : jvmPath).split(File.pathSeparator)) {
      if (!dir.isEmpty() && isExecutable(Path.of(dir).resolve(name))) {
        return Optional.of(name);
      }
    }
    return Optional.empty();
  }

  private static boolean isExecutable(Path p) {
    return Files.isRegularFile(p) && Files.isExecutable(p);
  }

  /** Go's exec.LookPath error, as runc reports it. */
  static String notFound(String name) {
    return "exec: " + goQuote(name) + ": executable file not found in $PATH";
  }

  private static String reason(IOException e) {
    // "Cannot run program "x" (in directory "d"): error=13, Permission denied"
    String m = String.valueOf(e.getMessage());
    int i = m.lastIndexOf(", ");
    String why = i >= 0 ? m.substring(i + 2) : m;
    return why.isEmpty() ? why : Character.toLowerCase(why.charAt(0)) + why.substring(1);
  }

  /**
   * What containerd's streaming exec returns when runc cannot start the process: the exec id is
   * 32 random bytes in hex, as containerd generates it.
   */
  private String startFailed(String runcError) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    return "failed to exec in container: failed to start exec \"" + HexFormat.of().formatHex(id)
        + "\": OCI runtime exec failed: exec failed: unable to start container process: " + runcError + ": unknown";
  }

  /** Go's %q of a plain string. */
  private static String goQuote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** Kills a process and everything it started (listed first: once it is gone they are re-parented). */
  static void destroyTree(Process p) {
    List<ProcessHandle> descendants = p.descendants().toList();
    p.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }
}
