package io.podnet.netstack.route;

import io.podnet.netstack.ip.Ipv4Prefix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One routing table, kept as the kernel's FIB trie dumps it: leaves ordered by destination
 * address, longer prefixes first at the same address; within a prefix, aliases by ascending
 * metric. This class only stores; the semantics (validation, errors) live in {@link
 * io.podnet.netstack.HostStack}.
 */
public final class RouteTable {
  public static final int MAIN = 254;
  public static final int LOCAL = 255;

  private final int id;
  private final TreeMap<Ipv4Prefix, List<Route>> leaves = new TreeMap<>();
  /** The same leaves (the same lists) by exact prefix, for lookups that need no order. */
  private final HashMap<Ipv4Prefix, List<Route>> exact = new HashMap<>();
  /** How many leaves each prefix length (0..32) has: longest-prefix lookups skip absent lengths. */
  private final int[] leavesOfLength = new int[33];
  /** Bumped by every change: lookups cached above this table are valid while it stays the same. */
  private long version;

  public RouteTable(int id) {
    this.id = id;
  }

  public int id() {
    return id;
  }

  /** iproute2's name for a table id. */
  public static String name(int table) {
    return switch (table) {
      case MAIN -> "main";
      case LOCAL -> "local";
      case 253 -> "default";
      case 0 -> "unspec";
      default -> Integer.toString(table);
    };
  }

  /** Changes with every insert, replace or removal (never goes back to an earlier value). */
  public long version() {
    return version;
  }

  /** The routes for exactly this prefix, in alias order (never null, unmodifiable). */
  public List<Route> leaf(Ipv4Prefix dst) {
    List<Route> l = exact.get(dst);
    return l == null ? List.of() : List.copyOf(l);
  }

  /**
   * The routes for exactly this prefix, in alias order, without a copy: for lookups on the
   * packet path, which must not change the table while they iterate (never null, unmodifiable).
   */
  public List<Route> leafView(Ipv4Prefix dst) {
    List<Route> l = exact.get(dst);
    return l == null ? List.of() : Collections.unmodifiableList(l);
  }

  /** Whether some leaf has a prefix of this length (0..32). */
  public boolean hasLength(int length) {
    return leavesOfLength[length] > 0;
  }

  /** All routes in dump order. */
  public List<Route> routes() {
    List<Route> all = new ArrayList<>();
    for (List<Route> l : leaves.values()) {
      all.addAll(l);
    }
    return all;
  }

  /** Inserts before the first alias whose metric is {@code >=} (prepend) or {@code >} (append). */
  public void insert(Route r, boolean append) {
    version++;
    List<Route> l = leaves.computeIfAbsent(r.dst(), k -> {
      leavesOfLength[k.length()]++;
      List<Route> fresh = new ArrayList<>();
      exact.put(k, fresh);
      return fresh;
    });
    int i = 0;
    while (i < l.size() && (append ? l.get(i).metric() <= r.metric() : l.get(i).metric() < r.metric())) {
      i++;
    }
    l.add(i, r);
  }

  public void replace(Route old, Route r) {
    version++;
    List<Route> l = leaves.get(old.dst());
    l.set(l.indexOf(old), r);
  }

  public void remove(Route r) {
    version++;
    List<Route> l = leaves.get(r.dst());
    if (l != null && l.remove(r) && l.isEmpty()) {
      leaves.remove(r.dst());
      exact.remove(r.dst());
      leavesOfLength[r.dst().length()]--;
    }
  }

  /** Removes every route matching; returns how many. */
  public int removeIf(Predicate<Route> p) {
    version++;
    int n = 0;
    var it = leaves.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Ipv4Prefix, List<Route>> e = it.next();
      int before = e.getValue().size();
      e.getValue().removeIf(p);
      n += before - e.getValue().size();
      if (e.getValue().isEmpty()) {
        it.remove();
        exact.remove(e.getKey());
        leavesOfLength[e.getKey().length()]--;
      }
    }
    return n;
  }
}
