package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl's {@code exec} over WebSocket (v5.channel.k8s.io) against a shell-like test handler. */
class KubectlExecTest extends HttpsTestSystem {

  ReferenceLab lab;
  ApiHttpServer server;
  final List<ExecHandler.Request> seen = new CopyOnWriteArrayList<>();
  @TempDir Path home;

  /**
   * Behaves like a container's shell for a few commands: echo, cat (stdin to stdout), false, one
   * {@code sh -c} script writing to both streams and exiting 1, cilium-dbg config in the agent, and
   * "not found" with exit 127 for anything else.
   */
  Source<ExecHandler.Output, NotUsed> shell(ExecHandler.Request r, Source<ExecHandler.Input, NotUsed> input) {
    seen.add(r);
    List<String> c = r.command();
    switch (c.get(0)) {
      case "echo":
        return Source.from(List.of(out(String.join(" ", c.subList(1, c.size())) + "\n"), new ExecHandler.Exit(0)));
      case "cat":
        return input.filter(i -> i instanceof ExecHandler.Stdin)
            .map(i -> (ExecHandler.Output) new ExecHandler.Stdout(((ExecHandler.Stdin) i).data()))
            .concat(Source.single(new ExecHandler.Exit(0)));
      case "false":
        return Source.single(new ExecHandler.Exit(1));
      case "sh":
        if (c.equals(List.of("sh", "-c", "echo out; echo err >&2; exit 1"))) {
          return Source.from(List.of(out("out\n"), err("err\n"), new ExecHandler.Exit(1)));
        }
        break;
      case "cilium-dbg":
        if (r.container().equals("cilium-agent") && c.equals(List.of("cilium-dbg", "config", "--all"))) {
          return Source.from(List.of(out("EnableL2Announcements             : true\n"
              + "EnableL7Proxy                     : true\n"), new ExecHandler.Exit(0)));
        }
        break;
      default:
        break;
    }
    return Source.from(List.of(err("sh: 1: " + c.get(0) + ": not found\n"), new ExecHandler.Exit(127)));
  }

  static ExecHandler.Output out(String s) {
    return new ExecHandler.Stdout(ByteString.fromString(s));
  }

