package io.podnet.deploy.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control endpoint and the bash tool shim, end to end over loopback. */
class ControlServerTest {
  static ActorTestKit testKit;
  static final List<CommandRequest> seen = new CopyOnWriteArrayList<>();
  static final CompletableFuture<Done> endlessCancelled = new CompletableFuture<>();
  static final String TOKEN = "0123456789abcdef";
  static int port;

  @TempDir
  Path tmp;

  /** A runner that stands in for the lab: each tool name is a behaviour the transport must carry. */
  static Source<Output, org.apache.pekko.NotUsed> run(CommandRequest r, java.util.concurrent.CompletionStage<String> signal) {
    seen.add(r);
    return switch (r.tool()) {
      case "echoargs" -> Source.from(List.of(Output.out(String.join("|", r.args()) + "\n"),
          Output.out("cwd=" + r.cwd() + "\n"), Output.exit(0)));
      case "mixed" -> Source.from(List.of(Output.out("line 1\nline 2\n"), Output.err("warning: x\n"),
          Output.out("no newline"), Output.exit(3)));
      case "endless" -> Source.tick(Duration.ZERO, Duration.ofMillis(50), (Output) Output.out("tick\n"))
          .watchTermination((m, done) -> {
            done.whenComplete((d, t) -> endlessCancelled.complete(Done.getInstance()));
            return org.apache.pekko.NotUsed.getInstance();
          });
      case "stats" -> Source.single((Output) Output.out("capturing\n"))
          .concat(Source.completionStage(signal).map(sig -> (Output) Output.out("got " + sig + "\n3 packets captured\n")))
          .concat(Source.single(Output.exit(0)));
      case "deaf" -> Source.single((Output) Output.out("busy\n")).concat(Source.never());
      case "boom" -> Source.failed(new IllegalStateException("boom"));
      default -> Source.from(List.of(Output.err(r.tool() + ": command not found\n"), Output.exit(127)));
    };
  }

  static final List<CompletableFuture<Done>> closedSeen = new CopyOnWriteArrayList<>();

  /** As {@link #run}, and "after" tells when its connection is over, as `down` waits for. */
  static final CommandRunner RUNNER = new CommandRunner() {
    @Override
    public Source<Output, org.apache.pekko.NotUsed> run(CommandRequest r, java.util.concurrent.CompletionStage<String> s) {
      return ControlServerTest.run(r, s);
    }

    @Override
    public Source<Output, org.apache.pekko.NotUsed> run(CommandRequest r, java.util.concurrent.CompletionStage<String> s,
        java.util.concurrent.CompletionStage<Done> closed) {
      if (!r.tool().equals("after")) {
        return run(r, s);
      }
      closedSeen.add(closed.toCompletableFuture());
      return Source.from(List.of(Output.out("answered\n"), Output.exit(0)));
    }
  };

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING"));
    port = ControlServer.bind(testKit.system(), "127.0.0.1", 0, TOKEN, RUNNER)
        .toCompletableFuture().get(10, TimeUnit.SECONDS).localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Result(int code, String out, String err) {}

  Path labDir(String token) throws IOException {
    LabDir dir = new LabDir(tmp.resolve("lab"));
    dir.createWithNewToken();
    Files.writeString(dir.tokenFile(), token + "\n");
    dir.writePort(port);
    dir.installShims(List.of("echoargs", "mixed", "endless", "stats", "deaf", "boom", "nosuch"));
    return dir.path();
  }

