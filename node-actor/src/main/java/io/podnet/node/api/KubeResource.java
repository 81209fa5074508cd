package io.podnet.node.api;

import java.util.Objects;

/**
 * A Kubernetes resource as it appears in a REST path: API group ("" for the core group), version
 * and lower-case plural name, and whether its objects live in a namespace.
 */
public record KubeResource(String group, String version, String resource, boolean namespaced) {

  public static final KubeResource NAMESPACES = new KubeResource("", "v1", "namespaces", false);
  public static final KubeResource NODES = new KubeResource("", "v1", "nodes", false);
  public static final KubeResource PODS = new KubeResource("", "v1", "pods", true);
  public static final KubeResource SERVICES = new KubeResource("", "v1", "services", true);
  public static final KubeResource ENDPOINTS = new KubeResource("", "v1", "endpoints", true);
  public static final KubeResource CONFIG_MAPS = new KubeResource("", "v1", "configmaps", true);
  public static final KubeResource LEASES = new KubeResource("coordination.k8s.io", "v1", "leases", true);
  public static final KubeResource ENDPOINT_SLICES =
      new KubeResource("discovery.k8s.io", "v1", "endpointslices", true);
  public static final KubeResource DAEMON_SETS = new KubeResource("apps", "v1", "daemonsets", true);
  public static final KubeResource CILIUM_NODES = new KubeResource("cilium.io", "v2", "ciliumnodes", false);
  public static final KubeResource CILIUM_IDENTITIES =
      new KubeResource("cilium.io", "v2", "ciliumidentities", false);
  public static final KubeResource CILIUM_ENDPOINTS = new KubeResource("cilium.io", "v2", "ciliumendpoints", true);
  public static final KubeResource CILIUM_LB_IP_POOLS =
      new KubeResource("cilium.io", "v2", "ciliumloadbalancerippools", false);
  public static final KubeResource CILIUM_L2_ANNOUNCEMENT_POLICIES =
      new KubeResource("cilium.io", "v2alpha1", "ciliuml2announcementpolicies", false);

  public KubeResource {
    Objects.requireNonNull(group, "group");
    if (version == null || version.isEmpty()) {
      throw new IllegalArgumentException("version must not be empty");
    }
    if (resource == null || resource.isEmpty()) {
      throw new IllegalArgumentException("resource must not be empty");
    }
  }

  /** "coordination.k8s.io/v1", or "v1" for the core group. */
  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }
}
