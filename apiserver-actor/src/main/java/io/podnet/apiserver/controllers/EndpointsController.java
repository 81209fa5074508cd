package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The endpoints and endpointslice controllers for Services with a selector: the pods that match,
 * have an IP (status.podIP, set by whoever runs the pod) and are active become addresses (Ready
 * ones) or notReadyAddresses of the Endpoints named after the Service, grouped into subsets by
 * their resolved ports (a named targetPort is looked up in the pod's container ports), and
 * endpoints of one EndpointSlice per port set (labels kubernetes.io/service-name and
 * endpointslice.kubernetes.io/managed-by, owned by the Service). Endpoints the controller made for
 * a Service that is gone are deleted; slices go with their owner through the garbage collector.
 */
public final class EndpointsController implements Reconciler {
  static final String TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time";
  static final String SERVICE_NAME = "kubernetes.io/service-name";
  static final String MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
  static final String MANAGER = "endpointslice-controller.k8s.io";

  private record Target(KubeObject pod, List<Struct> ports) {}

  @Override
  public String name() {
    return "endpoints";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    for (KubeObject svc : cluster.list(ApiResources.SERVICE)) {
      if (Json.struct(svc.spec(), "selector").getFieldsCount() == 0 || Json.string(svc.spec(), "type").equals("ExternalName")) {
        continue;
      }
      sync(cluster, svc, now);
    }
    for (KubeObject ep : cluster.list(ApiResources.ENDPOINTS)) {
      if (ep.metadata().annotations().containsKey(TRIGGER)
          && cluster.find(ApiResources.SERVICE, ep.metadata().namespace(), ep.metadata().name()).isEmpty()) {
        cluster.delete(ApiResources.ENDPOINTS, ep);
      }
    }
    return cluster.writes() != before;
  }

  private static void sync(Cluster cluster, KubeObject svc, long now) {
    String ns = svc.metadata().namespace();
    LabelSelector sel = Kube.mapSelector(Json.struct(svc.spec(), "selector"));
    boolean publishNotReady = Json.at(svc.spec(), "publishNotReadyAddresses") != null
        && Json.at(svc.spec(), "publishNotReadyAddresses").getBoolValue();
    List<Target> targets = new ArrayList<>();
    for (KubeObject pod : cluster.list(ApiResources.POD, ns)) {
      if (!sel.matches(pod.metadata().labels()) || !Kube.podActive(pod) || Kube.podIp(pod).isEmpty()) {
        continue;
      }
      List<Struct> ports = new ArrayList<>();
      for (Value pv : Json.array(svc.spec(), "ports")) {
        Struct sp = pv.getStructValue();
        long port = targetPort(sp, pod);
        if (port == 0) {
          continue; // a named port the pod does not have
        }
        Struct.Builder b = Struct.newBuilder();
        String name = Json.string(sp, "name");
        if (!name.isEmpty()) {
          b.putFields("name", Json.of(name));
        }
        b.putFields("port", Json.of(port));
        b.putFields("protocol", Json.of(Json.string(sp, "protocol").isEmpty() ? "TCP" : Json.string(sp, "protocol")));
        ports.add(b.build());
      }
      targets.add(new Target(pod, ports));
    }
    targets.sort(Comparator.comparing((Target t) -> Kube.podIp(t.pod)).thenComparing(t -> t.pod.metadata().uid()));
    writeEndpoints(cluster, svc, targets, publishNotReady, now);
    writeSlices(cluster, svc, targets, publishNotReady);
  }

  private static long targetPort(Struct servicePort, KubeObject pod) {
    Value tp = servicePort.getFieldsMap().get("targetPort");
    if (tp == null) {
      return Json.number(servicePort, "port");
    }
    if (tp.hasNumberValue()) {
      return (long) tp.getNumberValue();
    }
    String name = tp.getStringValue();
    for (Value c : Json.array(pod.spec(), "containers")) {
      for (Value p : Json.array(c.getStructValue(), "ports")) {
        if (Json.string(p.getStructValue(), "name").equals(name)) {
          return Json.number(p.getStructValue(), "containerPort");
        }
      }
    }
    return 0;
  }

  private static Struct targetRef(KubeObject pod) {
    return Json.obj("kind", "Pod", "namespace", pod.metadata().namespace(), "name", pod.metadata().name(),
        "uid", pod.metadata().uid());
  }

  private static void writeEndpoints(Cluster cluster, KubeObject svc, List<Target> targets, boolean publishNotReady,
      long now) {
    Map<List<Struct>, List<List<Value>>> subsets = new LinkedHashMap<>();
    for (Target t : targets) {
      if (t.ports.isEmpty() && !Json.array(svc.spec(), "ports").isEmpty()) {
        continue;
      }
      Struct.Builder addr = Struct.newBuilder().putFields("ip", Json.of(Kube.podIp(t.pod)));
      if (!Kube.nodeName(t.pod).isEmpty()) {
        addr.putFields("nodeName", Json.of(Kube.nodeName(t.pod)));
      }
      addr.putFields("targetRef", Json.of(targetRef(t.pod)));
      List<List<Value>> lists = subsets.computeIfAbsent(t.ports, k -> List.of(new ArrayList<>(), new ArrayList<>()));
      lists.get(publishNotReady || Kube.podReady(t.pod) ? 0 : 1).add(Json.of(addr.build()));
    }
    List<Value> out = new ArrayList<>();
    for (Map.Entry<List<Struct>, List<List<Value>>> e : subsets.entrySet()) {
      Struct.Builder ss = Struct.newBuilder();
      if (!e.getValue().get(0).isEmpty()) {
        ss.putFields("addresses", Json.list(e.getValue().get(0)));
      }
      if (!e.getValue().get(1).isEmpty()) {
        ss.putFields("notReadyAddresses", Json.list(e.getValue().get(1)));
      }
      List<Value> ports = new ArrayList<>();
      for (Struct p : e.getKey()) {
        ports.add(Json.of(p));
      }
      if (!ports.isEmpty()) {
        ss.putFields("ports", Json.list(ports));
      }
      out.add(Json.of(ss.build()));
    }
    Struct extra = out.isEmpty() ? Struct.getDefaultInstance() : Json.obj("subsets", Json.list(out));
    String ns = svc.metadata().namespace();
    String name = svc.metadata().name();
    Optional<KubeObject> existing = cluster.find(ApiResources.ENDPOINTS, ns, name);
    Map<String, String> labels = new HashMap<>(svc.metadata().labels());
    if (existing.isPresent()) {
      KubeObject ep = existing.get();
      if (ep.extra().equals(extra) && ep.metadata().labels().equals(labels)) {
        return;
      }
      Map<String, String> annotations = new HashMap<>(ep.metadata().annotations());
      annotations.put(TRIGGER, Kube.time(now));
      cluster.update(ApiResources.ENDPOINTS, ep.withExtra(extra)
          .withMetadata(ep.metadata().withLabels(labels).withAnnotations(annotations)));
    } else {
      ObjectMeta meta = new ObjectMeta(name, ns, "", "", 0, labels, Map.of(TRIGGER, Kube.time(now)), "");
      cluster.create(ApiResources.ENDPOINTS, new KubeObject(ApiResources.ENDPOINTS.apiVersion(),
          ApiResources.ENDPOINTS.kind(), meta, Struct.getDefaultInstance(), Struct.getDefaultInstance(), extra));
    }
  }

  private static void writeSlices(Cluster cluster, KubeObject svc, List<Target> targets, boolean publishNotReady) {
    Map<List<Struct>, List<Value>> byPorts = new LinkedHashMap<>();
    for (Target t : targets) {
      Struct.Builder ep = Struct.newBuilder();
      ep.putFields("addresses", Json.strings(List.of(Kube.podIp(t.pod))));
      boolean ready = Kube.podReady(t.pod);
      ep.putFields("conditions", Json.of(Json.obj("ready", publishNotReady || ready, "serving", ready,
          "terminating", false)));
      if (!Kube.nodeName(t.pod).isEmpty()) {
        ep.putFields("nodeName", Json.of(Kube.nodeName(t.pod)));
      }
      ep.putFields("targetRef", Json.of(targetRef(t.pod)));
      List<Struct> ports = new ArrayList<>();
      for (Struct p : t.ports) {
        // Slice ports always carry a name ("" when the service port has none).
        ports.add(p.containsFields("name") ? p : p.toBuilder().putFields("name", Json.of("")).build());
      }
      byPorts.computeIfAbsent(ports, k -> new ArrayList<>()).add(Json.of(ep.build()));
    }
    String ns = svc.metadata().namespace();
    List<KubeObject> slices = new ArrayList<>();
    for (KubeObject s : cluster.list(ApiResources.ENDPOINT_SLICE, ns)) {
      if (Kube.controlledBy(s, svc) && MANAGER.equals(s.metadata().labels().get(MANAGED_BY))) {
        slices.add(s);
      }
    }
    Map<String, String> labels = new HashMap<>(svc.metadata().labels());
    labels.put(SERVICE_NAME, svc.metadata().name());
    labels.put(MANAGED_BY, MANAGER);
    List<Struct> wanted = new ArrayList<>();
    for (Map.Entry<List<Struct>, List<Value>> e : byPorts.entrySet()) {
      List<Value> ports = new ArrayList<>();
      for (Struct p : e.getKey()) {
        ports.add(Json.of(p));
      }
      wanted.add(Json.obj("addressType", "IPv4", "endpoints", Json.list(e.getValue()), "ports", Json.list(ports)));
    }
    if (wanted.isEmpty()) {
      // A Service with no ready endpoints keeps one empty slice.
      List<Value> ports = new ArrayList<>();
      for (Value pv : Json.array(svc.spec(), "ports")) {
        Struct sp = pv.getStructValue();
        ports.add(Json.of(Json.obj("name", Json.string(sp, "name"), "port", Json.number(sp, "port"),
            "protocol", Json.string(sp, "protocol").isEmpty() ? "TCP" : Json.string(sp, "protocol"))));
      }
      wanted.add(Json.obj("addressType", "IPv4", "endpoints", Json.list(List.of()), "ports", Json.list(ports)));
    }
    for (int i = 0; i < wanted.size(); i++) {
      Struct extra = wanted.get(i);
      if (i < slices.size()) {
        KubeObject s = slices.get(i);
        if (!s.extra().equals(extra) || !s.metadata().labels().equals(labels)) {
          cluster.update(ApiResources.ENDPOINT_SLICE, s.withExtra(extra).withMetadata(s.metadata().withLabels(labels)));
        }
      } else {
        ObjectMeta meta = new ObjectMeta("", ns, "", "", 0, labels, Map.of(), "", svc.metadata().name() + "-",
            List.of(OwnerReference.controllerOf(svc)));
        cluster.create(ApiResources.ENDPOINT_SLICE, new KubeObject(ApiResources.ENDPOINT_SLICE.apiVersion(),
            ApiResources.ENDPOINT_SLICE.kind(), meta, Struct.getDefaultInstance(), Struct.getDefaultInstance(), extra));
      }
    }
    for (int i = wanted.size(); i < slices.size(); i++) {
      cluster.delete(ApiResources.ENDPOINT_SLICE, slices.get(i));
    }
  }
}
