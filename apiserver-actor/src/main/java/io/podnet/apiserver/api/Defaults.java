package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ResourceType;

/**
 * Defaulting on create that a client can observe through kubectl: the OpenAPI defaults of the
 * CRDs (CiliumLoadBalancerIPPool {@code spec.disabled: false}), a new Namespace's phase, and a
 * DaemonSet's update strategy and history limit (apps/v1 SetDefaults_DaemonSet: RollingUpdate with
 * maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10), which {@code kubectl rollout status}
 * needs.
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
    if (type.equals(ApiResources.DAEMON_SET)) {
      return o.withSpec(daemonSetSpec(o.spec()));
    }
    return o;
  }

  private static Struct daemonSetSpec(Struct spec) {
    Struct.Builder b = spec.toBuilder();
    Struct strategy = spec.containsFields("updateStrategy") && spec.getFieldsOrThrow("updateStrategy").hasStructValue()
        ? spec.getFieldsOrThrow("updateStrategy").getStructValue() : Struct.getDefaultInstance();
    Struct.Builder sb = strategy.toBuilder();
    if (!strategy.containsFields("type")) {
      sb.putFields("type", Json.of("RollingUpdate"));
    }
    if (sb.getFieldsOrThrow("type").getStringValue().equals("RollingUpdate")) {
      Struct ru = strategy.containsFields("rollingUpdate") && strategy.getFieldsOrThrow("rollingUpdate").hasStructValue()
          ? strategy.getFieldsOrThrow("rollingUpdate").getStructValue() : Struct.getDefaultInstance();
      Struct.Builder rb = ru.toBuilder();
      if (!ru.containsFields("maxUnavailable")) {
        rb.putFields("maxUnavailable", Json.of(1));
      }
      if (!ru.containsFields("maxSurge")) {
        rb.putFields("maxSurge", Json.of(0));
      }
      sb.putFields("rollingUpdate", Json.of(rb.build()));
    }
    b.putFields("updateStrategy", Json.of(sb.build()));
    if (!spec.containsFields("revisionHistoryLimit")) {
      b.putFields("revisionHistoryLimit", Json.of(10));
    }
    return b.build();
  }
}
