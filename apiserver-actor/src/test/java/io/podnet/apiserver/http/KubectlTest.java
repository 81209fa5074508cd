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

/**
 * The real kubectl (v1.32 at /usr/bin/kubectl) against the API server holding the reference lab's
 * objects, with the reference transcript's commands and outputs.
 */
class KubectlTest extends HttpsTestSystem {
  static final Path KUBECTL = Path.of("/usr/bin/kubectl");
  static final String TOKEN = "podnet-lab-token-0123456789abcdef";

  ReferenceLab lab;
  ApiHttpServer server;
  @TempDir Path home;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Files.isExecutable(KUBECTL), "kubectl is not installed at " + KUBECTL + ": real-client tests skipped");
    lab = new ReferenceLab();
    server = ApiHttpServer.start(system, lab.store, certs, TOKEN, lab.clock::get, 0)
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
    cmd.add(KUBECTL.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECONFIG", home.resolve("kubeconfig").toString());
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl " + String.join(" ", args) + " hung");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.exitValue(), out, err);
  }

  Result ok(String stdin, String... args) throws Exception {
    Result r = kubectl(stdin, args);
    assertEquals(0, r.exit, () -> "kubectl " + String.join(" ", args) + " failed: " + r.err + r.out);
    return r;
  }

  @Test
  void getPodsWide() throws Exception {
    assertEquals("""
        NAME                      READY   STATUS    RESTARTS      AGE     IP             NODE      NOMINATED NODE   READINESS GATES
        curl-pod                  1/1     Running   1 (20m ago)   6h14m   172.20.0.201   k8s-ctr   <none>           <none>
        webpod-696774f575-5nvlc   1/1     Running   1 (18m ago)   6h13m   172.20.2.50    k8s-w0    <none>           <none>
        webpod-696774f575-dsblb   1/1     Running   1 (20m ago)   6h12m   172.20.0.130   k8s-ctr   <none>           <none>
        webpod-696774f575-wssxg   1/1     Running   1 (19m ago)   6h12m   172.20.1.184   k8s-w1    <none>           <none>
        """, ok(null, "get", "pods", "-o", "wide").out);
  }

  /** --sort-by asks for the Table with includeObject=Object and sorts on the embedded objects. */
  @Test
  void getPodsSortedByNode() throws Exception {
    assertEquals("""
        NAME                      READY   STATUS    RESTARTS      AGE     IP             NODE      NOMINATED NODE   READINESS GATES
        curl-pod                  1/1     Running   1 (20m ago)   6h14m   172.20.0.201   k8s-ctr   <none>           <none>
        webpod-696774f575-dsblb   1/1     Running   1 (20m ago)   6h12m   172.20.0.130   k8s-ctr   <none>           <none>
        webpod-696774f575-5nvlc   1/1     Running   1 (18m ago)   6h13m   172.20.2.50    k8s-w0    <none>           <none>
        webpod-696774f575-wssxg   1/1     Running   1 (19m ago)   6h12m   172.20.1.184   k8s-w1    <none>           <none>
        """, ok(null, "get", "pods", "-o", "wide", "--sort-by=.spec.nodeName").out);
  }

  @Test
  void getSvc() throws Exception {
    assertEquals("""
        NAME     TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)   AGE
        webpod   ClusterIP   10.96.107.144   <none>        80/TCP    26h
        """, ok(null, "get", "svc").out);
  }

  @Test
  void jsonpathWithLabelAndFieldSelector() throws Exception {
    assertEquals("172.20.2.50", ok(null, "get", "pod", "-l", "app=webpod", "--field-selector", "spec.nodeName=k8s-w0",
        "-o", "jsonpath={.items[0].status.podIP}").out);
  }

  static final String POOL = """
      apiVersion: "cilium.io/v2"  # v1.17 : cilium.io/v2alpha1
      kind: CiliumLoadBalancerIPPool
      metadata:
        name: "cilium-lb-ippool"
      spec:
        blocks:
        - start: "192.168.10.211"
          stop:  "192.168.10.215"
      """;

  @Test
  void applyPoolThenGetIppools() throws Exception {
    assertEquals("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool created\n", ok(POOL, "apply", "-f", "-").out);
    assertEquals("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool unchanged\n", ok(POOL, "apply", "-f", "-").out);
    assertEquals("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool configured\n",
        ok(POOL.replace("192.168.10.215", "192.168.10.216"), "apply", "-f", "-").out);
    Result yaml = ok(null, "get", "ippool", "cilium-lb-ippool", "-o", "jsonpath={.spec.blocks[0].stop}");
    assertEquals("192.168.10.216", yaml.out);
    lab.at(ReferenceLab.NOW.plusSeconds(74));
    // Before the LB-IPAM operator has written status, those CRD columns are null cells: printed empty.
    assertEquals("""
        NAME               DISABLED   CONFLICTING   IPS AVAILABLE   AGE
        cilium-lb-ippool   false                                    74s
        """, ok(null, "get", "ippools").out);
    // The operator's status write, through the status subresource.
    String status = "{\"status\":{\"conditions\":["
        + "{\"type\":\"cilium.io/IPsAvailable\",\"status\":\"True\",\"reason\":\"noreason\",\"message\":\"5\","
        + "\"lastTransitionTime\":\"2025-08-09T12:35:46Z\"},"
        + "{\"type\":\"cilium.io/PoolConflict\",\"status\":\"False\",\"reason\":\"resolved\",\"message\":\"\","
        + "\"lastTransitionTime\":\"2025-08-09T12:35:46Z\"}]}}";
    assertEquals("ciliumloadbalancerippool.cilium.io/cilium-lb-ippool patched\n",
        ok(null, "patch", "ippool", "cilium-lb-ippool", "--subresource=status", "--type=merge", "-p", status).out);
    lab.at(ReferenceLab.NOW.plusSeconds(191));
    assertEquals("""
        NAME               DISABLED   CONFLICTING   IPS AVAILABLE   AGE
        cilium-lb-ippool   false      False         5               3m11s
        """, ok(null, "get", "ippools").out);
    // A strategic merge patch on a custom resource is refused as kube-apiserver refuses it.
    Result smp = kubectl(null, "patch", "ippool", "cilium-lb-ippool", "-p", "{\"spec\":{\"disabled\":true}}");
    assertEquals(1, smp.exit);
    assertTrue(smp.err.contains("UnsupportedMediaType") || smp.err.contains("unknown format"), smp.err);
  }

  @Test
  void patchServiceToLoadBalancer() throws Exception {
    assertEquals("service/webpod patched\n", ok(null, "patch", "svc", "webpod", "-p", "{\"spec\":{\"type\":\"LoadBalancer\"}}").out);
    assertEquals("LoadBalancer", ok(null, "get", "svc", "webpod", "-o", "jsonpath={.spec.type}").out);
    assertEquals("service/webpod patched (no change)\n",
        ok(null, "patch", "svc", "webpod", "-p", "{\"spec\":{\"type\":\"LoadBalancer\"}}").out);
  }

  @Test
  void leaseYaml() throws Exception {
    String out = ok(null, "-n", "kube-system", "get", "lease", "-o", "yaml").out;
    assertTrue(out.contains(String.join("\n",
        "  kind: Lease",
        "  metadata:",
        "    creationTimestamp: \"2025-08-09T12:35:25Z\"",
        "    name: cilium-l2announce-default-webpod",
        "    namespace: kube-system",
        "")), out);
    assertTrue(out.contains(String.join("\n",
        "  spec:",
        "    acquireTime: \"2025-08-09T12:35:25.085954Z\"",
        "    holderIdentity: k8s-w1",
        "    leaseDurationSeconds: 15",
        "    leaseTransitions: 0",
        "    renewTime: \"2025-08-09T12:35:45.144393Z\"",
        "")), out);
    assertTrue(out.startsWith("apiVersion: v1\nitems:\n- apiVersion: coordination.k8s.io/v1\n"), out);
    assertEquals("""
        NAME                               HOLDER   AGE
        cilium-l2announce-default-webpod   k8s-w1   20s
        """, ok(null, "-n", "kube-system", "get", "lease").out);
  }

  @Test
  void aHeldLeaseCannotBeTakenByPatchUntilItExpires() throws Exception {
    String[] take = {"-n", "kube-system", "patch", "lease", "cilium-l2announce-default-webpod", "--type", "merge",
        "-p", "{\"spec\":{\"holderIdentity\":\"k8s-w0\"}}"};
    // renewTime 12:35:45.144393 + 15 s: held until 12:36:00.144393 included.
    lab.at(java.time.Instant.parse("2025-08-09T12:36:00.144Z"));
    Result refused = kubectl(null, take);
    assertEquals(1, refused.exit);
    assertEquals("Error from server (Conflict): Operation cannot be fulfilled on leases.coordination.k8s.io "
        + "\"cilium-l2announce-default-webpod\": lock is held by k8s-w1 and has not yet expired\n", refused.err);
    lab.at(java.time.Instant.parse("2025-08-09T12:36:00.145Z"));
    assertEquals("lease.coordination.k8s.io/cilium-l2announce-default-webpod patched\n", ok(null, take).out);
    assertEquals("k8s-w0", ok(null, "-n", "kube-system", "get", "lease", "cilium-l2announce-default-webpod", "-o",
        "jsonpath={.spec.holderIdentity}").out);
  }

  @Test
  void apiResources() throws Exception {
    String out = ok(null, "api-resources").out;
    String pool = out.lines().filter(l -> l.toLowerCase().contains("ciliumloadbalancerippool")).findFirst().orElseThrow();
    // The reference's column widths come from its cluster's longer resource names; the fields are these.
    assertEquals(List.of("ciliumloadbalancerippools", "ippools,ippool,lbippool,lbippools", "cilium.io/v2", "false",
        "CiliumLoadBalancerIPPool"), List.of(pool.split("\\s+")));
    assertTrue(out.startsWith("NAME "), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("pods\\s+po\\s+v1\\s+true\\s+Pod")), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("ciliuml2announcementpolicies\\s+l2announcement\\s+cilium.io/v2alpha1"
        + "\\s+false\\s+CiliumL2AnnouncementPolicy")), out);
  }

  @Test
  void ciliumNodeJson() throws Exception {
    String out = ok(null, "get", "ciliumnode", "-o", "json").out;
    String expected = String.join("\n",
        "                \"addresses\": [",
        "                    {",
        "                        \"ip\": \"192.168.20.100\",",
        "                        \"type\": \"InternalIP\"",
        "                    },",
        "                    {",
        "                        \"ip\": \"172.20.2.159\",",
        "                        \"type\": \"CiliumInternalIP\"",
        "                    }",
        "                ]");
    assertTrue(out.contains(expected), out);
    assertTrue(out.contains("\"kind\": \"List\"") || out.contains("\"kind\": \"CiliumNodeList\""), out);
    assertEquals("""
        NAME      CILIUMINTERNALIP   INTERNALIP       AGE
        k8s-ctr   172.20.0.98        192.168.10.100   27h
        k8s-w0    172.20.2.159       192.168.20.100   27h
        k8s-w1    172.20.1.60        192.168.10.101   27h
        """, ok(null, "get", "cn").out);
  }

  @Test
  void getWatchPrintsNewRows() throws Exception {
    List<String> cmd = List.of(KUBECTL.toString(), "-n", "kube-system", "get", "lease", "-w");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECONFIG", home.resolve("kubeconfig").toString());
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    try {
      java.io.BufferedReader out = new java.io.BufferedReader(
          new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("NAME                               HOLDER   AGE", out.readLine());
      assertEquals("cilium-l2announce-default-webpod   k8s-w1   20s", out.readLine());
      ok("""
          apiVersion: coordination.k8s.io/v1
          kind: Lease
          metadata:
            name: cilium-l2announce-default-other
            namespace: kube-system
          spec:
            holderIdentity: k8s-ctr
            leaseDurationSeconds: 15
          """, "apply", "-f", "-");
      assertEquals("cilium-l2announce-default-other    k8s-ctr   0s", out.readLine());
    } finally {
      p.destroy();
      p.waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void rolloutRestartPatchesTheDaemonSetTemplate() throws Exception {
    ok("""
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: cilium
          namespace: kube-system
        spec:
          selector:
            matchLabels:
              k8s-app: cilium
          template:
            metadata:
              labels:
                k8s-app: cilium
            spec:
              containers:
              - name: cilium-agent
                image: quay.io/cilium/cilium:v1.18.0
        """, "apply", "-f", "-");
    assertEquals("daemonset.apps/cilium restarted\n", ok(null, "rollout", "restart", "-n", "kube-system", "ds/cilium").out);
    String restartedAt = ok(null, "-n", "kube-system", "get", "ds", "cilium", "-o",
        "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}").out;
    assertTrue(restartedAt.matches("\\d{4}-\\d\\d-\\d\\dT.*"), restartedAt);
    assertEquals("cilium-agent", ok(null, "-n", "kube-system", "get", "ds", "cilium", "-o",
        "jsonpath={.spec.template.spec.containers[0].name}").out);
    assertEquals("2", ok(null, "-n", "kube-system", "get", "ds", "cilium", "-o", "jsonpath={.metadata.generation}").out);
    // apps/v1's defaults, which kubectl rollout status needs (it refuses other strategies)
    assertEquals("RollingUpdate 1 0 10", ok(null, "-n", "kube-system", "get", "ds", "cilium", "-o",
        "jsonpath={.spec.updateStrategy.type} {.spec.updateStrategy.rollingUpdate.maxUnavailable} "
            + "{.spec.updateStrategy.rollingUpdate.maxSurge} {.spec.revisionHistoryLimit}").out);
  }

  @Test
  void execWithoutAHandlerFails() throws Exception {
    Result r = kubectl(null, "exec", "curl-pod", "--", "true");
    assertEquals(1, r.exit, r.out + r.err);
    assertEquals("error: Internal error occurred: error executing command in container: "
        + "no exec handler is configured for this API server\n", r.err);
  }

  @Test
  void getNodes() throws Exception {
    assertEquals("""
        NAME      STATUS   ROLES           AGE   VERSION
        k8s-ctr   Ready    control-plane   27h   v1.33.2
        k8s-w0    Ready    <none>          27h   v1.33.2
        k8s-w1    Ready    <none>          27h   v1.33.2
        """, ok(null, "get", "nodes").out);
  }

  @Test
  void notFoundAndBadToken() throws Exception {
    Result r = kubectl(null, "get", "pod", "nope");
    assertEquals(1, r.exit);
    assertEquals("Error from server (NotFound): pods \"nope\" not found\n", r.err);
    Files.writeString(home.resolve("kubeconfig"),
        Files.readString(home.resolve("kubeconfig")).replace(TOKEN, "wrong-token"));
    Result denied = kubectl(null, "get", "pods");
    assertEquals(1, denied.exit);
    assertTrue(denied.err.contains("error: You must be logged in to the server (Unauthorized)"), denied.err);
  }

}
