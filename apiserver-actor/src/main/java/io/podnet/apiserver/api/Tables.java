package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.ResourceType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Server-side printing: the meta.k8s.io/v1 {@code Table} kube-apiserver returns when a client
 * asks {@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io}, with the columns of
 * Kubernetes' internal printers (pkg/printers/internalversion) for built-in kinds and the CRDs'
 * additionalPrinterColumns for Cilium's. Column priority 1 means "only with -o wide". AGE cells are
 * strings the server formats with its own clock (duration.HumanDuration).
 */
public final class Tables {

  /** One column: its definition and how to compute a row's cell from the object's JSON. */
  public record Column(String name, String type, String format, String description, int priority,
      Function<Struct, Value> cell) {}

  private Tables() {}

  /** What each row carries of its object (the includeObject parameter). */
  public enum Include { NONE, METADATA, OBJECT }

  /** The Table of {@code objects}, with the column definitions when {@code withColumns}. */
  public static Struct table(ResourceType type, List<KubeObject> objects, String resourceVersion, String continueToken,
      long nowMillis, boolean withColumns) {
    return table(type, objects, resourceVersion, continueToken, nowMillis, withColumns, Include.METADATA);
  }

  /**
   * The Table of {@code objects}; each row's {@code object} is the object's metadata as
   * PartialObjectMetadata (the default), the whole object ({@code includeObject=Object}, which
   * {@code kubectl get --sort-by} asks for), or absent ({@code None}).
   */
  public static Struct table(ResourceType type, List<KubeObject> objects, String resourceVersion, String continueToken,
      long nowMillis, boolean withColumns, Include include) {
    List<Column> cols = columns(type, nowMillis);
    List<Value> defs = new ArrayList<>();
    for (Column c : cols) {
      defs.add(Json.of(Json.obj("name", c.name, "type", c.type, "format", c.format, "description", c.description,
          "priority", c.priority)));
    }
    List<Value> rows = new ArrayList<>();
    for (KubeObject o : objects) {
      Struct json = ObjectCodec.toJson(o);
      List<Value> cells = new ArrayList<>();
      for (Column c : cols) {
        cells.add(c.cell.apply(json));
      }
      switch (include) {
        case NONE -> rows.add(Json.of(Json.obj("cells", Json.list(cells))));
        case OBJECT -> rows.add(Json.of(Json.obj("cells", Json.list(cells), "object", json)));
        default -> rows.add(Json.of(Json.obj("cells", Json.list(cells), "object", Json.obj(
            "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
            "metadata", ObjectCodec.metadata(o.metadata())))));
      }
    }
    Struct.Builder meta = Struct.newBuilder();
    if (!resourceVersion.isEmpty()) {
      meta.putFields("resourceVersion", Json.of(resourceVersion));
    }
    if (!continueToken.isEmpty()) {
      meta.putFields("continue", Json.of(continueToken));
    }
    Struct.Builder t = Json.obj("kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata", meta.build()).toBuilder();
    if (withColumns) {
      t.putFields("columnDefinitions", Json.list(defs));
    }
    t.putFields("rows", Json.list(rows));
    return t.build();
  }

  // ------------------------------------------------------------------ columns per kind