  Result shim(Path lab, String tool, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(lab.resolve("bin").resolve(tool).toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    Map<String, String> env = pb.environment();
    env.put("PODNET_LAB_DIR", lab.toString());
    env.put("PODNET_HOST", "router");
    Process p = pb.start();
    assertTrue(p.waitFor(20, TimeUnit.SECONDS), "shim did not finish");
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void argvHostAndCwdArriveIntact() throws Exception {
    Path lab = labDir(TOKEN);
    Result r = shim(lab, "echoargs", "route", "add", "a b", "", "ü\ttab", "-c");
    assertEquals(0, r.code());
    assertEquals("route|add|a b||ü\ttab|-c\ncwd=" + tmp + "\n", r.out());
    assertEquals("", r.err());
    CommandRequest last = seen.get(seen.size() - 1);
    assertEquals("router", last.host());
    assertEquals(List.of("echoargs", "route", "add", "a b", "", "ü\ttab", "-c"), last.argv());
  }

  @Test
  void stdoutStderrPartialLinesAndExitCode() throws Exception {
    Result r = shim(labDir(TOKEN), "mixed");
    assertEquals(3, r.code());
    assertEquals("line 1\nline 2\nno newline", r.out());
    assertEquals("warning: x\n", r.err());
  }

  @Test
  void wrongSecretRunsNothing() throws Exception {
    int before = seen.size();
    Result r = shim(labDir("not-the-secret"), "echoargs", "x");
    assertEquals(126, r.code());
    assertEquals("", r.out());
    assertTrue(r.err().contains("permission denied"), r.err());
    assertEquals(before, seen.size());
  }

  @Test
  void failingCommandReportsAndExitsNonZero() throws Exception {
    Result r = shim(labDir(TOKEN), "boom");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("podnet: boom: internal error"), r.err());
    assertEquals(127, shim(labDir(TOKEN), "nosuch").code());
  }

  @Test
  void killingTheShimStopsTheCommand() throws Exception {
    Process p = started(labDir(TOKEN), "endless");
    byte[] first = new byte[5];
    assertEquals(5, p.getInputStream().readNBytes(first, 0, 5));
    assertEquals("tick\n", new String(first, StandardCharsets.US_ASCII));
    assertFalse(endlessCancelled.isDone());
    p.destroyForcibly(); // SIGKILL: the connection just goes away
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    endlessCancelled.get(10, TimeUnit.SECONDS);
  }

  Process started(Path lab, String tool) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(lab.resolve("bin").resolve(tool).toString());
    pb.environment().put("PODNET_LAB_DIR", lab.toString());
    pb.environment().put("PODNET_HOST", "router");
    return pb.start();
  }

  /** SIGTERM without closing our ends of the pipes (Process.destroy() closes them). */
  static void term(Process p) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
  }

  @Test
  void signalReachesTheToolWhichFinishesItsOwnWay() throws Exception {
    Process p = started(labDir(TOKEN), "stats");
    byte[] first = new byte["capturing\n".length()];
    p.getInputStream().readNBytes(first, 0, first.length);
    term(p); // as `kill` or the transcript runner sends
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertEquals("got TERM\n3 packets captured\n", new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void toolIgnoringTheSignalIsEndedAfterTheGrace() throws Exception {
    Process p = started(labDir(TOKEN), "deaf");
    p.getInputStream().readNBytes(5);
    term(p);
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(143, p.exitValue());
  }

  /** Sends "after" as the launcher does and reads the answer up to its exit code. */
  static java.net.Socket askAfter(StringBuilder answer) throws IOException {
    java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port);
    s.getOutputStream().write(("PODNET/1 " + TOKEN + "\n@lab\n/\n1\nafter\0").getBytes(StandardCharsets.UTF_8));
    s.getOutputStream().flush();
    var in = s.getInputStream();
    while (!answer.toString().endsWith("x0\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      answer.append((char) b);
    }
    return s;
  }

  @Test
  void connectionIsOverOnlyOnceTheClientHasItsAnswerAndHangsUp() throws Exception {
    int before = closedSeen.size();
    StringBuilder answer = new StringBuilder();
    try (java.net.Socket s = askAfter(answer)) {
      assertEquals("oanswered\nx0\n", answer.toString());
      CompletableFuture<Done> closed = closedSeen.get(before);
      // The endpoint does not hang up first: a command's effect (a lab's stop) waits for the client.
      assertThrows(java.util.concurrent.TimeoutException.class, () -> closed.get(500, TimeUnit.MILLISECONDS));
      s.close();
      closed.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void clientThatNeverHangsUpIsLetGoAfterTheLinger() throws Exception {
    int before = closedSeen.size();
    StringBuilder answer = new StringBuilder();
    try (java.net.Socket s = askAfter(answer)) {
      assertEquals("oanswered\nx0\n", answer.toString());
      s.setSoTimeout((int) ControlServer.LINGER.plusSeconds(5).toMillis());
      long start = System.nanoTime();
      assertEquals(-1, s.getInputStream().read(), "the endpoint closes after the linger, sending nothing more");
      assertTrue(System.nanoTime() - start >= ControlServer.LINGER.minusMillis(500).toNanos());
      closedSeen.get(before).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void shimWithoutLabSaysSo() throws Exception {
    Path lab = labDir(TOKEN);
    Files.delete(lab.resolve("port"));
    Result r = shim(lab, "echoargs");
    assertEquals(255, r.code());
    assertTrue(r.err().contains("is not running"), r.err());
  }

  @Test
  void secretIsOwnerOnly() throws Exception {
    Path lab = labDir(TOKEN);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lab.resolve("token"))));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lab)));
  }
}
