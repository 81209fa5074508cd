package io.podnet.apiserver.store.persist;

import io.podnet.apiserver.store.ObjectStore;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run in a second JVM by {@link DurableStoreTest}: opens the store in {@code args[0]}, runs
 * {@code args[1]} writes of {@link Workload} (seed {@code args[2]}), and halts without closing
 * anything, as a killed process would.
 */
public final class PersistChildMain {
  private PersistChildMain() {}

  public static void main(String[] args) throws Exception {
    AtomicLong clock = new AtomicLong(Workload.T0);
    DurableStore d = DurableStore.open(PersistenceSettings.of(Path.of(args[0])).withInitialResourceVersion(1000),
        Workload.TYPES, clock::get, new SplittableRandom(7), ObjectStore.DEFAULT_HISTORY);
    ObjectStore s = d.store();
    new Workload(Long.parseLong(args[2])).run(s, clock, Integer.parseInt(args[1]));
    System.out.println("rv=" + s.resourceVersion() + " objects=" + s.size());
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }
}