  static List<Column> columns(ResourceType type, long now) {
    Column name = col("Name", "string", "name", "Name must be unique within a namespace.", 0, o -> s(meta(o, "name")));
    Column age = col("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this "
        + "object was created.", 0, o -> s(age(meta(o, "creationTimestamp"), now)));
    return switch (type.apiVersion() + "/" + type.resource()) {
      case "v1/pods" -> List.of(name,
          col("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0,
              o -> s(podReady(o))),
          col("Status", "string", "", "The aggregate status of the containers in this pod.", 0, o -> s(podStatus(o))),
          col("Restarts", "string", "", "The number of times the containers in this pod have been restarted and "
              + "when the last container in this pod has restarted.", 0, o -> s(podRestarts(o, now))),
          age,
          col("IP", "string", "", "The IP address assigned to this pod.", 1, o -> s(or(podIp(o), "<none>"))),
          col("Node", "string", "", "The node the pod was scheduled on.", 1,
              o -> s(or(Json.string(o, "spec", "nodeName"), "<none>"))),
          col("Nominated Node", "string", "", "The node that the pod was nominated to.", 1,
              o -> s(or(Json.string(o, "status", "nominatedNodeName"), "<none>"))),
          col("Readiness Gates", "string", "", "The readiness gates of this pod.", 1, o -> s(readinessGates(o))));
      case "v1/services" -> List.of(name,
          col("Type", "string", "", "The type of the service.", 0, o -> s(or(Json.string(o, "spec", "type"), "ClusterIP"))),
          col("Cluster-IP", "string", "", "The cluster IP of the service.", 0,
              o -> s(or(Json.string(o, "spec", "clusterIP"), "<none>"))),
          col("External-IP", "string", "", "The external IP of the service.", 0, o -> s(externalIps(o))),
          col("Port(s)", "string", "", "The ports of the service.", 0, o -> s(servicePorts(o))),
          age,
          col("Selector", "string", "", "The label selector of the service.", 1,
              o -> s(selector(Json.struct(o, "spec", "selector")))));
      case "v1/nodes" -> List.of(name,
          col("Status", "string", "", "The status of the node", 0, o -> s(nodeStatus(o))),
          col("Roles", "string", "", "The roles of the node", 0, o -> s(nodeRoles(o))),
          age,
          col("Version", "string", "", "Kubelet Version reported by the node.", 0,
              o -> s(Json.string(o, "status", "nodeInfo", "kubeletVersion"))),
          col("Internal-IP", "string", "", "List of internal IPs in the node.", 1, o -> s(nodeAddress(o, "InternalIP"))),
          col("External-IP", "string", "", "List of external IPs in the node.", 1, o -> s(nodeAddress(o, "ExternalIP"))),
          col("OS-Image", "string", "", "OS image reported by the node.", 1,
              o -> s(or(Json.string(o, "status", "nodeInfo", "osImage"), "<unknown>"))),
          col("Kernel-Version", "string", "", "Kernel version reported by the node.", 1,
              o -> s(or(Json.string(o, "status", "nodeInfo", "kernelVersion"), "<unknown>"))),
          col("Container-Runtime", "string", "", "Container runtime reported by the node.", 1,
              o -> s(or(Json.string(o, "status", "nodeInfo", "containerRuntimeVersion"), "<unknown>"))));
      case "v1/namespaces" -> List.of(name,
          col("Status", "string", "", "The status of the namespace", 0, o -> s(Json.string(o, "status", "phase"))), age);
      case "v1/configmaps" -> List.of(name,
          col("Data", "string", "", "Number of data in configmap", 0,
              o -> n(Json.struct(o, "data").getFieldsCount() + Json.struct(o, "binaryData").getFieldsCount())),
          age);
      case "v1/endpoints" -> List.of(name,
          col("Endpoints", "string", "", "Endpoints of the Endpoints.", 0, o -> s(endpoints(o))), age);
      case "apps/v1/deployments" -> List.of(name,
          col("Ready", "string", "", "Number of the pod with ready state", 0,
              o -> s(Json.number(o, "status", "readyReplicas") + "/" + replicas(o))),
          col("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have "
              + "the desired template spec.", 0, o -> n(Json.number(o, "status", "updatedReplicas"))),
          col("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) "
              + "targeted by this deployment.", 0, o -> n(Json.number(o, "status", "availableReplicas"))),
          age,
          containersCol(), imagesCol(), selectorCol());
      case "apps/v1/replicasets" -> List.of(name,
          col("Desired", "integer", "", "Number of desired pods.", 0, o -> n(replicas(o))),
          col("Current", "integer", "", "Number of actual replicas.", 0, o -> n(Json.number(o, "status", "replicas"))),
          col("Ready", "integer", "", "Number of ready replicas.", 0, o -> n(Json.number(o, "status", "readyReplicas"))),
          age,
          containersCol(), imagesCol(), selectorCol());
      case "apps/v1/daemonsets" -> List.of(name,
          col("Desired", "integer", "", "The desired number of pods scheduled.", 0,
              o -> n(Json.number(o, "status", "desiredNumberScheduled"))),
          col("Current", "integer", "", "The current number of pods scheduled.", 0,
              o -> n(Json.number(o, "status", "currentNumberScheduled"))),
          col("Ready", "integer", "", "The number of pods ready.", 0, o -> n(Json.number(o, "status", "numberReady"))),
          col("Up-to-date", "integer", "", "The number of pods up to date.", 0,
              o -> n(Json.number(o, "status", "updatedNumberScheduled"))),
          col("Available", "integer", "", "The number of pods available.", 0,
              o -> n(Json.number(o, "status", "numberAvailable"))),
          col("Node Selector", "string", "", "The node selector of the daemonset.", 0,
              o -> s(selector(Json.struct(o, "spec", "template", "spec", "nodeSelector")))),
          age,
          containersCol(), imagesCol(), selectorCol());
      case "coordination.k8s.io/v1/leases" -> List.of(name,
          col("Holder", "string", "", "The holder of the lease.", 0, o -> s(Json.string(o, "spec", "holderIdentity"))),
          age);
      case "discovery.k8s.io/v1/endpointslices" -> List.of(name,
          col("AddressType", "string", "", "The address type of the endpoint slice.", 0,
              o -> s(Json.string(o, "addressType"))),
          col("Ports", "string", "", "The ports of the endpoint slice.", 0, o -> s(slicePorts(o))),
          col("Endpoints", "string", "", "The endpoints of the endpoint slice.", 0, o -> s(sliceEndpoints(o))),
          age);
      case "cilium.io/v2/ciliumloadbalancerippools" -> List.of(crdName(),
          col("Disabled", "boolean", "", "", 0, o -> jsonPath(o, List.of("spec", "disabled"))),
          col("Conflicting", "string", "", "", 0, o -> condition(o, "cilium.io/PoolConflict", "status")),
          col("IPs Available", "string", "", "", 0, o -> condition(o, "cilium.io/IPsAvailable", "message")),
          crdAge(now));
      case "cilium.io/v2/ciliumnodes" -> List.of(crdName(),
          col("CiliumInternalIP", "string", "", "Cilium internal IP for this node", 0,
              o -> addressOfType(o, "CiliumInternalIP")),
          col("InternalIP", "string", "", "IP of the node", 0, o -> addressOfType(o, "InternalIP")),
          col("Age", "date", "", "Time duration since creation of Ciliumnode", 0,
              o -> s(age(meta(o, "creationTimestamp"), now))));
      case "cilium.io/v2/ciliumendpoints" -> List.of(crdName(),
          col("Security Identity", "integer", "", "Security Identity", 0,
              o -> jsonPath(o, List.of("status", "identity", "id"))),
          col("Endpoint State", "string", "", "Endpoint current state", 0, o -> jsonPath(o, List.of("status", "state"))),
          col("IPv4", "string", "", "Endpoint IPv4 address", 0, o -> firstAddressing(o, "ipv4")),
          col("IPv6", "string", "", "Endpoint IPv6 address", 0, o -> firstAddressing(o, "ipv6")));
      case "cilium.io/v2/ciliumidentities" -> List.of(crdName(),
          col("Namespace", "string", "", "The namespace of the entity", 0,
              o -> labelValue(o, "io.kubernetes.pod.namespace")),
          col("Age", "date", "", "The age of the identity", 0, o -> s(age(meta(o, "creationTimestamp"), now))));
      default -> type.group().contains(".") && !type.group().endsWith("k8s.io")
          ? List.of(crdName(), crdAge(now))
          : List.of(name, age);
    };
  }

