package io.podnet.deploy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podnet.deploy.control.ControlClient;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.topology.TopologyLoader;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostKeys;
import io.podnet.netstack.tool.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods as hosts: a pod's host, registered with the Receptionist as its node would register it, is
 * reached by {@code kubectl exec} (the real kubectl against the lab's API server, skipped where it
 * is not installed), by {@code podnet exec NS/POD} and by the tool shims.
 */
class LabExecTest {
  static final Path KUBECTL = Path.of("/usr/bin/kubectl");

  static final String LAB = """
      name: exec-lab
      seed: 5
      segments:
        lan: {}
      hosts:
        w1:
          kind: node
          interfaces:
            eth1: {segment: lan, address: 192.168.30.11/24}
      """;

  /** A pod's own host: its eth0 (a veth whose peer is on the node) and a default route. */
  static final HostConfig P1 = new HostConfig("p1", 11, false, List.of(new HostConfig.LinkConfig("eth0", "veth", null,
      "0a:58:0a:f4:01:05", 1500, List.of("10.244.1.5/24"), 0)), List.of("default via 10.244.1.1"), Map.of());

  @TempDir
  static Path tmp;
  static LabSession session;
  static LabDir dir;
  static Path kubeHome;

  @BeforeAll
  static void start() throws Exception {
    dir = new LabDir(tmp.resolve("home/labs/exec-lab"));
    // The lab's default settings: pekko.actor.serialize-messages cannot be on for a whole lab (the
    // API server's messages have no serializer).
    session = LabSession.start(LabPlan.of(TopologyLoader.parse("exec-lab.yaml", LAB)), dir, "127.0.0.1", true);
    var system = session.lab().system();
    ActorRef<HostActor.Command> pod = system.systemActorOf(HostActor.create(P1, Map.of(), Tools.standard()),
        "pod-p1", Props.empty());
    AskPattern.<Receptionist.Command, Receptionist.Registered>ask(system.receptionist(),
            r -> Receptionist.register(HostKeys.pod("default", "p1"), pod, r), Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    kubeHome = Files.createDirectories(tmp.resolve("kube-home"));
    if (Files.isExecutable(KUBECTL)) {
      for (String p : List.of("p1", "gone")) {
        Files.writeString(tmp.resolve(p + ".yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: %s, namespace: default}
            spec:
              nodeName: w1
              containers: [{name: main, image: nicolaka/netshoot}]
            """.formatted(p));
        Result r = kubectl(null, "apply", "-f", tmp.resolve(p + ".yaml").toString());
        assertEquals(0, r.code(), r.err());
      }
    }
  }

  @AfterAll
  static void stop() {
    if (session != null) {
      session.close();
    }
  }

  record Result(int code, String out, String err) {}

  static Result kubectl(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(KUBECTL.toString());
    cmd.addAll(List.of(args));
    return run(cmd, stdin, Map.of("KUBECONFIG", session.api().kubeconfig().toString(), "HOME", kubeHome.toString()));
  }

  static Result run(List<String> cmd, String stdin, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    // Output to files: a command may write more than a pipe holds before it has read all its stdin.
    Path out = Files.createTempFile(tmp, "out", "");
    Path err = Files.createTempFile(tmp, "err", "");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " hung");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static void assumeKubectl() {
    assumeTrue(Files.isExecutable(KUBECTL), "kubectl is not installed at " + KUBECTL + ": real-client tests skipped");
  }

  @Test
  void kubectlExecRunsOnThePodsHost() throws Exception {
    assumeKubectl();
    Result r = kubectl(null, "exec", "p1", "--", "ip", "-4", "addr", "show", "eth0");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("    inet 10.244.1.5/24 "), r.out());
    assertTrue(r.out().contains(" eth0"), r.out());
    assertEquals("", r.err());
  }

  @Test
  void aShellFindsTheShimsAndItsExitCodeIsKubectls() throws Exception {
    assumeKubectl();
    Result r = kubectl(null, "exec", "p1", "--", "sh", "-c", "ip route | grep default; echo oops >&2; exit 3");
    assertEquals(3, r.code());
    assertEquals("default via 10.244.1.1 dev eth0 \n", r.out());
    assertEquals("oops\ncommand terminated with exit code 3\n", r.err());
    // The shell's own argv[0] is what was typed, as in a container.
    r = kubectl(null, "exec", "p1", "--", "sh", "-c", "no-such-tool-x");
    assertEquals(127, r.code());
    assertEquals("sh: 1: no-such-tool-x: not found\ncommand terminated with exit code 127\n", r.err());
  }

  @Test
  void stdinReachesTheCommand() throws Exception {
    assumeKubectl();
    String text = "hi\n" + "x".repeat(200_000) + "\nend\n";
    Result r = kubectl(text, "exec", "-i", "p1", "--", "cat");
    assertEquals(0, r.code(), r.err());
    assertEquals(text, r.out());
    // Without -i the command's stdin is closed at once.
    r = kubectl("ignored\n", "exec", "p1", "--", "cat");
    assertEquals(List.of(0, "", ""), List.of(r.code(), r.out(), r.err()));
  }

  @Test
  void theLabsEnvironmentIsTheCommands() throws Exception {
    assumeKubectl();
    Result r = kubectl(null, "exec", "p1", "--", "sh", "-c",
        "echo $PODNET_HOST; echo $PODNET_LAB_DIR; echo $KUBECONFIG; command -v ip; pwd");
    assertEquals(0, r.code(), r.err());
    assertEquals("default/p1\n" + dir.path() + "\n" + dir.path().resolve("kubeconfig") + "\n"
        + dir.path().resolve("bin/ip") + "\n" + dir.path() + "\n", r.out());
  }

  @Test
  void aPodWithoutAHostIsNotRunning() throws Exception {
    assumeKubectl();
    Result r = kubectl(null, "exec", "gone", "--", "ip", "route");
    assertEquals(1, r.code());
    assertEquals("", r.out());
    assertEquals("error: Internal error occurred: error executing command in container: failed to exec in container: "
        + "container is in CONTAINER_EXITED state\n", r.err());
  }

  @Test
  void aCommandNotOnThePathFailsAsRuncSaysSo() throws Exception {
    assumeKubectl();
    Result r = kubectl(null, "exec", "p1", "--", "no-such-tool-x", "-v");
    assertEquals(1, r.code());
    assertEquals("", r.out());
    assertTrue(r.err().matches("error: Internal error occurred: error executing command in container: failed to exec "
        + "in container: failed to start exec \"[0-9a-f]{64}\": OCI runtime exec failed: exec failed: unable to start "
        + "container process: exec: \"no-such-tool-x\": executable file not found in \\$PATH: unknown\n"), r.err());
    r = kubectl(null, "exec", "p1", "--", "/no/such/file");
    assertTrue(r.err().endsWith("exec: \"/no/such/file\": stat /no/such/file: no such file or directory: unknown\n"),
        r.err());
  }

  @Test
  void killingKubectlKillsTheCommandAndWhatItStarted() throws Exception {
    assumeKubectl();
    ProcessBuilder pb = new ProcessBuilder(KUBECTL.toString(), "exec", "p1", "--", "sh", "-c",
        "sleep 1000 & echo $!; wait");
    pb.environment().put("KUBECONFIG", session.api().kubeconfig().toString());
    pb.environment().put("HOME", kubeHome.toString());
    Process kubectl = pb.start();
    long sleeper = Long.parseLong(firstLine(kubectl.getInputStream()));
    ProcessHandle sleep = ProcessHandle.of(sleeper).orElseThrow();
    assertTrue(sleep.isAlive());
    kubectl.destroyForcibly();
    sleep.onExit().get(20, TimeUnit.SECONDS);
    assertFalse(sleep.isAlive());
  }

  static String firstLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new AssertionError("no line before the end: " + b);
      }
      b.append((char) c);
    }
    return b.toString();
  }

  /** `podnet exec NS/POD -- CMD` and the shims on a pod's host; an unknown pod is refused. */
  @Test
  void podnetExecOnAPod() throws Exception {
    Map<String, String> env = Map.of("PODNET_HOME", tmp.resolve("home").toString());
    Result r = run(List.of("bin/podnet", "exec", "default/p1", "--", "ip", "route"), null, env);
    assertEquals(List.of(0, "default via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link "
        + "src 10.244.1.5 \n", ""), List.of(r.code(), r.out(), r.err()));
    r = run(List.of("bin/podnet", "exec", "default/nope", "--", "ip", "route"), null, env);
    assertEquals(List.of(1, "", "podnet: no host 'default/nope' in lab exec-lab (hosts: w1 )\n"),
        List.of(r.code(), r.out(), r.err()));
    // A topology host still works, through the hosts file alone.
    r = run(List.of("bin/podnet", "exec", "w1", "--", "ip", "-4", "addr", "show", "eth1"), null, env);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("inet 192.168.30.11/24"), r.out());
  }

  /** `podnet sh NS/POD`: a shell whose tools act on the pod's host, with the pod's name in its prompt. */
  @Test
  void podnetShOnAPod() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("sh-home"));
    Map<String, String> env = Map.of("PODNET_HOME", tmp.resolve("home").toString(), "HOME", home.toString());
    Result r = run(List.of("bin/podnet", "sh", "default/p1"), "echo $PODNET_HOST\nip -4 addr show eth0\nexit 5\n", env);
    assertEquals(5, r.code(), r.err());
    assertTrue(r.out().startsWith("default/p1\n"), r.out());
    assertTrue(r.out().contains("    inet 10.244.1.5/24 "), r.out());
    assertTrue(r.err().contains("root@p1:~# "), r.err());
    r = run(List.of("bin/podnet", "sh", "kube-system/nope"), "", env);
    assertEquals(List.of(1, "", "podnet: no host 'kube-system/nope' in lab exec-lab (hosts: w1 )\n"),
        List.of(r.code(), r.out(), r.err()));
  }

  /** The launcher's "host" command and the shims name pods as NAMESPACE/POD. */
  @Test
  void labKnowsItsPods() throws Exception {
    assertEquals(List.of(0, "default/p1\n", ""), control("@lab", "host", "default/p1"));
    assertEquals(List.of(0, "w1\n", ""), control("@lab", "host", "w1"));
    assertEquals(List.of(1, "", "podnet: no host 'default/gone' in lab exec-lab\n"), control("@lab", "host", "default/gone"));
    assertEquals(List.of(1, "", "podnet: no host 'a/b/c' in lab exec-lab\n"), control("@lab", "host", "a/b/c"));
    assertEquals(List.of(255, "", "podnet: no host 'default/gone' in lab exec-lab\n"), control("default/gone", "ip", "route"));
    List<Object> r = control("default/p1", "ip", "-4", "addr", "show", "eth0");
    assertEquals(0, r.get(0), r.toString());
    assertTrue(((String) r.get(1)).contains("inet 10.244.1.5/24"), r.toString());
  }

  static List<Object> control(String host, String... argv) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = ControlClient.run(dir, host, List.of(argv), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return List.of(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
