package io.podnet.apiserver.store.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.esotericsoftware.kryo.KryoException;
import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoreCodecTest {
  static final OwnerReference RS_REF = new OwnerReference("apps/v1", "ReplicaSet", "a", "u0", true, true);
  static final OwnerReference CM_REF = new OwnerReference("v1", "ConfigMap", "cm", "u2", null, false);

  static final KubeObject POD = new KubeObject("v1", "Pod",
      new ObjectMeta("a-x1", "ns", "u1", "7", 0, Map.of("app", "web"), Map.of(), "2025-08-09T12:35:25Z", "a-",
          List.of(RS_REF, CM_REF)),
      Struct.getDefaultInstance(), Struct.getDefaultInstance(), Struct.getDefaultInstance());

  /** Put(pods, POD) in format version 2. Kryo strings: ASCII with the last byte's bit 7 set; one char as 0x82 c. */
  static final byte[] PUT_V2 = {
      0x69, // class id: Put (103) + 2
      0x76, (byte) 0xb1, // ResourceType apiVersion "v1"
      0x70, 0x6f, 0x64, (byte) 0xf3, // resource "pods"
      0x76, (byte) 0xb1, // KubeObject apiVersion "v1"
      0x50, 0x6f, (byte) 0xe4, // kind "Pod"
      0x61, 0x2d, 0x78, (byte) 0xb1, // ObjectMeta name "a-x1"
      0x6e, (byte) 0xf3, // namespace "ns"
      0x75, (byte) 0xb1, // uid "u1"
      (byte) 0x82, 0x37, // resourceVersion "7"
      0x32, 0x30, 0x32, 0x35, 0x2d, 0x30, 0x38, 0x2d, 0x30, 0x39, 0x54, // creationTimestamp "2025-08-09T
      0x31, 0x32, 0x3a, 0x33, 0x35, 0x3a, 0x32, 0x35, (byte) 0xda, //   12:35:25Z"
      0x00, // generation 0
      0x01, 0x61, 0x70, (byte) 0xf0, 0x77, 0x65, (byte) 0xe2, // labels: 1, "app" "web"
      0x00, // annotations: 0
      0x61, (byte) 0xad, // generateName "a-"
      0x02, // ownerReferences: 2
      0x61, 0x70, 0x70, 0x73, 0x2f, 0x76, (byte) 0xb1, // [0] apiVersion "apps/v1"
      0x52, 0x65, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x53, 0x65, (byte) 0xf4, // kind "ReplicaSet"
      (byte) 0x82, 0x61, // name "a"
      0x75, (byte) 0xb0, // uid "u0"
      0x02, // controller true
      0x02, // blockOwnerDeletion true
      0x76, (byte) 0xb1, // [1] apiVersion "v1"
      0x43, 0x6f, 0x6e, 0x66, 0x69, 0x67, 0x4d, 0x61, (byte) 0xf0, // kind "ConfigMap"
      0x63, (byte) 0xed, // name "cm"
      0x75, (byte) 0xb2, // uid "u2"
      0x00, // controller unset
      0x01, // blockOwnerDeletion false
      0x00, // spec: 0 bytes
      0x00, // status: 0 bytes
      0x00, // extra: 0 bytes
  };

  /** The same record in format version 1: ObjectMeta ends after annotations. */
  static final byte[] PUT_V1 = {
      0x69, // class id: Put (103) + 2
      0x76, (byte) 0xb1, // ResourceType apiVersion "v1"
      0x70, 0x6f, 0x64, (byte) 0xf3, // resource "pods"
      0x76, (byte) 0xb1, // KubeObject apiVersion "v1"
      0x50, 0x6f, (byte) 0xe4, // kind "Pod"
      0x61, 0x2d, 0x78, (byte) 0xb1, // ObjectMeta name "a-x1"
      0x6e, (byte) 0xf3, // namespace "ns"
      0x75, (byte) 0xb1, // uid "u1"
      (byte) 0x82, 0x37, // resourceVersion "7"
      0x32, 0x30, 0x32, 0x35, 0x2d, 0x30, 0x38, 0x2d, 0x30, 0x39, 0x54, // creationTimestamp "2025-08-09T
      0x31, 0x32, 0x3a, 0x33, 0x35, 0x3a, 0x32, 0x35, (byte) 0xda, //   12:35:25Z"
      0x00, // generation 0
      0x01, 0x61, 0x70, (byte) 0xf0, 0x77, 0x65, (byte) 0xe2, // labels: 1, "app" "web"
      0x00, // annotations: 0
      0x00, // spec: 0 bytes
      0x00, // status: 0 bytes
      0x00, // extra: 0 bytes
  };

  final StoreCodec codec = new StoreCodec(Workload.TYPES);
  final StoreCodec v1 = new StoreCodec(Workload.TYPES, 1);

  @Test
  void version2CarriesGenerateNameAndEveryOwnerReferenceField() {
    assertEquals(2, codec.version());
    assertArrayEquals(PUT_V2, codec.encode(new StoreCodec.Put(ApiResources.POD, POD)));
    assertEquals(new StoreCodec.Put(ApiResources.POD, POD), codec.decode(PUT_V2));
    // Embedded in a snapshot, with an object without either field.
    KubeObject plain = POD.withMetadata(new ObjectMeta("b", "ns", "u3", "6", 0, Map.of(), Map.of("x", "y"),
        "2025-08-09T12:35:25Z"));
    Map<ObjectKey, KubeObject> objects = Map.of(new ObjectKey(ApiResources.POD, "ns", "a-x1"), POD,
        new ObjectKey(ApiResources.POD, "ns", "b"), plain);
    StoreCodec.Snapshot s = new StoreCodec.Snapshot(9, objects);
    StoreCodec.Snapshot back = codec.decodeSnapshot(codec.encodeSnapshot(s));
    assertEquals(s, back);
    assertEquals(List.of(RS_REF, CM_REF), back.objects().get(new ObjectKey(ApiResources.POD, "ns", "a-x1"))
        .metadata().ownerReferences());
  }

  @Test
  void version1IsReadWithoutGenerateNameAndOwnerReferencesAndNeverWritten() {
    KubeObject lost = POD.withMetadata(POD.metadata().withGenerateName("").withOwnerReferences(List.of()));
    assertEquals(new StoreCodec.Put(ApiResources.POD, lost), v1.decode(PUT_V1));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> v1.encode(new StoreCodec.Put(ApiResources.POD, POD)));
    assertEquals("store format version 1 is read only; writes use 2", e.getMessage());
    assertThrows(IllegalStateException.class, () -> v1.encodeSnapshot(new StoreCodec.Snapshot(1, Map.of())));
    // Each version's bytes are damage to the other.
    assertThrows(KryoException.class, () -> codec.decode(PUT_V1));
    assertThrows(KryoException.class, () -> v1.decode(PUT_V2));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> new StoreCodec(Workload.TYPES, 3));
    assertEquals("store format version 3 outside 1..2", bad.getMessage());
  }

  @Test
  void everyTruncatedRecordIsAKryoException() {
    for (int n = 0; n < PUT_V2.length; n++) {
      byte[] prefix = Arrays.copyOf(PUT_V2, n);
      assertThrows(KryoException.class, () -> codec.decode(prefix), "prefix of " + n + " bytes");
    }
    for (int n = 0; n < PUT_V1.length; n++) {
      byte[] prefix = Arrays.copyOf(PUT_V1, n);
      assertThrows(KryoException.class, () -> v1.decode(prefix), "prefix of " + n + " bytes");
    }
  }

  @Test
  void aBadOwnerReferenceFlagOrCountIsRejected() {
    int controller = indexOfFlags(0);
    byte[] bad = PUT_V2.clone();
    bad[controller] = 3;
    KryoException e = assertThrows(KryoException.class, () -> codec.decode(bad));
    assertEquals("bad ownerReferences.controller flag 3 (0 unset, 1 false, 2 true)", e.getMessage());
    byte[] bad2 = PUT_V2.clone();
    bad2[controller + 1] = (byte) 0xff;
    e = assertThrows(KryoException.class, () -> codec.decode(bad2));
    assertEquals("bad ownerReferences.blockOwnerDeletion flag 255 (0 unset, 1 false, 2 true)", e.getMessage());
    // A count past the end of the record.
    byte[] bad3 = PUT_V2.clone();
    bad3[countOffset()] = 0x7f;
    e = assertThrows(KryoException.class, () -> codec.decode(bad3));
    assertEquals("bad count 127", e.getMessage());
  }

  /** Offset of the ownerReferences count in PUT_V2. */
  static int countOffset() {
    return 12 + 4 + 2 + 2 + 2 + 20 + 1 + 7 + 1 + 2;
  }

  /** Offset of owner reference {@code i}'s controller flag in PUT_V2 (i = 0). */
  static int indexOfFlags(int i) {
    return countOffset() + 1 + 7 + 10 + 2 + 2;
  }
}
