package io.podnet.node.agent;

import io.podnet.node.cilium.HelmValues;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A release's user values written back as {@code --set} arguments (helm's syntax), to keep them between upgrades. */
final class HelmSets {
  private HelmSets() {}

  static List<String> flatten(HelmValues v) {
    List<String> out = new ArrayList<>();
    walk("", v.tree(), out);
    return out;
  }

  private static void walk(String prefix, Object node, List<String> out) {
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        walk(prefix.isEmpty() ? e.getKey().toString() : prefix + "." + e.getKey(), e.getValue(), out);
      }
      return;
    }
    out.add(prefix + "=" + scalar(node));
  }

  private static String scalar(Object o) {
    if (o == null) {
      return "null";
    }
    if (o instanceof List<?> l) {
      List<String> parts = new ArrayList<>();
      l.forEach(x -> parts.add(scalar(x)));
      return "{" + String.join(",", parts) + "}";
    }
    return o.toString().replace("\\", "\\\\").replace(",", "\\,");
  }
}
