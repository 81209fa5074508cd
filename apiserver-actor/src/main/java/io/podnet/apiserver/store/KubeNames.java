package io.podnet.apiserver.store;

import java.util.random.RandomGenerator;

/**
 * Generated names as Kubernetes makes them: k8s.io/apimachinery/pkg/util/rand.String (five
 * characters from the "safe" alphabet, consonants and digits that cannot spell words) appended to a
 * generateName prefix by the apiserver's SimpleNameGenerator, and rand.SafeEncodeString, which
 * renders the pod-template-hash.
 */
public final class KubeNames {
  /** utilrand's alphabet: no vowels, no 0/1/3, no confusable letters. */
  public static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";
  /** Length of the random suffix (names.randomLength). */
  public static final int RANDOM_LENGTH = 5;
  /** Longest prefix kept (names.MaxGeneratedNameLength = 63 - randomLength). */
  public static final int MAX_GENERATED_NAME_LENGTH = 63 - RANDOM_LENGTH;

  private static final int IDX_BITS = 5;
  private static final long IDX_MASK = (1L << IDX_BITS) - 1;
  private static final int MAX_PER_INT63 = 63 / IDX_BITS;

  private KubeNames() {}

  /**
   * utilrand.String(n): 5-bit slices of 63-bit random words, rejecting slices beyond the alphabet,
   * twelve slices per word.
   */
  public static String randomString(RandomGenerator random, int n) {
    StringBuilder b = new StringBuilder(n);
    long word = random.nextLong() >>> 1;
    int remaining = MAX_PER_INT63;
    while (b.length() < n) {
      if (remaining == 0) {
        word = random.nextLong() >>> 1;
        remaining = MAX_PER_INT63;
      }
      int idx = (int) (word & IDX_MASK);
      if (idx < ALPHANUMS.length()) {
        b.append(ALPHANUMS.charAt(idx));
      }
      word >>>= IDX_BITS;
      remaining--;
    }
    return b.toString();
  }

  /** names.SimpleNameGenerator.GenerateName: the prefix, cut to 58 characters, plus five random ones. */
  public static String generateName(String base, RandomGenerator random) {
    if (base.length() > MAX_GENERATED_NAME_LENGTH) {
      base = base.substring(0, MAX_GENERATED_NAME_LENGTH);
    }
    return base + randomString(random, RANDOM_LENGTH);
  }

  /** rand.SafeEncodeString: each character (code point) mapped to ALPHANUMS[c % 27]. */
  public static String safeEncodeString(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.append(ALPHANUMS.charAt(c % ALPHANUMS.length())));
    return b.toString();
  }
}
