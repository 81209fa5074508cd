package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ResourceType;

/**
 * Defaulting on create that a client can observe through kubectl: the OpenAPI defaults of the
 * CRDs (CiliumLoadBalancerIPPool {@code spec.disabled: false}) and a new Namespace's phase.
 */
final class Defaults {
  private Defaults() {}

  static KubeObject onCreate(ResourceType type, KubeObject o) {
    if (type.equals(ApiResources.CILIUM_LB_IP_POOL) && !o.spec().containsFields("disabled")) {
      return o.withSpec(o.spec().toBuilder().putFields("disabled", Json.of(false)).build());
    }
    if (type.equals(ApiResources.NAMESPACE) && !o.status().containsFields("phase")) {
      return o.withStatus(Struct.newBuilder().putFields("phase", Json.of("Active")).build());
    }
    return o;
  }
}