  private static Column col(String name, String type, String format, String desc, int priority,
      Function<Struct, Value> cell) {
    return new Column(name, type, format, desc, priority, cell);
  }

  private static Column crdName() {
    return col("Name", "string", "name", "Name must be unique within a namespace. Is required when creating "
        + "resources, although some resources may allow a client to request the generation of an appropriate name "
        + "automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot "
        + "be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0,
        o -> s(meta(o, "name")));
  }

  private static Column crdAge(long now) {
    return col("Age", "date", "", "", 0, o -> s(age(meta(o, "creationTimestamp"), now)));
  }

  private static Column containersCol() {
    return col("Containers", "string", "", "Names of each container in the template.", 1,
        o -> s(joinField(Json.array(o, "spec", "template", "spec", "containers"), "name")));
  }

  private static Column imagesCol() {
    return col("Images", "string", "", "Images referenced by each container in the template.", 1,
        o -> s(joinField(Json.array(o, "spec", "template", "spec", "containers"), "image")));
  }

  private static Column selectorCol() {
    return col("Selector", "string", "", "Label selector of the pods targeted.", 1,
        o -> s(labelSelector(Json.struct(o, "spec", "selector"))));
  }

  // ------------------------------------------------------------------ cells

  private static Value s(String v) {
    return Json.of(v);
  }

