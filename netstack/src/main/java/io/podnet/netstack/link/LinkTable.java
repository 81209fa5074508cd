package io.podnet.netstack.link;

import java.util.ArrayList;
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
    return link;
  }

  /** Replaces the link with the same index. */
  public void update(Link link) {
    if (!byIndex.containsKey(link.index())) {
      throw new IllegalArgumentException("no link with index " + link.index());
    }
    byIndex.put(link.index(), link);
  }

  /** Removes the link with {@code index} (its index is never reused, as in the kernel). */
  public void remove(int index) {
    byIndex.remove(index);
  }

  public Optional<Link> byName(String name) {
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
    return byIndex;
  }
}