  static ExecHandler.Output err(String s) {
    return new ExecHandler.Stderr(ByteString.fromString(s));
  }

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(KubectlTest.KUBECTL),
        "kubectl is not installed at " + KubectlTest.KUBECTL + ": real-client tests skipped");
    lab = new ReferenceLab();
    // The cilium DaemonSet and its agent pod on k8s-w0, and an operator pod its selector must not pick.
    lab.store.create(ApiResources.DAEMON_SET, new KubeObject("apps/v1", "DaemonSet",
        ObjectMeta.of("kube-system", "cilium", Map.of("k8s-app", "cilium")),
        Json.obj("selector", Map.of("matchLabels", Map.of("k8s-app", "cilium")),
            "template", Map.of("metadata", Map.of("labels", Map.of("k8s-app", "cilium")),
                "spec", Map.of("containers", List.of(Map.of("name", "cilium-agent"))))),
        Struct.getDefaultInstance()));
    pod("kube-system", "cilium-operator-5dd7c7c5b4-q8x9z", Map.of("io.cilium/app", "operator"), "k8s-ctr",
        List.of("cilium-operator"), List.of());
    pod("kube-system", "cilium-9gdtz", Map.of("k8s-app", "cilium"), "k8s-w0", List.of("cilium-agent"),
        List.of("config", "mount-cgroup"));
    pod("default", "two-containers", Map.of(), "k8s-w1", List.of("a", "b"), List.of());
    server = ApiHttpServer.start(system, lab.store, certs, KubectlTest.TOKEN, lab.clock::get, 0)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    server.execHandler(this::shell);
    Files.writeString(home.resolve("kubeconfig"), server.kubeconfig("reference"));
  }

  void pod(String ns, String name, Map<String, String> labels, String node, List<String> containers,
      List<String> init) {
    List<Map<String, String>> cs = new ArrayList<>();
    containers.forEach(c -> cs.add(Map.of("name", c, "image", "quay.io/cilium/cilium:v1.18.0")));
    List<Map<String, String>> is = new ArrayList<>();
    init.forEach(c -> is.add(Map.of("name", c, "image", "quay.io/cilium/cilium:v1.18.0")));
    Struct spec = init.isEmpty() ? Json.obj("nodeName", node, "containers", cs)
        : Json.obj("nodeName", node, "containers", cs, "initContainers", is);
    lab.store.create(ApiResources.POD, new KubeObject("v1", "Pod", ObjectMeta.of(ns, name, labels), spec,
        Json.obj("phase", "Running")));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  KubectlTest.Result kubectl(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(KubectlTest.KUBECTL.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECONFIG", home.resolve("kubeconfig").toString());
    pb.environment().put("HOME", home.toString());
    // Output to files: kubectl may write more than a pipe holds before it has read all its stdin.
    Path outFile = home.resolve("stdout");
    Path errFile = home.resolve("stderr");
    pb.redirectOutput(outFile.toFile());
    pb.redirectError(errFile.toFile());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " hung");
    }
    String out = Files.readString(outFile);
    String err = Files.readString(errFile);
    return new KubectlTest.Result(p.exitValue(), out, err);
  }

  void expect(int exit, String out, String err, KubectlTest.Result r) {
    assertEquals(List.of(exit, out, err), List.of(r.exit(), r.out(), r.err()));
  }

  @Test
  void echo() throws Exception {
    expect(0, "hi there\n", "", kubectl(null, "exec", "curl-pod", "--", "echo", "hi", "there"));
    assertEquals(List.of(new ExecHandler.Request("default", "curl-pod", "k8s-ctr", "curl", List.of("echo", "hi", "there"),
        false, true, true, false)), seen);
  }

  @Test
  void stdoutStderrAndExitCodes() throws Exception {
    expect(1, "out\n", "err\ncommand terminated with exit code 1\n",
        kubectl(null, "exec", "curl-pod", "--", "sh", "-c", "echo out; echo err >&2; exit 1"));
    expect(1, "", "command terminated with exit code 1\n", kubectl(null, "exec", "curl-pod", "--", "false"));
    expect(127, "", "sh: 1: nope: not found\ncommand terminated with exit code 127\n",
        kubectl(null, "exec", "curl-pod", "--", "nope"));
  }

  @Test
  void stdinIsPassedThrough() throws Exception {
    String text = "line one\nline two\n" + "x".repeat(100_000) + "\n";
    expect(0, text, "", kubectl(text, "exec", "-i", "curl-pod", "--", "cat"));
    assertEquals(true, seen.get(0).stdin());
  }

  @Test
  void daemonSetResolvesToItsPod() throws Exception {
    String config = "EnableL2Announcements             : true\nEnableL7Proxy                     : true\n";
    expect(0, config, "",
        kubectl(null, "-n", "kube-system", "exec", "ds/cilium", "-c", "cilium-agent", "--", "cilium-dbg", "config", "--all"));
    assertEquals("cilium-9gdtz", seen.get(0).pod());
    KubectlTest.Result r = kubectl(null, "exec", "-n", "kube-system", "ds/cilium", "--", "cilium-dbg", "config", "--all");
    expect(0, config, "Defaulted container \"cilium-agent\" out of: cilium-agent, config (init), mount-cgroup (init)\n", r);
  }

  @Test
  void errorsBeforeTheUpgrade() throws Exception {
    expect(1, "", "Error from server (NotFound): pods \"nope\" not found\n", kubectl(null, "exec", "nope", "--", "true"));
    KubectlTest.Result r = kubectl(null, "exec", "curl-pod", "-c", "nope", "--", "true");
    expect(1, "", "Error from server (BadRequest): container nope is not valid for pod curl-pod\n", r);
    assertEquals(List.of(), seen);
  }
}