  private static Value n(long v) {
    return Json.of(v);
  }

  private static String or(String v, String dflt) {
    return v.isEmpty() ? dflt : v;
  }

  private static String meta(Struct o, String field) {
    return Json.string(o, "metadata", field);
  }

  private static long replicas(Struct o) {
    Value v = Json.at(o, "spec", "replicas");
    return v == null ? 1 : (long) v.getNumberValue();
  }

  /** duration.HumanDuration of (now - creationTimestamp); "&lt;unknown&gt;" without a timestamp. */
  static String age(String creationTimestamp, long nowMillis) {
    if (creationTimestamp.isEmpty()) {
      return "<unknown>";
    }
    Instant created = KubeTime.parse(creationTimestamp);
    return humanDuration(Duration.between(created, Instant.ofEpochMilli(nowMillis)));
  }

  /** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
  public static String humanDuration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < 0 && d.getNano() > 0) {
      seconds++; // Go's int(d.Seconds()) truncates toward zero; Duration.getSeconds floors
    }
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = seconds / 3600;
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? (hours / 24) + "d" : (hours / 24) + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return (hours / 24) + "d";
    } else if (hours < 24 * 365 * 8) {
      long dy = (hours / 24) % 365;
      return dy == 0 ? (hours / 24 / 365) + "y" : (hours / 24 / 365) + "y" + dy + "d";
    }
    return (hours / 24 / 365) + "y";
  }

  private static String podReady(Struct o) {
    int total = Json.array(o, "spec", "containers").size();
    int ready = 0;
    for (Value cs : Json.array(o, "status", "containerStatuses")) {
      Struct c = cs.getStructValue();
      if (Json.at(c, "ready") != null && Json.at(c, "ready").getBoolValue() && Json.at(c, "state", "running") != null) {
        ready++;
      }
    }
    return ready + "/" + total;
  }

  /** printPod's reason: phase, status.reason, container waiting/terminated reasons, Terminating. */
  private static String podStatus(Struct o) {
    String reason = or(Json.string(o, "status", "phase"), "");
    if (!Json.string(o, "status", "reason").isEmpty()) {
      reason = Json.string(o, "status", "reason");
    }
    boolean initializing = false;
    List<Value> inits = Json.array(o, "status", "initContainerStatuses");
    int initCount = Json.array(o, "spec", "initContainers").size();
    for (int i = 0; i < inits.size(); i++) {
      Struct c = inits.get(i).getStructValue();
      String term = Json.string(c, "state", "terminated", "reason");
      long exit = Json.number(c, "state", "terminated", "exitCode");
      if (Json.at(c, "state", "terminated") != null && exit == 0) {
        continue;
      }
      if (Json.at(c, "state", "terminated") != null) {
        reason = "Init:" + or(term, "ExitCode:" + exit);
      } else if (!Json.string(c, "state", "waiting", "reason").isEmpty()
          && !Json.string(c, "state", "waiting", "reason").equals("PodInitializing")) {
        reason = "Init:" + Json.string(c, "state", "waiting", "reason");
      } else {
        reason = "Init:" + i + "/" + initCount;
      }
      initializing = true;
      break;
    }
    if (!initializing) {
      boolean hasRunning = false;
      List<Value> statuses = Json.array(o, "status", "containerStatuses");
      for (int i = statuses.size() - 1; i >= 0; i--) {
        Struct c = statuses.get(i).getStructValue();
        String waiting = Json.string(c, "state", "waiting", "reason");
        if (!waiting.isEmpty()) {
          reason = waiting;
        } else if (Json.at(c, "state", "terminated") != null) {
          String t = Json.string(c, "state", "terminated", "reason");
          if (!t.isEmpty()) {
            reason = t;
          } else if (Json.number(c, "state", "terminated", "signal") != 0) {
            reason = "Signal:" + Json.number(c, "state", "terminated", "signal");
          } else {
            reason = "ExitCode:" + Json.number(c, "state", "terminated", "exitCode");
          }
        } else if (Json.at(c, "ready") != null && Json.at(c, "ready").getBoolValue()
            && Json.at(c, "state", "running") != null) {
          hasRunning = true;
        }
      }
      if (reason.equals("Completed") && hasRunning) {
        reason = "Running";
      }
    }
    return reason;
  }

