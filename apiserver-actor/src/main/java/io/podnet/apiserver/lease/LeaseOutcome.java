package io.podnet.apiserver.lease;

import io.podnet.apiserver.store.Status;

/** What the arbiter did with a lease request. */
public sealed interface LeaseOutcome {

  /** The candidate now holds the lease: it created it, or took it free or expired. */
  record Acquired(Lease lease) implements LeaseOutcome {}

  /** The holder renewed its lease. */
  record Renewed(Lease lease) implements LeaseOutcome {}

  /** The holder gave the lease up. */
  record Released(Lease lease) implements LeaseOutcome {}

  /** Refused without a write: another candidate holds the lease and it has not expired. */
  record Held(Lease current) implements LeaseOutcome {}

  /** Refused without a write: a renew or release from a candidate that is not the holder. */
  record NotHolder(Lease current) implements LeaseOutcome {}

  /** The store refused the write: Conflict (a lost race), NotFound, AlreadyExists, Invalid. */
  record Failed(Status status) implements LeaseOutcome {}

  /** True when the lease was written (and the caller's view of it is now {@link #lease()}). */
  default boolean wrote() {
    return this instanceof Acquired || this instanceof Renewed || this instanceof Released;
  }

  /** The lease after the request: written, or current when refused; null after a Failed. */
  default Lease lease() {
    if (this instanceof Acquired a) {
      return a.lease();
    }
    if (this instanceof Renewed r) {
      return r.lease();
    }
    if (this instanceof Released r) {
      return r.lease();
    }
    if (this instanceof Held h) {
      return h.current();
    }
    if (this instanceof NotHolder n) {
      return n.current();
    }
    return null;
  }
}
