package io.podnet.apiserver.http;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** The reference lab's objects (test data): 3 nodes, curl-pod, 3 webpods, Service webpod, a Lease. */
final class ReferenceLab {
  /** The lab clock's "now" when kubectl runs. */
  static final Instant NOW = Instant.parse("2025-08-09T12:35:45Z");

  final AtomicLong clock = new AtomicLong();
  final ObjectStore store = new ObjectStore(clock::get, new SplittableRandom(4), ObjectStore.DEFAULT_HISTORY, 76000);

  ReferenceLab() {
    at(NOW.minus(Duration.ofHours(27)));
    namespace("default");
    namespace("kube-system");
    node("k8s-ctr", "192.168.10.100", "172.20.0.98", true);
    node("k8s-w1", "192.168.10.101", "172.20.1.60", false);
    node("k8s-w0", "192.168.20.100", "172.20.2.159", false);
    at(NOW.minus(Duration.ofHours(26)));
    store.create(ApiResources.SERVICE, obj(ApiResources.SERVICE, "default", "webpod", Map.of("app", "webpod"),
        Json.obj("type", "ClusterIP", "clusterIP", "10.96.107.144",
            "clusterIPs", List.of("10.96.107.144"),
            "selector", Map.of("app", "webpod"),
            "ports", List.of(Map.of("port", 80, "protocol", "TCP", "targetPort", 80))),
        Struct.getDefaultInstance()));
    pod("curl-pod", Map.of("app", "curl"), "k8s-ctr", "172.20.0.201", "curl", "nicolaka/netshoot", 6 * 60 + 14, 20);
    pod("webpod-696774f575-5nvlc", Map.of("app", "webpod", "pod-template-hash", "696774f575"), "k8s-w0",
        "172.20.2.50", "webpod", "traefik/whoami", 6 * 60 + 13, 18);
    pod("webpod-696774f575-dsblb", Map.of("app", "webpod", "pod-template-hash", "696774f575"), "k8s-ctr",
        "172.20.0.130", "webpod", "traefik/whoami", 6 * 60 + 12, 20);
    pod("webpod-696774f575-wssxg", Map.of("app", "webpod", "pod-template-hash", "696774f575"), "k8s-w1",
        "172.20.1.184", "webpod", "traefik/whoami", 6 * 60 + 12, 19);
    at(Instant.parse("2025-08-09T12:35:25Z"));
    store.create(ApiResources.LEASE, obj(ApiResources.LEASE, "kube-system", "cilium-l2announce-default-webpod",
        Map.of(), Json.obj("acquireTime", "2025-08-09T12:35:25.085954Z", "holderIdentity", "k8s-w1",
            "leaseDurationSeconds", 15, "leaseTransitions", 0, "renewTime", "2025-08-09T12:35:45.144393Z"),
        Struct.getDefaultInstance()));
    at(NOW);
  }

  void at(Instant t) {
    clock.set(t.toEpochMilli());
  }

  private void namespace(String name) {
    store.create(ApiResources.NAMESPACE, obj(ApiResources.NAMESPACE, "", name, Map.of(), Struct.getDefaultInstance(),
        Json.obj("phase", "Active")));
  }

  private void node(String name, String ip, String ciliumIp, boolean controlPlane) {
    Map<String, String> labels = controlPlane
        ? Map.of("kubernetes.io/hostname", name, "node-role.kubernetes.io/control-plane", "")
        : Map.of("kubernetes.io/hostname", name);
    store.create(ApiResources.NODE, obj(ApiResources.NODE, "", name, labels, Json.obj("podCIDR", "172.20.0.0/24"),
        Json.obj(
            "addresses", List.of(Map.of("type", "InternalIP", "address", ip), Map.of("type", "Hostname", "address", name)),
            "conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "KubeletReady")),
            "nodeInfo", Map.of("kubeletVersion", "v1.33.2", "osImage", "Ubuntu 24.04.2 LTS",
                "kernelVersion", "6.8.0-53-generic", "containerRuntimeVersion", "containerd://1.7.27"))));
    store.create(ApiResources.CILIUM_NODE, obj(ApiResources.CILIUM_NODE, "", name, Map.of(),
        Json.obj("addresses", List.of(Map.of("ip", ip, "type", "InternalIP"), Map.of("ip", ciliumIp, "type",
            "CiliumInternalIP"))), Struct.getDefaultInstance()));
  }

  private void pod(String name, Map<String, String> labels, String node, String ip, String container, String image,
      int ageMinutes, int lastRestartMinutes) {
    at(NOW.minus(Duration.ofMinutes(ageMinutes)));
    String finished = KubeTime.time(NOW.minus(Duration.ofMinutes(lastRestartMinutes)).toEpochMilli());
    store.create(ApiResources.POD, obj(ApiResources.POD, "default", name, labels,
        Json.obj("nodeName", node, "containers", List.of(Map.of("name", container, "image", image))),
        Json.obj("phase", "Running", "podIP", ip, "podIPs", List.of(Map.of("ip", ip)), "hostIP", "192.168.10.100",
            "containerStatuses", List.of(Map.of("name", container, "ready", true, "restartCount", 1,
                "state", Map.of("running", Map.of("startedAt", finished)),
                "lastState", Map.of("terminated", Map.of("exitCode", 255, "reason", "Unknown",
                    "finishedAt", finished)))))));
  }

  static KubeObject obj(ResourceType type, String ns, String name, Map<String, String> labels, Struct spec,
      Struct status) {
    return new KubeObject(type.apiVersion(), type.kind(), new ObjectMeta(name, ns, "", "", 0, labels, Map.of(), ""),
        spec, status);
  }
}
