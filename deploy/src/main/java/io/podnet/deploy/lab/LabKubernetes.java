package io.podnet.deploy.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.podnet.deploy.topology.LabSpec;
import io.podnet.netstack.actor.HostExtension;
import io.podnet.node.agent.CiliumOperator;
import io.podnet.node.agent.NodeAgent;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.cilium.CiliumChart;
import io.podnet.node.cilium.HelmException;
import io.podnet.node.cilium.HelmSetParser;
import io.podnet.node.cilium.HelmValues;
import io.podnet.proto.packet.Ipv4Address;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A lab's Kubernetes side: the node agents (kubelet + Cilium agent) on its nodes, and what
 * {@code helm install cilium} and the topology's manifests put into the API server at start: the
 * cilium-config ConfigMap, the cilium DaemonSet (one host-network agent pod per node), the
 * operator, then the manifests' objects.
 */
public final class LabKubernetes {
  /** Annotations on cilium-config that keep the release's user values (for --reuse-values) and revision. */
  public static final String HELM_SET_ANNOTATION = "podnet.io/helm-set";
  public static final String HELM_REVISION_ANNOTATION = "podnet.io/helm-revision";

  private LabKubernetes() {}

  /** The node agent of {@code h}, or null for hosts that are not Kubernetes nodes. */
  static HostExtension agentFor(LabPlan plan, LabPlan.HostPlan h, long wallClockAtStart) {
    if (h.spec().kind() != LabSpec.HostKind.NODE) {
      return null;
    }
    Ipv4Address ip = null;
    String dev = null;
    for (LabSpec.InterfaceSpec i : h.spec().interfaces()) {
      if (i.segment() != null && !i.addresses().isEmpty()) {
        ip = Ipv4Address.parse(i.addresses().get(0).substring(0, i.addresses().get(0).indexOf('/')));
        dev = i.name();
        break;
      }
    }
    if (ip == null) {
      return null;
    }
    Map<String, String> labels = new TreeMap<>(Map.of(
        "kubernetes.io/hostname", h.spec().name(), "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
        "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch", "amd64"));
    labels.putAll(h.spec().labels());
    return new NodeAgent(new NodeAgent.Settings(h.spec().name(), ip, List.of(dev), labels, wallClockAtStart,
        plan.spec().seed() ^ h.spec().name().hashCode() * 0x9E3779B97F4A7C15L));
  }

  /** Installs Cilium (ConfigMap, DaemonSet, operator) and applies the manifests. */
  static void bootstrap(ActorSystem<?> system, LabSpec spec, long wallClockAtStart) throws Exception {
    ActorRef<KubeClient.Command> client = system.systemActorOf(KubeClient.create(), "lab-bootstrap", Props.empty());
    if (spec.cilium() != null) {
      Map<String, Object> tree = new LinkedHashMap<>();
      for (String s : spec.cilium().set()) {
        HelmSetParser.parseInto(s, tree);
      }
      Map<String, String> data = CiliumChart.render(CiliumChart.defaults().overlay(HelmValues.of(tree)));
      ObjectMapper json = new ObjectMapper();
      ObjectNode cm = json.createObjectNode();
      cm.put("apiVersion", "v1").put("kind", "ConfigMap");
      ObjectNode meta = cm.putObject("metadata");
      meta.put("name", "cilium-config").put("namespace", "kube-system");
      meta.putObject("labels").put("app.kubernetes.io/managed-by", "Helm");
      meta.putObject("annotations").put("meta.helm.sh/release-name", "cilium")
          .put("meta.helm.sh/release-namespace", "kube-system")
          .put(HELM_SET_ANNOTATION, String.join("\n", spec.cilium().set()))
          .put(HELM_REVISION_ANNOTATION, "1")
          .put("podnet.io/chart-version", spec.cilium().version());
      ObjectNode d = cm.putObject("data");
      data.forEach(d::put);
      create(system, client, KubeResource.CONFIG_MAPS, json.writeValueAsString(cm));
      create(system, client, KubeResource.DAEMON_SETS, daemonSet(spec.cilium().version()));
      system.systemActorOf(CiliumOperator.create(wallClockAtStart), "cilium-operator", Props.empty());
      system.systemActorOf(io.podnet.node.agent.HubbleRelay.create(), "hubble-relay", Props.empty());
    }
    for (String file : spec.manifests()) {
      for (JsonNode doc : documents(Path.of(file))) {
        create(system, client, resourceOf(doc, file), new ObjectMapper().writeValueAsString(doc));
      }
    }
  }

