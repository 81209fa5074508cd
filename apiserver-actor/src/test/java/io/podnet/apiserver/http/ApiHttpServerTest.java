package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real HTTPS requests over loopback, trusting only the lab CA. */
class ApiHttpServerTest extends HttpsTestSystem {
  static final String TOKEN = "t0ken";
  ReferenceLab lab;
  ApiHttpServer server;
  HttpClient client;

  @BeforeEach
  void start() throws Exception {
    lab = new ReferenceLab();
    server = ApiHttpServer.start(system, lab.store, certs, TOKEN, lab.clock::get, 0).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    client = HttpClient.newBuilder().sslContext(certs.clientContext()).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpRequest.Builder req(String path) {
    return HttpRequest.newBuilder(URI.create(server.url() + path)).header("Authorization", "Bearer " + TOKEN)
        .timeout(Duration.ofSeconds(10));
  }

  HttpResponse<String> send(HttpRequest r) throws Exception {
    return client.send(r, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(req(path).GET().build());
  }

  HttpResponse<String> write(String method, String path, String contentType, String body) throws Exception {
    return send(req(path).header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body))
        .build());
  }

  static Struct json(HttpResponse<String> r) throws Exception {
    return Json.parseObject(r.body());
  }

  @Test
  void withoutTheTokenEverythingIs401WithAStatus() throws Exception {
    for (String auth : new String[] {null, "Bearer nope", "Basic dDB rZW4=", "Bearer"}) {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/namespaces/default/pods"));
      if (auth != null) {
        b.header("Authorization", auth);
      }
      HttpResponse<String> r = send(b.build());
      assertEquals(401, r.statusCode(), auth);
      assertEquals("{\"apiVersion\":\"v1\",\"code\":401,\"kind\":\"Status\",\"message\":\"Unauthorized\","
          + "\"metadata\":{},\"reason\":\"Unauthorized\",\"status\":\"Failure\"}", r.body());
    }
    assertEquals(200, get("/version").statusCode());
  }

  @Test
  void discovery() throws Exception {
    assertEquals("v1.32.4", Json.string(json(get("/version")), "gitVersion"));
    assertEquals("[\"v1\"]", Json.print(Json.at(json(get("/api")), "versions")));
    Struct groups = json(get("/apis"));
    assertEquals("APIGroupList", Json.string(groups, "kind"));
    List<String> names = Json.array(groups, "groups").stream().map(g -> Json.string(g.getStructValue(), "name")).toList();
    assertEquals(List.of("apps", "coordination.k8s.io", "discovery.k8s.io", "cilium.io"), names);
    Struct cilium = Json.array(groups, "groups").get(3).getStructValue();
    assertEquals("cilium.io/v2", Json.string(cilium, "preferredVersion", "groupVersion"));
    Struct v1 = json(get("/api/v1"));
    Struct exec = Json.array(v1, "resources").stream().map(Value::getStructValue)
        .filter(r -> Json.string(r, "name").equals("pods/exec")).findFirst().orElseThrow();
    assertEquals("{\"kind\":\"PodExecOptions\",\"name\":\"pods/exec\",\"namespaced\":true,\"singularName\":\"\","
        + "\"verbs\":[\"create\",\"get\"]}", Json.print(exec));
    assertEquals(404, get("/apis/nope.io/v1").statusCode());
    assertEquals(404, get("/api/v1/namespaces/default/widgets").statusCode());
  }

