package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import java.util.ArrayList;
import java.util.List;

/**
 * What kube-apiserver adds to a new Pod: the pod defaults a client can see (restartPolicy Always,
 * dnsPolicy ClusterFirst, schedulerName default-scheduler, terminationGracePeriodSeconds 30,
 * enableServiceLinks true, status phase Pending) and the DefaultTolerationSeconds admission plugin's
 * tolerations of node.kubernetes.io/not-ready and /unreachable (NoExecute, 300 s), which is what
 * lets the node lifecycle controller evict pods from an unreachable node after five minutes.
 */
public final class PodDefaults implements Admission {
  public static final long DEFAULT_TOLERATION_SECONDS = 300;

  @Override
  public KubeObject admit(ObjectStore store, ResourceType type, KubeObject request, KubeObject old) {
    if (!type.equals(ApiResources.POD) || old != null) {
      return request;
    }
    Struct spec = request.spec();
    Struct.Builder b = spec.toBuilder();
    putIfAbsent(b, spec, "restartPolicy", Json.of("Always"));
    putIfAbsent(b, spec, "dnsPolicy", Json.of("ClusterFirst"));
    putIfAbsent(b, spec, "schedulerName", Json.of(Scheduler.DEFAULT_SCHEDULER));
    putIfAbsent(b, spec, "terminationGracePeriodSeconds", Json.of(30));
    putIfAbsent(b, spec, "enableServiceLinks", Json.of(true));
    putIfAbsent(b, spec, "securityContext", Json.of(Struct.getDefaultInstance()));
    List<Value> tolerations = new ArrayList<>(Json.array(spec, "tolerations"));
    for (String key : List.of("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")) {
      boolean has = false;
      for (Value t : tolerations) {
        Struct ts = t.getStructValue();
        String k = Json.string(ts, "key");
        String effect = Json.string(ts, "effect");
        if ((k.equals(key) || (k.isEmpty() && Json.string(ts, "operator").equals("Exists")))
            && (effect.isEmpty() || effect.equals("NoExecute"))) {
          has = true;
        }
      }
      if (!has) {
        tolerations.add(Json.of(Json.obj("key", key, "operator", "Exists", "effect", "NoExecute",
            "tolerationSeconds", DEFAULT_TOLERATION_SECONDS)));
      }
    }
    b.putFields("tolerations", Json.list(tolerations));
    KubeObject out = request.withSpec(b.build());
    if (Json.string(out.status(), "phase").isEmpty()) {
      Struct.Builder status = out.status().toBuilder().putFields("phase", Json.of("Pending"));
      boolean resources = false;
      for (Value c : Json.array(spec, "containers")) {
        resources |= Json.struct(c.getStructValue(), "resources").getFieldsCount() > 0;
      }
      if (!resources) {
        status.putFields("qosClass", Json.of("BestEffort")); // podnet does not classify pods with resources
      }
      out = out.withStatus(status.build());
    }
    return out;
  }

  private static void putIfAbsent(Struct.Builder b, Struct spec, String key, Value v) {
    if (!spec.containsFields(key)) {
      b.putFields(key, v);
    }
  }
}
