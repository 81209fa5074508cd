package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Helm values tree: nested maps with string keys, lists, strings, booleans, longs and nulls,
 * as Helm holds them after parsing YAML or {@code --set}. Immutable; changes return copies.
 */
public final class HelmValues {
  private final Map<String, Object> root;

  private HelmValues(Map<String, Object> root) {
    this.root = root;
  }

  public static HelmValues empty() {
    return new HelmValues(new LinkedHashMap<>());
  }

  /** A deep copy of the given tree. */
  public static HelmValues of(Map<String, Object> tree) {
    return new HelmValues(deepCopy(tree));
  }

  /** The tree (a deep copy). */
  public Map<String, Object> tree() {
    return deepCopy(root);
  }

  /** The value at a dotted path ({@code ipam.operator.clusterPoolIPv4MaskSize}), or null. */
  public Object get(String dottedPath) {
    Object cur = root;
    for (String k : dottedPath.split("\\.")) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(k);
    }
    return cur;
  }

  public boolean has(String dottedPath) {
    Object cur = root;
    for (String k : dottedPath.split("\\.")) {
      if (!(cur instanceof Map<?, ?> m) || !m.containsKey(k)) {
        return false;
      }
      cur = m.get(k);
    }
    return true;
  }

  /** Helm's truthiness ({@code if .Values.x}): false, 0, "", null, empty map/list are false. */
  public boolean truthy(String dottedPath) {
    return truthy(get(dottedPath));
  }

  static boolean truthy(Object v) {
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof Long l) {
      return l != 0;
    }
    if (v instanceof String s) {
      return !s.isEmpty();
    }
    if (v instanceof Map<?, ?> m) {
      return !m.isEmpty();
    }
    if (v instanceof List<?> l) {
      return !l.isEmpty();
    }
    return true;
  }

  /** As Go templates print a value with {@code quote}'s argument: %v. */
  static String render(Object v) {
    if (v == null) {
      return "<nil>";
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < l.size(); i++) {
        sb.append(i == 0 ? "" : " ").append(render(l.get(i)));
      }
      return sb.append(']').toString();
    }
    return v.toString();
  }

  /**
   * Helm's coalesce of user values over a base (chart defaults, or the previous release's values
   * with --reuse-values): maps merge key by key, anything else replaces, a null deletes the key.
   */
  public HelmValues overlay(HelmValues top) {
    Map<String, Object> merged = deepCopy(root);
    merge(merged, top.root);
    return new HelmValues(merged);
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> dst, Map<String, Object> src) {
    for (Map.Entry<String, Object> e : src.entrySet()) {
      Object v = e.getValue();
      if (v == null) {
        dst.remove(e.getKey());
      } else if (v instanceof Map<?, ?> sm && dst.get(e.getKey()) instanceof Map<?, ?> dm) {
        merge((Map<String, Object>) dm, (Map<String, Object>) sm);
      } else {
        dst.put(e.getKey(), copyValue(v));
      }
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> deepCopy(Map<String, Object> m) {
    Map<String, Object> c = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : m.entrySet()) {
      c.put(e.getKey(), copyValue(e.getValue()));
    }
    return c;
  }

  @SuppressWarnings("unchecked")
  private static Object copyValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      return deepCopy((Map<String, Object>) m);
    }
    if (v instanceof List<?> l) {
      List<Object> c = new ArrayList<>();
      for (Object o : l) {
        c.add(copyValue(o));
      }
      return c;
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HelmValues h && h.root.equals(root);
  }

  @Override
  public int hashCode() {
    return root.hashCode();
  }

  @Override
  public String toString() {
    return Collections.unmodifiableMap(root).toString();
  }
}
