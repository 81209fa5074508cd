package io.podnet.deploy.transcript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.deploy.control.CommandRequest;
import io.podnet.deploy.control.ControlServer;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.control.Output;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replays transcripts through real bash sessions, shims and the control endpoint. */
class TranscriptRunnerTest {
  static ActorTestKit testKit;
  static int port;
  static final String TOKEN = "secret-for-tests";

  @TempDir
  Path tmp;

  /** Stand-in lab tools: `whereami` names the host; `capture` runs until signalled. */
  static Source<Output, NotUsed> run(CommandRequest r, CompletionStage<String> signal) {
    return switch (r.tool()) {
      case "whereami" -> Source.from(List.of(Output.out("on " + r.host() + " " + String.join(" ", r.args()) + "\n"),
          Output.exit(0)));
      case "capture" -> Source.single((Output) Output.err("listening on any\n"))
          .concat(Source.completionStage(signal).map(s -> (Output) Output.out("1 packet captured\n")))
          .concat(Source.single(Output.exit(0)));
      default -> Source.from(List.of(Output.err(r.tool() + ": failed\n"), Output.exit(2)));
    };
  }

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING"));
    port = ControlServer.bind(testKit.system(), "127.0.0.1", 0, TOKEN, TranscriptRunnerTest::run)
        .toCompletableFuture().get(10, TimeUnit.SECONDS).localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  String replay(String transcript, Duration timeout, int[] failed) throws Exception {
    LabDir dir = new LabDir(tmp.resolve("lab"));
    dir.createWithNewToken();
    java.nio.file.Files.writeString(dir.tokenFile(), TOKEN + "\n");
    dir.writePort(port);
    dir.installShims(List.of("whereami", "capture", "broken"));
    java.nio.file.Files.writeString(dir.path().resolve("hosts"), "h\nr1\nr2\n");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        TranscriptRunner runner = new TranscriptRunner(dir.path(), Map.of(), ps, timeout)) {
      failed[0] = runner.run(Transcript.parse("test.lab", transcript));
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void eachHostKeepsItsSessionAndPrintsLikeATerminal() throws Exception {
    int[] failed = new int[1];
    String out = replay("""
        # shell state carries over per host
        r1# export WHO=$(whereami x)
        r1# echo "[$WHO]"
        r2# echo "[$WHO]"
        r1# whereami a b | tr a-z A-Z
        r2# broken; echo rc=$?
        r1# for i in 1 2; do whereami $i; done | sort -r | uniq -c | sed 's/^ *//'
        """, Duration.ofSeconds(30), failed);
    assertEquals("""
        # shell state carries over per host
        root@r1:~# export WHO=$(whereami x)
        root@r1:~# echo "[$WHO]"
        [on r1 x]
        root@r2:~# echo "[$WHO]"
        []
        root@r1:~# whereami a b | tr a-z A-Z
        ON R1 A B
        root@r2:~# broken; echo rc=$?
        broken: failed
        rc=2
        root@r1:~# for i in 1 2; do whereami $i; done | sort -r | uniq -c | sed 's/^ *//'
        1 on r1 2
        1 on r1 1
        """, out);
    assertEquals(0, failed[0]);
  }

  @Test
  void failuresDoNotStopTheReplay() throws Exception {
    int[] failed = new int[1];
    String out = replay("h# broken\nh# whereami\nh# cat <<EOF\nline\nEOF\n", Duration.ofSeconds(30), failed);
    assertEquals("root@h:~# broken\nbroken: failed\nroot@h:~# whereami\non h \nroot@h:~# cat <<EOF\nline\nEOF\nline\n",
        out);
    assertEquals(1, failed[0]);
  }

  @Test
  void backgroundJobsRunAlongAndStopAtTheEnd() throws Exception {
    int[] failed = new int[1];
    String out = replay("h# capture &\nh# whereami now\n", Duration.ofSeconds(30), failed);
    assertEquals("root@h:~# capture &\nlistening on any\nroot@h:~# whereami now\non h now\n1 packet captured\n", out);
  }

  @Test
  void hangingForegroundCommandGetsCtrlC() throws Exception {
    int[] failed = new int[1];
    String out = replay("h# sleep 60\nh# echo after\n", Duration.ofMillis(500), failed);
    assertEquals("root@h:~# sleep 60\n^C\nroot@h:~# echo after\nafter\n", out);
    assertTrue(failed[0] >= 1);
  }

  @Test
  void sshRunsACommandOnAnotherHostOfTheLab() throws Exception {
    int[] failed = new int[1];
    String out = replay("""
        r1# ssh r2 whereami a b
        r1# ssh -t root@r2 'whereami x | tr a-z A-Z'; whereami y
        r1# ssh nowhere whereami; echo rc=$?
        r1# ssh; echo rc=$?
        """, Duration.ofSeconds(30), failed);
    assertEquals("""
        root@r1:~# ssh r2 whereami a b
        on r2 a b
        root@r1:~# ssh -t root@r2 'whereami x | tr a-z A-Z'; whereami y
        ON R2 X
        on r1 y
        root@r1:~# ssh nowhere whereami; echo rc=$?
        ssh: Could not resolve hostname nowhere: Name or service not known
        rc=255
        root@r1:~# ssh; echo rc=$?
        usage: ssh [-qtT] [-l login_name] [-o option] [-p port] destination [command [argument ...]]
        rc=255
        """, out);
  }
}
