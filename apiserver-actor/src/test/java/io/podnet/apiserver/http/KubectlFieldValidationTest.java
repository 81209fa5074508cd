package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl (v1.32) against server-side field validation. */
class KubectlFieldValidationTest extends HttpsTestSystem {

  ReferenceLab lab;
  ApiHttpServer server;
  @TempDir Path home;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(KubectlTest.KUBECTL), "kubectl is not installed: real-client tests skipped");
    lab = new ReferenceLab();
    server = ApiHttpServer.start(system, lab.store, certs, KubectlTest.TOKEN, lab.clock::get, 0)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Files.writeString(home.resolve("kubeconfig"), server.kubeconfig("reference"));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  Result kubectl(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(KubectlTest.KUBECTL.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECONFIG", home.resolve("kubeconfig").toString());
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    // Drain both streams while waiting (-v=8 writes a lot).
    var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " hung");
    }
    return new Result(p.exitValue(), out.join(), err.join());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static final String WEBPOD_TYPO = """
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: webpod
      spec:
        replica: 3
        selector:
          matchLabels:
            app: webpod
        template:
          metadata:
            labels:
              app: webpod
          spec:
            containers:
            - name: webpod
              image: traefik/whoami
              ports:
              - containerPort: 80
      """;

  static final String TYPO_ERROR = "Deployment in version \"v1\" cannot be handled as a Deployment: "
      + "strict decoding error: unknown field \"spec.replica\"";

  Result fails(String stdin, String... args) throws Exception {
    Result r = kubectl(stdin, args);
    assertEquals(1, r.exit, () -> "kubectl " + String.join(" ", args) + ": " + r.out + r.err);
    return r;
  }

  void notFound(String what) throws Exception {
    Result get = fails(null, "get", what);
    assertTrue(get.err.contains("NotFound"), get.err);
  }

  /** kubectl apply of a new object POSTs with fieldValidation=Strict (its default). */
  @Test
  void applyWithATypoIsRefusedAndNothingIsCreated() throws Exception {
    Result r = fails(WEBPOD_TYPO, "apply", "-f", "-");
    assertEquals("Error from server (BadRequest): error when creating \"STDIN\": " + TYPO_ERROR + "\n", r.err);
    assertEquals("", r.out);
    notFound("deployment/webpod");
  }

  @Test
  void createAndReplaceWithATypoAreRefused() throws Exception {
    Result create = fails(WEBPOD_TYPO, "create", "-f", "-");
    assertEquals("Error from server (BadRequest): error when creating \"STDIN\": " + TYPO_ERROR + "\n", create.err);
    notFound("deployment/webpod");
    String good = WEBPOD_TYPO.replace("replica:", "replicas:");
    assertEquals("deployment.apps/webpod created\n", ok(good, "create", "-f", "-").out);
    Result replace = fails(WEBPOD_TYPO.replace("replica: 3", "replicas: 2\n  replica: 2"), "replace", "-f", "-");
    assertEquals("Error from server (BadRequest): error when replacing \"STDIN\": " + TYPO_ERROR + "\n",
        replace.err);
    assertEquals("3", ok(null, "get", "deploy", "webpod", "-o", "jsonpath={.spec.replicas}").out);
  }

  /** kubectl apply of an existing object sends a strategic merge patch, also Strict. */
  @Test
  void applyOfAnExistingObjectWithATypoLeavesItUnchanged() throws Exception {
    String good = WEBPOD_TYPO.replace("replica:", "replicas:");
    assertEquals("deployment.apps/webpod created\n", ok(good, "apply", "-f", "-").out);
    String rv = ok(null, "get", "deploy", "webpod", "-o", "jsonpath={.metadata.resourceVersion}").out;
    Result r = fails(good.replace("replicas: 3", "replicas: 2\n  replica: 2"), "apply", "-f", "-");
    assertTrue(r.err.startsWith("Error from server (BadRequest): error when applying patch:\n"), r.err);
    assertTrue(r.err.endsWith("for: \"STDIN\": error when patching \"STDIN\": strict decoding error: "
        + "unknown field \"spec.replica\"\n"), r.err);
    assertEquals(rv, ok(null, "get", "deploy", "webpod", "-o", "jsonpath={.metadata.resourceVersion}").out);
    assertEquals("3", ok(null, "get", "deploy", "webpod", "-o", "jsonpath={.spec.replicas}").out);
  }

  /** --validate=warn sends fieldValidation=Warn: the object is created, kubectl prints the warning. */
  @Test
  void validateWarnCreatesAndPrintsTheWarning() throws Exception {
    Result r = ok(WEBPOD_TYPO, "apply", "--validate=warn", "-f", "-");
    assertEquals("deployment.apps/webpod created\n", r.out);
    assertEquals("Warning: unknown field \"spec.replica\"\n", r.err);
    Result ignored = ok(WEBPOD_TYPO.replace("webpod", "other"), "apply", "--validate=false", "-f", "-");
    assertEquals("deployment.apps/other created\n", ignored.out);
    assertEquals("", ignored.err);
  }

  /**
   * kubectl patch sends no fieldValidation: the server's default, Warn. The unknown field is
   * dropped, so the object is unchanged, as kube-apiserver leaves it.
   */
  @Test
  void patchWithATypoWarns() throws Exception {
    Result r = ok(null, "patch", "svc", "webpod", "-p", "{\"spec\":{\"tpye\":\"LoadBalancer\"}}");
    assertEquals("service/webpod patched (no change)\n", r.out);
    assertEquals("Warning: unknown field \"spec.tpye\"\n", r.err);
    assertEquals("ClusterIP", ok(null, "get", "svc", "webpod", "-o", "jsonpath={.spec.type}").out);
  }

  /** The reference's manifests apply verbatim under Strict. */
  @Test
  void referenceManifestsApplyUnderStrict() throws Exception {
    String manifests = Files.readString(Path.of("..", "deploy", "labs", "cilium-seed", "workloads.yaml"));
    Result r = ok(manifests.replace("name: webpod\n  labels", "name: webpod2\n  labels")
        .replace("name: curl-pod", "name: curl-pod2"), "apply", "-f", "-");
    assertEquals("", r.err);
    assertEquals("""
        deployment.apps/webpod created
        service/webpod2 created
        pod/curl-pod2 created
        """, r.out);
    assertEquals("", ok(KubectlTest.POOL, "apply", "-f", "-").err);
    Result l2 = ok("""
        apiVersion: "cilium.io/v2alpha1"  # not v2
        kind: CiliumL2AnnouncementPolicy
        metadata:
          name: policy1
        spec:
          serviceSelector:
            matchLabels:
              app: webpod
          nodeSelector:
            matchExpressions:
              - key: kubernetes.io/hostname
                operator: NotIn
                values:
                  - k8s-w0
          interfaces:
          - ^eth[1-9]+
          externalIPs: true
          loadBalancerIPs: true
        """, "apply", "-f", "-");
    assertEquals("ciliuml2announcementpolicy.cilium.io/policy1 created\n", l2.out);
    assertEquals("", l2.err);
  }

  @Test
  void aCustomResourceWithATypoIsRefused() throws Exception {
    Result r = fails(KubectlTest.POOL.replace("stop:", "stpo:"), "apply", "-f", "-");
    assertEquals("Error from server (BadRequest): error when creating \"STDIN\": CiliumLoadBalancerIPPool in version "
        + "\"v2\" cannot be handled as a CiliumLoadBalancerIPPool: strict decoding error: "
        + "unknown field \"spec.blocks[0].stpo\"\n", r.err);
    notFound("ippool/cilium-lb-ippool");
  }

  @Test
  void aWrongTypeIsRefusedWhateverTheValidation() throws Exception {
    Result r = fails(WEBPOD_TYPO.replace("replica: 3", "replicas: \"3\""), "apply", "--validate=false", "-f", "-");
    assertEquals("Error from server (BadRequest): error when creating \"STDIN\": Deployment in version \"v1\" "
        + "cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field "
        + "DeploymentSpec.spec.replicas of type int32\n", r.err);
    notFound("deployment/webpod");
  }

  Result ok(String stdin, String... args) throws Exception {
    Result r = kubectl(stdin, args);
    assertEquals(0, r.exit, () -> "kubectl " + String.join(" ", args) + " failed: " + r.err + r.out);
    return r;
  }
}
