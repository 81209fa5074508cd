package io.podnet.apiserver.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LeaseArbiterTest {

  private static final String NS = "kube-system";
  private static final String NAME = "cilium-l2announce-default-webpod";
  // 2025-08-09T12:35:25.085Z
  private static final long T0 = 1_754_742_925_085L;

  private long now = T0;
  private final ObjectStore store = new ObjectStore(() -> now, new SplittableRandom(7));
  private final LeaseArbiter arbiter = new LeaseArbiter(store);

  private LeaseOutcome acquire(String who, long at) {
    return arbiter.tryAcquireOrRenew(NS, NAME, who, 15, "", at);
  }

  @Test
  void firstCandidateCreatesTheLease() {
    LeaseOutcome o = acquire("k8s-w1", T0);
    Lease l = assertInstanceOf(LeaseOutcome.Acquired.class, o).lease();
    assertEquals(new LeaseSpec("k8s-w1", 15, Instant.ofEpochMilli(T0), Instant.ofEpochMilli(T0), 0), l.spec());
    KubeObject stored = store.get(ResourceType.LEASE, NS, NAME);
    assertEquals("2025-08-09T12:35:25.085000Z", stored.spec().getFieldsOrThrow("renewTime").getStringValue());
    assertEquals("2025-08-09T12:35:25.085000Z", stored.spec().getFieldsOrThrow("acquireTime").getStringValue());
    assertEquals(15.0, stored.spec().getFieldsOrThrow("leaseDurationSeconds").getNumberValue());
    assertEquals(0.0, stored.spec().getFieldsOrThrow("leaseTransitions").getNumberValue());
    assertEquals(stored.metadata().resourceVersion(), l.resourceVersion());
  }

  @Test
  void expiryToTheMillisecond() {
    acquire("k8s-w1", T0);
    long expiry = T0 + 15_000;
    LeaseOutcome atExpiry = acquire("k8s-ctr", expiry);
    assertEquals("k8s-w1", assertInstanceOf(LeaseOutcome.Held.class, atExpiry).current().spec().holder(),
        "at now == renewTime + leaseDuration the lease is still held");
    long rvBefore = store.resourceVersion();
    assertEquals(rvBefore, store.resourceVersion(), "a refusal writes nothing");
    LeaseOutcome after = acquire("k8s-ctr", expiry + 1);
    Lease l = assertInstanceOf(LeaseOutcome.Acquired.class, after).lease();
    assertEquals(new LeaseSpec("k8s-ctr", 15, Instant.ofEpochMilli(expiry + 1), Instant.ofEpochMilli(expiry + 1), 1),
        l.spec());
  }

  @Test
  void expiryCountsFromTheLastRenewal() {
    acquire("k8s-w1", T0);
    Lease renewed = assertInstanceOf(LeaseOutcome.Renewed.class, acquire("k8s-w1", T0 + 10_000)).lease();
    assertEquals(Instant.ofEpochMilli(T0), renewed.spec().acquireTime(), "renewal keeps acquireTime");
    assertEquals(Instant.ofEpochMilli(T0 + 10_000), renewed.spec().renewTime());
    assertEquals(0, renewed.spec().transitions());
    assertInstanceOf(LeaseOutcome.Held.class, acquire("k8s-ctr", T0 + 25_000));
    assertInstanceOf(LeaseOutcome.Acquired.class, acquire("k8s-ctr", T0 + 25_001));
  }

  @Test
  void holderMayRenewAnExpiredLeaseNobodyTook() {
    acquire("k8s-w1", T0);
    Lease l = assertInstanceOf(LeaseOutcome.Renewed.class, acquire("k8s-w1", T0 + 60_000)).lease();
    assertEquals(0, l.spec().transitions());
    assertEquals(Instant.ofEpochMilli(T0), l.spec().acquireTime());
  }

  @Test
  void renewByNonHolderIsRefused() {
    acquire("k8s-w1", T0);
    long rv = store.resourceVersion();
    LeaseOutcome o = arbiter.renew(NS, NAME, "k8s-ctr", 15, "", T0 + 1);
    assertEquals("k8s-w1", assertInstanceOf(LeaseOutcome.NotHolder.class, o).current().spec().holder());
    // Even once expired, renew never acquires.
    assertInstanceOf(LeaseOutcome.NotHolder.class, arbiter.renew(NS, NAME, "k8s-ctr", 15, "", T0 + 60_000));
    assertEquals(rv, store.resourceVersion());
    assertInstanceOf(LeaseOutcome.Renewed.class, arbiter.renew(NS, NAME, "k8s-w1", 15, "", T0 + 2));
  }

  @Test
  void leaseTransitionsCountHolderChanges() {
    acquire("a", T0);
    acquire("a", T0 + 5_000);
    acquire("b", T0 + 20_001);
    acquire("b", T0 + 30_000);
    LeaseOutcome o = acquire("c", T0 + 45_001);
    assertEquals(2, o.lease().spec().transitions());
    assertEquals("c", o.lease().spec().holder());
  }

  @Test
  void releaseWritesEmptyHolderWithOneSecondAndTheNextAcquirerCounts() {
    acquire("k8s-w1", T0);
    acquire("k8s-w1", T0 + 2_000);
    assertInstanceOf(LeaseOutcome.NotHolder.class, arbiter.release(NS, NAME, "k8s-ctr", "", T0 + 3_000));
    Lease released = assertInstanceOf(LeaseOutcome.Released.class,
        arbiter.release(NS, NAME, "k8s-w1", "", T0 + 3_000)).lease();
    Instant t = Instant.ofEpochMilli(T0 + 3_000);
    assertEquals(new LeaseSpec("", 1, t, t, 0), released.spec());
    assertEquals("", store.get(ResourceType.LEASE, NS, NAME).spec().getFieldsOrThrow("holderIdentity").getStringValue());
    // Free at once: no need to wait for the one second.
    Lease next = assertInstanceOf(LeaseOutcome.Acquired.class, acquire("k8s-ctr", T0 + 3_000)).lease();
    assertEquals(1, next.spec().transitions());
    assertEquals(15, next.spec().leaseDurationSeconds());
    // The released holder cannot release again.
    assertInstanceOf(LeaseOutcome.NotHolder.class, arbiter.release(NS, NAME, "k8s-w1", "", T0 + 4_000));
  }

  @Test
  void aWriteBasedOnAStaleReadIsAConflict() {
    Lease read = acquire("k8s-w1", T0).lease();
    // Both candidates read the expired lease at the same resourceVersion...
    long later = T0 + 20_000;
    LeaseOutcome first = arbiter.tryAcquireOrRenew(NS, NAME, "k8s-ctr", 15, read.resourceVersion(), later);
    LeaseOutcome second = arbiter.tryAcquireOrRenew(NS, NAME, "k8s-w2", 15, read.resourceVersion(), later);
    // ...only the first write lands.
    assertInstanceOf(LeaseOutcome.Acquired.class, first);
    Status s = assertInstanceOf(LeaseOutcome.Failed.class, second).status();
    assertEquals(409, s.code());
    assertEquals("Operation cannot be fulfilled on leases.coordination.k8s.io \"" + NAME + "\": the object has been "
        + "modified; please apply your changes to the latest version and try again", s.message());
    // A stale renew and a stale release are conflicts too.
    assertEquals(409, ((LeaseOutcome.Failed) arbiter.renew(NS, NAME, "k8s-ctr", 15, read.resourceVersion(), later)).status().code());
    assertEquals(409, ((LeaseOutcome.Failed) arbiter.release(NS, NAME, "k8s-ctr", read.resourceVersion(), later)).status().code());
    assertInstanceOf(LeaseOutcome.Renewed.class,
        arbiter.renew(NS, NAME, "k8s-ctr", 15, first.lease().resourceVersion(), later + 1));
  }

  @Test
  void badRequestsAreInvalid() {
    Status s = ((LeaseOutcome.Failed) arbiter.tryAcquireOrRenew(NS, NAME, "a", 0, "", T0)).status();
    assertEquals(422, s.code());
    assertEquals("Lease.coordination.k8s.io \"" + NAME + "\" is invalid: spec.leaseDurationSeconds: Invalid value: 0: "
        + "must be greater than 0", s.message());
    assertEquals(422, ((LeaseOutcome.Failed) arbiter.tryAcquireOrRenew(NS, NAME, "", 15, "", T0)).status().code());
    assertEquals(404, ((LeaseOutcome.Failed) arbiter.tryAcquireOrRenew(NS, NAME, "a", 15, "5", T0)).status().code());
    assertEquals(404, ((LeaseOutcome.Failed) arbiter.release(NS, NAME, "a", "", T0)).status().code());
    assertTrue(arbiter.get(NS, NAME).isEmpty());
  }

  @Test
  void leaseWithoutRenewTimeIsFree() {
    Lease l = new Lease(NS, NAME, "1", new LeaseSpec("ghost", 15, null, null, 3));
    assertTrue(!l.heldAt(Instant.ofEpochMilli(T0)));
    Lease parsed = Lease.of(KubeObject.of(ResourceType.LEASE, io.podnet.apiserver.store.ObjectMeta.of(NS, NAME, java.util.Map.of()),
        new LeaseSpec("k8s-w1", 15, Instant.parse("2025-08-09T12:35:25.085954Z"), Instant.parse("2025-08-09T12:35:45.144393Z"), 0)
            .toStruct()).withMetadata(new io.podnet.apiserver.store.ObjectMeta(NAME, NS, "u", "76902", 0, java.util.Map.of(),
        java.util.Map.of(), "2025-08-09T12:35:25Z")));
    assertTrue(parsed.heldAt(Instant.parse("2025-08-09T12:36:00.144393Z")));
    assertTrue(!parsed.heldAt(Instant.parse("2025-08-09T12:36:00.144394Z")));
  }
}
