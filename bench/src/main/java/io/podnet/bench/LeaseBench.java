package io.podnet.bench;

import io.podnet.apiserver.lease.LeaseArbiter;
import io.podnet.apiserver.lease.LeaseOutcome;
import io.podnet.apiserver.store.ObjectStore;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Lease arbiter: renewals per second by holders of {@code leases} leases (one renewal = read,
 * check holder and expiry on the server's clock, conditional write through the store with a new
 * resourceVersion and a watch event in the history).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LeaseBench {
  @Param({"1", "100"})
  int leases;

  private LeaseArbiter arbiter;
  private String[] rv;
  private long now = 1_700_000_000_000L;
  private int next;

  @Setup
  public void setup() {
    long[] clock = {now};
    ObjectStore store = new ObjectStore(() -> clock[0], new SplittableRandom(1));
    arbiter = new LeaseArbiter(store);
    rv = new String[leases];
    for (int i = 0; i < leases; i++) {
      LeaseOutcome o = arbiter.tryAcquireOrRenew("kube-system", "lease-" + i, "node-" + i, 15, "", now);
      rv[i] = ((LeaseOutcome.Acquired) o).lease().resourceVersion();
    }
  }

  @Benchmark
  public LeaseOutcome renew() {
    int i = next;
    next = (next + 1) % leases;
    now += 1;
    LeaseOutcome o = arbiter.tryAcquireOrRenew("kube-system", "lease-" + i, "node-" + i, 15, rv[i], now);
    if (!(o instanceof LeaseOutcome.Renewed r)) {
      throw new IllegalStateException("renewal failed: " + o);
    }
    rv[i] = r.lease().resourceVersion();
    return o;
  }
}
