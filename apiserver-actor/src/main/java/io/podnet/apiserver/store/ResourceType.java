package io.podnet.apiserver.store;

import java.util.Objects;
import java.util.Set;

/**
 * One kind of API object as the server knows it: its group/version/kind, the plural resource
 * name used in URLs and error messages, and the few per-kind rules the store applies.
 *
 * @param group           API group, "" for the core group
 * @param version         API version, e.g. "v1"
 * @param kind            kind, e.g. "Lease"
 * @param resource        lower-case plural resource, e.g. "leases"
 * @param namespaced      true when objects live in a namespace
 * @param tracksGeneration true when metadata.generation is kept (1 on create, +1 on a spec change);
 *                        false for kinds whose strategy never sets it (Lease, ConfigMap), where
 *                        generation stays 0 and is not printed
 * @param statusSubresource true when status is written only through the status subresource: an
 *                        update of the main resource keeps the stored status
 * @param extraFieldSelectors field-selector keys this kind supports beyond metadata.name and
 *                        metadata.namespace, each a dotted path into spec or status
 */
public record ResourceType(
    String group,
    String version,
    String kind,
    String resource,
    boolean namespaced,
    boolean tracksGeneration,
    boolean statusSubresource,
    Set<String> extraFieldSelectors) {

  public static final ResourceType LEASE =
      new ResourceType("coordination.k8s.io", "v1", "Lease", "leases", true, false, false, Set.of());
  public static final ResourceType CONFIG_MAP =
      new ResourceType("", "v1", "ConfigMap", "configmaps", true, false, false, Set.of());
  public static final ResourceType NODE =
      new ResourceType("", "v1", "Node", "nodes", false, false, true, Set.of("spec.unschedulable"));
  public static final ResourceType POD =
      new ResourceType(
          "",
          "v1",
          "Pod",
          "pods",
          true,
          false,
          true,
          Set.of(
              "spec.nodeName",
              "spec.restartPolicy",
              "spec.schedulerName",
              "spec.serviceAccountName",
              "status.phase",
              "status.podIP",
              "status.nominatedNodeName"));
  public static final ResourceType DEPLOYMENT =
      new ResourceType("apps", "v1", "Deployment", "deployments", true, true, true, Set.of());

  public ResourceType {
    Objects.requireNonNull(group, "group");
    requireNonEmpty(version, "version");
    requireNonEmpty(kind, "kind");
    requireNonEmpty(resource, "resource");
    for (String f : extraFieldSelectors) {
      if (!(f.startsWith("spec.") || f.startsWith("status."))) {
        throw new IllegalArgumentException("field selector must be under spec. or status.: " + f);
      }
    }
    extraFieldSelectors = Set.copyOf(extraFieldSelectors);
  }

  private static void requireNonEmpty(String s, String what) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
  }

  /** "coordination.k8s.io/v1", or "v1" for the core group. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** The group-qualified resource as Kubernetes prints it in errors: "leases.coordination.k8s.io", "pods". */
  public String qualifiedResource() {
    return group.isEmpty() ? resource : resource + "." + group;
  }

  /** The group-qualified kind as in Invalid errors: "Lease.coordination.k8s.io", "Pod". */
  public String qualifiedKind() {
    return group.isEmpty() ? kind : kind + "." + group;
  }

  /** True when {@code key} may be used in a field selector on this kind. */
  public boolean supportsFieldSelector(String key) {
    return key.equals("metadata.name")
        || key.equals("metadata.namespace")
        || extraFieldSelectors.contains(key);
  }
}
