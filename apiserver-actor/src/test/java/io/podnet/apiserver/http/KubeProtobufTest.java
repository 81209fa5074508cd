package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.ApiException;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** kubectl 1.32's protobuf request bodies, decoded into the JSON kube-apiserver would have read. */
class KubeProtobufTest {

  static byte[] hex(String... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String f : fields) {
      out.writeBytes(HexFormat.ofDelimiter(" ").parseHex(f));
    }
    return out.toByteArray();
  }

  /**
   * The body of {@code kubectl create deployment web --image=traefik/whoami --replicas=2 --port=80}
   * as kubectl v1.32.4 sent it (captured with -v=10).
   */
  static final byte[] CREATE_DEPLOYMENT = hex(
      "6b 38 73 00",                                  // magic "k8s\0"
      "0a 15",                                        // Unknown.typeMeta (1), 21 bytes
      "0a 07 61 70 70 73 2f 76 31",                   //   apiVersion "apps/v1"
      "12 0a 44 65 70 6c 6f 79 6d 65 6e 74",          //   kind "Deployment"
      "12 c2 01",                                     // Unknown.raw (2), 194 bytes: the Deployment
      "0a 1f",                                        //   metadata (1), 31 bytes
      "0a 03 77 65 62",                               //     name "web"
      "12 00 1a 00 22 00 2a 00 32 00",                //     generateName .. resourceVersion ""
      "38 00",                                        //     generation 0
      "42 00",                                        //     creationTimestamp {} (null)
      "5a 0a 0a 03 61 70 70 12 03 77 65 62",          //     labels {app: web}
      "12 90 01",                                     //   spec (2), 144 bytes
      "08 02",                                        //     replicas 2 (a pointer: sent because set)
      "12 0c 0a 0a 0a 03 61 70 70 12 03 77 65 62",    //     selector.matchLabels {app: web}
      "1a 76",                                        //     template (3), 118 bytes
      "0a 1c",                                        //       metadata, 28 bytes
      "0a 00 12 00 1a 00 22 00 2a 00 32 00 38 00 42 00", //       name .. creationTimestamp, all empty
      "5a 0a 0a 03 61 70 70 12 03 77 65 62",          //         labels {app: web}
      "12 56",                                        //       spec (PodSpec), 86 bytes
      "12 38",                                        //         containers[0], 56 bytes
      "0a 06 77 68 6f 61 6d 69",                      //           name "whoami"
      "12 0e 74 72 61 65 66 69 6b 2f 77 68 6f 61 6d 69", //         image "traefik/whoami"
      "2a 00",                                        //           workingDir ""
      "32 0a",                                        //           ports[0], 10 bytes
      "0a 00 10 00",                                  //             name "", hostPort 0
      "18 50",                                        //             containerPort 80
      "22 00 2a 00",                                  //             protocol "", hostIP ""
      "42 00",                                        //           resources {}
      "6a 00 72 00",                                  //           terminationMessagePath, imagePullPolicy ""
      "80 01 00 88 01 00 90 01 00",                   //           stdin, stdinOnce, tty false
      "a2 01 00",                                     //           terminationMessagePolicy ""
      "1a 00 32 00 42 00 4a 00 52 00",                //         restartPolicy .. nodeName ""
      "58 00 60 00 68 00",                            //         hostNetwork, hostPID, hostIPC false
      "82 01 00 8a 01 00 9a 01 00 c2 01 00",          //         hostname, subdomain, schedulerName, priorityClassName ""
      "22 02 0a 00",                                  //     strategy {type ""}
      "28 00",                                        //     minReadySeconds 0
      "38 00",                                        //     paused false
      "1a 0c 08 00 10 00 18 00 20 00 28 00 38 00",    //   status (3): all zero, skipped
      "1a 00",                                        // Unknown.contentEncoding ""
      "22 00");                                       // Unknown.contentType ""

  @Test
  void kubectlCreateDeploymentDecodesToTheJsonItWouldHaveSent() throws Exception {
    assertEquals(228, CREATE_DEPLOYMENT.length);
    Struct expected = Json.parseObject("""
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "labels": {"app": "web"}},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "whoami", "image": "traefik/whoami",
                                                        "ports": [{"containerPort": 80}]}]}}}}
        """);
    assertEquals(expected, KubeProtobuf.decode(CREATE_DEPLOYMENT));
  }

  @Test
  void aPointerFieldSetToZeroIsKept() throws Exception {
    byte[] body = hex("6b 38 73 00", "0a 15 0a 07 61 70 70 73 2f 76 31 12 0a 44 65 70 6c 6f 79 6d 65 6e 74",
        "12 06", "12 04", "08 00",                     // raw: spec {replicas 0}
        "30 00");                                      //       revisionHistoryLimit 0
    assertEquals(Json.parseObject("""
        {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 0, "revisionHistoryLimit": 0}}"""),
        KubeProtobuf.decode(body));
  }

  @Test
  void malformedBodiesAreBadRequests() {
    ApiException noMagic = assertThrows(ApiException.class, () -> KubeProtobuf.decode(hex("7b 7d")));
    assertEquals(400, noMagic.status().code());
    assertEquals("the body of the request was in an unknown format - the body does not start with the protobuf "
        + "envelope prefix \"k8s\\x00\"", noMagic.status().message());
    // Cut inside the Deployment: a length runs past the end.
    for (int cut : new int[] {5, 30, 100, 200}) {
      ApiException e = assertThrows(ApiException.class,
          () -> KubeProtobuf.decode(Arrays.copyOf(CREATE_DEPLOYMENT, cut)), "cut at " + cut);
      assertEquals(400, e.status().code(), "cut at " + cut);
    }
  }

  @Test
  void kindsAndFieldsItDoesNotReadAreUnsupportedMediaTypesNotDropped() {
    byte[] secret = hex("6b 38 73 00", "0a 0c 0a 02 76 31 12 06 53 65 63 72 65 74", // v1 Secret
        "12 05 0a 03 0a 01 73");                       // raw: metadata {name "s"}
    ApiException kind = assertThrows(ApiException.class, () -> KubeProtobuf.decode(secret));
    assertEquals(415, kind.status().code());
    assertEquals("UnsupportedMediaType", kind.status().reason());
    assertEquals("the body of the request was in an unknown format - podnet reads application/vnd.kubernetes.protobuf "
        + "only for apps/v1/Deployment, v1/ConfigMap, v1/Namespace, v1/Service (not kind Secret of v1); accepted "
        + "media types include: application/json, application/yaml", kind.status().message());
    byte[] volumes = hex("6b 38 73 00", "0a 15 0a 07 61 70 70 73 2f 76 31 12 0a 44 65 70 6c 6f 79 6d 65 6e 74",
        "12 08 12 06 1a 04 12 02", "0a 00");           // spec.template.spec.volumes[0] {}
    ApiException field = assertThrows(ApiException.class, () -> KubeProtobuf.decode(volumes));
    assertEquals(415, field.status().code());
    assertEquals(true, field.status().message().contains("(not field 1 of PodSpec)"), field.status().message());
  }

  @Test
  void kubectlCreateNamespaceConfigMapAndService() throws Exception {
    // kubectl create namespace dev
    assertEquals(Json.parseObject("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"dev\"}}"),
        KubeProtobuf.decode(hex(
            "6b 38 73 00",
            "0a 0f 0a 02 76 31 12 09 4e 61 6d 65 73 70 61 63 65", // typeMeta v1 Namespace
            "12 1b",                                   // raw, 27 bytes
            "0a 13 0a 03 64 65 76",                    //   metadata {name "dev"
            "12 00 1a 00 22 00 2a 00 32 00 38 00 42 00", //   the rest empty}
            "12 00",                                   //   spec {}
            "1a 02 0a 00",                             //   status {phase ""}: skipped
            "1a 00 22 00")));                          // contentEncoding, contentType ""
    // kubectl create configmap cm --from-literal=a=b
    assertEquals(Json.parseObject("""
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}}"""),
        KubeProtobuf.decode(hex(
            "6b 38 73 00",
            "0a 0f 0a 02 76 31 12 09 43 6f 6e 66 69 67 4d 61 70", // typeMeta v1 ConfigMap
            "12 1c",                                   // raw, 28 bytes
            "0a 12 0a 02 63 6d",                       //   metadata {name "cm"
            "12 00 1a 00 22 00 2a 00 32 00 38 00 42 00", //   the rest empty}
            "12 06 0a 01 61 12 01 62",                 //   data {a: b}
            "1a 00 22 00")));
    // kubectl create service nodeport s --tcp=80:8080
    assertEquals(Json.parseObject("""
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "labels": {"app": "s"}},
         "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                  "selector": {"app": "s"}, "type": "NodePort"}}"""),
        KubeProtobuf.decode(hex(
            "6b 38 73 00",
            "0a 0d 0a 02 76 31 12 07 53 65 72 76 69 63 65", // typeMeta v1 Service
            "12 62",                                   // raw, 98 bytes
            "0a 1b 0a 01 73",                          //   metadata {name "s"
            "12 00 1a 00 22 00 2a 00 32 00 38 00 42 00", //   empty fields
            "5a 08 0a 03 61 70 70 12 01 73",           //   labels {app: s}}
            "12 3f",                                   //   spec, 63 bytes
            "0a 1b",                                   //     ports[0], 27 bytes
            "0a 07 38 30 2d 38 30 38 30",              //       name "80-8080"
            "12 03 54 43 50",                          //       protocol "TCP"
            "18 50",                                   //       port 80
            "22 07 08 00 10 90 3f 1a 00",              //       targetPort {type int, intVal 8080}
            "28 00",                                   //       nodePort 0
            "12 08 0a 03 61 70 70 12 01 73",           //     selector {app: s}
            "1a 00",                                   //     clusterIP ""
            "22 08 4e 6f 64 65 50 6f 72 74",           //     type "NodePort"
            "3a 00 42 00 52 00 5a 00",                 //     sessionAffinity, loadBalancerIP, externalName,
                                                       //     externalTrafficPolicy ""
            "60 00 68 00",                             //     healthCheckNodePort 0, publishNotReadyAddresses false
            "1a 02 0a 00",                             //   status {loadBalancer {}}: skipped
            "1a 00 22 00")));
  }
}