  @Test
  void createGetConflictAndDeleteAConfigMapWithTopLevelData() throws Exception {
    HttpResponse<String> created = write("POST", "/api/v1/namespaces/kube-system/configmaps", "application/json",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cilium-config\"},"
            + "\"data\":{\"routing-mode\":\"native\",\"auto-direct-node-routes\":\"true\"}}");
    assertEquals(201, created.statusCode(), created.body());
    Struct cm = json(created);
    assertEquals("kube-system", Json.string(cm, "metadata", "namespace"));
    assertEquals("native", Json.string(cm, "data", "routing-mode"));
    String rv = Json.string(cm, "metadata", "resourceVersion");
    assertEquals(76015, Long.parseLong(rv));
    assertEquals(null, Json.at(cm, "metadata", "generation"));
    assertEquals("2025-08-09T12:35:45Z", Json.string(cm, "metadata", "creationTimestamp"));
    HttpResponse<String> dup = write("POST", "/api/v1/namespaces/kube-system/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"cilium-config\"}}");
    assertEquals(409, dup.statusCode());
    assertEquals("{\"apiVersion\":\"v1\",\"code\":409,\"details\":{\"kind\":\"configmaps\",\"name\":\"cilium-config\"},"
        + "\"kind\":\"Status\",\"message\":\"configmaps \\\"cilium-config\\\" already exists\",\"metadata\":{},"
        + "\"reason\":\"AlreadyExists\",\"status\":\"Failure\"}", dup.body());

    String update = "{\"metadata\":{\"name\":\"cilium-config\",\"resourceVersion\":\"" + rv + "\"},"
        + "\"data\":{\"routing-mode\":\"tunnel\"}}";
    HttpResponse<String> put = write("PUT", "/api/v1/namespaces/kube-system/configmaps/cilium-config",
        "application/json", update);
    assertEquals(200, put.statusCode(), put.body());
    assertEquals("{\"routing-mode\":\"tunnel\"}", Json.print(Json.at(json(put), "data")));
    HttpResponse<String> stale = write("PUT", "/api/v1/namespaces/kube-system/configmaps/cilium-config",
        "application/json", update);
    assertEquals(409, stale.statusCode());
    assertEquals("Operation cannot be fulfilled on configmaps \"cilium-config\": the object has been modified; "
        + "please apply your changes to the latest version and try again", Json.string(json(stale), "message"));
    HttpResponse<String> wrongName = write("PUT", "/api/v1/namespaces/kube-system/configmaps/other",
        "application/json", update);
    assertEquals(400, wrongName.statusCode());
    assertEquals("the name of the object (cilium-config) does not match the name on the URL (other)",
        Json.string(json(wrongName), "message"));
    HttpResponse<String> notJson = write("POST", "/api/v1/namespaces/default/configmaps", "application/json", "{");
    assertEquals(400, notJson.statusCode());
    HttpResponse<String> badMeta = write("POST", "/api/v1/namespaces/default/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":1}}}");
    assertEquals(400, badMeta.statusCode());
    assertEquals("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
        + "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        Json.string(json(badMeta), "message"));

    HttpResponse<String> del = send(req("/api/v1/namespaces/kube-system/configmaps/cilium-config").DELETE().build());
    assertEquals(200, del.statusCode());
    HttpResponse<String> gone = get("/api/v1/namespaces/kube-system/configmaps/cilium-config");
    assertEquals(404, gone.statusCode());
    assertEquals("configmaps \"cilium-config\" not found", Json.string(json(gone), "message"));
  }

  @Test
  void listWithSelectorsLimitAndContinue() throws Exception {
    Struct all = json(get("/api/v1/pods?labelSelector=app%3Dwebpod&limit=2"));
    assertEquals("PodList", Json.string(all, "kind"));
    assertEquals("76014", Json.string(all, "metadata", "resourceVersion"));
    assertEquals(List.of("webpod-696774f575-5nvlc", "webpod-696774f575-dsblb"), names(all));
    assertEquals(1, Json.number(all, "metadata", "remainingItemCount"));
    String cont = Json.string(all, "metadata", "continue");
    Struct rest = json(get("/api/v1/pods?labelSelector=app%3Dwebpod&limit=2&continue=" + cont));
    assertEquals(List.of("webpod-696774f575-wssxg"), names(rest));
    assertEquals("", Json.string(rest, "metadata", "continue"));
    Struct onW0 = json(get("/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dk8s-w0"));
    assertEquals(List.of("webpod-696774f575-5nvlc"), names(onW0));
    HttpResponse<String> bad = get("/api/v1/namespaces/default/pods?fieldSelector=spec.image%3Dx");
    assertEquals(400, bad.statusCode());
    assertEquals("field label not supported: spec.image", Json.string(json(bad), "message"));
  }

  static List<String> names(Struct list) {
    return Json.array(list, "items").stream().map(i -> Json.string(i.getStructValue(), "metadata", "name")).toList();
  }

  @Test
  void tableForPodsHasWideOnlyColumnsAtPriorityOne() throws Exception {
    Struct t = json(send(req("/api/v1/namespaces/default/pods?limit=500")
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
            + "g=meta.k8s.io,application/json").GET().build()));
    assertEquals("Table", Json.string(t, "kind"));
    assertEquals("meta.k8s.io/v1", Json.string(t, "apiVersion"));
    List<String> cols = Json.array(t, "columnDefinitions").stream()
        .map(c -> Json.string(c.getStructValue(), "name") + ":" + Json.number(c.getStructValue(), "priority")).toList();
    assertEquals(List.of("Name:0", "Ready:0", "Status:0", "Restarts:0", "Age:0", "IP:1", "Node:1", "Nominated Node:1",
        "Readiness Gates:1"), cols);
    Struct row = Json.array(t, "rows").get(0).getStructValue();
    assertEquals("[\"curl-pod\",\"1/1\",\"Running\",\"1 (20m ago)\",\"6h14m\",\"172.20.0.201\",\"k8s-ctr\","
        + "\"\\u003cnone\\u003e\",\"\\u003cnone\\u003e\"]", Json.print(Json.at(row, "cells")));
    assertEquals("PartialObjectMetadata", Json.string(row, "object", "kind"));
    assertEquals("curl-pod", Json.string(row, "object", "metadata", "name"));
  }

  @Test
  void strategicMergePatchOfADeploymentKeepsOtherContainers() throws Exception {
    assertEquals(201, write("POST", "/apis/apps/v1/namespaces/default/deployments", "application/json",
        "{\"metadata\":{\"name\":\"webpod\"},\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":["
            + "{\"name\":\"webpod\",\"image\":\"traefik/whoami\"},{\"name\":\"side\",\"image\":\"busybox\"}]}}}}")
        .statusCode());
    HttpResponse<String> p = write("PATCH", "/apis/apps/v1/namespaces/default/deployments/webpod",
        "application/strategic-merge-patch+json",
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"webpod\",\"image\":\"traefik/whoami:v2\"}]}}}}");
    assertEquals(200, p.statusCode(), p.body());
    Struct d = json(p);
    assertEquals("[{\"image\":\"traefik/whoami:v2\",\"name\":\"webpod\"},{\"image\":\"busybox\",\"name\":\"side\"}]",
        Json.print(Json.at(d, "spec", "template", "spec", "containers")));
    assertEquals(2, Json.number(d, "metadata", "generation"));
    HttpResponse<String> jsonPatch = write("PATCH", "/apis/apps/v1/namespaces/default/deployments/webpod",
        "application/json-patch+json", "[]");
    assertEquals(415, jsonPatch.statusCode());
  }

  @Test
  void watchStreamsEventsFromAResourceVersion() throws Exception {
    CompletableFuture<HttpResponse<Stream<String>>> f = client.sendAsync(
        req("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=76014").GET().build(),
        HttpResponse.BodyHandlers.ofLines());
    HttpResponse<Stream<String>> r = f.get(10, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    Iterator<String> lines = r.body().iterator();
    assertEquals(201, write("POST", "/api/v1/namespaces/default/configmaps", "application/json",
        "{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"}}").statusCode());
    assertEquals(200, write("PATCH", "/api/v1/namespaces/default/configmaps/a", "application/merge-patch+json",
        "{\"data\":{\"k\":\"w\"}}").statusCode());
    assertEquals(200, send(req("/api/v1/namespaces/default/configmaps/a").DELETE().build()).statusCode());
    Struct added = Json.parseObject(lines.next());
    assertEquals("ADDED", Json.string(added, "type"));
    assertEquals("76015", Json.string(added, "object", "metadata", "resourceVersion"));
    Struct modified = Json.parseObject(lines.next());
    assertEquals("MODIFIED", Json.string(modified, "type"));
    assertEquals("w", Json.string(modified, "object", "data", "k"));
    Struct deleted = Json.parseObject(lines.next());
    assertEquals("DELETED", Json.string(deleted, "type"));
    assertEquals("76017", Json.string(deleted, "object", "metadata", "resourceVersion"));
    r.body().close();
    HttpResponse<String> tooNew = get("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=99999");
    assertEquals(504, tooNew.statusCode());
    assertTrue(tooNew.body().contains("Too large resource version"), tooNew.body());
  }
}
