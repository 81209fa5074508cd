package io.podnet.apiserver.lease;

import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The server side of leader election on coordination.k8s.io/v1 Leases, by the rules client-go's
 * {@code tryAcquireOrRenew} and {@code release} write, judged by the server's clock:
 *
 * <ul>
 *   <li>a candidate acquires a lease that does not exist (leaseTransitions 0), has no holder, or
 *       has expired ({@code now > renewTime + leaseDurationSeconds}); acquiring sets acquireTime
 *       and renewTime to now and increments leaseTransitions;
 *   <li>the holder renews: renewTime becomes now, acquireTime and leaseTransitions stay;
 *   <li>the holder releases: holderIdentity "", leaseDurationSeconds 1, acquireTime and renewTime
 *       now, leaseTransitions kept;
 *   <li>anything else is refused without a write.
 * </ul>
 *
 * <p>Every write is an update through the {@link ObjectStore} conditional on a resourceVersion:
 * the one the candidate read ({@code expectedResourceVersion}), or, when it sends none, the one the
 * decision was made on. A candidate that read an older version has lost a race and gets the
 * store's 409 Conflict whatever it asked, so two candidates can never both be told they acquired.
 */
public final class LeaseArbiter {

  private final ObjectStore store;

  public LeaseArbiter(ObjectStore store) {
    this.store = store;
  }

  public ObjectStore store() {
    return store;
  }

  /**
   * The lease as stored, or empty.
   *
   * @throws ApiException 422 Invalid if the stored spec is not a LeaseSpec
   */
  public Optional<Lease> get(String namespace, String name) {
    return store.find(ResourceType.LEASE, namespace, name).map(LeaseArbiter::view);
  }

  /**
   * Acquires the lease for {@code candidate} if it is free or expired, or renews it if the
   * candidate holds it.
   *
   * @param expectedResourceVersion the version the candidate read, "" to decide on the stored one
   * @param nowMillis               the server's clock, epoch milliseconds
   */
  public LeaseOutcome tryAcquireOrRenew(String namespace, String name, String candidate, int durationSeconds,
      String expectedResourceVersion, long nowMillis) {
    Status bad = checkRequest(name, candidate, durationSeconds);
    if (bad != null) {
      return new LeaseOutcome.Failed(bad);
    }
    Instant now = Instant.ofEpochMilli(nowMillis);
    Optional<KubeObject> stored = store.find(ResourceType.LEASE, namespace, name);
    if (stored.isEmpty()) {
      if (!expectedResourceVersion.isEmpty()) {
        return new LeaseOutcome.Failed(Status.notFound(ResourceType.LEASE, name));
      }
      LeaseSpec spec = new LeaseSpec(candidate, durationSeconds, now, now, 0);
      try {
        KubeObject created = store.create(ResourceType.LEASE,
            KubeObject.of(ResourceType.LEASE, ObjectMeta.of(namespace, name, Map.of()), spec.toStruct()));
        return new LeaseOutcome.Acquired(view(created));
      } catch (ApiException e) {
        return new LeaseOutcome.Failed(e.status());
      }
    }
    LeaseOutcome stale = staleRead(stored.get(), expectedResourceVersion);
    if (stale != null) {
      return stale;
    }
    Lease current;
    try {
      current = view(stored.get());
    } catch (ApiException e) {
      return new LeaseOutcome.Failed(e.status());
    }
    LeaseSpec old = current.spec();
    if (old.holder().equals(candidate)) {
      LeaseSpec renewed = new LeaseSpec(candidate, durationSeconds, old.acquireTime(), now, old.transitions());
      return write(stored.get(), renewed, expectedResourceVersion, LeaseOutcome.Renewed::new);
    }
    if (current.heldAt(now)) {
      return new LeaseOutcome.Held(current);
    }
    LeaseSpec acquired = new LeaseSpec(candidate, durationSeconds, now, now, old.transitions() + 1);
    return write(stored.get(), acquired, expectedResourceVersion, LeaseOutcome.Acquired::new);
  }