  private static String podRestarts(Struct o, long now) {
    long restarts = 0;
    Instant last = null;
    for (Value cs : Json.array(o, "status", "containerStatuses")) {
      Struct c = cs.getStructValue();
      restarts += Json.number(c, "restartCount");
      String finished = Json.string(c, "lastState", "terminated", "finishedAt");
      if (!finished.isEmpty()) {
        Instant f = KubeTime.parse(finished);
        if (last == null || f.isAfter(last)) {
          last = f;
        }
      }
    }
    if (restarts != 0 && last != null) {
      return restarts + " (" + humanDuration(Duration.between(last, Instant.ofEpochMilli(now))) + " ago)";
    }
    return Long.toString(restarts);
  }

  private static String podIp(Struct o) {
    List<Value> ips = Json.array(o, "status", "podIPs");
    if (!ips.isEmpty()) {
      return Json.string(ips.get(0).getStructValue(), "ip");
    }
    return Json.string(o, "status", "podIP");
  }

  private static String readinessGates(Struct o) {
    List<Value> gates = Json.array(o, "spec", "readinessGates");
    if (gates.isEmpty()) {
      return "<none>";
    }
    int ok = 0;
    for (Value g : gates) {
      String t = Json.string(g.getStructValue(), "conditionType");
      for (Value c : Json.array(o, "status", "conditions")) {
        if (Json.string(c.getStructValue(), "type").equals(t) && Json.string(c.getStructValue(), "status").equals("True")) {
          ok++;
        }
      }
    }
    return ok + "/" + gates.size();
  }

  private static String externalIps(Struct o) {
    String type = or(Json.string(o, "spec", "type"), "ClusterIP");
    List<String> external = new ArrayList<>();
    for (Value v : Json.array(o, "spec", "externalIPs")) {
      external.add(v.getStringValue());
    }
    switch (type) {
      case "ClusterIP", "NodePort" -> {
        return external.isEmpty() ? "<none>" : String.join(",", external);
      }
      case "LoadBalancer" -> {
        List<String> lb = new ArrayList<>();
        for (Value v : Json.array(o, "status", "loadBalancer", "ingress")) {
          String ip = Json.string(v.getStructValue(), "ip");
          lb.add(ip.isEmpty() ? Json.string(v.getStructValue(), "hostname") : ip);
        }
        lb.addAll(external);
        return lb.isEmpty() ? "<pending>" : String.join(",", lb);
      }
      case "ExternalName" -> {
        return Json.string(o, "spec", "externalName");
      }
      default -> {
        return "<unknown>";
      }
    }
  }