  /**
   * Waits until the lab is up as people expect to find it: every pod Running with its IP, every
   * CiliumNode with its podCIDR and router IP, and every node's datapath (its ipcache) knowing every
   * pod and every node's router IP, hence its routes installed. Returns how long it took.
   */
  static Duration awaitReady(Lab lab, LabSpec spec, Duration timeout) throws Exception {
    if (spec.cilium() == null) {
      return Duration.ZERO;
    }
    ActorSystem<?> system = lab.system();
    ActorRef<KubeClient.Command> client = system.systemActorOf(KubeClient.create(), "lab-readiness", Props.empty());
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    String waitingFor = "";
    while (System.nanoTime() < deadline) {
      waitingFor = notReady(lab, system, client);
      if (waitingFor.isEmpty()) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("lab " + spec.name() + " not ready after " + timeout + ": " + waitingFor);
  }

  private static String notReady(Lab lab, ActorSystem<?> system, ActorRef<KubeClient.Command> client)
      throws Exception {
    List<String> ips = new ArrayList<>();
    for (Struct pod : list(system, client, KubeResource.PODS).items()) {
      String name = str(pod, "metadata", "name");
      Struct status = pod.getFieldsMap().get("status") == null ? Struct.getDefaultInstance()
          : pod.getFieldsMap().get("status").getStructValue();
      if (!"Running".equals(str(pod, "status", "phase")) || str(pod, "status", "podIP").isEmpty()) {
        return "pod " + name + " is not Running yet";
      }
      if (!pod.getFieldsMap().get("spec").getStructValue().getFieldsMap().containsKey("hostNetwork")) {
        ips.add(status.getFieldsMap().get("podIP").getStringValue());
      }
    }
    List<String> nodes = new ArrayList<>();
    for (Struct n : list(system, client, KubeResource.CILIUM_NODES).items()) {
      String router = "";
      var spec = n.getFieldsMap().get("spec").getStructValue();
      if (spec.getFieldsMap().containsKey("addresses")) {
        for (var a : spec.getFieldsMap().get("addresses").getListValue().getValuesList()) {
          if ("CiliumInternalIP".equals(a.getStructValue().getFieldsMap().get("type").getStringValue())) {
            router = a.getStructValue().getFieldsMap().get("ip").getStringValue();
          }
        }
      }
      if (router.isEmpty()) {
        return "CiliumNode " + str(n, "metadata", "name") + " has no router IP yet";
      }
      ips.add(router);
      nodes.add(str(n, "metadata", "name"));
    }
    for (String node : nodes) {
      String ipcache = run(lab, system, node, List.of("cilium-dbg", "bpf", "ipcache", "list"));
      for (String ip : ips) {
        if (!ipcache.contains("\n" + ip + "/32 ")) {
          return "the datapath of " + node + " does not know " + ip + " yet";
        }
      }
    }
    return "";
  }

  private static String str(Struct s, String... path) {
    Struct cur = s;
    for (int i = 0; i < path.length - 1; i++) {
      var v = cur.getFieldsMap().get(path[i]);
      if (v == null || !v.hasStructValue()) {
        return "";
      }
      cur = v.getStructValue();
    }
    var v = cur.getFieldsMap().get(path[path.length - 1]);
    return v == null ? "" : v.getStringValue();
  }

  private static KubeClient.Result list(ActorSystem<?> system, ActorRef<KubeClient.Command> client, KubeResource r)
      throws Exception {
    return AskPattern.<KubeClient.Command, KubeClient.Result>ask(client,
        reply -> new KubeClient.Call(KubeClient.Request.list(r, ""), reply), Duration.ofSeconds(10),
        system.scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private static String run(Lab lab, ActorSystem<?> system, String host, List<String> argv) throws Exception {
    StringBuilder out = new StringBuilder();
    lab.runner().run(new io.podnet.deploy.control.CommandRequest(host, "/", argv),
            new java.util.concurrent.CompletableFuture<>())
        .runForeach(o -> {
          if (o instanceof io.podnet.deploy.control.Output.Out t) {
            out.append(t.text());
          }
        }, system).toCompletableFuture().get(15, TimeUnit.SECONDS);
    return out.toString();
  }

  private static String daemonSet(String version) {
    return """
        {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"cilium","namespace":"kube-system",
         "labels":{"k8s-app":"cilium","app.kubernetes.io/name":"cilium-agent","app.kubernetes.io/part-of":"cilium"}},
         "spec":{"selector":{"matchLabels":{"k8s-app":"cilium"}},
          "template":{"metadata":{"labels":{"k8s-app":"cilium","app.kubernetes.io/name":"cilium-agent"}},
           "spec":{"hostNetwork":true,"serviceAccountName":"cilium",
            "containers":[{"name":"cilium-agent","image":"quay.io/cilium/cilium:vVERSION"}]}}}}
        """.replace("VERSION", version);
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (YAMLParser p = new YAMLFactory().createParser(Files.readString(file))) {
      var it = yaml.readValues(p, JsonNode.class);
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  private static KubeResource resourceOf(JsonNode doc, String file) {
    String apiVersion = doc.path("apiVersion").asText();
    String kind = doc.path("kind").asText();
    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
    return switch (kind) {
      case "Pod" -> KubeResource.PODS;
      case "Service" -> KubeResource.SERVICES;
      case "ConfigMap" -> KubeResource.CONFIG_MAPS;
      case "Namespace" -> KubeResource.NAMESPACES;
      case "DaemonSet" -> KubeResource.DAEMON_SETS;
      case "Deployment" -> new KubeResource(group, version, "deployments", true);
      case "CiliumLoadBalancerIPPool" -> KubeResource.CILIUM_LB_IP_POOLS;
      case "CiliumL2AnnouncementPolicy" -> KubeResource.CILIUM_L2_ANNOUNCEMENT_POLICIES;
      default -> throw new IllegalArgumentException(file + ": kind " + kind + " (" + apiVersion
          + ") is not one podnet's lab manifests can hold");
    };
  }

  private static void create(ActorSystem<?> system, ActorRef<KubeClient.Command> client, KubeResource r, String json)
      throws Exception {
    Struct.Builder b = Struct.newBuilder();
    JsonFormat.parser().merge(json, b);
    Struct obj = b.build();
    if (r.namespaced() && !obj.getFieldsMap().get("metadata").getStructValue().containsFields("namespace")) {
      Struct meta = obj.getFieldsMap().get("metadata").getStructValue().toBuilder()
          .putFields("namespace", com.google.protobuf.Value.newBuilder().setStringValue("default").build()).build();
      obj = obj.toBuilder().putFields("metadata", com.google.protobuf.Value.newBuilder().setStructValue(meta).build())
          .build();
    }
    Struct body = obj;
    KubeClient.Result res = AskPattern.<KubeClient.Command, KubeClient.Result>ask(client,
        reply -> new KubeClient.Call(KubeClient.Request.create(r, body), reply), Duration.ofSeconds(15),
        system.scheduler()).toCompletableFuture().get(20, TimeUnit.SECONDS);
    if (!res.ok() && res.code() != 409) {
      throw new IllegalStateException("cannot create " + r.resource() + ": " + res.code() + " " + res.message());
    }
  }
}