  /** Renews only: refused with {@link LeaseOutcome.NotHolder} unless {@code candidate} holds the lease. */
  public LeaseOutcome renew(String namespace, String name, String candidate, int durationSeconds,
      String expectedResourceVersion, long nowMillis) {
    Status bad = checkRequest(name, candidate, durationSeconds);
    if (bad != null) {
      return new LeaseOutcome.Failed(bad);
    }
    return holderWrite(namespace, name, candidate, expectedResourceVersion, old ->
        new LeaseSpec(candidate, durationSeconds, old.acquireTime(), Instant.ofEpochMilli(nowMillis), old.transitions()),
        LeaseOutcome.Renewed::new);
  }

  /**
   * Releases the lease as client-go's {@code release} does: an empty holder, a one-second
   * duration, acquireTime and renewTime now, leaseTransitions kept.
   */
  public LeaseOutcome release(String namespace, String name, String candidate, String expectedResourceVersion,
      long nowMillis) {
    Instant now = Instant.ofEpochMilli(nowMillis);
    return holderWrite(namespace, name, candidate, expectedResourceVersion,
        old -> new LeaseSpec("", 1, now, now, old.transitions()), LeaseOutcome.Released::new);
  }

  private LeaseOutcome holderWrite(String namespace, String name, String candidate, String expectedResourceVersion,
      java.util.function.UnaryOperator<LeaseSpec> next, java.util.function.Function<Lease, LeaseOutcome> done) {
    Optional<KubeObject> stored = store.find(ResourceType.LEASE, namespace, name);
    if (stored.isEmpty()) {
      return new LeaseOutcome.Failed(Status.notFound(ResourceType.LEASE, name));
    }
    LeaseOutcome stale = staleRead(stored.get(), expectedResourceVersion);
    if (stale != null) {
      return stale;
    }
    Lease current;
    try {
      current = view(stored.get());
    } catch (ApiException e) {
      return new LeaseOutcome.Failed(e.status());
    }
    if (candidate.isEmpty() || !current.spec().holder().equals(candidate)) {
      return new LeaseOutcome.NotHolder(current);
    }
    return write(stored.get(), next.apply(current.spec()), expectedResourceVersion, done);
  }

  /**
   * A request made on a version that is no longer the stored one lost a race: whatever it asks,
   * the store answers its conditional write with 409 Conflict. The write is sent (unchanged
   * content, the caller's precondition) so that the store stays the one judge of preconditions.
   */
  private LeaseOutcome staleRead(KubeObject stored, String expectedResourceVersion) {
    if (expectedResourceVersion.isEmpty() || expectedResourceVersion.equals(stored.metadata().resourceVersion())) {
      return null;
    }
    try {
      store.update(ResourceType.LEASE, stored.withMetadata(stored.metadata().withResourceVersion(expectedResourceVersion)));
      throw new IllegalStateException("the store accepted a write on stale resourceVersion " + expectedResourceVersion);
    } catch (ApiException e) {
      return new LeaseOutcome.Failed(e.status());
    }
  }

  private LeaseOutcome write(KubeObject stored, LeaseSpec spec, String expectedResourceVersion,
      java.util.function.Function<Lease, LeaseOutcome> done) {
    String precondition =
        expectedResourceVersion.isEmpty() ? stored.metadata().resourceVersion() : expectedResourceVersion;
    KubeObject request =
        stored.withMetadata(stored.metadata().withResourceVersion(precondition)).withSpec(spec.toStruct());
    try {
      KubeObject written = store.update(ResourceType.LEASE, request);
      // The spec just written, not parsed back from its Struct (a renewal's largest cost was parsing times).
      return done.apply(new Lease(written.metadata().namespace(), written.metadata().name(),
          written.metadata().resourceVersion(), spec));
    } catch (ApiException e) {
      return new LeaseOutcome.Failed(e.status());
    }
  }

