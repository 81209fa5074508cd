package io.podnet.netstack.link;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The host's devices by ifindex. Indexes are handed out as the kernel does in a fresh network
 * namespace: 1 for the first device (lo), then one more than the highest handed out so far;
 * an index is never reused.
 */
public final class LinkTable {
  private final TreeMap<Integer, Link> byIndex = new TreeMap<>();
  private int lastIndex;
  /**
   * Answers of {@link #byName} since the table last changed (the datapath asks for the same few
   * names per frame); cleared by every add, update and remove, and when it grows past a bound.
   */
  private final Map<String, Optional<Link>> byNameMemo = new HashMap<>();
  private static final int MEMO_LIMIT = 1024;

  /** The next ifindex that {@link #add} would assign. */
  public int nextIndex() {
    return lastIndex + 1;
  }

  /** Adds a link built for {@link #nextIndex()}; the name must be free. */
  public Link add(Link link) {
    if (link.index() != nextIndex()) {
      throw new IllegalArgumentException("link index " + link.index() + " is not the next free " + nextIndex());
    }
    if (byName(link.name()).isPresent()) {
      throw new IllegalArgumentException("device name in use: " + link.name());
    }
    lastIndex = link.index();
    byIndex.put(link.index(), link);
    byNameMemo.clear();
    return link;
  }

  /** Replaces the link with the same index. */
  public void update(Link link) {
    if (!byIndex.containsKey(link.index())) {
      throw new IllegalArgumentException("no link with index " + link.index());
    }
    byIndex.put(link.index(), link);
    byNameMemo.clear();
  }

  /** Removes the link with {@code index} (its index is never reused, as in the kernel). */
  public void remove(int index) {
    byIndex.remove(index);
    byNameMemo.clear();
  }

  public Optional<Link> byName(String name) {
    Optional<Link> known = byNameMemo.get(name);
    if (known == null) {
      if (byNameMemo.size() >= MEMO_LIMIT) {
        byNameMemo.clear();
      }
      known = scan(name);
      byNameMemo.put(name, known);
    }
    return known;
  }

  /** The first link in ifindex order named {@code name} or with it as an alternative name. */
  private Optional<Link> scan(String name) {
    for (Link l : byIndex.values()) {
      if (l.name().equals(name) || l.altNames().contains(name)) {
        return Optional.of(l);
      }
    }
    return Optional.empty();
  }

  public Optional<Link> byIndex(int index) {
    return Optional.ofNullable(byIndex.get(index));
  }

  /** The name of a device by index, or {@code if<N>} as iproute2 prints an unknown index. */
  public String nameOf(int index) {
    Link l = byIndex.get(index);
    return l != null ? l.name() : "if" + index;
  }

  /** All links in ifindex order. */
  public List<Link> all() {
    return new ArrayList<>(byIndex.values());
  }

  Map<Integer, Link> view() {
    return java.util.Collections.unmodifiableMap(byIndex);
  }
}
