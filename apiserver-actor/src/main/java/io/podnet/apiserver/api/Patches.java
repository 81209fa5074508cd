package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The two patch types kubectl sends: JSON merge patch (RFC 7386, {@code application/merge-patch+json},
 * used for custom resources) and strategic merge patch ({@code application/strategic-merge-patch+json},
 * for built-in kinds).
 *
 * <p>Strategic merge here is a JSON merge patch plus: lists whose Go field carries
 * {@code patchStrategy:"merge"} merge element by element on their patchMergeKey (containers by
 * name, container ports by containerPort, Service ports by port, conditions by type, ...), the
 * directives {@code $patch: delete|replace|merge}, {@code $retainKeys},
 * {@code $deleteFromPrimitiveList/FIELD}, and {@code $setElementOrder/FIELD} (used to order the
 * merged list as the patch lists it). Lists without a merge strategy are replaced, as Kubernetes does.
 */
public final class Patches {
  private Patches() {}

  /**
   * patchMergeKey per field path (dotted, list fields named without indexes; a workload's
   * {@code spec.template.} prefix is stripped, so pod template fields share the pod's entries).
   */
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("spec.containers", "name"),
          Map.entry("spec.initContainers", "name"),
          Map.entry("spec.ephemeralContainers", "name"),
          Map.entry("spec.containers.ports", "containerPort"),
          Map.entry("spec.initContainers.ports", "containerPort"),
          Map.entry("spec.containers.env", "name"),
          Map.entry("spec.initContainers.env", "name"),
          Map.entry("spec.containers.volumeMounts", "mountPath"),
          Map.entry("spec.initContainers.volumeMounts", "mountPath"),
          Map.entry("spec.volumes", "name"),
          Map.entry("spec.imagePullSecrets", "name"),
          Map.entry("spec.hostAliases", "ip"),
          Map.entry("service:spec.ports", "port"),
          Map.entry("status.conditions", "type"),
          Map.entry("node:status.addresses", "type"),
          Map.entry("status.podIPs", "ip"),
          Map.entry("spec.podCIDRs", ""));

  /** RFC 7386 MergePatch(target, patch). */
  public static Struct mergePatch(Struct target, Struct patch) {
    Struct.Builder out = target.toBuilder();
    for (Map.Entry<String, Value> e : patch.getFieldsMap().entrySet()) {
      Value p = e.getValue();
      if (p.hasNullValue()) {
        out.removeFields(e.getKey());
      } else if (p.hasStructValue()) {
        Value t = target.getFieldsMap().get(e.getKey());
        Struct base = t != null && t.hasStructValue() ? t.getStructValue() : Struct.getDefaultInstance();
        out.putFields(e.getKey(), Json.of(mergePatch(base, p.getStructValue())));
      } else {
        out.putFields(e.getKey(), p);
      }
    }
    return out.build();
  }

  /**
   * Applies a strategic merge patch to the JSON of an object of {@code kind}.
   *
   * @throws ApiException 400 BadRequest for a malformed directive
   */
  public static Struct strategicMergePatch(String kind, Struct target, Struct patch) {
    return mergeMap(kind.toLowerCase(java.util.Locale.ROOT), "", target, patch);
  }

  private static Struct mergeMap(String kind, String path, Struct target, Struct patch) {
    Value directive = patch.getFieldsMap().get("$patch");
    if (directive != null) {
      String d = directive.getStringValue();
      if (d.equals("replace")) {
        return strip(patch);
      }
      if (d.equals("delete")) {
        return Struct.getDefaultInstance();
      }
      if (!d.equals("merge")) {
        throw new ApiException(Status.badRequest("Unrecognized $patch: " + d));
      }
    }
    Struct.Builder out = target.toBuilder();
    Value retain = patch.getFieldsMap().get("$retainKeys");
    for (Map.Entry<String, Value> e : patch.getFieldsMap().entrySet()) {
      String k = e.getKey();
      Value p = e.getValue();
      if (k.equals("$patch") || k.equals("$retainKeys") || k.startsWith("$setElementOrder/")) {
        continue;
      }
      if (k.startsWith("$deleteFromPrimitiveList/")) {
        String field = k.substring("$deleteFromPrimitiveList/".length());
        Value t = out.getFieldsMap().get(field);
        if (t != null && t.hasListValue() && p.hasListValue()) {
          List<Value> kept = new ArrayList<>(t.getListValue().getValuesList());
          kept.removeAll(p.getListValue().getValuesList());
          out.putFields(field, Json.list(kept));
        }
        continue;
      }
      String childPath = path.isEmpty() ? k : path + "." + k;
      Value t = out.getFieldsMap().get(k);
      if (p.hasNullValue()) {
        out.removeFields(k);
      } else if (p.hasStructValue()) {
        Struct base = t != null && t.hasStructValue() ? t.getStructValue() : Struct.getDefaultInstance();
        Struct merged = mergeMap(kind, childPath, base, p.getStructValue());
        Value pd = p.getStructValue().getFieldsMap().get("$patch");
        if (pd != null && pd.getStringValue().equals("delete")) {
          out.removeFields(k);
        } else {
          out.putFields(k, Json.of(merged));
        }
      } else if (p.hasListValue()) {
        String mergeKey = mergeKey(kind, childPath);
        List<Value> order = listOrder(patch, k);
        if (mergeKey != null && t != null && t.hasListValue()) {
          out.putFields(k, Json.list(mergeList(kind, childPath, mergeKey, t.getListValue().getValuesList(),
              p.getListValue().getValuesList(), order)));
        } else {
          out.putFields(k, Json.list(stripAll(p.getListValue().getValuesList())));
        }
      } else {
        out.putFields(k, p);
      }
    }
    if (retain != null && retain.hasListValue()) {
      Set<String> keep = new HashSet<>();
      for (Value v : retain.getListValue().getValuesList()) {
        keep.add(v.getStringValue());
      }
      for (String k : new ArrayList<>(out.getFieldsMap().keySet())) {
        if (!keep.contains(k)) {
          out.removeFields(k);
        }
      }
    }
    return out.build();
  }

  private static List<Value> listOrder(Struct patch, String field) {
    Value v = patch.getFieldsMap().get("$setElementOrder/" + field);
    return v != null && v.hasListValue() ? v.getListValue().getValuesList() : List.of();
  }

  private static String mergeKey(String kind, String path) {
    String p = path.startsWith("spec.template.") ? path.substring("spec.template.".length()) : path;
    String k = MERGE_KEYS.get(kind + ":" + p);
    if (k == null) {
      k = MERGE_KEYS.get(p);
    }
    return k == null || k.isEmpty() ? null : k;
  }

  private static List<Value> mergeList(String kind, String path, String key, List<Value> target, List<Value> patch,
      List<Value> order) {
    List<Value> out = new ArrayList<>(target);
    for (Value p : patch) {
      if (!p.hasStructValue()) {
        throw new ApiException(Status.badRequest("unable to find api field in struct for " + path
            + ": list element is not an object"));
      }
      Struct ps = p.getStructValue();
      Value id = ps.getFieldsMap().get(key);
      if (id == null) {
        throw new ApiException(Status.badRequest("map: " + Json.print(ps) + " does not contain declared merge key: " + key));
      }
      int at = indexOf(out, key, id);
      Value pd = ps.getFieldsMap().get("$patch");
      if (pd != null && pd.getStringValue().equals("delete")) {
        if (at >= 0) {
          out.remove(at);
        }
      } else if (at >= 0) {
        out.set(at, Json.of(mergeMap(kind, path, out.get(at).getStructValue(), ps)));
      } else {
        out.add(Json.of(strip(ps)));
      }
    }
    if (!order.isEmpty()) {
      List<Value> sorted = new ArrayList<>(out.size());
      for (Value o : order) {
        Value id = o.hasStructValue() ? o.getStructValue().getFieldsMap().get(key) : null;
        int at = id == null ? -1 : indexOf(out, key, id);
        if (at >= 0) {
          sorted.add(out.remove(at));
        }
      }
      sorted.addAll(out);
      out = sorted;
    }
    return out;
  }

  private static int indexOf(List<Value> list, String key, Value id) {
    for (int i = 0; i < list.size(); i++) {
      Value v = list.get(i);
      if (v.hasStructValue() && id.equals(v.getStructValue().getFieldsMap().get(key))) {
        return i;
      }
    }
    return -1;
  }

  /** A patch value without its directives, for inserting where nothing was. */
  private static Struct strip(Struct s) {
    Struct.Builder b = Struct.newBuilder();
    for (Map.Entry<String, Value> e : s.getFieldsMap().entrySet()) {
      if (e.getKey().startsWith("$")) {
        continue;
      }
      Value v = e.getValue();
      if (v.hasStructValue()) {
        b.putFields(e.getKey(), Json.of(strip(v.getStructValue())));
      } else if (v.hasListValue()) {
        b.putFields(e.getKey(), Json.list(stripAll(v.getListValue().getValuesList())));
      } else if (!v.hasNullValue()) {
        b.putFields(e.getKey(), v);
      }
    }
    return b.build();
  }

  private static List<Value> stripAll(List<Value> vs) {
    List<Value> out = new ArrayList<>(vs.size());
    for (Value v : vs) {
      out.add(v.hasStructValue() ? Json.of(strip(v.getStructValue())) : v);
    }
    return out;
  }


  /**
   * 415 for a PATCH whose content type the resource does not take, listing the accepted ones as
   * kube-apiserver does (custom resources take no strategic merge; podnet implements neither JSON
   * patch (RFC 6902) nor server-side apply yet).
   */
  public static ApiException unsupportedMediaType(ApiResource resource) {
    String accepted = resource.crd()
        ? "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        : "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
            + "application/apply-patch+yaml";
    return new ApiException(new Status(415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: " + accepted,
        Status.Details.NONE));
  }
}
