package io.podnet.apiserver.store;

import java.util.Map;
import java.util.Objects;

/**
 * The metav1.ObjectMeta fields the store keeps. Empty strings and 0 mean "unset", as in the JSON
 * Kubernetes prints (omitempty). Maps are copied and immutable.
 *
 * @param resourceVersion   the decimal value of the store's counter at the object's last write
 * @param creationTimestamp RFC 3339, UTC, whole seconds ("2025-08-09T12:35:25Z")
 */
public record ObjectMeta(
    String name,
    String namespace,
    String uid,
    String resourceVersion,
    long generation,
    Map<String, String> labels,
    Map<String, String> annotations,
    String creationTimestamp) {

  public ObjectMeta {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(uid, "uid");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    Objects.requireNonNull(creationTimestamp, "creationTimestamp");
    if (generation < 0) {
      throw new IllegalArgumentException("generation must be >= 0: " + generation);
    }
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  /** What a client sends on create: only name, namespace, labels and annotations. */
  public static ObjectMeta of(String namespace, String name, Map<String, String> labels) {
    return new ObjectMeta(name, namespace, "", "", 0, labels, Map.of(), "");
  }

  public ObjectMeta withResourceVersion(String rv) {
    return new ObjectMeta(name, namespace, uid, rv, generation, labels, annotations, creationTimestamp);
  }

  public ObjectMeta withLabels(Map<String, String> newLabels) {
    return new ObjectMeta(
        name, namespace, uid, resourceVersion, generation, newLabels, annotations, creationTimestamp);
  }
}
