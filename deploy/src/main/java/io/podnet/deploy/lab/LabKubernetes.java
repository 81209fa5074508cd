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
  static void bootstrap(ActorSystem<?> system, LabSpec spec) throws Exception {
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
      system.systemActorOf(CiliumOperator.create(), "cilium-operator", Props.empty());
      system.systemActorOf(io.podnet.node.agent.HubbleRelay.create(), "hubble-relay", Props.empty());
    }
    for (String file : spec.manifests()) {
      for (JsonNode doc : documents(Path.of(file))) {
        create(system, client, resourceOf(doc, file), new ObjectMapper().writeValueAsString(doc));
      }
    }
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
