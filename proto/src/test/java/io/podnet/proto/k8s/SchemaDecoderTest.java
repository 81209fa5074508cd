package io.podnet.proto.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.podnet.proto.cilium.v2.CiliumLoadBalancerIPPool;
import io.podnet.proto.cilium.v2alpha1.CiliumL2AnnouncementPolicy;
import io.podnet.proto.k8s.apps.Deployment;
import io.podnet.proto.k8s.core.Pod;
import io.podnet.proto.k8s.core.Service;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaDecoderTest {
  // The reference lab's manifests (deploy/labs/cilium-seed/workloads.yaml and the transcript), as
  // the JSON kubectl sends for them.
  static final String WEBPOD_DEPLOYMENT = """
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"webpod"},
       "spec":{"replicas":3,"selector":{"matchLabels":{"app":"webpod"}},
        "template":{"metadata":{"labels":{"app":"webpod"}},
         "spec":{"affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
           {"labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["sample-app"]}]},
            "topologyKey":"kubernetes.io/hostname"}]}},
          "containers":[{"name":"webpod","image":"traefik/whoami","ports":[{"containerPort":80}]}]}}}}
      """;
  static final String WEBPOD_SERVICE = """
      {"apiVersion":"v1","kind":"Service","metadata":{"name":"webpod","labels":{"app":"webpod"}},
       "spec":{"selector":{"app":"webpod"},"ports":[{"protocol":"TCP","port":80,"targetPort":80}],
        "type":"ClusterIP"}}
      """;
  static final String CURL_POD = """
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"curl-pod","labels":{"app":"curl"}},
       "spec":{"nodeName":"k8s-ctr","containers":[{"name":"curl","image":"nicolaka/netshoot",
        "command":["tail"],"args":["-f","/dev/null"]}],"terminationGracePeriodSeconds":0}}
      """;
  static final String LB_POOL = """
      {"apiVersion":"cilium.io/v2","kind":"CiliumLoadBalancerIPPool","metadata":{"name":"cilium-lb-ippool"},
       "spec":{"blocks":[{"start":"192.168.10.211","stop":"192.168.10.215"}]}}
      """;
  static final String L2_POLICY = """
      {"apiVersion":"cilium.io/v2alpha1","kind":"CiliumL2AnnouncementPolicy","metadata":{"name":"policy1"},
       "spec":{"serviceSelector":{"matchLabels":{"app":"webpod"}},
        "nodeSelector":{"matchExpressions":[{"key":"kubernetes.io/hostname","operator":"NotIn","values":["k8s-w0"]}]},
        "interfaces":["^eth[1-9]+"],"externalIPs":true,"loadBalancerIPs":true}}
      """;

  static SchemaDecoder.Result decode(String json) {
    JsonTree.Obj obj = (JsonTree.Obj) JsonTree.parse(json);
    String apiVersion = ((JsonTree.Str) member(obj, "apiVersion")).value();
    String kind = ((JsonTree.Str) member(obj, "kind")).value();
    Message prototype = KubeSchemas.of(apiVersion, kind).orElseThrow();
    return SchemaDecoder.decode(obj, prototype);
  }

  static JsonTree.Node member(JsonTree.Obj o, String key) {
    return o.members().stream().filter(m -> m.key().equals(key)).findFirst().orElseThrow().value();
  }

  static Struct struct(String json) throws Exception {
    Struct.Builder b = Struct.newBuilder();
    JsonFormat.parser().merge(json, b);
    return b.build();
  }

  /** Decoded with no unknown field and printed back, each manifest is the JSON it was. */
  @Test
  void referenceManifestsRoundTripWithoutUnknownFields() throws Exception {
    for (String manifest : List.of(WEBPOD_DEPLOYMENT, WEBPOD_SERVICE, CURL_POD, LB_POOL, L2_POLICY)) {
      SchemaDecoder.Result r = decode(manifest);
      assertEquals(List.of(), r.strictErrors(), manifest);
      assertEquals(List.of(), r.typeErrors(), manifest);
      assertEquals(struct(manifest), struct(KubeJson.print(r.message())), manifest);
    }
  }

  @Test
  void typedFieldsHoldTheManifestsValues() {
    Deployment d = (Deployment) decode(WEBPOD_DEPLOYMENT).message();
    assertEquals(3, d.getSpec().getReplicas());
    assertEquals("webpod", d.getSpec().getSelector().getMatchLabelsMap().get("app"));
    assertEquals(80, d.getSpec().getTemplate().getSpec().getContainers(0).getPorts(0).getContainerPort());
    assertEquals("kubernetes.io/hostname", d.getSpec().getTemplate().getSpec().getAffinity()
        .getFieldsOrThrow("podAntiAffinity").getStructValue()
        .getFieldsOrThrow("requiredDuringSchedulingIgnoredDuringExecution").getListValue().getValues(0)
        .getStructValue().getFieldsOrThrow("topologyKey").getStringValue());
    Pod p = (Pod) decode(CURL_POD).message();
    assertTrue(p.getSpec().hasTerminationGracePeriodSeconds());
    assertEquals(0, p.getSpec().getTerminationGracePeriodSeconds());
    assertEquals(List.of("-f", "/dev/null"), p.getSpec().getContainers(0).getArgsList());
    Service s = (Service) decode(WEBPOD_SERVICE).message();
    assertEquals(80, s.getSpec().getPorts(0).getTargetPort().getNumberValue());
    CiliumLoadBalancerIPPool pool = (CiliumLoadBalancerIPPool) decode(LB_POOL).message();
    assertEquals("192.168.10.215", pool.getSpec().getBlocks(0).getStop());
    CiliumL2AnnouncementPolicy l2 = (CiliumL2AnnouncementPolicy) decode(L2_POLICY).message();
    assertTrue(l2.getSpec().getLoadBalancerIPs());
    assertEquals("NotIn", l2.getSpec().getNodeSelector().getMatchExpressions(0).getOperator());
  }

  /** int64 fields print as JSON numbers, as the API prints them (proto3 JSON would quote them). */
  @Test
  void int64PrintsAsANumber() {
    assertTrue(KubeJson.print(decode(CURL_POD).message()).contains("\"terminationGracePeriodSeconds\":0"));
  }

  /** kube-apiserver's own field validation test body (test/integration/apiserver). */
  @Test
  void unknownAndDuplicateFieldsInDocumentOrderWithPaths() {
    String body = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"a","name":"b","unknownMeta":"x","labels":{"app":"nginx"}},
         "spec":{"unknown1":"val1","unknownDupe":"valDupe","unknownDupe":"valDupe2","paused":true,"paused":false,
          "selector":{"matchLabels":{"app":"nginx"}},
          "template":{"metadata":{"labels":{"app":"nginx"}},
           "spec":{"containers":[{"name":"nginx","image":"nginx:latest","unknownNested":"val1",
            "imagePullPolicy":"Always","imagePullPolicy":"Never"}]}}}}
        """;
    SchemaDecoder.Result r = decode(body);
    assertEquals(List.of(
        "duplicate field \"metadata.name\"",
        "unknown field \"metadata.unknownMeta\"",
        "unknown field \"spec.unknown1\"",
        "unknown field \"spec.unknownDupe\"",
        "duplicate field \"spec.paused\"",
        "unknown field \"spec.template.spec.containers[0].unknownNested\"",
        "duplicate field \"spec.template.spec.containers[0].imagePullPolicy\""), r.strictErrors());
    assertEquals(List.of(), r.typeErrors());
    // The later duplicate wins, as in Go.
    assertEquals("Never", ((Deployment) r.message()).getSpec().getTemplate().getSpec().getContainers(0)
        .getImagePullPolicy());
    assertEquals("b", ((Deployment) r.message()).getMetadata().getName());
  }

  @Test
  void aTypoIsAnUnknownFieldAndNamesAreCaseSensitive() {
    assertEquals(List.of("unknown field \"spec.replica\""),
        decode(WEBPOD_DEPLOYMENT.replace("\"replicas\"", "\"replica\"")).strictErrors());
    assertEquals(List.of("unknown field \"spec.nodename\""),
        decode(CURL_POD.replace("nodeName", "nodename")).strictErrors());
    // JsonFormat would take the proto field name; Kubernetes does not.
    assertEquals(List.of("unknown field \"spec.node_name\""),
        decode(CURL_POD.replace("nodeName", "node_name")).strictErrors());
    assertEquals(List.of("unknown field \"spec.blocks[0].stp\""),
        decode(LB_POOL.replace("\"stop\"", "\"stp\"")).strictErrors());
    assertEquals(List.of("unknown field \"spec.loadBalancerIps\""),
        decode(L2_POLICY.replace("loadBalancerIPs", "loadBalancerIps")).strictErrors());
  }

  @Test
  void duplicatesInsideUnmodelledSubTreesAreFound() {
    String json = WEBPOD_DEPLOYMENT.replace("\"topologyKey\":\"kubernetes.io/hostname\"",
        "\"topologyKey\":\"a\",\"topologyKey\":\"b\"");
    assertEquals(List.of("duplicate field \"spec.template.spec.affinity.podAntiAffinity"
        + ".requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey\""), decode(json).strictErrors());
  }

  static String typeError(String json) {
    List<SchemaDecoder.TypeError> errors = decode(json).typeErrors();
    assertEquals(1, errors.size(), errors::toString);
    return errors.get(0).goMessage();
  }

  /** Go's encoding/json messages: the innermost struct, the JSON path without indices, the Go type. */
  @Test
  void wrongTypesAreGoUnmarshalErrors() {
    assertEquals("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32",
        typeError(WEBPOD_DEPLOYMENT.replace("\"replicas\":3", "\"replicas\":\"3\"")));
    assertEquals("json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
        typeError(WEBPOD_DEPLOYMENT.replace("\"replicas\":3", "\"replicas\":1.5")));
    assertEquals("json: cannot unmarshal number 4294967296 into Go struct field DeploymentSpec.spec.replicas"
        + " of type int32", typeError(WEBPOD_DEPLOYMENT.replace("\"replicas\":3", "\"replicas\":4294967296")));
    assertEquals("json: cannot unmarshal bool into Go struct field EnvVar.spec.template.spec.containers.env.value"
        + " of type string", typeError(WEBPOD_DEPLOYMENT.replace("\"image\":\"traefik/whoami\"",
            "\"image\":\"traefik/whoami\",\"env\":[{\"name\":\"A\",\"value\":true}]")));
    assertEquals("json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container",
        typeError(CURL_POD.replace("\"containers\":[{", "\"containers\":{").replace("\"]}],", "\"]},")));
    assertEquals("json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec",
        typeError("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":\"x\"}"));
    assertEquals("json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
        typeError(WEBPOD_SERVICE.replace("\"labels\":{\"app\":\"webpod\"}", "\"labels\":{\"app\":5}")));
    assertEquals("json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32",
        typeError(WEBPOD_SERVICE.replace("\"targetPort\":80", "\"targetPort\":true")));
    assertEquals("json: cannot unmarshal string into Go struct field PodSpec.spec.affinity of type v1.Affinity",
        typeError(CURL_POD.replace("\"nodeName\":\"k8s-ctr\"", "\"affinity\":\"x\"")));
    assertEquals("json: cannot unmarshal number into Go struct field PodSpec.spec.nodeName of type string",
        typeError(CURL_POD.replace("\"k8s-ctr\"", "7")));
    // A string targetPort (a named port) is an IntOrString too.
    assertEquals(List.of(), decode(WEBPOD_SERVICE.replace("\"targetPort\":80", "\"targetPort\":\"http\"")).typeErrors());
  }

  @Test
  void typeErrorsCarryTheOpenApiPathAndTypes() {
    SchemaDecoder.TypeError e = decode(LB_POOL.replace("\"spec\":{", "\"spec\":{\"disabled\":\"yes\",")).typeErrors().get(0);
    assertEquals(new SchemaDecoder.TypeError(
        "json: cannot unmarshal string into Go struct field CiliumLoadBalancerIPPoolSpec.spec.disabled of type bool",
        "spec.disabled", "boolean", "string"), e);
    SchemaDecoder.TypeError block = decode(LB_POOL.replace("\"192.168.10.211\"", "5")).typeErrors().get(0);
    assertEquals("spec.blocks[0].start", block.path());
    assertEquals("integer", block.actual());
  }

  @Test
  void nullLeavesAFieldUnset() {
    Deployment d = (Deployment) decode(WEBPOD_DEPLOYMENT.replace("\"replicas\":3", "\"replicas\":null")).message();
    assertTrue(!d.getSpec().hasReplicas());
  }

  @Test
  void jsonTreeKeepsDuplicatesAndLiterals() {
    JsonTree.Obj o = (JsonTree.Obj) JsonTree.parse(" {\"a\":1.50,\"a\":-2e3,\"b\":[true,null,\"\\u00e9\\n\"]} ");
    assertEquals(List.of(new JsonTree.Member("a", new JsonTree.Num("1.50")), new JsonTree.Member("a",
        new JsonTree.Num("-2e3")), new JsonTree.Member("b", new JsonTree.Arr(List.of(new JsonTree.Bool(true),
        JsonTree.Null.NULL, new JsonTree.Str("\u00e9\n"))))), o.members());
    // A Struct keeps the later duplicate.
    assertEquals(-2000.0, JsonTree.toStruct(o).getFieldsOrThrow("a").getNumberValue());
  }

  @Test
  void malformedJsonIsRejected() {
    for (String bad : List.of("", "{", "{\"a\"}", "{\"a\":}", "[1,]", "01", "1.", "-", "\"\\x\"", "{} x", "tru",
        "\"a", "{\"a\":1,}", "\"\u0001\"")) {
      JsonTree.MalformedJsonException e =
          assertThrows(JsonTree.MalformedJsonException.class, () -> JsonTree.parse(bad), bad);
      assertTrue(e.getMessage().contains(" at offset "), e.getMessage());
    }
  }

  @Test
  void everyServedKindHasASchema() {
    assertEquals(16, KubeSchemas.kinds().size());
    for (String k : KubeSchemas.kinds()) {
      int slash = k.lastIndexOf('/');
      assertTrue(KubeSchemas.of(k.substring(0, slash), k.substring(slash + 1)).isPresent(), k);
    }
    assertTrue(KubeSchemas.customResource("cilium.io/v2"));
    assertTrue(!KubeSchemas.customResource("apps/v1"));
  }
}
