package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.http.ExecHandler;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostKeys;
import io.podnet.netstack.tool.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LabExec} as the API server drives it, without kubectl and without a whole lab: a pod's
 * host registered with the Receptionist in a test kit whose messages all go through serialization.
 */
class LabExecHandlerTest {
  static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("""
      pekko.actor.serialize-messages = on
      pekko.loglevel = WARNING
      """).withFallback(ConfigFactory.load()));

  @TempDir
  static Path labDir;
  static LabExec exec;

  @BeforeAll
  static void register() throws Exception {
    Files.createDirectories(labDir.resolve("bin"));
    ActorRef<HostActor.Command> pod = testKit.spawn(HostActor.create(LabExecTest.P1, Map.of(), Tools.standard()), "p1");
    TestProbe<Receptionist.Registered> probe = testKit.createTestProbe();
    testKit.system().receptionist().tell(Receptionist.register(HostKeys.pod("default", "p1"), pod, probe.getRef()));
    probe.expectMessageClass(Receptionist.Registered.class);
    exec = new LabExec(testKit.system(), labDir, labDir.resolve("kubeconfig"));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static ExecHandler.Request request(String pod, boolean stdin, String... command) {
    return new ExecHandler.Request("default", pod, "w1", "main", List.of(command), stdin, true, true, false);
  }

  static List<ExecHandler.Output> run(ExecHandler.Request r, Source<ExecHandler.Input, org.apache.pekko.NotUsed> in)
      throws Exception {
    return exec.exec(r, in).runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void streamsStdinStdoutStderrThenTheExit() throws Exception {
    List<ExecHandler.Output> outs = run(request("p1", true, "sh", "-c", "cat; echo $PODNET_HOST >&2; exit 4"),
        Source.from(List.of(new ExecHandler.Stdin(ByteString.fromString("a\n")), new ExecHandler.Resize(80, 24),
            new ExecHandler.Stdin(ByteString.fromString("b\n")))));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    for (ExecHandler.Output o : outs.subList(0, outs.size() - 1)) {
      if (o instanceof ExecHandler.Stdout s) {
        out.append(s.data().utf8String());
      } else {
        err.append(((ExecHandler.Stderr) o).data().utf8String());
      }
    }
    assertEquals(List.of("a\nb\n", "default/p1\n", new ExecHandler.Exit(4)),
        List.of(out.toString(), err.toString(), outs.get(outs.size() - 1)));
  }

  @Test
  void aPodNoNodeRegisteredIsNotRunning() throws Exception {
    assertEquals(List.of(new ExecHandler.Failed(LabExec.NOT_RUNNING)), run(request("gone", false, "true"), Source.empty()));
  }

  @Test
  void aCommandNotFoundFailsBeforeAnyOutput() throws Exception {
    List<ExecHandler.Output> outs = run(request("p1", false, "no-such-tool-x"), Source.empty());
    assertEquals(1, outs.size(), outs.toString());
    assertTrue(((ExecHandler.Failed) outs.get(0)).message().endsWith(
        "unable to start container process: exec: \"no-such-tool-x\": executable file not found in $PATH: unknown"),
        outs.toString());
  }

  @Test
  void cancellingTheOutputKillsTheProcessTree() throws Exception {
    ExecHandler.Output first = exec.exec(request("p1", false, "sh", "-c", "sleep 1000 & echo $!; wait"),
        Source.empty()).runWith(Sink.head(), testKit.system()).toCompletableFuture().get(20, TimeUnit.SECONDS);
    String line = ((ExecHandler.Stdout) first).data().utf8String().strip();
    ProcessHandle sleep = ProcessHandle.of(Long.parseLong(line)).orElseThrow(() -> new AssertionError("gone: " + line));
    sleep.onExit().get(20, TimeUnit.SECONDS);
    assertFalse(sleep.isAlive());
  }
}
