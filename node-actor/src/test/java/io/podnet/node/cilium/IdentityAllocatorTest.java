package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IdentityAllocatorTest {
  private static SecurityLabels webpod() {
    return SecurityLabels.forPod("default", Map.of("app", "webpod", "pod-template-hash", "696774f575"),
        SecurityLabels.defaultNamespaceLabels("default"), "default", "default");
  }

  @Test
  void podLabelsAreFilteredAndSortedAsCiliumComputesThem() {
    assertEquals(List.of(
        "k8s:app=webpod",
        "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default",
        "k8s:io.cilium.k8s.policy.cluster=default",
        "k8s:io.cilium.k8s.policy.serviceaccount=default",
        "k8s:io.kubernetes.pod.namespace=default"), webpod().labels());
    assertTrue(SecurityLabels.isIdentityLabel("app.kubernetes.io/name"));
    assertFalse(SecurityLabels.isIdentityLabel("controller-revision-hash"));
    assertFalse(SecurityLabels.isIdentityLabel("statefulset.kubernetes.io/pod-name"));
    assertFalse(SecurityLabels.isIdentityLabel("io.kubernetes.container.name"));
    assertTrue(SecurityLabels.isIdentityLabel("io.kubernetes.pod.namespace"));
  }

  @Test
  void sameLabelsSameIdentityAcrossReplicas() {
    IdentityAllocator a = new IdentityAllocator(new SplittableRandom(42));
    SecurityLabels other = SecurityLabels.forPod("default", Map.of("app", "webpod", "pod-template-hash", "xyz"),
        SecurityLabels.defaultNamespaceLabels("default"), "default", "default");
    int id = a.allocate(webpod());
    assertEquals(id, a.allocate(other));
    assertEquals(id, a.allocate(webpod()));
    int curl = a.allocate(SecurityLabels.forPod("default", Map.of("app", "curl"),
        SecurityLabels.defaultNamespaceLabels("default"), "default", "default"));
    assertNotEquals(id, curl);
    assertEquals(webpod(), a.labelsOf(id).orElseThrow());
    // three references: freed only by the third release
    assertFalse(a.release(webpod()));
    assertFalse(a.release(webpod()));
    assertTrue(a.release(webpod()));
    assertTrue(a.lookup(webpod()).isEmpty());
  }

  @Test
  void identitiesAreRandomInRangeAndReproducibleWithASeed() {
    List<Integer> first = allocateMany(new IdentityAllocator(new SplittableRandom(2025)), 200);
    List<Integer> again = allocateMany(new IdentityAllocator(new SplittableRandom(2025)), 200);
    List<Integer> other = allocateMany(new IdentityAllocator(new SplittableRandom(7)), 200);
    assertEquals(first, again);
    assertNotEquals(first, other);
    assertEquals(200, new HashSet<>(first).size());
    assertTrue(first.stream().allMatch(i -> i >= 256 && i <= 65535));
    // not sequential: Cilium's pool hands out a random free ID
    assertTrue(first.stream().filter(i -> i < 1000).count() < 20, first.toString());
  }

  @Test
  void aSmallRemainderIsStillFoundAndReleasedIdsComeBack() {
    IdentityAllocator a = new IdentityAllocator(new SplittableRandom(3));
    Set<Integer> ids = new HashSet<>(allocateMany(a, 65535 - 256 + 1));
    assertEquals(65535 - 256 + 1, ids.size());
    SecurityLabels extra = SecurityLabels.forPod("x", Map.of("n", "extra"), Map.of(), "default", "default");
    try {
      a.allocate(extra);
      throw new AssertionError("expected exhaustion");
    } catch (IdentityAllocator.IdentityExhaustedException e) {
      assertEquals("unable to allocate ID: no more available IDs", e.getMessage());
    }
    SecurityLabels some = a.identities().get(40000);
    assertTrue(a.release(some));
    assertEquals(40000, a.allocate(extra));
  }

  private static List<Integer> allocateMany(IdentityAllocator a, int n) {
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(a.allocate(SecurityLabels.forPod("ns", Map.of("app", "a" + i), Map.of(), "default", "default")));
    }
    return ids;
  }

  @Test
  void reservedIdentities() {
    assertEquals(1, ReservedIdentity.HOST.id());
    assertEquals(2, ReservedIdentity.WORLD.id());
    assertEquals(6, ReservedIdentity.REMOTE_NODE.id());
    assertEquals("reserved:kube-apiserver", ReservedIdentity.byId(7).label());
    assertEquals(ReservedIdentity.INGRESS, ReservedIdentity.byId(8));
  }
}
