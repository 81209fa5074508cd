package io.podnet.apiserver.store;

import java.util.Objects;

/**
 * One watch event as Kubernetes streams it: ADDED, MODIFIED or DELETED and the object, whose
 * metadata.resourceVersion is the event's resourceVersion (for DELETED, the revision of the delete).
 */
public record WatchEvent(Type type, KubeObject object) {

  public enum Type {
    ADDED,
    MODIFIED,
    DELETED
  }

  public WatchEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(object, "object");
  }

  public long resourceVersion() {
    return object.resourceVersionNumber();
  }
}
