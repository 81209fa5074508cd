package io.podnet.node.cilium;

import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * The cluster's security identity allocator for label sets (CRD mode: one CiliumIdentity per
 * label set). Identities are cluster-local ones, 256 to 65535. Like pkg/allocator on
 * pkg/idpool, a new label set gets a random free ID: idpool draws up to 1000 random candidates
 * and then falls back to any free one; here the fallback scans from a random start. The same
 * label set always gets the same ID while referenced; the last release frees it.
 */
public final class IdentityAllocator {
  public static final int MIN = 256;
  public static final int MAX = 65535;
  private static final int TRIES = 1000;

  private final RandomGenerator random;
  private final BitSet used = new BitSet();
  private final Map<SecurityLabels, Integer> byLabels = new HashMap<>();
  private final Map<Integer, SecurityLabels> byId = new TreeMap<>();
  private final Map<Integer, Integer> refs = new HashMap<>();

  public IdentityAllocator(RandomGenerator random) {
    this.random = random;
  }

  /**
   * The identity for a label set, allocating one on first use; counts a reference.
   *
   * @throws IdentityExhaustedException when all of 256..65535 are in use
   */
  public int allocate(SecurityLabels labels) {
    Integer have = byLabels.get(labels);
    if (have != null) {
      refs.merge(have, 1, Integer::sum);
      return have;
    }
    int id = pick();
    used.set(id);
    byLabels.put(labels, id);
    byId.put(id, labels);
    refs.put(id, 1);
    return id;
  }

  private int pick() {
    int span = MAX - MIN + 1;
    if (byId.size() >= span) {
      throw new IdentityExhaustedException();
    }
    for (int i = 0; i < TRIES; i++) {
      int id = MIN + random.nextInt(span);
      if (!used.get(id)) {
        return id;
      }
    }
    int start = random.nextInt(span);
    for (int i = 0; i < span; i++) {
      int id = MIN + (start + i) % span;
      if (!used.get(id)) {
        return id;
      }
    }
    throw new IdentityExhaustedException();
  }

  /** Drops a reference; the last one frees the ID. Returns whether the ID was freed. */
  public boolean release(SecurityLabels labels) {
    Integer id = byLabels.get(labels);
    if (id == null) {
      return false;
    }
    int left = refs.merge(id, -1, Integer::sum);
    if (left > 0) {
      return false;
    }
    refs.remove(id);
    byLabels.remove(labels);
    byId.remove(id);
    used.clear(id);
    return true;
  }

  public OptionalInt lookup(SecurityLabels labels) {
    Integer id = byLabels.get(labels);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  public Optional<SecurityLabels> labelsOf(int id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** ID to labels, in ID order (as {@code kubectl get ciliumidentities} lists them). */
  public Map<Integer, SecurityLabels> identities() {
    return Collections.unmodifiableMap(byId);
  }

  /** Every identity in 256..65535 is in use. */
  public static final class IdentityExhaustedException extends RuntimeException {
    IdentityExhaustedException() {
      super("unable to allocate ID: no more available IDs");
    }
  }
}
