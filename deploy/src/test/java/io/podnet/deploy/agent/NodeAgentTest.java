package io.podnet.deploy.agent;

import static io.podnet.deploy.agent.AgentLab.at;
import static io.podnet.deploy.agent.AgentLab.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.node.api.KubeResource;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The node agent (kubelet + Cilium agent inside a node's host actor), the operator and the relay,
 * against the real API server, as a user of a lab sees them: through the API and the nodes' and
 * pods' own commands.
 */
class NodeAgentTest {
  AgentLab lab;

  @AfterEach
  void stop() {
    if (lab != null) {
      lab.close();
    }
  }

  /** Starts a cluster of {@code nodes} (k8s-w1 at 192.168.10.101, ...) with native routing. */
  AgentLab cluster(int nodes) {
    lab = new AgentLab();
    lab.installCilium(AgentLab.NATIVE);
    for (int i = 1; i <= nodes; i++) {
      lab.startNode("k8s-w" + i, "192.168.10.10" + i);
    }
    return lab;
  }

  /** The CiliumNode once it has a podCIDR and publishes its router IP: {podCIDR, router IP}. */
  String[] nodeReady(String node) {
    return lab.awaitValue(() -> {
      Struct cn = lab.get(KubeResource.CILIUM_NODES, "", node);
      String cidr = str(cn, "spec.ipam.podCIDRs.0");
      String router = "";
      String internal = "";
      for (var a : at(cn, "spec.addresses").getListValue().getValuesList()) {
        if (str(a.getStructValue(), "type").equals("CiliumInternalIP")) {
          router = str(a.getStructValue(), "ip");
        } else if (str(a.getStructValue(), "type").equals("InternalIP")) {
          internal = str(a.getStructValue(), "ip");
        }
      }
      assertFalse(cidr.isEmpty(), "no podCIDR on " + cn);
      assertFalse(router.isEmpty(), "no CiliumInternalIP on " + cn);
      assertEquals(lab.nodeIps.get(node).toString(), internal);
      return new String[] {cidr, router};
    });
  }

  @Test
  void aNodeGetsAPodCidrFromTheClusterPoolAndItsRouterIpOnCiliumHost() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    Ipv4Prefix pool = Ipv4Prefix.parse("172.20.0.0/16");
    for (String[] n : List.of(w1, w2)) {
      Ipv4Prefix cidr = Ipv4Prefix.parse(n[0]);
      assertEquals(24, cidr.length(), n[0]);
      assertTrue(pool.contains(cidr.address()), n[0] + " from the pool");
      assertTrue(cidr.contains(Ipv4Address.parse(n[1])), "router IP " + n[1] + " in " + n[0]);
    }
    assertNotEquals(w1[0], w2[0], "two nodes, two podCIDRs");
    // The kubelet registered the Node too.
    assertEquals("k8s-w1", str(lab.get(KubeResource.NODES, "", "k8s-w1"), "metadata.name"));

    var w1Host = lab.nodes.get("k8s-w1");
    lab.await(() -> {
      String addr = lab.run(w1Host, "ip", "-4", "addr", "show", "dev", "cilium_host").out();
      assertTrue(addr.contains("inet " + w1[1] + "/32 scope global cilium_host"), addr);
    });
    // Routes: the own podCIDR via the router IP, the other node's podCIDR directly via its node IP.
    lab.await(() -> {
      String routes = lab.run(w1Host, "ip", "route").out();
      assertTrue(routes.contains(w1[0] + " via " + w1[1] + " dev cilium_host"), routes);
      assertTrue(routes.contains(w2[0] + " via 192.168.10.102 dev eth0"), routes);
    });
  }

  Struct running(String ns, String name) {
    return lab.awaitRunning(ns, name);
  }

  /** Whether {@code cilium-dbg bpf ipcache list} maps {@code ip}/32 to identity {@code id}. */
  static boolean inIpcache(String ipcache, String ip, Object id) {
    return Pattern.compile("^" + Pattern.quote(ip + "/32") + " +identity=" + id + " ", Pattern.MULTILINE)
        .matcher(ipcache).find();
  }

  /** The lxc devices on a node, by name. */
  List<String> lxcDevices(String node) {
    String links = lab.run(lab.nodes.get(node), "ip", "link").out();
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("^\\d+: (lxc[0-9a-f]{12})[@:]", Pattern.MULTILINE).matcher(links);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** Cilium's security labels of a default-namespace pod with {@code app=APP} and the default service account. */
  static Map<String, String> securityLabels(String app) {
    return new TreeMap<>(Map.of(
        "k8s:app", app,
        "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name", "default",
        "k8s:io.cilium.k8s.policy.cluster", "default",
        "k8s:io.cilium.k8s.policy.serviceaccount", "default",
        "k8s:io.kubernetes.pod.namespace", "default"));
  }

  static Map<String, String> strings(Struct s, String path) {
    Map<String, String> out = new TreeMap<>();
    at(s, path).getStructValue().getFieldsMap().forEach((k, v) -> out.put(k, v.getStringValue()));
    return out;
  }

  /** The CiliumIdentities whose security-labels are {@code labels}. */
  List<Struct> identitiesOf(Map<String, String> labels) {
    return lab.list(KubeResource.CILIUM_IDENTITIES).stream()
        .filter(i -> strings(i, "security-labels").equals(labels)).toList();
  }

  @Test
  void aPodRunsWithAnIpFromThePodCidrBehindAnLxcDeviceWithAnEndpointAndAnIdentityUntilDeleted() {
    cluster(1);
    String[] w1 = nodeReady("k8s-w1");
    var node = lab.nodes.get("k8s-w1");
    assertEquals(List.of(), lxcDevices("k8s-w1"));
    lab.createPod("default", "webpod-1", "k8s-w1", Map.of("app", "webpod"), false);

    Struct pod = running("default", "webpod-1");
    String ip = str(pod, "status.podIP");
    assertTrue(Ipv4Prefix.parse(w1[0]).contains(Ipv4Address.parse(ip)), ip + " in " + w1[0]);
    assertNotEquals(w1[1], ip, "not the router IP");
    assertEquals("192.168.10.101", str(pod, "status.hostIP"));
    assertEquals(ip, str(pod, "status.podIPs.0.ip"));
    assertEquals("True", str(pod, "status.conditions.2.status"));

    // The pod's own stack: its IP on eth0, the router IP as its gateway.
    var podHost = lab.podHost("default", "webpod-1");
    String addr = lab.run(podHost, "ip", "-4", "addr", "show", "dev", "eth0").out();
    assertTrue(addr.contains("inet " + ip + "/32 scope global eth0"), addr);
    String podRoutes = lab.run(podHost, "ip", "route").out();
    assertTrue(podRoutes.contains("default via " + w1[1] + " dev eth0 mtu 1500"), podRoutes);
    // One lxc device on the node, up.
    List<String> lxc = lxcDevices("k8s-w1");
    assertEquals(1, lxc.size(), () -> lab.run(node, "ip", "link").out());
    assertTrue(lab.run(node, "ip", "link", "show", lxc.get(0)).out().contains("state UP"));

    // Its CiliumEndpoint and CiliumIdentity.
    Struct cep = lab.awaitValue(() -> {
      Struct c = lab.find(KubeResource.CILIUM_ENDPOINTS, "default", "webpod-1");
      assertNotNull(c, "no CiliumEndpoint yet");
      return c;
    });
    assertEquals(ip, str(cep, "status.networking.addressing.0.ipv4"));
    assertEquals("192.168.10.101", str(cep, "status.networking.node"));
    assertEquals("ready", str(cep, "status.state"));
    assertEquals(str(pod, "metadata.uid"), str(cep, "metadata.ownerReferences.0.uid"));
    int id = Integer.parseInt(str(cep, "status.identity.id"));
    assertTrue(id >= 256 && id <= 65535, "a cluster-scope identity: " + id);
    Struct identity = lab.get(KubeResource.CILIUM_IDENTITIES, "", Integer.toString(id));
    assertEquals(securityLabels("webpod"), strings(identity, "security-labels"));
    assertEquals("webpod", str(identity, "metadata.labels.app"));
    assertEquals("default", strings(identity, "metadata.labels").get("io.kubernetes.pod.namespace"));
    // The datapath knows it, and IPAM holds the address for it.
    lab.await(() -> {
      String ipcache = lab.run(node, "cilium-dbg", "bpf", "ipcache", "list").out();
      assertTrue(inIpcache(ipcache, ip, id), ipcache);
    });
    String status = lab.run(node, "cilium-dbg", "status", "--all-addresses").out();
    assertTrue(status.contains("  " + ip + " (default/webpod-1)"), status);
    assertTrue(status.contains("IPv4: 2/254 allocated from " + w1[0]), status);

    // Deleted: the lxc device goes, the address is free again, the endpoint is gone.
    lab.deletePod("default", "webpod-1");
    lab.await(() -> assertEquals(List.of(), lxcDevices("k8s-w1")));
    lab.await(() -> assertNull(lab.find(KubeResource.CILIUM_ENDPOINTS, "default", "webpod-1")));
    lab.await(() -> assertEquals(List.of(), lab.podHosts("default", "webpod-1")));
    status = lab.run(node, "cilium-dbg", "status", "--all-addresses").out();
    assertFalse(status.contains(ip + " (default/webpod-1)"), status);
    assertTrue(status.contains("IPv4: 1/254 allocated from " + w1[0]), status);
    lab.await(() -> {
      String ipcache = lab.run(node, "cilium-dbg", "bpf", "ipcache", "list").out();
      assertFalse(ipcache.contains("\n" + ip + "/32"), ipcache);
    });

    // A new pod runs as the first did.
    lab.createPod("default", "webpod-2", "k8s-w1", Map.of("app", "webpod"), false);
    Struct next = running("default", "webpod-2");
    assertTrue(Ipv4Prefix.parse(w1[0]).contains(Ipv4Address.parse(str(next, "status.podIP"))));
    lab.await(() -> assertEquals(1, lxcDevices("k8s-w1").size()));
  }

  @Test
  void twoPodsWithTheSameLabelsOnTwoNodesConvergeOnOneIdentity() {
    lab = new AgentLab();
    lab.startNode("k8s-w1", "192.168.10.101");
    lab.startNode("k8s-w2", "192.168.10.102");
    // The pod GC deletes pods bound to nodes that are not registered (yet).
    lab.await(() -> assertNotNull(lab.find(KubeResource.NODES, "", "k8s-w1")));
    lab.await(() -> assertNotNull(lab.find(KubeResource.NODES, "", "k8s-w2")));
    // Every identity created and deleted, as the API server tells it.
    var events = lab.testKit.<io.podnet.node.api.KubeClient.Event>createTestProbe();
    var started = lab.testKit.<io.podnet.node.api.KubeClient.Result>createTestProbe();
    lab.client.tell(new io.podnet.node.api.KubeClient.Watch(io.podnet.node.api.KubeClient.Request.watch(
        KubeResource.CILIUM_IDENTITIES, "", "", "", ""), events.ref(), started.ref()));
    assertTrue(started.receiveMessage().ok());
    // Both pods wait for Cilium, so that both agents allocate an identity for them at once.
    lab.createPod("default", "webpod-a", "k8s-w1", Map.of("app", "webpod"), false);
    lab.createPod("default", "webpod-b", "k8s-w2", Map.of("app", "webpod"), false);
    lab.createPod("default", "curl-pod", "k8s-w2", Map.of("app", "curl"), false);
    lab.installCilium(AgentLab.NATIVE);
    String a = str(running("default", "webpod-a"), "status.podIP");
    String b = str(running("default", "webpod-b"), "status.podIP");
    String c = str(running("default", "curl-pod"), "status.podIP");

    Struct winner = lab.awaitValue(() -> {
      List<Struct> ids = identitiesOf(securityLabels("webpod"));
      assertEquals(1, ids.size(), () -> "identities of app=webpod: " + ids);
      return ids.get(0);
    });
    String id = str(winner, "metadata.name");
    String curlId = lab.awaitValue(() -> {
      List<Struct> ids = identitiesOf(securityLabels("curl"));
      assertEquals(1, ids.size());
      return str(ids.get(0), "metadata.name");
    });
    assertNotEquals(id, curlId, "other labels, another identity");
    lab.await(() -> {
      assertEquals(id, str(lab.get(KubeResource.CILIUM_ENDPOINTS, "default", "webpod-a"), "status.identity.id"));
      assertEquals(id, str(lab.get(KubeResource.CILIUM_ENDPOINTS, "default", "webpod-b"), "status.identity.id"));
      assertEquals(curlId, str(lab.get(KubeResource.CILIUM_ENDPOINTS, "default", "curl-pod"), "status.identity.id"));
    });
    // Every node's datapath agrees.
    for (String n : List.of("k8s-w1", "k8s-w2")) {
      lab.await(() -> {
        String ipcache = lab.run(lab.nodes.get(n), "cilium-dbg", "bpf", "ipcache", "list").out();
        assertTrue(inIpcache(ipcache, a, id), n + ":\n" + ipcache);
        assertTrue(inIpcache(ipcache, b, id), n + ":\n" + ipcache);
        assertTrue(inIpcache(ipcache, c, curlId), n + ":\n" + ipcache);
      });
    }
    // It stays that way.
    lab.pass(java.time.Duration.ofMillis(50));
    assertEquals(1, identitiesOf(securityLabels("webpod")).size());
    // Whichever agents raced: every app=webpod identity but the first created was deleted again.
    List<String> added = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    while (true) {
      io.podnet.node.api.KubeClient.Event e;
      try {
        e = events.receiveMessage(java.time.Duration.ofMillis(300));
      } catch (AssertionError none) {
        break;
      }
      if (strings(e.object(), "security-labels").equals(securityLabels("webpod"))) {
        String name = str(e.object(), "metadata.name");
        switch (e.type()) {
          case ADDED -> added.add(name);
          case DELETED -> deleted.add(name);
          default -> { }
        }
      }
    }
    assertEquals(id, added.get(0), "the first one created wins: " + added);
    assertEquals(added.subList(1, added.size()), deleted, "the losers are deleted");
  }

  @Test
  void aHostNetworkPodGetsTheNodeIpAndRunsCommandsOnTheNode() {
    cluster(1);
    nodeReady("k8s-w1");
    lab.createPod("kube-system", "cilium-abcde", "k8s-w1", Map.of("k8s-app", "cilium"), true,
        "quay.io/cilium/cilium:v1.18.0");
    Struct pod = running("kube-system", "cilium-abcde");
    assertEquals("192.168.10.101", str(pod, "status.podIP"));
    assertEquals("192.168.10.101", str(pod, "status.hostIP"));
    var host = lab.podHost("kube-system", "cilium-abcde");
    // The node's own interfaces, not a veth of its own.
    String addr = lab.run(host, "ip", "-4", "addr", "show", "dev", "eth0").out();
    assertTrue(addr.contains("inet 192.168.10.101/24"), addr);
    assertTrue(lab.run(host, "ip", "link", "show", "cilium_host").code() == 0);
    // In the agent's container, cilium is the agent's client.
    assertTrue(lab.run(host, "cilium", "status").out().contains("KubeProxyReplacement:"));
    assertEquals(List.of(), lxcDevices("k8s-w1"), "no lxc for a host-network pod");
    assertNull(lab.find(KubeResource.CILIUM_ENDPOINTS, "kube-system", "cilium-abcde"), "no endpoint either");

    lab.deletePod("kube-system", "cilium-abcde");
    lab.await(() -> assertEquals(List.of(), lab.podHosts("kube-system", "cilium-abcde")));
    // The node itself runs on.
    assertTrue(lab.run(lab.nodes.get("k8s-w1"), "ip", "-4", "addr", "show", "dev", "eth0").out()
        .contains("inet 192.168.10.101/24"));
  }

  /** The reference's switch to Geneve: the same pool, tunnel routing. */
  static final List<String> GENEVE = List.of("kubeProxyReplacement=true", "routingMode=tunnel",
      "tunnelProtocol=geneve", "ipam.mode=cluster-pool", "ipam.operator.clusterPoolIPv4PodCIDRList={172.20.0.0/16}",
      "ipam.operator.clusterPoolIPv4MaskSize=24");

  String routes(String node) {
    return lab.run(lab.nodes.get(node), "ip", "route").out();
  }

  static boolean tunnelRoute(String routes, String cidr, String router) {
    return Pattern.compile("^" + Pattern.quote(cidr + " via " + router + " dev cilium_host ") + ".*mtu 1450 ?$",
        Pattern.MULTILINE).matcher(routes).find();
  }

  @Test
  void aConfigChangeRestartsTheDatapathIntoGeneveAndBack() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    var node = lab.nodes.get("k8s-w1");
    lab.await(() -> assertTrue(routes("k8s-w1").contains(w2[0] + " via 192.168.10.102 dev eth0"), routes("k8s-w1")));
    assertNotEquals(0, lab.run(node, "ip", "link", "show", "cilium_geneve").code(), "no tunnel device yet");
    assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Native"));

    lab.setConfig(AgentLab.render(GENEVE));
    for (String[] n : List.of(new String[] {"k8s-w1", w2[0], w1[1]}, new String[] {"k8s-w2", w1[0], w2[1]})) {
      lab.await(() -> {
        String r = routes(n[0]);
        assertTrue(tunnelRoute(r, n[1], n[2]), n[0] + ":\n" + r);
        assertFalse(r.contains(n[1] + " via 192.168.10."), "no direct route left:\n" + r);
        String link = lab.run(lab.nodes.get(n[0]), "ip", "link", "show", "cilium_geneve").out();
        assertTrue(link.contains("cilium_geneve:") && link.contains(",UP"), link);
      });
    }
    assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Tunnel [geneve]"));
    // The own podCIDR stays on cilium_host, the router IP too.
    assertTrue(routes("k8s-w1").contains(w1[0] + " via " + w1[1] + " dev cilium_host"), routes("k8s-w1"));
    assertTrue(lab.run(node, "ip", "-4", "addr", "show", "dev", "cilium_host").out().contains("inet " + w1[1] + "/32"));
    // A pod started under the tunnel gets the tunnel's MTU.
    lab.createPod("default", "tunnelled", "k8s-w1", Map.of("app", "t"), false);
    running("default", "tunnelled");
    String podRoutes = lab.run(lab.podHost("default", "tunnelled"), "ip", "route").out();
    assertTrue(podRoutes.contains("default via " + w1[1] + " dev eth0 mtu 1450"), podRoutes);

    // And back to native routing.
    lab.setConfig(AgentLab.render(AgentLab.NATIVE));
    lab.await(() -> {
      String r = routes("k8s-w1");
      assertTrue(r.contains(w2[0] + " via 192.168.10.102 dev eth0"), r);
      assertFalse(tunnelRoute(r, w2[0], w1[1]), r);
      assertFalse(r.contains("mtu 1450"), r);
    });
    String link = lab.run(node, "ip", "link", "show", "cilium_geneve").out();
    assertFalse(link.contains("state UP"), "the tunnel device is down: " + link);
    assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Native"));
  }

  @Test
  void aBadConfigIsRefusedWithAWarningAndTheAgentKeepsRunning() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    var node = lab.nodes.get("k8s-w1");
    lab.await(() -> assertTrue(routes("k8s-w1").contains(w2[0] + " via 192.168.10.102 dev eth0")));
    Map<String, String> bad = new TreeMap<>(AgentLab.render(AgentLab.NATIVE));
    bad.put("routing-mode", "bogus");
    LoggingTestKit.warn("k8s-w1: cilium-config: invalid routing mode \"bogus\", valid modes = {native, tunnel}; "
        + "the agent keeps its configuration").expect(lab.testKit.system(), () -> {
          lab.setConfig(bad);
          return null;
        });
    // The running configuration stays: routes, status, and pods still start.
    assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Native"));
    assertTrue(routes("k8s-w1").contains(w2[0] + " via 192.168.10.102 dev eth0"), routes("k8s-w1"));
    lab.createPod("default", "after-bad-config", "k8s-w1", Map.of("app", "x"), false);
    running("default", "after-bad-config");
    // A good configuration after it is taken.
    lab.setConfig(AgentLab.render(GENEVE));
    lab.await(() -> assertTrue(tunnelRoute(routes("k8s-w1"), w2[0], w1[1]), routes("k8s-w1")));
    assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Tunnel [geneve]"));
  }

  @Test
  void aPodResolvesServiceNamesOfItsNamespaceToTheirClusterIps() {
    cluster(1);
    nodeReady("k8s-w1");
    for (String[] svc : List.of(new String[] {"default", "webpod"}, new String[] {"other", "db"})) {
      AgentLab.ok(lab.call(io.podnet.node.api.KubeClient.Request.create(KubeResource.SERVICES, AgentLab.json(
          "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + svc[1] + "\",\"namespace\":\""
              + svc[0] + "\"},\"spec\":{\"selector\":{\"app\":\"" + svc[1] + "\"},\"ports\":[{\"port\":80,"
              + "\"targetPort\":80,\"protocol\":\"TCP\"}]}}"))));
    }
    String web = str(lab.get(KubeResource.SERVICES, "default", "webpod"), "spec.clusterIP");
    String db = str(lab.get(KubeResource.SERVICES, "other", "db"), "spec.clusterIP");
    assertTrue(Ipv4Prefix.parse("10.96.0.0/12").contains(Ipv4Address.parse(web)), web);
    assertNotEquals(web, db);
    lab.createPod("default", "curl-pod", "k8s-w1", Map.of("app", "curl"), false);
    running("default", "curl-pod");
    var pod = lab.podHost("default", "curl-pod");
    for (String name : List.of("webpod", "webpod.default", "webpod.default.svc", "webpod.default.svc.cluster.local",
        "webpod.default.svc.cluster.local.", "WebPod", "WEBPOD.Default.SVC.cluster.local")) {
      lab.await(() -> assertEquals("PING " + name + " (" + web + ") 56(84) bytes of data.",
          lab.firstLine(pod, "ping", "-c", "1", name)));
    }
    // Another namespace's Service by its qualified name only.
    assertEquals("PING db.other (" + db + ") 56(84) bytes of data.", lab.firstLine(pod, "ping", "-c", "1", "db.other"));
    assertEquals("ping: db: Name or service not known", lab.firstLine(pod, "ping", "-c", "1", "db"));
    assertEquals("ping: nothing: Name or service not known", lab.firstLine(pod, "ping", "-c", "1", "nothing"));
    // NAME.svc.cluster.local is a namespace's name, not a Service of the pod's namespace.
    assertEquals("ping: webpod.svc.cluster.local: Name or service not known",
        lab.firstLine(pod, "ping", "-c", "1", "webpod.svc.cluster.local"));
    assertEquals("ping: webpod.svc: Name or service not known", lab.firstLine(pod, "ping", "-c", "1", "webpod.svc"));
    // A pod in the other namespace has it the other way round.
    lab.createPod("other", "client", "k8s-w1", Map.of("app", "client"), false);
    running("other", "client");
    var other = lab.podHost("other", "client");
    assertEquals("PING db (" + db + ") 56(84) bytes of data.", lab.firstLine(other, "ping", "-c", "1", "db"));
    assertEquals("ping: webpod: Name or service not known", lab.firstLine(other, "ping", "-c", "1", "webpod"));
    assertEquals("PING webpod.default.svc.cluster.local (" + web + ") 56(84) bytes of data.",
        lab.firstLine(other, "ping", "-c", "1", "webpod.default.svc.cluster.local"));
    // The node's resolver knows cluster FQDNs only.
    var node = lab.nodes.get("k8s-w1");
    assertEquals("ping: webpod: Name or service not known", lab.firstLine(node, "ping", "-c", "1", "webpod"));
    assertEquals("PING webpod.default.svc.cluster.local (" + web + ") 56(84) bytes of data.",
        lab.firstLine(node, "ping", "-c", "1", "webpod.default.svc.cluster.local"));
    // A deleted Service no longer resolves.
    AgentLab.ok(lab.call(io.podnet.node.api.KubeClient.Request.delete(KubeResource.SERVICES, "default", "webpod")));
    lab.await(() -> assertEquals("ping: webpod: Name or service not known", lab.firstLine(pod, "ping", "-c", "1",
        "webpod")));
  }

  @Test
  void flowsSeenOnOneNodeAreServedOnEveryNodeThroughTheRelay() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    nodeReady("k8s-w2");
    lab.createPod("default", "pinger", "k8s-w1", Map.of("app", "pinger"), false);
    running("default", "pinger");
    var pod = lab.podHost("default", "pinger");
    AgentLab.Output ping = lab.runTimed(pod, java.time.Duration.ofSeconds(2), "ping", "-c", "1", "-W", "1",
        "192.168.10.101");
    assertEquals(0, ping.code(), ping.out() + ping.err());
    // The flows stay on k8s-w1; hubble observe on any node asks the relay, which asks every node.
    for (String n : List.of("k8s-w1", "k8s-w2")) {
      lab.await(() -> {
        String flows = lab.run(lab.nodes.get(n), "hubble", "observe", "--pod", "default/pinger").out();
        assertTrue(flows.contains("default/pinger"), n + ":\n" + flows);
        assertTrue(flows.contains("EchoRequest"), n + ":\n" + flows);
      });
    }
    int before = count(lab.run(lab.nodes.get("k8s-w2"), "hubble", "observe", "--pod", "default/pinger").out(),
        "EchoRequest");

    // The relay restarts: the agents find the new one, and flows flow again.
    lab.testKit.stop(lab.relay);
    lab.relay = lab.testKit.spawn(io.podnet.node.agent.HubbleRelay.create(), "hubble-relay-2");
    lab.await(() -> {
      AgentLab.Output again = lab.runTimed(pod, java.time.Duration.ofSeconds(2), "ping", "-c", "1", "-W", "1",
          w1[1]);
      assertEquals(0, again.code(), again.out() + again.err());
      lab.pass(java.time.Duration.ofMillis(5));
      for (String n : List.of("k8s-w1", "k8s-w2")) {
        lab.await(java.time.Duration.ofSeconds(3), () -> {
          String flows = lab.run(lab.nodes.get(n), "hubble", "observe", "--pod", "default/pinger").out();
          assertTrue(count(flows, "EchoRequest") > before, n + ":\n" + flows);
        });
      }
    });
  }

  @Test
  void hubbleObserveFollowStreamsEveryNodesFlowsThroughTheRelayUntilCtrlC() {
    cluster(2);
    nodeReady("k8s-w1");
    nodeReady("k8s-w2");
    lab.createPod("default", "pinger", "k8s-w1", Map.of("app", "pinger"), false);
    running("default", "pinger");
    var pod = lab.podHost("default", "pinger");
    // hubble observe -f on k8s-w2 follows what k8s-w1 sees, through the relay.
    var w2 = lab.nodes.get("k8s-w2");
    var follow = lab.testKit.<io.podnet.netstack.actor.ToolOutput>createTestProbe();
    // The relay must know both observers before the request: a first observe answers once it does.
    lab.await(() -> assertEquals(0, lab.run(w2, "hubble", "observe", "--last", "1").code()));
    w2.tell(new io.podnet.netstack.actor.HostActor.RunTool("follow", List.of("hubble", "observe", "-f", "--pod",
        "default/pinger", "--protocol", "icmp"), "/", follow.ref()));
    lab.pass(java.time.Duration.ofMillis(2));
    AgentLab.Output ping = lab.runTimed(pod, java.time.Duration.ofSeconds(2), "ping", "-c", "1", "-W", "1",
        "192.168.10.101");
    assertEquals(0, ping.code(), ping.out() + ping.err());
    lab.pass(java.time.Duration.ofMillis(5)); // the observer's 1 ms batches
    StringBuilder got = new StringBuilder();
    lab.await(() -> {
      io.podnet.netstack.actor.ToolOutput o;
      while ((o = follow.receiveMessage(java.time.Duration.ofMillis(200))) != null) {
        if (o instanceof io.podnet.netstack.actor.ToolOutput.Stdout out) {
          got.append(out.text());
        }
        if (got.toString().contains("EchoReply")) {
          break;
        }
      }
      assertTrue(got.toString().contains("default/pinger (ID:") && got.toString().contains("EchoRequest"),
          got.toString());
    });
    // Ctrl-C: exit 0, and nothing more comes.
    w2.tell(new io.podnet.netstack.actor.HostActor.SignalTool("follow", "INT"));
    io.podnet.netstack.actor.ToolOutput o;
    do {
      o = follow.receiveMessage(java.time.Duration.ofSeconds(5));
    } while (!(o instanceof io.podnet.netstack.actor.ToolOutput.Exited));
    assertEquals(new io.podnet.netstack.actor.ToolOutput.Exited("follow", 0), o);
  }

  @Test
  void anEndpointSeenBeforeItsNodeIsInTheIpcacheOnceTheNodeIsKnown() {
    // A restarted lab lists CiliumEndpoints and CiliumNodes at once, in any order: an endpoint
    // whose node the agent does not know yet must reach the ipcache when the node comes.
    cluster(1);
    nodeReady("k8s-w1");
    var node = lab.nodes.get("k8s-w1");
    AgentLab.ok(lab.call(io.podnet.node.api.KubeClient.Request.create(KubeResource.CILIUM_ENDPOINTS, AgentLab.json("""
        {"apiVersion":"cilium.io/v2","kind":"CiliumEndpoint","metadata":{"name":"far","namespace":"default"},
         "status":{"id":77,"identity":{"id":4242,"labels":["k8s:app=far"]},"state":"ready",
          "networking":{"addressing":[{"ipv4":"172.20.9.5"}],"node":"192.168.10.109"}}}"""))));
    lab.pass(java.time.Duration.ofMillis(5));
    assertFalse(inIpcache(lab.run(node, "cilium-dbg", "bpf", "ipcache", "list").out(), "172.20.9.5", 4242));
    AgentLab.ok(lab.call(io.podnet.node.api.KubeClient.Request.create(KubeResource.CILIUM_NODES, AgentLab.json("""
        {"apiVersion":"cilium.io/v2","kind":"CiliumNode","metadata":{"name":"k8s-w9"},
         "spec":{"addresses":[{"ip":"192.168.10.109","type":"InternalIP"},{"ip":"172.20.9.1","type":"CiliumInternalIP"}],
          "ipam":{"podCIDRs":["172.20.9.0/24"]}}}"""))));
    lab.await(() -> {
      String ipcache = lab.run(node, "cilium-dbg", "bpf", "ipcache", "list").out();
      assertTrue(inIpcache(ipcache, "172.20.9.5", 4242), ipcache);
    });
  }

  @Test
  void hubbleObserveGivesUpOnARelayThatDoesNotAnswer() {
    cluster(1);
    nodeReady("k8s-w1");
    var node = lab.nodes.get("k8s-w1");
    lab.await(() -> assertEquals(0, lab.run(node, "hubble", "observe", "--last", "1").code()));
    // The relay goes; in its place one that takes requests and never answers.
    lab.testKit.stop(lab.relay);
    var silent = lab.testKit.spawn(org.apache.pekko.actor.typed.javadsl.Behaviors.<io.podnet.node.agent.HubbleRelay.Command>ignore(),
        "silent-relay");
    lab.testKit.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.register(
        io.podnet.node.agent.HubbleRelay.KEY, silent));
    var out = lab.testKit.<io.podnet.netstack.actor.ToolOutput>createTestProbe();
    lab.pass(java.time.Duration.ofMillis(5));
    node.tell(new io.podnet.netstack.actor.HostActor.RunTool("obs", List.of("hubble", "observe"), "/", out.ref()));
    lab.pass(java.time.Duration.ofSeconds(9), java.time.Duration.ofSeconds(1));
    out.expectNoMessage(java.time.Duration.ofMillis(100));
    lab.pass(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(1));
    assertEquals(new io.podnet.netstack.actor.ToolOutput.Stderr("obs",
        "failed to connect to 'localhost:4245': context deadline exceeded\n"), out.receiveMessage());
    assertEquals(new io.podnet.netstack.actor.ToolOutput.Exited("obs", 1), out.receiveMessage());
  }

  static int count(String text, String word) {
    return text.split(Pattern.quote(word), -1).length - 1;
  }

  @Test
  void aPodDeletedAndCreatedAgainUnderTheSameNameRunsAgain() {
    cluster(1);
    nodeReady("k8s-w1");
    for (boolean hostNetwork : List.of(false, true)) {
      String name = hostNetwork ? "hostnet" : "webpod";
      lab.createPod("default", name, "k8s-w1", Map.of("app", name), hostNetwork);
      String uid = str(running("default", name), "metadata.uid");
      // kubectl replace --force: the agent hears of the deletion and the new pod back to back.
      lab.deletePod("default", name);
      lab.createPod("default", name, "k8s-w1", Map.of("app", name), hostNetwork);
      Struct again = lab.awaitValue(() -> {
        Struct p = running("default", name);
        assertNotEquals(uid, str(p, "metadata.uid"), "the new pod");
        return p;
      });
      var host = lab.podHost("default", name);
      String addr = lab.run(host, "ip", "-4", "addr", "show", "dev", "eth0").out();
      assertTrue(addr.contains("inet " + str(again, "status.podIP") + "/"), addr);
    }
    assertEquals(1, lxcDevices("k8s-w1").size());
    // The node runs on.
    assertEquals(0, lab.run(lab.nodes.get("k8s-w1"), "ip", "route").code());
  }

  @Test
  void aRebootedNodeStartsItsPodsAgainAndCountsTheRestart() {
    cluster(1);
    nodeReady("k8s-w1");
    lab.createPod("default", "webpod", "k8s-w1", Map.of("app", "webpod"), false);
    Struct before = running("default", "webpod");
    assertEquals("0", str(before, "status.containerStatuses.0.restartCount"));
    String oldId = str(before, "status.containerStatuses.0.containerID");
    assertTrue(oldId.startsWith("containerd://"), oldId);
    // The node goes down and boots again: a new host and agent for the same node.
    lab.testKit.stop(lab.nodes.get("k8s-w1"), java.time.Duration.ofSeconds(10));
    lab.startNode("k8s-w1", "192.168.10.101");
    Struct after = lab.awaitValue(() -> {
      Struct p = lab.get(KubeResource.PODS, "default", "webpod");
      assertEquals("1", str(p, "status.containerStatuses.0.restartCount"));
      return p;
    });
    assertEquals("Unknown", str(after, "status.containerStatuses.0.lastState.terminated.reason"));
    assertEquals("255", str(after, "status.containerStatuses.0.lastState.terminated.exitCode"));
    assertEquals(oldId, str(after, "status.containerStatuses.0.lastState.terminated.containerID"));
    assertEquals(str(before, "status.containerStatuses.0.state.running.startedAt"),
        str(after, "status.containerStatuses.0.lastState.terminated.startedAt"));
    assertNotEquals(oldId, str(after, "status.containerStatuses.0.containerID"), "a new container");
    assertEquals(str(before, "status.startTime"), str(after, "status.startTime"), "the pod's start stays");
  }

  @Test
  void relabellingAPodMovesItsEndpointToTheIdentityOfItsNewLabels() {
    cluster(1);
    nodeReady("k8s-w1");
    var node = lab.nodes.get("k8s-w1");
    lab.createPod("default", "curl-pod", "k8s-w1", Map.of("app", "curl"), false);
    String ip = str(running("default", "curl-pod"), "status.podIP");
    String before = lab.awaitValue(() -> {
      List<Struct> ids = identitiesOf(securityLabels("curl"));
      assertEquals(1, ids.size());
      return str(ids.get(0), "metadata.name");
    });
    lab.await(() -> assertEquals(before, str(lab.get(KubeResource.CILIUM_ENDPOINTS, "default", "curl-pod"),
        "status.identity.id")));

    // kubectl label pod curl-pod app=client --overwrite
    AgentLab.ok(lab.call(io.podnet.node.api.KubeClient.Request.patch(KubeResource.PODS, "default", "curl-pod",
        io.podnet.proto.api.PatchType.MERGE, AgentLab.json("{\"metadata\":{\"labels\":{\"app\":\"client\"}}}"))));
    String after = lab.awaitValue(() -> {
      List<Struct> ids = identitiesOf(securityLabels("client"));
      assertEquals(1, ids.size());
      return str(ids.get(0), "metadata.name");
    });
    assertNotEquals(before, after);
    lab.await(() -> {
      Struct cep = lab.get(KubeResource.CILIUM_ENDPOINTS, "default", "curl-pod");
      assertEquals(after, str(cep, "status.identity.id"));
      assertTrue(at(cep, "status.identity.labels").getListValue().getValuesList().stream()
          .anyMatch(v -> v.getStringValue().equals("k8s:app=client")), AgentLab.print(cep));
    });
    lab.await(() -> {
      String ipcache = lab.run(node, "cilium-dbg", "bpf", "ipcache", "list").out();
      assertTrue(inIpcache(ipcache, ip, after), ipcache);
    });
    // The pod kept its address and its host.
    assertEquals(ip, str(lab.get(KubeResource.PODS, "default", "curl-pod"), "status.podIP"));
    assertEquals(1, lxcDevices("k8s-w1").size());
  }

  @Test
  void aNodeThatJoinsAfterAConfigChangeGetsTheNextFreePodCidr() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    assertEquals(java.util.Set.of("172.20.0.0/24", "172.20.1.0/24"), java.util.Set.of(w1[0], w2[0]));
    // helm upgrade: the operator hears of the ConfigMap again (and keeps its pool).
    lab.setConfig(AgentLab.render(GENEVE));
    lab.await(() -> assertTrue(tunnelRoute(routes("k8s-w1"), w2[0], w1[1]), routes("k8s-w1")));
    lab.startNode("k8s-w3", "192.168.10.103");
    assertEquals("172.20.2.0/24", nodeReady("k8s-w3")[0]);
    // Only nodes hold podCIDRs.
    assertEquals(3, lab.list(KubeResource.CILIUM_NODES).size());
  }

  @Test
  void theOperatorWatchesAgainWhenItsWatchCouldNotStart() {
    lab = new AgentLab(false);
    // The operator starts while the API server is not reachable: its watch times out (10 s).
    lab.testKit.spawn(io.podnet.node.agent.CiliumOperator.create(), "cilium-operator");
    LoggingTestKit.warn("cilium-operator: listing configmaps in kube-system --field-selector "
        + "metadata.name=cilium-config failed (504): Timeout: request did not complete within the allowed duration; "
        + "listing again in 800ms").expect(lab.testKit.system(), () -> {
          lab.time.timePasses(java.time.Duration.ofMillis(10_500));
          return null;
        });
    lab.startGateway();
    lab.time.timePasses(java.time.Duration.ofSeconds(1));
    lab.createConfig(AgentLab.NATIVE);
    lab.startNode("k8s-w1", "192.168.10.101");
    assertEquals("172.20.0.0/24", nodeReady("k8s-w1")[0]);
  }

  @Test
  void helmUpgradeWithReuseValuesOnANodeSwitchesEveryNodeAndKeepsTheReleaseValues() {
    cluster(2);
    String[] w1 = nodeReady("k8s-w1");
    String[] w2 = nodeReady("k8s-w2");
    var node = lab.nodes.get("k8s-w1");
    AgentLab.Output up = lab.run(node, "helm", "upgrade", "cilium", "cilium/cilium", "--namespace", "kube-system",
        "--version", "1.18.0", "--reuse-values", "--set", "routingMode=tunnel", "--set", "tunnelProtocol=geneve",
        "--set", "autoDirectNodeRoutes=false");
    assertEquals(0, up.code(), up.out() + up.err());
    assertTrue(up.out().startsWith("Release \"cilium\" has been upgraded. Happy Helming!\n"), up.out());
    assertTrue(up.out().contains("\nREVISION: 2\n"), up.out());
    Struct cm = lab.get(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config");
    assertEquals("2", strings(cm, "metadata.annotations").get("podnet.io/helm-revision"));
    assertEquals("tunnel", str(cm, "data.routing-mode"));
    assertEquals("geneve", str(cm, "data.tunnel-protocol"));
    assertEquals("172.20.0.0/16", str(cm, "data.cluster-pool-ipv4-cidr"), "reused");
    for (String[] n : List.of(new String[] {"k8s-w1", w2[0], w1[1]}, new String[] {"k8s-w2", w1[0], w2[1]})) {
      lab.await(() -> assertTrue(tunnelRoute(routes(n[0]), n[1], n[2]), routes(n[0])));
    }

    // Again with --reuse-values: the values of revision 2 (a list among them) come back as they were.
    up = lab.run(node, "helm", "upgrade", "cilium", "cilium/cilium", "--namespace", "kube-system", "--reuse-values",
        "--set", "tunnelProtocol=vxlan");
    assertEquals(0, up.code(), up.out() + up.err());
    assertTrue(up.out().contains("\nREVISION: 3\n"), up.out());
    cm = lab.get(KubeResource.CONFIG_MAPS, "kube-system", "cilium-config");
    assertEquals("tunnel", str(cm, "data.routing-mode"));
    assertEquals("vxlan", str(cm, "data.tunnel-protocol"));
    assertEquals("172.20.0.0/16", str(cm, "data.cluster-pool-ipv4-cidr"));
    assertEquals("24", str(cm, "data.cluster-pool-ipv4-mask-size"));
    lab.await(() -> {
      assertTrue(lab.run(node, "ip", "link", "show", "cilium_vxlan").out().contains(",UP"));
      assertTrue(lab.run(node, "cilium-dbg", "status").out().contains("Network: Tunnel [vxlan]"));
    });
    assertFalse(lab.run(node, "ip", "link", "show", "cilium_geneve").out().contains(",UP"));
  }
}
