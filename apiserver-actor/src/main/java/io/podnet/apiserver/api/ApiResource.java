package io.podnet.apiserver.api;

import io.podnet.apiserver.store.ResourceType;
import java.util.List;
import java.util.Objects;

/**
 * A resource as discovery describes it (metav1.APIResource): the store's {@link ResourceType} plus
 * what kubectl reads from /api/v1 and /apis/GROUP/VERSION.
 *
 * @param type         the stored kind
 * @param singularName e.g. "pod"
 * @param shortNames   e.g. ["po"], in the order the real server lists them
 * @param verbs        e.g. ["create","delete",...]
 * @param categories   e.g. ["all"]
 * @param subresources subresources served beside the resource ("status", "exec")
 * @param crd          true for custom resources (JSON merge patch only, CRD printer columns)
 */
public record ApiResource(
    ResourceType type,
    String singularName,
    List<String> shortNames,
    List<String> verbs,
    List<String> categories,
    List<String> subresources,
    boolean crd) {

  public static final List<String> ALL_VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  /** Custom resources list their verbs in this order (apiextensions-apiserver's discovery). */
  public static final List<String> CRD_VERBS =
      List.of("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch");

  public ApiResource {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(singularName, "singularName");
    shortNames = List.copyOf(shortNames);
    verbs = List.copyOf(verbs);
    categories = List.copyOf(categories);
    subresources = List.copyOf(subresources);
  }

  public String resource() {
    return type.resource();
  }

  public boolean hasSubresource(String name) {
    return subresources.contains(name);
  }
}