  private static String servicePorts(Struct o) {
    List<String> out = new ArrayList<>();
    for (Value v : Json.array(o, "spec", "ports")) {
      Struct p = v.getStructValue();
      String proto = or(Json.string(p, "protocol"), "TCP");
      long nodePort = Json.number(p, "nodePort");
      out.add(nodePort == 0
          ? Json.number(p, "port") + "/" + proto
          : Json.number(p, "port") + ":" + nodePort + "/" + proto);
    }
    return out.isEmpty() ? "<none>" : String.join(",", out);
  }

  /** labels.FormatLabels / SelectorFromSet(...).String(): sorted k=v joined by ",". */
  private static String selector(Struct labels) {
    if (labels.getFieldsCount() == 0) {
      return "<none>";
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Value> e : new TreeMap<>(labels.getFieldsMap()).entrySet()) {
      parts.add(e.getKey() + "=" + e.getValue().getStringValue());
    }
    return String.join(",", parts);
  }

  /** metav1.LabelSelectorAsSelector(...).String() for matchLabels and matchExpressions. */
  private static String labelSelector(Struct sel) {
    List<String> parts = new ArrayList<>();
    TreeMap<String, String> reqs = new TreeMap<>();
    for (Map.Entry<String, Value> e : Json.struct(sel, "matchLabels").getFieldsMap().entrySet()) {
      reqs.put(e.getKey(), e.getKey() + "=" + e.getValue().getStringValue());
    }
    for (Value v : Json.array(sel, "matchExpressions")) {
      Struct x = v.getStructValue();
      String key = Json.string(x, "key");
      TreeSet<String> values = new TreeSet<>();
      for (Value val : Json.array(x, "values")) {
        values.add(val.getStringValue());
      }
      String r = switch (Json.string(x, "operator")) {
        case "In" -> key + " in (" + String.join(",", values) + ")";
        case "NotIn" -> key + " notin (" + String.join(",", values) + ")";
        case "Exists" -> key;
        case "DoesNotExist" -> "!" + key;
        default -> key;
      };
      reqs.merge(key, r, (a, b) -> a + "," + b);
    }
    parts.addAll(reqs.values());
    return parts.isEmpty() ? "<none>" : String.join(",", parts);
  }

  private static String nodeStatus(Struct o) {
    String status = "Unknown";
    for (Value c : Json.array(o, "status", "conditions")) {
      if (Json.string(c.getStructValue(), "type").equals("Ready")) {
        status = Json.string(c.getStructValue(), "status").equals("True") ? "Ready" : "NotReady";
      }
    }
    Value unsched = Json.at(o, "spec", "unschedulable");
    if (unsched != null && unsched.getBoolValue()) {
      status += ",SchedulingDisabled";
    }
    return status;
  }

  private static String nodeRoles(Struct o) {
    TreeSet<String> roles = new TreeSet<>();
    for (Map.Entry<String, Value> e : Json.struct(o, "metadata", "labels").getFieldsMap().entrySet()) {
      String k = e.getKey();
      if (k.startsWith("node-role.kubernetes.io/")) {
        String role = k.substring("node-role.kubernetes.io/".length());
        if (!role.isEmpty()) {
          roles.add(role);
        }
      } else if (k.equals("kubernetes.io/role") && !e.getValue().getStringValue().isEmpty()) {
        roles.add(e.getValue().getStringValue());
      }
    }
    return roles.isEmpty() ? "<none>" : String.join(",", roles);
  }

  private static String nodeAddress(Struct o, String type) {
    List<String> ips = new ArrayList<>();
    for (Value a : Json.array(o, "status", "addresses")) {
      if (Json.string(a.getStructValue(), "type").equals(type)) {
        ips.add(Json.string(a.getStructValue(), "address"));
      }
    }
    return ips.isEmpty() ? "<none>" : String.join(",", ips);
  }

