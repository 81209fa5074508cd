package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Struct;
import io.podnet.apiserver.controllers.TestLab;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.proto.k8s.JsonTree;
import io.podnet.proto.k8s.KubeSchemas;
import io.podnet.proto.k8s.SchemaDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldValidationTest {
  /**
   * Everything the lab's controllers write (pods, replica sets, endpoints, slices, service
   * allocations, node status) fits its schema: otherwise a Strict patch or apply of such an object
   * would be refused for fields the server wrote itself.
   */
  @Test
  void objectsTheControllersWriteHaveNoUnknownFields() {
    TestLab lab = new TestLab();
    lab.create(ApiResources.DEPLOYMENT, TestLab.webpodDeployment(3));
    lab.create(ApiResources.SERVICE, TestLab.obj(ApiResources.SERVICE, "default", "webpod", Map.of("app", "webpod"),
        Json.obj("selector", Map.of("app", "webpod"), "type", "LoadBalancer",
            "ports", List.of(Map.of("port", 80, "targetPort", 80, "protocol", "TCP")))));
    lab.create(ApiResources.CILIUM_LB_IP_POOL, TestLab.obj(ApiResources.CILIUM_LB_IP_POOL, "", "pool", Map.of(),
        Json.obj("blocks", List.of(Map.of("start", "192.168.10.211", "stop", "192.168.10.215")))));
    lab.settle();
    lab.advance(5_000);
    lab.settle();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (KubeObject o : lab.store.contents().values()) {
      var schema = KubeSchemas.of(o.apiVersion(), o.kind());
      if (schema.isEmpty()) {
        problems.add("no schema for " + o.apiVersion() + "/" + o.kind());
        continue;
      }
      SchemaDecoder.Result r = SchemaDecoder.decode(JsonTree.of(ObjectCodec.toJson(o)), schema.get());
      checked++;
      if (!r.strictErrors().isEmpty() || !r.typeErrors().isEmpty()) {
        problems.add(o.kind() + " " + o.metadata().name() + ": " + r.strictErrors() + " " + r.typeErrors());
      }
    }
    assertEquals(List.of(), problems);
    // Nodes, leases, namespaces, the deployment, its replica set and pods, the service, its
    // endpoints and slice, the pool.
    assertEquals(true, checked > 15, "checked " + checked);
    assertEquals(true, lab.list(ApiResources.POD).size() == 3);
  }

  static JsonTree.Obj tree(String json) {
    return (JsonTree.Obj) JsonTree.parse(json);
  }

  static final String DEPLOYMENT = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
      + "\"spec\":{\"replica\":3,\"paused\":true,\"paused\":false}}";

  @Test
  void strictRefusesWithKubeApiserversMessage() {
    ApiException e = assertThrows(ApiException.class, () -> FieldValidation.checkBody(ApiResources.DEPLOYMENT,
        tree(DEPLOYMENT), FieldValidation.Directive.STRICT));
    assertEquals(400, e.status().code());
    assertEquals("BadRequest", e.status().reason());
    assertEquals("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
        + "unknown field \"spec.replica\", duplicate field \"spec.paused\"", e.status().message());
  }

  @Test
  void warnReturnsTheWarningsAndIgnoreNothing() {
    FieldValidation.Outcome warn =
        FieldValidation.checkBody(ApiResources.DEPLOYMENT, tree(DEPLOYMENT), FieldValidation.Directive.WARN);
    assertEquals(List.of("unknown field \"spec.replica\"", "duplicate field \"spec.paused\""), warn.warnings());
    FieldValidation.Outcome ignore =
        FieldValidation.checkBody(ApiResources.DEPLOYMENT, tree(DEPLOYMENT), FieldValidation.Directive.IGNORE);
    assertEquals(List.of(), ignore.warnings());
    // What is stored: the unknown field dropped, the later duplicate kept (a false paused is kept: sent).
    Struct expected = Json.obj("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Json.obj("name", "d"),
        "spec", Json.obj("paused", false));
    assertEquals(expected, warn.object());
    assertEquals(expected, ignore.object());
  }

  @Test
  void unmodelledSubTreesAreKeptWhole() throws Exception {
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{"
        + "\"affinity\":{\"nodeAffinity\":{\"anything\":[1,{\"x\":true}]}},\"containers\":[{\"name\":\"c\","
        + "\"resources\":{\"limits\":{\"cpu\":\"1\"}},\"bogus\":1}]}}";
    FieldValidation.Outcome o = FieldValidation.checkBody(ApiResources.POD, tree(body), FieldValidation.Directive.WARN);
    assertEquals(List.of("unknown field \"spec.containers[0].bogus\""), o.warnings());
    assertEquals(Json.parseObject(body.replace(",\"bogus\":1", "")), o.object());
  }

  @Test
  void directives() {
    assertEquals(FieldValidation.Directive.WARN, FieldValidation.Directive.parse("CreateOptions", null));
    assertEquals(FieldValidation.Directive.WARN, FieldValidation.Directive.parse("CreateOptions", ""));
    assertEquals(FieldValidation.Directive.STRICT, FieldValidation.Directive.parse("CreateOptions", "Strict"));
    assertEquals(FieldValidation.Directive.IGNORE, FieldValidation.Directive.parse("CreateOptions", "Ignore"));
    ApiException e = assertThrows(ApiException.class, () -> FieldValidation.Directive.parse("PatchOptions", "strict"));
    assertEquals(422, e.status().code());
    assertEquals("PatchOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"strict\": "
        + "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", e.status().message());
  }

  @Test
  void aTypeErrorFailsWhateverTheDirective() {
    String body = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"replicas\":\"3\",\"x\":1}}";
    ApiException e = assertThrows(ApiException.class, () -> FieldValidation.checkBody(ApiResources.DEPLOYMENT,
        tree(body), FieldValidation.Directive.IGNORE));
    assertEquals("Deployment in version \"v1\" cannot be handled as a Deployment: "
        + "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        e.status().message());
  }

  @Test
  void aCustomResourcesTypeErrorIsItsSchemasInvalid() {
    String body = "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumLoadBalancerIPPool\",\"metadata\":{\"name\":\"p\"},"
        + "\"spec\":{\"disabled\":\"yes\",\"blocks\":[{\"start\":1}]}}";
    ApiException e = assertThrows(ApiException.class, () -> FieldValidation.checkBody(ApiResources.CILIUM_LB_IP_POOL,
        tree(body), FieldValidation.Directive.STRICT));
    assertEquals(422, e.status().code());
    assertEquals("CiliumLoadBalancerIPPool.cilium.io \"p\" is invalid: ["
        + "spec.disabled: Invalid value: \"string\": spec.disabled in body must be of type boolean: \"string\", "
        + "spec.blocks[0].start: Invalid value: \"integer\": spec.blocks[0].start in body must be of type string: "
        + "\"integer\"]", e.status().message());
    // Strict errors of a custom resource come first (decoding), then its schema's validation.
    ApiException strict = assertThrows(ApiException.class, () -> FieldValidation.checkBody(
        ApiResources.CILIUM_LB_IP_POOL, tree(body.replace("\"blocks\"", "\"block\"")), FieldValidation.Directive.STRICT));
    assertEquals("CiliumLoadBalancerIPPool in version \"v2\" cannot be handled as a CiliumLoadBalancerIPPool: "
        + "strict decoding error: unknown field \"spec.block\"", strict.status().message());
  }

  /**
   * As kube-apiserver's CRD field validation test expects: every duplicate first (an unknown
   * field's too), then the unknown fields in key order.
   */
  @Test
  void aCustomResourceReportsDuplicatesThenUnknownFieldsInKeyOrder() {
    String body = "{\"apiVersion\":\"cilium.io/v2\",\"kind\":\"CiliumLoadBalancerIPPool\","
        + "\"metadata\":{\"name\":\"p\",\"name\":\"p\",\"unknownMeta\":1},"
        + "\"spec\":{\"unknown1\":\"v\",\"unknownDupe\":1,\"unknownDupe\":2,\"disabled\":true,\"disabled\":false,"
        + "\"blocks\":[{\"start\":\"a\",\"start\":\"b\",\"unknownNested\":1}]}}";
    assertEquals(List.of(
        "duplicate field \"metadata.name\"",
        "duplicate field \"spec.unknownDupe\"",
        "duplicate field \"spec.disabled\"",
        "duplicate field \"spec.blocks[0].start\"",
        "unknown field \"metadata.unknownMeta\"",
        "unknown field \"spec.blocks[0].unknownNested\"",
        "unknown field \"spec.unknown1\"",
        "unknown field \"spec.unknownDupe\""),
        FieldValidation.checkBody(ApiResources.CILIUM_LB_IP_POOL, tree(body), FieldValidation.Directive.WARN)
            .warnings());
  }

  @Test
  void patchedObjectsReportThePatchsDuplicatesFirstThenUnknownFieldsInKeyOrder() {
    JsonTree.Node patch = JsonTree.parse("{\"spec\":{\"zeta\":1,\"paused\":true,\"paused\":false,\"alpha\":2}}");
    List<String> dups = FieldValidation.patchDuplicates(patch);
    assertEquals(List.of("duplicate field \"spec.paused\""), dups);
    Struct patched = Json.obj("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Json.obj("name", "d"),
        "spec", Json.obj("zeta", 1, "paused", false, "alpha", 2));
    ApiException e = assertThrows(ApiException.class, () -> FieldValidation.checkPatched(ApiResources.DEPLOYMENT,
        patched, dups, FieldValidation.Directive.STRICT, JsonTree.toStruct((JsonTree.Obj) patch), false));
    assertEquals(400, e.status().code());
    assertEquals("strict decoding error: duplicate field \"spec.paused\", unknown field \"spec.alpha\", "
        + "unknown field \"spec.zeta\"", e.status().message());
  }

  @Test
  void aPatchThatMakesATypeErrorIsInvalid() {
    Struct patch = Json.obj("spec", Json.obj("replicas", "3"));
    Struct patched = Json.obj("apiVersion", "apps/v1", "kind", "Deployment", "metadata", Json.obj("name", "d"),
        "spec", Json.obj("replicas", "3"));
    ApiException merge = assertThrows(ApiException.class, () -> FieldValidation.checkPatched(ApiResources.DEPLOYMENT,
        patched, List.of(), FieldValidation.Directive.IGNORE, patch, false));
    assertEquals(422, merge.status().code());
    assertEquals(" \"\" is invalid: patch: Invalid value: \"{\\\"apiVersion\\\":\\\"apps/v1\\\",\\\"kind\\\":"
        + "\\\"Deployment\\\",\\\"metadata\\\":{\\\"name\\\":\\\"d\\\"},\\\"spec\\\":{\\\"replicas\\\":\\\"3\\\"}}\": "
        + "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        merge.status().message());
    ApiException smp = assertThrows(ApiException.class, () -> FieldValidation.checkPatched(ApiResources.DEPLOYMENT,
        patched, List.of(), FieldValidation.Directive.IGNORE, patch, true));
    assertEquals(" \"\" is invalid: patch: Invalid value: \"map[spec:map[replicas:3]]\": "
        + "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        smp.status().message());
  }

  @Test
  void kindsWithoutASchemaAreNotChecked() {
    ResourceType other = new ResourceType("example.com", "v1", "Thing", "things", true, false, false,
        java.util.Set.of());
    FieldValidation.Outcome o = FieldValidation.checkBody(other, tree("{\"spec\":{\"x\":1}}"),
        FieldValidation.Directive.STRICT);
    assertEquals(List.of(), o.warnings());
    assertEquals(Json.obj("spec", Json.obj("x", 1)), o.object());
  }
}
