package io.podnet.apiserver.api;

import io.podnet.apiserver.store.ResourceType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The resources podnet's API server serves, with the discovery data a Kubernetes 1.32 cluster with
 * Cilium 1.18's CRDs reports for them (names, short names, verbs, categories, scope).
 */
public final class ApiResources {
  public static final ResourceType NAMESPACE =
      new ResourceType("", "v1", "Namespace", "namespaces", false, false, true, Set.of("status.phase"));
  public static final ResourceType NODE = ResourceType.NODE;
  public static final ResourceType POD = ResourceType.POD;
  public static final ResourceType SERVICE =
      new ResourceType("", "v1", "Service", "services", true, false, true, Set.of());
  public static final ResourceType ENDPOINTS =
      new ResourceType("", "v1", "Endpoints", "endpoints", true, false, false, Set.of());
  public static final ResourceType CONFIG_MAP = ResourceType.CONFIG_MAP;
  public static final ResourceType DEPLOYMENT = ResourceType.DEPLOYMENT;
  public static final ResourceType REPLICA_SET =
      new ResourceType("apps", "v1", "ReplicaSet", "replicasets", true, true, true, Set.of("status.replicas"));
  public static final ResourceType DAEMON_SET =
      new ResourceType("apps", "v1", "DaemonSet", "daemonsets", true, true, true, Set.of());
  public static final ResourceType LEASE = ResourceType.LEASE;
  public static final ResourceType ENDPOINT_SLICE =
      new ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, false, false, Set.of());
  public static final ResourceType CILIUM_NODE =
      new ResourceType("cilium.io", "v2", "CiliumNode", "ciliumnodes", false, true, false, Set.of());
  public static final ResourceType CILIUM_IDENTITY =
      new ResourceType("cilium.io", "v2", "CiliumIdentity", "ciliumidentities", false, true, false, Set.of());
  public static final ResourceType CILIUM_ENDPOINT =
      new ResourceType("cilium.io", "v2", "CiliumEndpoint", "ciliumendpoints", true, true, false, Set.of());
  public static final ResourceType CILIUM_LB_IP_POOL =
      new ResourceType("cilium.io", "v2", "CiliumLoadBalancerIPPool", "ciliumloadbalancerippools", false, true,
          true, Set.of());
  public static final ResourceType CILIUM_L2_POLICY =
      new ResourceType("cilium.io", "v2alpha1", "CiliumL2AnnouncementPolicy", "ciliuml2announcementpolicies",
          false, true, true, Set.of());

  private static final List<String> GET_PATCH_UPDATE = List.of("get", "patch", "update");

  private final Map<String, List<ApiResource>> byGroupVersion = new LinkedHashMap<>();

  private ApiResources() {}

  /** The resources of issue 4. */
  public static ApiResources standard() {
    ApiResources r = new ApiResources();
    List<String> crudNoCollection = List.of("create", "delete", "get", "list", "patch", "update", "watch");
    r.add(new ApiResource(NAMESPACE, "namespace", List.of("ns"), crudNoCollection, List.of(), List.of("status"), false));
    r.add(new ApiResource(NODE, "node", List.of("no"), ApiResource.ALL_VERBS, List.of(), List.of("status"), false));
    r.add(new ApiResource(POD, "pod", List.of("po"), ApiResource.ALL_VERBS, List.of("all"), List.of("exec", "status"),
        false));
    r.add(new ApiResource(SERVICE, "service", List.of("svc"), ApiResource.ALL_VERBS, List.of("all"),
        List.of("status"), false));
    r.add(new ApiResource(ENDPOINTS, "endpoints", List.of("ep"), ApiResource.ALL_VERBS, List.of(), List.of(), false));
    r.add(new ApiResource(CONFIG_MAP, "configmap", List.of("cm"), ApiResource.ALL_VERBS, List.of(), List.of(), false));
    r.add(new ApiResource(DEPLOYMENT, "deployment", List.of("deploy"), ApiResource.ALL_VERBS, List.of("all"),
        List.of("status"), false));
    r.add(new ApiResource(REPLICA_SET, "replicaset", List.of("rs"), ApiResource.ALL_VERBS, List.of("all"),
        List.of("status"), false));
    r.add(new ApiResource(DAEMON_SET, "daemonset", List.of("ds"), ApiResource.ALL_VERBS, List.of("all"),
        List.of("status"), false));
    r.add(new ApiResource(LEASE, "lease", List.of(), ApiResource.ALL_VERBS, List.of(), List.of(), false));
    r.add(new ApiResource(ENDPOINT_SLICE, "endpointslice", List.of(), ApiResource.ALL_VERBS, List.of(), List.of(),
        false));
    r.add(new ApiResource(CILIUM_NODE, "ciliumnode", List.of("cn", "ciliumn"), ApiResource.CRD_VERBS,
        List.of("cilium"), List.of(), true));
    r.add(new ApiResource(CILIUM_IDENTITY, "ciliumidentity", List.of("ciliumid"), ApiResource.CRD_VERBS,
        List.of("cilium"), List.of(), true));
    r.add(new ApiResource(CILIUM_ENDPOINT, "ciliumendpoint", List.of("cep", "ciliumep"), ApiResource.CRD_VERBS,
        List.of("cilium"), List.of(), true));
    r.add(new ApiResource(CILIUM_LB_IP_POOL, "ciliumloadbalancerippool",
        List.of("ippools", "ippool", "lbippool", "lbippools"), ApiResource.CRD_VERBS, List.of("cilium"),
        List.of("status"), true));
    r.add(new ApiResource(CILIUM_L2_POLICY, "ciliuml2announcementpolicy", List.of("l2announcement"),
        ApiResource.CRD_VERBS, List.of("cilium"), List.of("status"), true));
    return r;
  }

  private void add(ApiResource r) {
    byGroupVersion.computeIfAbsent(r.type().apiVersion(), k -> new ArrayList<>()).add(r);
  }

  /** "v1", "apps/v1", ... in registration order. */
  public List<String> groupVersions() {
    return List.copyOf(byGroupVersion.keySet());
  }

  /** The named groups ("" excluded) with their versions, in registration order. */
  public Map<String, List<String>> groups() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String gv : byGroupVersion.keySet()) {
      int slash = gv.indexOf('/');
      if (slash > 0) {
        out.computeIfAbsent(gv.substring(0, slash), k -> new ArrayList<>()).add(gv.substring(slash + 1));
      }
    }
    return out;
  }

  public List<ApiResource> resources(String groupVersion) {
    return byGroupVersion.getOrDefault(groupVersion, List.of());
  }

  public Optional<ApiResource> find(String groupVersion, String resource) {
    for (ApiResource r : resources(groupVersion)) {
      if (r.resource().equals(resource)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  public Optional<ApiResource> forType(ResourceType type) {
    return find(type.apiVersion(), type.resource());
  }
}