  /** formatEndpoints: up to three ip:port pairs, then " + N more...". */
  private static String endpoints(Struct o) {
    List<String> list = new ArrayList<>();
    int count = 0;
    int max = 3;
    boolean more = false;
    for (Value sv : Json.array(o, "subsets")) {
      Struct ss = sv.getStructValue();
      List<Value> ports = Json.array(ss, "ports");
      for (Value av : Json.array(ss, "addresses")) {
        String ip = Json.string(av.getStructValue(), "ip");
        if (ports.isEmpty()) {
          if (list.size() < max) {
            list.add(ip);
          } else {
            more = true;
          }
          count++;
        }
        for (Value pv : ports) {
          if (list.size() < max) {
            list.add(ip + ":" + Json.number(pv.getStructValue(), "port"));
          } else {
            more = true;
          }
          count++;
        }
      }
    }
    String ret = String.join(",", list);
    if (more) {
      ret += " + " + (count - list.size()) + " more...";
    }
    return ret.isEmpty() ? "<none>" : ret;
  }

  private static String slicePorts(Struct o) {
    List<Value> ports = Json.array(o, "ports");
    if (ports.isEmpty()) {
      return "<unset>";
    }
    List<String> out = new ArrayList<>();
    for (Value p : ports) {
      out.add(Long.toString(Json.number(p.getStructValue(), "port")));
    }
    return String.join(",", out);
  }

  private static String sliceEndpoints(Struct o) {
    List<String> ips = new ArrayList<>();
    int total = 0;
    for (Value e : Json.array(o, "endpoints")) {
      for (Value a : Json.array(e.getStructValue(), "addresses")) {
        total++;
        if (ips.size() < 3) {
          ips.add(a.getStringValue());
        }
      }
    }
    if (ips.isEmpty()) {
      return "<unset>";
    }
    String ret = String.join(",", ips);
    return total > 3 ? ret + " + " + (total - 3) + " more..." : ret;
  }

  private static String joinField(List<Value> items, String field) {
    List<String> out = new ArrayList<>();
    for (Value v : items) {
      out.add(Json.string(v.getStructValue(), field));
    }
    return String.join(",", out);
  }

  // ------------------------------------------------------------------ CRD printer columns

  /** A simple .a.b path; null (printed as &lt;none&gt;) when absent. */
  private static Value jsonPath(Struct o, List<String> path) {
    Value v = Json.at(o, path.toArray(String[]::new));
    return v == null ? Json.nullValue() : v;
  }

  /** .status.conditions[?(@.type=="TYPE")].FIELD */
  private static Value condition(Struct o, String type, String field) {
    for (Value c : Json.array(o, "status", "conditions")) {
      if (Json.string(c.getStructValue(), "type").equals(type)) {
        Value v = c.getStructValue().getFieldsMap().get(field);
        return v == null ? Json.nullValue() : v;
      }
    }
    return Json.nullValue();
  }

  /** .spec.addresses[?(@.type=="TYPE")].ip: every match, space-separated as JSONPath prints it. */
  private static Value addressOfType(Struct o, String type) {
    List<String> ips = new ArrayList<>();
    for (Value a : Json.array(o, "spec", "addresses")) {
      if (Json.string(a.getStructValue(), "type").equals(type)) {
        ips.add(Json.string(a.getStructValue(), "ip"));
      }
    }
    return ips.isEmpty() ? Json.nullValue() : Json.of(String.join(" ", ips));
  }

  private static Value firstAddressing(Struct o, String family) {
    List<Value> a = Json.array(o, "status", "networking", "addressing");
    if (a.isEmpty()) {
      return Json.nullValue();
    }
    Value v = a.get(0).getStructValue().getFieldsMap().get(family);
    return v == null ? Json.nullValue() : v;
  }

  private static Value labelValue(Struct o, String label) {
    Value v = Json.struct(o, "metadata", "labels").getFieldsMap().get(label);
    return v == null ? Json.nullValue() : v;
  }
}
