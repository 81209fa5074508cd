package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Server-side field validation over HTTPS: the Status bodies and Warning headers a client sees. */
class FieldValidationHttpTest extends HttpsTestSystem {
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

  HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofString(body));
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String message(HttpResponse<String> r) throws Exception {
    return Json.string(Json.parseObject(r.body()), "message");
  }

  static final String DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments";
  /** kube-apiserver's field validation test body: unknown and duplicate fields at several depths. */
  static final String INVALID = """
      {"apiVersion":"apps/v1","kind":"Deployment",
       "metadata":{"name":"d","name":"d","unknownMeta":"x","labels":{"app":"nginx"}},
       "spec":{"unknown1":"val1","unknownDupe":"valDupe","unknownDupe":"valDupe2","paused":true,"paused":false,
        "selector":{"matchLabels":{"app":"nginx"}},
        "template":{"metadata":{"labels":{"app":"nginx"}},
         "spec":{"containers":[{"name":"nginx","image":"nginx:latest","unknownNested":"val1",
          "imagePullPolicy":"Always","imagePullPolicy":"Never"}]}}}}
      """;
  static final List<String> INVALID_ERRORS = List.of(
      "duplicate field \"metadata.name\"",
      "unknown field \"metadata.unknownMeta\"",
      "unknown field \"spec.unknown1\"",
      "unknown field \"spec.unknownDupe\"",
      "duplicate field \"spec.paused\"",
      "unknown field \"spec.template.spec.containers[0].unknownNested\"",
      "duplicate field \"spec.template.spec.containers[0].imagePullPolicy\"");

  @Test
  void strictCreateIsABadRequestStatusAndStoresNothing() throws Exception {
    HttpResponse<String> r = send("POST", DEPLOYMENTS + "?fieldValidation=Strict", "application/json", INVALID);
    assertEquals(400, r.statusCode());
    assertEquals("{\"apiVersion\":\"v1\",\"code\":400,\"kind\":\"Status\",\"message\":"
        + Json.print(Json.of("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
            + String.join(", ", INVALID_ERRORS)))
        + ",\"metadata\":{},\"reason\":\"BadRequest\",\"status\":\"Failure\"}", r.body());
    assertEquals(404, send("GET", DEPLOYMENTS + "/d", null, null).statusCode());
  }

  /** One Warning header per problem, in order, as "299 - "TEXT"" with the text's quotes escaped. */
  @Test
  void warnAndTheDefaultCreateAndSendWarnings() throws Exception {
    List<String> expected = INVALID_ERRORS.stream()
        .map(e -> "299 - \"" + e.replace("\"", "\\\"") + "\"").toList();
    HttpResponse<String> warn = send("POST", DEPLOYMENTS + "?fieldValidation=Warn", "application/json", INVALID);
    assertEquals(201, warn.statusCode(), warn.body());
    assertEquals(expected, warn.headers().allValues("Warning"));
    // Stored as the schema decoded it: no unknown field, later duplicates won.
    Struct stored = Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body());
    Struct spec = stored.getFieldsOrThrow("spec").getStructValue();
    assertEquals(false, spec.containsFields("unknown1"));
    assertEquals(false, stored.getFieldsOrThrow("metadata").getStructValue().containsFields("unknownMeta"));
    assertEquals(false, spec.getFieldsOrThrow("paused").getBoolValue());
    assertEquals("{\"image\":\"nginx:latest\",\"imagePullPolicy\":\"Never\",\"name\":\"nginx\"}",
        Json.print(Json.struct(spec, "template", "spec").getFieldsOrThrow("containers").getListValue().getValues(0)
            .getStructValue()));
    assertEquals(200, send("DELETE", DEPLOYMENTS + "/d", null, null).statusCode());
    HttpResponse<String> byDefault = send("POST", DEPLOYMENTS, "application/json", INVALID);
    assertEquals(201, byDefault.statusCode(), byDefault.body());
    assertEquals(expected, byDefault.headers().allValues("Warning"));
  }

  @Test
  void ignoreCreatesSilently() throws Exception {
    HttpResponse<String> r = send("POST", DEPLOYMENTS + "?fieldValidation=Ignore", "application/json", INVALID);
    assertEquals(201, r.statusCode(), r.body());
    assertEquals(List.of(), r.headers().allValues("Warning"));
  }

  @Test
  void anUnknownDirectiveIsInvalid() throws Exception {
    HttpResponse<String> r = send("POST", DEPLOYMENTS + "?fieldValidation=strict", "application/json", INVALID);
    assertEquals(422, r.statusCode());
    assertEquals("CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"strict\": "
        + "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", message(r));
    assertEquals(404, send("GET", DEPLOYMENTS + "/d", null, null).statusCode());
  }

  static final String VALID = """
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
       "spec":{"replicas":2,"selector":{"matchLabels":{"app":"nginx"}},
        "template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}}}
      """;

  @Test
  void strictUpdateLeavesTheObjectAsItWas() throws Exception {
    assertEquals(201, send("POST", DEPLOYMENTS + "?fieldValidation=Strict", "application/json", VALID).statusCode());
    Struct before = Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body());
    HttpResponse<String> r = send("PUT", DEPLOYMENTS + "/d?fieldValidation=Strict", "application/json",
        VALID.replace("\"replicas\":2", "\"replicas\":3,\"replica\":3"));
    assertEquals(400, r.statusCode());
    assertEquals("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
        + "unknown field \"spec.replica\"", message(r));
    assertEquals(before, Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body()));
  }

  /** After the patch is applied: the patch's own duplicates first, then the patched object's unknown fields. */
  @Test
  void strictPatchesCheckThePatchedObject() throws Exception {
    assertEquals(201, send("POST", DEPLOYMENTS, "application/json", VALID).statusCode());
    Struct before = Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body());
    String patch = "{\"spec\":{\"zeta\":1,\"paused\":true,\"paused\":false,\"alpha\":2}}";
    for (String type : List.of("application/merge-patch+json", "application/strategic-merge-patch+json")) {
      HttpResponse<String> r = send("PATCH", DEPLOYMENTS + "/d?fieldValidation=Strict", type, patch);
      assertEquals(400, r.statusCode(), type);
      assertEquals("strict decoding error: duplicate field \"spec.paused\", unknown field \"spec.alpha\", "
          + "unknown field \"spec.zeta\"", message(r), type);
    }
    assertEquals(before, Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body()));
    HttpResponse<String> warned = send("PATCH", DEPLOYMENTS + "/d", "application/merge-patch+json",
        "{\"spec\":{\"paused\":true,\"replica\":5}}");
    assertEquals(200, warned.statusCode(), warned.body());
    assertEquals(List.of("299 - \"unknown field \\\"spec.replica\\\"\""), warned.headers().allValues("Warning"));
    Struct patchedSpec = Json.parseObject(warned.body()).getFieldsOrThrow("spec").getStructValue();
    assertEquals(true, patchedSpec.getFieldsOrThrow("paused").getBoolValue());
    assertEquals(false, patchedSpec.containsFields("replica"));
    // Nothing unknown stays behind to fail the next Strict write.
    HttpResponse<String> strictAgain = send("PATCH", DEPLOYMENTS + "/d?fieldValidation=Strict",
        "application/merge-patch+json", "{\"spec\":{\"paused\":false}}");
    assertEquals(200, strictAgain.statusCode(), strictAgain.body());
  }

  @Test
  void aPatchThatBreaksATypeIsInvalid() throws Exception {
    assertEquals(201, send("POST", DEPLOYMENTS, "application/json", VALID).statusCode());
    HttpResponse<String> r = send("PATCH", DEPLOYMENTS + "/d?fieldValidation=Ignore",
        "application/strategic-merge-patch+json", "{\"spec\":{\"replicas\":\"3\"}}");
    assertEquals(422, r.statusCode());
    assertEquals(" \"\" is invalid: patch: Invalid value: \"map[spec:map[replicas:3]]\": json: cannot unmarshal "
        + "string into Go struct field DeploymentSpec.spec.replicas of type int32", message(r));
    assertEquals("Invalid", Json.string(Json.parseObject(r.body()), "reason"));
    assertEquals(2, (int) Json.parseObject(send("GET", DEPLOYMENTS + "/d", null, null).body())
        .getFieldsOrThrow("spec").getStructValue().getFieldsOrThrow("replicas").getNumberValue());
  }

  @Test
  void aTypeErrorInACreateIsABadRequestEvenUnderIgnore() throws Exception {
    HttpResponse<String> r = send("POST", "/api/v1/namespaces/default/services?fieldValidation=Ignore",
        "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},"
            + "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":true}]}}");
    assertEquals(400, r.statusCode());
    assertEquals("Service in version \"v1\" cannot be handled as a Service: json: cannot unmarshal bool into Go "
        + "struct field ServicePort.spec.ports.targetPort of type int32", message(r));
  }

  @Test
  void aCustomResourcesWrongTypeIsItsSchemasInvalid() throws Exception {
    HttpResponse<String> r = send("POST", "/apis/cilium.io/v2/ciliumloadbalancerippools?fieldValidation=Strict",
        "application/json", "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumLoadBalancerIPPool\","
            + "\"metadata\":{\"name\":\"p\"},\"spec\":{\"disabled\":\"no\"}}");
    assertEquals(422, r.statusCode());
    assertEquals("CiliumLoadBalancerIPPool.cilium.io \"p\" is invalid: spec.disabled: Invalid value: \"string\": "
        + "spec.disabled in body must be of type boolean: \"string\"", message(r));
    assertEquals(404, send("GET", "/apis/cilium.io/v2/ciliumloadbalancerippools/p", null, null).statusCode());
  }
}
