package io.podnet.proto.k8s;

import com.google.protobuf.Message;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The typed schema of each kind podnet serves, by apiVersion and kind: built-in kinds decoded as
 * kube-apiserver decodes them into Go types, and Cilium's custom resources (group cilium.io),
 * which kube-apiserver checks against their CRD's OpenAPI schema instead.
 */
public final class KubeSchemas {
  private static final Map<String, Message> BY_KIND = new LinkedHashMap<>();

  static {
    put("v1", io.podnet.proto.k8s.core.Pod.getDefaultInstance());
    put("v1", io.podnet.proto.k8s.core.Service.getDefaultInstance());
    put("v1", io.podnet.proto.k8s.core.Endpoints.getDefaultInstance());
    put("v1", io.podnet.proto.k8s.core.ConfigMap.getDefaultInstance());
    put("v1", io.podnet.proto.k8s.core.Namespace.getDefaultInstance());
    put("v1", io.podnet.proto.k8s.core.Node.getDefaultInstance());
    put("apps/v1", io.podnet.proto.k8s.apps.Deployment.getDefaultInstance());
    put("apps/v1", io.podnet.proto.k8s.apps.ReplicaSet.getDefaultInstance());
    put("apps/v1", io.podnet.proto.k8s.apps.DaemonSet.getDefaultInstance());
    put("coordination.k8s.io/v1", io.podnet.proto.k8s.coordination.Lease.getDefaultInstance());
    put("discovery.k8s.io/v1", io.podnet.proto.k8s.discovery.EndpointSlice.getDefaultInstance());
    put("cilium.io/v2", io.podnet.proto.cilium.v2.CiliumNode.getDefaultInstance());
    put("cilium.io/v2", io.podnet.proto.cilium.v2.CiliumEndpoint.getDefaultInstance());
    put("cilium.io/v2", io.podnet.proto.cilium.v2.CiliumIdentity.getDefaultInstance());
    put("cilium.io/v2", io.podnet.proto.cilium.v2.CiliumLoadBalancerIPPool.getDefaultInstance());
    put("cilium.io/v2alpha1", io.podnet.proto.cilium.v2alpha1.CiliumL2AnnouncementPolicy.getDefaultInstance());
  }

  private KubeSchemas() {}

  private static void put(String apiVersion, Message prototype) {
    BY_KIND.put(apiVersion + "/" + prototype.getDescriptorForType().getName(), prototype);
  }

  /** The schema's empty message for {@code apiVersion} and {@code kind}, if podnet has one. */
  public static Optional<Message> of(String apiVersion, String kind) {
    return Optional.ofNullable(BY_KIND.get(apiVersion + "/" + kind));
  }

  /** Every kind with a schema, as "apiVersion/Kind". */
  public static java.util.Set<String> kinds() {
    return java.util.Collections.unmodifiableSet(BY_KIND.keySet());
  }

  /** Whether {@code apiVersion} is a custom resource's (validated against an OpenAPI schema). */
  public static boolean customResource(String apiVersion) {
    return apiVersion.startsWith("cilium.io/");
  }
}
