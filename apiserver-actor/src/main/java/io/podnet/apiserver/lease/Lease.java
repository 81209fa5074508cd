package io.podnet.apiserver.lease;

import io.podnet.apiserver.store.KubeObject;
import java.time.Instant;
import java.util.Objects;

/**
 * A Lease as leader election sees it: where it is, the resourceVersion it was read at, its spec.
 */
public record Lease(String namespace, String name, String resourceVersion, LeaseSpec spec) {

  public Lease {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    Objects.requireNonNull(spec, "spec");
  }

  /**
   * @throws IllegalArgumentException if the object's spec is not a valid LeaseSpec
   */
  public static Lease of(KubeObject o) {
    return new Lease(
        o.metadata().namespace(), o.metadata().name(), o.metadata().resourceVersion(), LeaseSpec.fromStruct(o.spec()));
  }

  /**
   * True when the lease is held at {@code now} by the server's rule: a holder is set and
   * {@code now <= renewTime + leaseDurationSeconds}. A holder without renewTime holds nothing.
   */
  public boolean heldAt(Instant now) {
    if (spec.holder().isEmpty() || spec.renewTime() == null) {
      return false;
    }
    long seconds = spec.leaseDurationSeconds() == null ? 0 : spec.leaseDurationSeconds();
    return !now.isAfter(spec.renewTime().plusSeconds(seconds));
  }
}
