package io.podnet.apiserver.controllers;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.LabelSelector.Operator;
import io.podnet.apiserver.store.LabelSelector.Requirement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reading and writing the parts of API objects (as protobuf Structs) that controllers look at. */
public final class Kube {
  private Kube() {}

  /** A copy of {@code s} with {@code v} at {@code path}, creating objects on the way; null removes. */
  public static Struct with(Struct s, Value v, String... path) {
    return with(s, v, path, 0);
  }

  private static Struct with(Struct s, Value v, String[] path, int i) {
    Struct.Builder b = s.toBuilder();
    if (i == path.length - 1) {
      if (v == null) {
        b.removeFields(path[i]);
      } else {
        b.putFields(path[i], v);
      }
      return b.build();
    }
    Struct inner = Json.struct(s, path[i]);
    return b.putFields(path[i], Json.of(with(inner, v, path, i + 1))).build();
  }

  public static Map<String, String> stringMap(Struct s) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Value> e : s.getFieldsMap().entrySet()) {
      if (e.getValue().hasStringValue()) {
        out.put(e.getKey(), e.getValue().getStringValue());
      }
    }
    return out;
  }

  public static Value stringMapValue(Map<String, String> m) {
    return Json.value(new java.util.TreeMap<>(m));
  }

  /**
   * metav1.LabelSelectorAsSelector: matchLabels and matchExpressions ANDed; an empty selector
   * matches everything.
   */
  public static LabelSelector labelSelector(Struct sel) {
    List<Requirement> reqs = new ArrayList<>();
    for (Map.Entry<String, String> e : stringMap(Json.struct(sel, "matchLabels")).entrySet()) {
      reqs.add(new Requirement(e.getKey(), Operator.EQUALS, Set.of(e.getValue())));
    }
    for (Value x : Json.array(sel, "matchExpressions")) {
      reqs.add(requirement(x.getStructValue()));
    }
    return LabelSelector.of(reqs);
  }

  /** A NodeSelectorRequirement or LabelSelectorRequirement: key, operator, values. */
  static Requirement requirement(Struct x) {
    Set<String> values = new LinkedHashSet<>();
    for (Value v : Json.array(x, "values")) {
      values.add(v.getStringValue());
    }
    Operator op = switch (Json.string(x, "operator")) {
      case "In" -> Operator.IN;
      case "NotIn" -> Operator.NOT_IN;
      case "Exists" -> Operator.EXISTS;
      case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
      case "Gt" -> Operator.GREATER_THAN;
      case "Lt" -> Operator.LESS_THAN;
      default -> Operator.IN;
    };
    return new Requirement(Json.string(x, "key"), op, values);
  }

  /** A service's spec.selector (a plain map): empty selects nothing for endpoints. */
  public static LabelSelector mapSelector(Struct selector) {
    List<Requirement> reqs = new ArrayList<>();
    for (Map.Entry<String, String> e : stringMap(selector).entrySet()) {
      reqs.add(new Requirement(e.getKey(), Operator.EQUALS, Set.of(e.getValue())));
    }
    return LabelSelector.of(reqs);
  }

  // ------------------------------------------------------------------ conditions

  /** The condition of {@code type} in {@code status.conditions}, or null. */
  public static Struct condition(Struct status, String type) {
    for (Value c : Json.array(status, "conditions")) {
      if (Json.string(c.getStructValue(), "type").equals(type)) {
        return c.getStructValue();
      }
    }
    return null;
  }

  /**
   * meta.SetStatusCondition: replaces or appends the condition of {@code cond}'s type, keeping the
   * old lastTransitionTime when the status did not change.
   */
  public static Struct setCondition(Struct status, Struct cond) {
    String type = Json.string(cond, "type");
    List<Value> out = new ArrayList<>();
    boolean found = false;
    for (Value c : Json.array(status, "conditions")) {
      Struct old = c.getStructValue();
      if (Json.string(old, "type").equals(type)) {
        found = true;
        Struct next = cond;
        if (Json.string(old, "status").equals(Json.string(cond, "status")) && old.containsFields("lastTransitionTime")) {
          next = cond.toBuilder().putFields("lastTransitionTime", old.getFieldsOrThrow("lastTransitionTime")).build();
        }
        out.add(Json.of(next));
      } else {
        out.add(c);
      }
    }
    if (!found) {
      out.add(Json.of(cond));
    }
    return status.toBuilder().putFields("conditions", Json.list(out)).build();
  }

  public static boolean conditionTrue(Struct status, String type) {
    Struct c = condition(status, type);
    return c != null && Json.string(c, "status").equals("True");
  }

  // ------------------------------------------------------------------ pods

  public static boolean podReady(KubeObject pod) {
    return conditionTrue(pod.status(), "Ready");
  }

  /** controller.IsPodActive: not Succeeded or Failed (podnet deletes without a grace period). */
  public static boolean podActive(KubeObject pod) {
    String phase = Json.string(pod.status(), "phase");
    return !phase.equals("Succeeded") && !phase.equals("Failed");
  }

  public static String nodeName(KubeObject pod) {
    return Json.string(pod.spec(), "nodeName");
  }

  public static String podIp(KubeObject pod) {
    return Json.string(pod.status(), "podIP");
  }

  /** True when {@code o}'s controller reference names {@code owner} (same uid). */
  public static boolean controlledBy(KubeObject o, KubeObject owner) {
    return o.metadata().controllerRef().map(r -> r.uid().equals(owner.metadata().uid())).orElse(false);
  }

  // ------------------------------------------------------------------ taints and tolerations

  /** v1.Toleration.ToleratesTaint. */
  public static boolean tolerates(Struct toleration, Struct taint) {
    String effect = Json.string(toleration, "effect");
    if (!effect.isEmpty() && !effect.equals(Json.string(taint, "effect"))) {
      return false;
    }
    String key = Json.string(toleration, "key");
    if (!key.isEmpty() && !key.equals(Json.string(taint, "key"))) {
      return false;
    }
    String op = Json.string(toleration, "operator");
    if (op.isEmpty() || op.equals("Equal")) {
      return !key.isEmpty() && Json.string(toleration, "value").equals(Json.string(taint, "value"));
    }
    return op.equals("Exists");
  }

  /** The toleration of {@code tolerations} that tolerates {@code taint}, or null. */
  public static Struct toleration(List<Value> tolerations, Struct taint) {
    for (Value t : tolerations) {
      if (tolerates(t.getStructValue(), taint)) {
        return t.getStructValue();
      }
    }
    return null;
  }

  /** The node's taints with effect NoSchedule or NoExecute that no toleration tolerates. */
  public static List<Struct> untoleratedTaints(KubeObject node, List<Value> tolerations) {
    List<Struct> out = new ArrayList<>();
    for (Value t : Json.array(node.spec(), "taints")) {
      Struct taint = t.getStructValue();
      String effect = Json.string(taint, "effect");
      if ((effect.equals("NoSchedule") || effect.equals("NoExecute")) && toleration(tolerations, taint) == null) {
        out.add(taint);
      }
    }
    return out;
  }

  public static Value list(List<Value> items) {
    return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(items)).build();
  }

  /** metav1.Time of the lab clock. */
  public static String time(long nowMillis) {
    return KubeTime.time(nowMillis);
  }

  /** Epoch millis of a metav1.Time/MicroTime, or {@code dflt} when empty or malformed. */
  public static long millis(String time, long dflt) {
    if (time.isEmpty()) {
      return dflt;
    }
    try {
      return KubeTime.parse(time).toEpochMilli();
    } catch (IllegalArgumentException e) {
      return dflt;
    }
  }
}
