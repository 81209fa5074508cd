package io.podnet.apiserver.controllers;

import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The API as controllers use it: reads from the store, writes through {@link Admission} (as a
 * controller's writes pass through kube-apiserver). A write that loses a race answers empty instead
 * of throwing: Conflict (a stale resourceVersion), NotFound and AlreadyExists mean "re-read next
 * round". Any other refusal is a controller bug and is thrown.
 */
public final class Cluster {
  private final ObjectStore store;
  private final Admission admission;
  private int writes;

  public Cluster(ObjectStore store, Admission admission) {
    this.store = Objects.requireNonNull(store, "store");
    this.admission = Objects.requireNonNull(admission, "admission");
  }

  public ObjectStore store() {
    return store;
  }

  /** How many writes succeeded through this view. */
  public int writes() {
    return writes;
  }

  public List<KubeObject> list(ResourceType type, String namespace) {
    return store.list(type, namespace, LabelSelector.EVERYTHING, FieldSelector.EVERYTHING).items();
  }

  public List<KubeObject> list(ResourceType type) {
    return list(type, "");
  }

  public Optional<KubeObject> find(ResourceType type, String namespace, String name) {
    return store.find(type, namespace, name);
  }

  public Optional<KubeObject> create(ResourceType type, KubeObject o) {
    return attempt(() -> store.create(type, admission.admit(store, type, o, null)));
  }

  /** Update of the main resource, conditional on {@code o}'s resourceVersion. */
  public Optional<KubeObject> update(ResourceType type, KubeObject o) {
    requireVersion(o);
    return attempt(() -> {
      KubeObject old = store.get(type, o.metadata().namespace(), o.metadata().name());
      return store.update(type, admission.admit(store, type, o, old));
    });
  }

  /** Update of status (the subresource where the kind has one), conditional on the resourceVersion. */
  public Optional<KubeObject> updateStatus(ResourceType type, KubeObject o) {
    requireVersion(o);
    return attempt(() -> type.statusSubresource() ? store.updateStatus(type, o) : store.update(type, o));
  }

  /** Delete, conditional on {@code o}'s resourceVersion. */
  public boolean delete(ResourceType type, KubeObject o) {
    return attempt(() -> store.delete(type, o.metadata().namespace(), o.metadata().name(),
        o.metadata().resourceVersion())).isPresent();
  }

  private static void requireVersion(KubeObject o) {
    if (o.metadata().resourceVersion().isEmpty()) {
      throw new IllegalArgumentException("a controller write must carry the resourceVersion it read");
    }
  }

  private interface Write {
    KubeObject run();
  }

  private Optional<KubeObject> attempt(Write w) {
    long before = store.resourceVersion();
    try {
      KubeObject r = w.run();
      if (store.resourceVersion() != before) {
        writes++;
      }
      return Optional.of(r);
    } catch (ApiException e) {
      String reason = e.status().reason();
      if (reason.equals("Conflict") || reason.equals("NotFound") || reason.equals("AlreadyExists")) {
        return Optional.empty();
      }
      throw e;
    }
  }
}