  /**
   * The server's rule for every write of a Lease by a client (create, update, patch, whatever
   * the transport), applied by the API-server actor before the store sees the write:
   *
   * <ul>
   *   <li>the spec is validated as kube-apiserver's {@code ValidateLeaseSpec} does
   *       (leaseDurationSeconds &gt; 0, leaseTransitions &gt;= 0; 422 Invalid);
   *   <li>a write that gives the lease to a new, non-empty holder is refused with 409 Conflict
   *       ({@code Operation cannot be fulfilled on leases.coordination.k8s.io "NAME": lock is held
   *       by HOLDER and has not yet expired}) while the stored lease is held at {@code nowMillis}
   *       ({@link Lease#heldAt}: a holder and {@code now <= renewTime + leaseDurationSeconds}); it
   *       is accepted when the lease is free (no holder, released) or expired;
   *   <li>a write that keeps the holder is a renewal by that holder, and a write of an empty
   *       holder is a release: both are accepted (the server cannot tell who sends a write, as all
   *       clients of the lab share one identity; releasing a lease one does not hold is a client
   *       bug, which Kubernetes does not catch either).
   * </ul>
   *
   * <p>Everything the client wrote (holderIdentity, acquireTime, renewTime, leaseDurationSeconds,
   * leaseTransitions) is stored as written, as Kubernetes stores it: client-go's leader election
   * writes acquireTime and renewTime from its clock and counts leaseTransitions itself. Kubernetes'
   * kube-apiserver itself does not arbitrate (client-go judges expiry on its own clock, from when it
   * observed the record, and its lease is valid while {@code observedTime + duration} is after now,
   * so a client-go candidate may try at exactly {@code renewTime + duration} and be refused here:
   * the server's boundary is the strict {@code now > renewTime + leaseDurationSeconds}). A request
   * on a stale resourceVersion is left to the store, which answers its own 409 Conflict first, as
   * kube-apiserver checks the precondition before admission.
   *
   * @param stored    the stored lease, null on create
   * @param request   the lease the client asks to store
   * @param nowMillis the server's clock, epoch milliseconds
   * @return {@code request}, unchanged
   * @throws ApiException 422 Invalid, 409 Conflict
   */
  public static KubeObject admit(KubeObject stored, KubeObject request, long nowMillis) {
    String name = request.metadata().name();
    LeaseSpec next;
    try {
      next = LeaseSpec.fromStruct(request.spec());
    } catch (IllegalArgumentException e) {
      throw new ApiException(Status.invalid(ResourceType.LEASE, name, e.getMessage()));
    }
    if (next.leaseDurationSeconds() != null && next.leaseDurationSeconds() <= 0) {
      throw new ApiException(Status.invalid(ResourceType.LEASE, name, "spec.leaseDurationSeconds: Invalid value: "
          + next.leaseDurationSeconds() + ": must be greater than 0"));
    }
    if (next.leaseTransitions() != null && next.leaseTransitions() < 0) {
      throw new ApiException(Status.invalid(ResourceType.LEASE, name, "spec.leaseTransitions: Invalid value: "
          + next.leaseTransitions() + ": must be greater than or equal to 0"));
    }
    if (stored == null) {
      return request;
    }
    String rv = request.metadata().resourceVersion();
    if (!rv.isEmpty() && !rv.equals(stored.metadata().resourceVersion())) {
      return request;
    }
    Lease current = view(stored);
    String holder = current.spec().holder();
    if (!next.holder().isEmpty() && !next.holder().equals(holder)
        && current.heldAt(Instant.ofEpochMilli(nowMillis))) {
      throw new ApiException(Status.conflict(ResourceType.LEASE, name,
          "lock is held by " + holder + " and has not yet expired"));
    }
    return request;
  }

  private static Status checkRequest(String name, String candidate, int durationSeconds) {
    if (candidate.isEmpty()) {
      return Status.invalid(ResourceType.LEASE, name, "spec.holderIdentity: Required value: a candidate identity");
    }
    if (durationSeconds <= 0) {
      return Status.invalid(ResourceType.LEASE, name,
          "spec.leaseDurationSeconds: Invalid value: " + durationSeconds + ": must be greater than 0");
    }
    return null;
  }

  private static Lease view(KubeObject o) {
    try {
      return Lease.of(o);
    } catch (IllegalArgumentException e) {
      throw new ApiException(Status.invalid(ResourceType.LEASE, o.metadata().name(), e.getMessage()));
    }
  }
}
