package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Test data: a store with the reference lab's three nodes (each with a kubelet Lease) and a stand-in kubelet. */
public final class TestLab {
  public static final Instant T0 = Instant.parse("2025-08-09T12:00:00Z");

  public final AtomicLong clock = new AtomicLong(T0.toEpochMilli());
  public final ObjectStore store = new ObjectStore(clock::get, new SplittableRandom(7));
  public final ControllerManager controllers;

  public TestLab() {
    this(ControllerManager.standard(ApiResources.standard(), "10.96.0.0/12",
        NodeLifecycleController.DEFAULT_GRACE_MILLIS, new SplittableRandom(42)));
  }

  public TestLab(ControllerManager base) {
    controllers = base.with(new FakeKubelet());
    create(ApiResources.NAMESPACE, obj(ApiResources.NAMESPACE, "", "default", Map.of(), Struct.getDefaultInstance()));
    create(ApiResources.NAMESPACE, obj(ApiResources.NAMESPACE, "", "kube-node-lease", Map.of(),
        Struct.getDefaultInstance()));
    node("k8s-ctr", "172.20.0.0/24", true);
    node("k8s-w1", "172.20.1.0/24", false);
    node("k8s-w0", "172.20.2.0/24", false);
  }

  public void advance(long millis) {
    clock.addAndGet(millis);
  }

  public int settle() {
    return controllers.settle(store, clock.get());
  }

  public KubeObject create(ResourceType type, KubeObject o) {
    return store.create(type, controllers.admission().admit(store, type, o, null));
  }

  public KubeObject update(ResourceType type, KubeObject o) {
    KubeObject old = store.get(type, o.metadata().namespace(), o.metadata().name());
    return store.update(type, controllers.admission().admit(store, type, o, old));
  }

  public List<KubeObject> list(ResourceType type) {
    return new Cluster(store, Admission.NONE).list(type);
  }

  public KubeObject get(ResourceType type, String ns, String name) {
    return store.get(type, ns, name);
  }

  /** The kubelet renews its Lease (kube-node-lease/NODE) at the lab time. */
  public void renew(String node) {
    KubeObject lease = store.get(ApiResources.LEASE, "kube-node-lease", node);
    store.update(ApiResources.LEASE, lease.withSpec(Kube.with(lease.spec(),
        Json.of(KubeTime.microTime(clock.get())), "renewTime")));
  }

  public void node(String name, String podCidr, boolean controlPlane) {
    Map<String, String> labels = new HashMap<>(Map.of("kubernetes.io/hostname", name, "kubernetes.io/os", "linux"));
    if (controlPlane) {
      labels.put("node-role.kubernetes.io/control-plane", "");
    }
    String now = KubeTime.time(clock.get());
    create(ApiResources.NODE, obj(ApiResources.NODE, "", name, labels, Json.obj("podCIDR", podCidr),
        Json.obj("conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "KubeletReady",
            "message", "kubelet is posting ready status", "lastHeartbeatTime", now, "lastTransitionTime", now)),
            "nodeInfo", Map.of("kubeletVersion", "v1.33.2"))));
    create(ApiResources.LEASE, obj(ApiResources.LEASE, "kube-node-lease", name, Map.of(),
        Json.obj("holderIdentity", name, "leaseDurationSeconds", 40, "renewTime", KubeTime.microTime(clock.get()))));
  }

  public static KubeObject obj(ResourceType type, String ns, String name, Map<String, String> labels, Struct spec) {
    return new KubeObject(type.apiVersion(), type.kind(), new ObjectMeta(name, ns, "", "", 0, labels, Map.of(), ""),
        spec, Struct.getDefaultInstance());
  }

  public static KubeObject obj(ResourceType type, String ns, String name, Map<String, String> labels, Struct spec,
      Struct status) {
    return obj(type, ns, name, labels, spec).withStatus(status);
  }

  /** A webpod Deployment as {@code kubectl create deployment webpod --image=traefik/whoami --replicas=N} makes it. */
  public static KubeObject webpodDeployment(int replicas) {
    Struct template = Json.obj("metadata", Json.obj("labels", Map.of("app", "webpod")),
        "spec", Json.obj("containers", List.of(Map.of("name", "whoami", "image", "traefik/whoami",
            "ports", List.of(Map.of("containerPort", 80, "name", "http", "protocol", "TCP"))))));
    return obj(ApiResources.DEPLOYMENT, "default", "webpod", Map.of("app", "webpod"),
        Json.obj("replicas", replicas, "selector", Json.obj("matchLabels", Map.of("app", "webpod")),
            "template", template));
  }

  /**
   * Runs pods as a kubelet would report them: a pod bound to a Ready node becomes Running and Ready
   * with the next IP of the node's podCIDR (from .10 up).
   */
  public static final class FakeKubelet implements Reconciler {
    private final Map<String, Integer> next = new HashMap<>();

    @Override
    public String name() {
      return "fake-kubelet";
    }

    @Override
    public boolean reconcile(Cluster cluster, long now) {
      int before = cluster.writes();
      for (KubeObject pod : cluster.list(ApiResources.POD)) {
        String nodeName = Kube.nodeName(pod);
        if (nodeName.isEmpty() || !Kube.podIp(pod).isEmpty()) {
          continue;
        }
        KubeObject node = cluster.find(ApiResources.NODE, "", nodeName).orElse(null);
        if (node == null || !Kube.conditionTrue(node.status(), "Ready")) {
          continue;
        }
        String cidr = Json.string(node.spec(), "podCIDR");
        String prefix = cidr.substring(0, cidr.lastIndexOf('.') + 1);
        int host = next.merge(nodeName, 1, Integer::sum) + 9;
        String ip = prefix + host;
        String t = Kube.time(now);
        Struct status = pod.status().toBuilder()
            .putFields("phase", Json.of("Running"))
            .putFields("podIP", Json.of(ip))
            .putFields("podIPs", Json.value(List.of(Map.of("ip", ip))))
            .putFields("startTime", Json.of(t))
            .build();
        for (String type : List.of("Initialized", "Ready", "ContainersReady")) {
          status = Kube.setCondition(status, Json.obj("type", type, "status", "True", "lastProbeTime",
              Json.nullValue(), "lastTransitionTime", t));
        }
        List<Value> cs = new ArrayList<>();
        for (Value c : Json.array(pod.spec(), "containers")) {
          cs.add(Json.of(Json.obj("name", Json.string(c.getStructValue(), "name"), "ready", true, "restartCount", 0,
              "state", Json.obj("running", Json.obj("startedAt", t)))));
        }
        status = status.toBuilder().putFields("containerStatuses", Json.list(cs)).build();
        cluster.updateStatus(ApiResources.POD, pod.withStatus(status));
      }
      return cluster.writes() != before;
    }
  }
}
