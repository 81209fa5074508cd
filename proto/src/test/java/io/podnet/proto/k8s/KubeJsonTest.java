package io.podnet.proto.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.proto.v1.Frame;
import org.junit.jupiter.api.Test;

class KubeJsonTest {
  /** The metadata of the reference lab's Lease, as `kubectl get lease -o json` shows it. */
  static final String LEASE_HEADER = """
      {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
          "creationTimestamp": "2025-08-09T12:35:25Z",
          "name": "cilium-l2announce-default-webpod",
          "namespace": "kube-system",
          "resourceVersion": "76902",
          "uid": "98cf5f36-f611-47b4-aad6-de3f83312fc9",
          "generation": 3,
          "labels": {"app": "webpod", "k8s-app": "cilium"},
          "annotations": {"note": "a<b"},
          "managedFields": [{"manager": "kubectl"}],
          "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "webpod-696774f575",
                               "uid": "u-1", "controller": true, "blockOwnerDeletion": true}]
        },
        "spec": {"holderIdentity": "k8s-w1"}
      }
      """;

  @Test
  void kubernetesJsonMapsOntoObjectMeta() throws Exception {
    ObjectHeader h = KubeJson.parse(LEASE_HEADER, ObjectHeader.newBuilder()).build();
    ObjectMeta m = h.getMetadata();
    assertEquals("coordination.k8s.io/v1", h.getApiVersion());
    assertEquals("Lease", h.getKind());
    assertEquals("cilium-l2announce-default-webpod", m.getName());
    assertEquals("kube-system", m.getNamespace());
    assertEquals("76902", m.getResourceVersion());
    assertEquals("98cf5f36-f611-47b4-aad6-de3f83312fc9", m.getUid());
    assertEquals(3, m.getGeneration());
    assertEquals("2025-08-09T12:35:25Z", m.getCreationTimestamp());
    assertEquals("webpod", m.getLabelsMap().get("app"));
    assertEquals("a<b", m.getAnnotationsMap().get("note"));
    assertEquals("ReplicaSet", m.getOwnerReferences(0).getKind());
    assertEquals(true, m.getOwnerReferences(0).getBlockOwnerDeletion());
  }

  @Test
  void printsKubernetesJsonNotProto3Json() throws Exception {
    ObjectHeader h = KubeJson.parse(LEASE_HEADER, ObjectHeader.newBuilder()).build();
    assertEquals("{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{"
        + "\"name\":\"cilium-l2announce-default-webpod\",\"namespace\":\"kube-system\","
        + "\"uid\":\"98cf5f36-f611-47b4-aad6-de3f83312fc9\",\"resourceVersion\":\"76902\","
        + "\"generation\":3,\"labels\":{\"app\":\"webpod\",\"k8s-app\":\"cilium\"},"
        + "\"annotations\":{\"note\":\"a\\u003cb\"},\"creationTimestamp\":\"2025-08-09T12:35:25Z\","
        + "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"webpod-696774f575\","
        + "\"uid\":\"u-1\",\"controller\":true,\"blockOwnerDeletion\":true}],"
        + "\"managedFields\":[{\"manager\":\"kubectl\"}]}}", KubeJson.print(h));
  }

  @Test
  void printedJsonParsesBackToTheSameMessage() throws Exception {
    ObjectHeader h = KubeJson.parse(LEASE_HEADER, ObjectHeader.newBuilder()).build();
    assertEquals(h, KubeJson.parse(KubeJson.print(h), ObjectHeader.newBuilder()).build());
  }

  @Test
  void frameEnvelopeRoundTripsThroughTheWireFormat() throws Exception {
    Frame f = Frame.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[] {1, 2, 3}))
        .setSegment("net-a").setSrcHost("router").setSrcInterface("eth1").setTimestampMicros(1234).build();
    assertEquals(f, Frame.parseFrom(f.toByteArray()));
  }
}
