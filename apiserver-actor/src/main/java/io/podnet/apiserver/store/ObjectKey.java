package io.podnet.apiserver.store;

import java.util.Comparator;
import java.util.Objects;

/**
 * Where an object lives in the store: its kind, namespace ("" for cluster-scoped kinds) and name.
 */
public record ObjectKey(ResourceType type, String namespace, String name) {

  /** Namespace then name, the order etcd's key layout gives Kubernetes lists. */
  static final Comparator<ObjectKey> LIST_ORDER =
      Comparator.comparing(ObjectKey::namespace).thenComparing(ObjectKey::name);

  public ObjectKey {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }
}
