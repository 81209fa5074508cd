package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.controllers.TestLab;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl against the API server with its controllers running (and a stand-in kubelet). */
class KubectlControllersTest extends HttpsTestSystem {
  @TempDir Path home;

  String kubectl(String stdin, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(KubectlTest.KUBECTL.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("KUBECONFIG", home.resolve("kubeconfig").toString());
    pb.environment().put("HOME", home.toString());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "kubectl hung");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> String.join(" ", args) + ": " + err + out);
    return out;
  }

  /** Repeats a kubectl command until its output satisfies {@code ok} (controllers run asynchronously). */
  String until(Predicate<String> ok, String... args) throws Exception {
    String out = "";
    for (int i = 0; i < 50; i++) {
      out = kubectl(null, args);
      if (ok.test(out)) {
        return out;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(String.join(" ", args) + " never matched; last output:\n" + out);
  }

  @Test
  void createDeploymentWithImageAndReplicas() throws Exception {
    assumeTrue(Files.isExecutable(KubectlTest.KUBECTL), "kubectl is not installed: real-client test skipped");
    TestLab lab = new TestLab();
    ActorRef<ApiServerActor.Command> api = system.systemActorOf(ApiServerActor.create(lab.store,
        ApiResources.standard(), lab.controllers, lab.clock::get, Duration.ofMillis(100)), "apiserver-create",
        org.apache.pekko.actor.typed.Props.empty());
    try (ApiHttpServer server = ApiHttpServer.start(system, api, ApiResources.standard(), certs, KubectlTest.TOKEN,
        lab.clock::get, 0).toCompletableFuture().get(10, TimeUnit.SECONDS)) {
      Files.writeString(home.resolve("kubeconfig"), server.kubeconfig("reference"));
      // kubectl sends this one as application/vnd.kubernetes.protobuf (client-go's typed client).
      assertEquals("deployment.apps/web created\n",
          kubectl(null, "create", "deployment", "web", "--image=traefik/whoami", "--replicas=2", "--port=80"));
      assertEquals("web 2 app=web whoami traefik/whoami 80", kubectl(null, "get", "deploy", "web", "-o",
          "jsonpath={.metadata.name} {.spec.replicas} {.spec.selector.matchLabels} {.spec.template.spec.containers[0].name}"
              + " {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}")
          .replace("{\"app\":\"web\"}", "app=web"));
      // So do create namespace, configmap and service.
      assertEquals("namespace/dev created\n", kubectl(null, "create", "namespace", "dev"));
      assertEquals("configmap/cm created\n", kubectl(null, "-n", "dev", "create", "configmap", "cm",
          "--from-literal=a=b"));
      assertEquals("b", kubectl(null, "-n", "dev", "get", "configmap", "cm", "-o", "jsonpath={.data.a}"));
      assertEquals("service/web created\n", kubectl(null, "create", "service", "nodeport", "web", "--tcp=80:8080"));
      String svc = kubectl(null, "get", "svc", "web");
      assertTrue(svc.lines().skip(1).findFirst().orElseThrow()
          .matches("web +NodePort +10\\.(9[6-9]|10[0-9]|11[01])\\.\\d+\\.\\d+ +<none> +80:3\\d{4}/TCP +\\d+s"), svc);
      assertEquals("8080 web", kubectl(null, "get", "svc", "web", "-o",
          "jsonpath={.spec.ports[0].targetPort} {.spec.selector.app}"));
      String pods = until(o -> o.lines().filter(l -> l.contains("Running")).count() == 2, "get", "pods");
      for (String l : pods.lines().skip(1).toList()) {
        assertTrue(l.matches("web-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5} +1/1 +Running .*"),
            l);
      }
    }
  }

  @Test
  void deploymentServiceLoadBalancerRolloutAndNodeFailure() throws Exception {
    assumeTrue(Files.isExecutable(KubectlTest.KUBECTL), "kubectl is not installed: real-client test skipped");
    TestLab lab = new TestLab();
    ActorRef<ApiServerActor.Command> api = system.systemActorOf(ApiServerActor.create(lab.store,
        ApiResources.standard(), lab.controllers, lab.clock::get, Duration.ofMillis(100)), "apiserver-controllers",
        org.apache.pekko.actor.typed.Props.empty());
    try (ApiHttpServer server = ApiHttpServer.start(system, api, ApiResources.standard(), certs, KubectlTest.TOKEN,
        lab.clock::get, 0).toCompletableFuture().get(10, TimeUnit.SECONDS)) {
      Files.writeString(home.resolve("kubeconfig"), server.kubeconfig("reference"));

      assertEquals("deployment.apps/webpod created\n", kubectl("""
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: webpod
            labels:
              app: webpod
          spec:
            replicas: 3
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
          """, "apply", "-f", "-"));
      String wide = until(o -> o.lines().filter(l -> l.contains("Running")).count() == 3, "get", "pods", "-o", "wide");
      List<String> lines = wide.lines().toList();
      assertTrue(lines.get(0).matches("NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES"),
          wide);
      Set<String> nodes = new TreeSet<>();
      String hash = null;
      for (String l : lines.subList(1, lines.size())) {
        String[] f = l.split(" +");
        assertTrue(f[0].matches("webpod-[bcdfghjklmnpqrstvwxz2456789]{1,10}-[bcdfghjklmnpqrstvwxz2456789]{5}"), l);
        assertEquals(List.of("1/1", "Running", "0"), List.of(f[1], f[2], f[3]), l);
        assertTrue(f[5].matches("172\\.20\\.[0-2]\\.10"), l);
        nodes.add(f[6]);
        hash = f[0].split("-")[1];
      }
      assertEquals(Set.of("k8s-ctr", "k8s-w0", "k8s-w1"), nodes, "one replica per node");
      until(o -> o.startsWith("3/3"), "get", "deploy", "webpod", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}");

      kubectl("""
          apiVersion: v1
          kind: Service
          metadata:
            name: webpod
            labels:
              app: webpod
          spec:
            selector:
              app: webpod
            ports:
            - port: 80
              targetPort: 80
          """, "apply", "-f", "-");
      kubectl(KubectlTest.POOL, "apply", "-f", "-");
      until(o -> o.contains("cilium-lb-ippool   false      False         5"), "get", "ippools");
      assertEquals("service/webpod patched\n",
          kubectl(null, "patch", "svc", "webpod", "-p", "{\"spec\":{\"type\":\"LoadBalancer\"}}"));
      String svc = until(o -> o.contains("192.168.10.211"), "get", "svc", "webpod");
      assertTrue(svc.lines().skip(1).findFirst().orElseThrow()
          .matches("webpod +LoadBalancer +10\\.(9[6-9]|10[0-9]|11[01])\\.\\d+\\.\\d+ +192\\.168\\.10\\.211 +80:3\\d{4}/TCP +\\d+s"),
          svc);
      until(o -> o.contains("cilium-lb-ippool   false      False         4"), "get", "ippools");
      String ep = until(o -> o.contains("172.20."), "get", "endpoints", "webpod");
      assertTrue(ep.contains("172.20.0.10:80") && ep.contains("172.20.1.10:80") && ep.contains("172.20.2.10:80"), ep);

      assertEquals("deployment.apps/webpod restarted\n", kubectl(null, "rollout", "restart", "deployment", "webpod"));
      String oldHash = hash;
      String after = until(o -> o.lines().skip(1).count() == 3 && o.lines().skip(1).noneMatch(l -> l.contains(oldHash))
          && o.lines().skip(1).allMatch(l -> l.contains("Running")), "get", "pods", "-o", "wide");
      assertEquals(3, after.lines().skip(1).map(l -> l.split(" +")[6]).distinct().count(), after);
      assertEquals("2", kubectl(null, "get", "deploy", "webpod", "-o",
          "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));

      // k8s-w0's kubelet stops renewing; the other two renew at the new time.
      lab.advance(41_000);
      String renew = io.podnet.apiserver.store.KubeTime.microTime(lab.clock.get());
      for (String n : List.of("k8s-ctr", "k8s-w1")) {
        kubectl(null, "-n", "kube-node-lease", "patch", "lease", n, "-p",
            "{\"spec\":{\"renewTime\":\"" + renew + "\"}}");
      }
      String nodesOut = until(o -> o.contains("NotReady"), "get", "nodes");
      assertTrue(nodesOut.lines().anyMatch(l -> l.matches("k8s-w0 +NotReady +<none> +41s +v1\\.33\\.2")), nodesOut);
      assertTrue(nodesOut.lines().anyMatch(l -> l.matches("k8s-w1 +Ready +<none> +41s +v1\\.33\\.2")), nodesOut);
    }
  }
}
