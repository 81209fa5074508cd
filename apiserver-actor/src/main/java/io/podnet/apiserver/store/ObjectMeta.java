package io.podnet.apiserver.store;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The metav1.ObjectMeta fields the store keeps. Empty strings and 0 mean "unset", as in the JSON
 * Kubernetes prints (omitempty). Maps and lists are copied and immutable.
 *
 * @param resourceVersion   the decimal value of the store's counter at the object's last write
 * @param creationTimestamp RFC 3339, UTC, whole seconds ("2025-08-09T12:35:25Z")
 * @param generateName      the prefix the server completes into a name on create when name is empty
 * @param ownerReferences   the objects this one depends on, in the order written
 */
public record ObjectMeta(
    String name,
    String namespace,
    String uid,
    String resourceVersion,
    long generation,
    Map<String, String> labels,
    Map<String, String> annotations,
    String creationTimestamp,
    String generateName,
    List<OwnerReference> ownerReferences) {

  public ObjectMeta {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    Objects.requireNonNull(creationTimestamp, "creationTimestamp");
    Objects.requireNonNull(generateName, "generateName");
    if (generation < 0) {
      throw new IllegalArgumentException("generation must be >= 0: " + generation);
    }
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    ownerReferences = List.copyOf(ownerReferences);
  }

  /** Without generateName and ownerReferences. */
  public ObjectMeta(String name, String namespace, String uid, String resourceVersion, long generation,
      Map<String, String> labels, Map<String, String> annotations, String creationTimestamp) {
    this(name, namespace, uid, resourceVersion, generation, labels, annotations, creationTimestamp, "", List.of());
  }

  /** What a client sends on create: only name, namespace, labels and annotations. */
  public static ObjectMeta of(String namespace, String name, Map<String, String> labels) {
    return new ObjectMeta(name, namespace, "", "", 0, labels, Map.of(), "");
  }

  public ObjectMeta withResourceVersion(String rv) {
    return new ObjectMeta(name, namespace, uid, rv, generation, labels, annotations, creationTimestamp, generateName,
        ownerReferences);
  }

  public ObjectMeta withLabels(Map<String, String> newLabels) {
    return new ObjectMeta(name, namespace, uid, resourceVersion, generation, newLabels, annotations, creationTimestamp,
        generateName, ownerReferences);
  }

  public ObjectMeta withAnnotations(Map<String, String> newAnnotations) {
    return new ObjectMeta(name, namespace, uid, resourceVersion, generation, labels, newAnnotations, creationTimestamp,
        generateName, ownerReferences);
  }

  public ObjectMeta withOwnerReferences(List<OwnerReference> refs) {
    return new ObjectMeta(name, namespace, uid, resourceVersion, generation, labels, annotations, creationTimestamp,
        generateName, refs);
  }

  public ObjectMeta withGenerateName(String prefix) {
    return new ObjectMeta(name, namespace, uid, resourceVersion, generation, labels, annotations, creationTimestamp,
        prefix, ownerReferences);
  }

  /** The owner reference with controller: true, if any. */
  public Optional<OwnerReference> controllerRef() {
    for (OwnerReference r : ownerReferences) {
      if (r.isController()) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
