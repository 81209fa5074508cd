package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's frontends table, its service IDs and {@code cilium-dbg service list}'s table. */
public class ServiceListTest {
  static final Ipv4Address NODE = Ipv4Address.parse("192.168.10.100");
  static final ServiceTable.Backend WEB0 = new ServiceTable.Backend(Ipv4Address.parse("172.20.2.54"), 80);
  static final ServiceTable.Backend WEB1 = new ServiceTable.Backend(Ipv4Address.parse("172.20.0.63"), 80);

  static Ipv4Address ip(String s) {
    return Ipv4Address.parse(s);
  }

  static ServiceList.Port tcp(int port, int nodePort, ServiceTable.Backend... backends) {
    return new ServiceList.Port(port, ServiceList.TCP, nodePort, List.of(backends));
  }

  /** default/webpod (ClusterIP), default/webpod-lb (LoadBalancer), default/webpod-np (NodePort), in key order. */
  public static List<ServiceList.Params> lab() {
    List<ServiceList.Params> all = new ArrayList<>();
    all.addAll(ServiceList.frontends(ip("10.96.33.91"), false, List.of(), List.of(), false,
        List.of(tcp(80, 0, WEB0, WEB1))));
    all.addAll(ServiceList.frontends(ip("10.96.200.20"), true, List.of(ip("192.168.10.211")), List.of(), false,
        List.of(tcp(80, 31080, WEB0, WEB1))));
    all.addAll(ServiceList.frontends(ip("10.96.100.10"), true, List.of(), List.of(), false,
        List.of(tcp(80, 30080, WEB1))));
    return all;
  }

  public static final String LAB_LIST = ""
      + "ID   Frontend                Service Type   Backend                            \n"
      + "1    10.96.33.91:80/TCP      ClusterIP      1 => 172.20.0.63:80/TCP (active)   \n"
      + "                                            2 => 172.20.2.54:80/TCP (active)   \n"
      + "2    0.0.0.0:31080/TCP       NodePort       1 => 172.20.0.63:80/TCP (active)   \n"
      + "                                            2 => 172.20.2.54:80/TCP (active)   \n"
      + "4    10.96.200.20:80/TCP     ClusterIP      1 => 172.20.0.63:80/TCP (active)   \n"
      + "                                            2 => 172.20.2.54:80/TCP (active)   \n"
      + "5    192.168.10.211:80/TCP   LoadBalancer   1 => 172.20.0.63:80/TCP (active)   \n"
      + "                                            2 => 172.20.2.54:80/TCP (active)   \n"
      + "6    0.0.0.0:30080/TCP       NodePort       1 => 172.20.0.63:80/TCP (active)   \n"
      + "8    10.96.100.10:80/TCP     ClusterIP      1 => 172.20.0.63:80/TCP (active)   \n";

  /**
   * Each Service's frontends sorted by address (0.0.0.0 first), IDs in that order, a NodePort's
   * expansion onto the node address taking the ID after it (3 and 7 are not listed); rows by ID,
   * backends by address, every column padded (the Backend one too: its cells end with a tab).
   */
  @Test
  void aClusterIpANodePortAndALoadBalancerService() {
    ServiceList.Ids ids = new ServiceList.Ids();
    List<ServiceList.Entry> entries = ids.reconcile(lab(), List.of(NODE));
    assertEquals(LAB_LIST, ServiceList.list(entries, false));
    assertEquals(3, ids.idOf(new ServiceList.Address(NODE, 31080, ServiceList.TCP, false)));
    assertEquals(7, ids.idOf(new ServiceList.Address(NODE, 30080, ServiceList.TCP, false)));
    // Listed in any order, printed by ID.
    List<ServiceList.Entry> reversed = new ArrayList<>(entries);
    java.util.Collections.reverse(reversed);
    assertEquals(LAB_LIST, ServiceList.list(reversed, false));
  }

  @Test
  void idsStayWhileTheFrontendsLastAndFreedOnesAreNotReusedBeforeTheCursorWraps() {
    ServiceList.Ids ids = new ServiceList.Ids();
    ids.reconcile(lab(), List.of(NODE));
    // A re-list, and a backend change, keep every ID.
    assertEquals(LAB_LIST, ServiceList.list(ids.reconcile(lab(), List.of(NODE)), false));
    // default/webpod goes: its ID 1 is freed; a new Service takes 9, not 1.
    List<ServiceList.Params> next = new ArrayList<>(lab().subList(1, lab().size()));
    next.addAll(ServiceList.frontends(ip("10.96.5.5"), false, List.of(), List.of(), false, List.of(tcp(53, 0))));
    List<ServiceList.Entry> entries = ids.reconcile(next, List.of(NODE));
    assertEquals(0, ids.idOf(new ServiceList.Address(ip("10.96.33.91"), 80, ServiceList.TCP, false)));
    assertEquals(9, entries.get(entries.size() - 1).id());
    // A Service without backends: an empty Backend cell.
    assertEquals("9    10.96.5.5:53/TCP        ClusterIP                                         \n",
        ServiceList.list(entries, false).lines().filter(l -> l.startsWith("9 ")).findFirst().orElseThrow() + "\n");
    // The LoadBalancer gets its IP later (LB-IPAM): the new frontend takes the next ID, the others keep theirs.
    List<ServiceList.Params> later = new ArrayList<>(ServiceList.frontends(ip("10.96.200.20"), true,
        List.of(ip("192.168.10.211"), ip("192.168.10.212")), List.of(), false, List.of(tcp(80, 31080, WEB0))));
    entries = ids.reconcile(later, List.of(NODE));
    assertEquals(List.of(2, 4, 5, 10), entries.stream().map(ServiceList.Entry::id).toList());
  }

  @Test
  void aRestartedAgentRestoresItsIdsAndAllocatesAfterTheHighest() {
    ServiceList.Ids ids = new ServiceList.Ids();
    ids.reconcile(lab(), List.of(NODE));
    // Only default/webpod remains while the agent is down: it keeps 1, the next new one gets 2.
    List<ServiceList.Params> one = new ArrayList<>(lab().subList(0, 1));
    ids.reconcile(one, List.of(NODE));
    ids.restarted();
    one.addAll(ServiceList.frontends(ip("10.96.5.5"), false, List.of(), List.of(), false, List.of(tcp(53, 0))));
    assertEquals(List.of(1, 2), ids.reconcile(one, List.of(NODE)).stream().map(ServiceList.Entry::id).toList());
  }

  @Test
  void theCursorWrapsToTheFirstFreeIdAndGivesZeroWhenNoneIsLeft() {
    ServiceList.Ids ids = new ServiceList.Ids();
    List<ServiceList.Params> many = new ArrayList<>();
    for (int i = 0; i < ServiceList.Ids.MAX - 1; i++) {
      many.add(new ServiceList.Params(new ServiceList.Address(ip("10.96.0.0"), 1 + i, ServiceList.TCP, false),
          ServiceList.CLUSTER_IP, List.of()));
    }
    List<ServiceList.Entry> all = ids.reconcile(many, List.of());
    assertEquals(1, all.get(0).id());
    assertEquals(65534, all.get(all.size() - 1).id());
    // One more: nothing is free.
    ServiceList.Params extra = new ServiceList.Params(new ServiceList.Address(ip("10.96.0.1"), 1, ServiceList.UDP,
        false), ServiceList.CLUSTER_IP, List.of());
    List<ServiceList.Params> more = new ArrayList<>(many);
    more.add(extra);
    assertEquals(0, ids.reconcile(more, List.of()).get(more.size() - 1).id());
    // Free ID 7: the cursor wraps and finds it.
    more.remove(6);
    List<ServiceList.Entry> after = ids.reconcile(more, List.of());
    assertEquals(7, after.get(after.size() - 1).id());
  }

  /**
   * externalTrafficPolicy Local (the internal one Cluster): NodePort and LoadBalancer frontends in
   * both scopes, the internal one marked /i; ExternalIPs and ClusterIP in the external scope only.
   * Both policies Local: one scope again.
   */
  @Test
  void twoScopesWhenExactlyOneTrafficPolicyIsLocal() {
    List<ServiceList.Params> fes = ServiceList.frontends(ip("10.96.7.7"), true, List.of(ip("192.168.10.211")),
        List.of(ip("192.168.10.50")), true, List.of(tcp(80, 30001, WEB1)));
    assertEquals(List.of("0.0.0.0:30001/TCP NodePort", "0.0.0.0:30001/TCP/i NodePort", "10.96.7.7:80/TCP ClusterIP",
        "192.168.10.50:80/TCP ExternalIPs", "192.168.10.211:80/TCP LoadBalancer",
        "192.168.10.211:80/TCP/i LoadBalancer"), fes.stream().map(p -> p.address() + " " + p.type()).toList());
    List<ServiceList.Entry> entries = new ServiceList.Ids().reconcile(fes, List.of(NODE));
    // Each NodePort scope has its own expansion: 1 (2), 3 (4), then 5, 6, 7, 8.
    assertEquals(List.of(1, 3, 5, 6, 7, 8), entries.stream().map(ServiceList.Entry::id).toList());
    assertEquals(""
        + "ID   Frontend                  Service Type   Backend                            \n"
        + "1    0.0.0.0:30001/TCP         NodePort       1 => 172.20.0.63:80/TCP (active)   \n"
        + "3    0.0.0.0:30001/TCP/i       NodePort       1 => 172.20.0.63:80/TCP (active)   \n"
        + "5    10.96.7.7:80/TCP          ClusterIP      1 => 172.20.0.63:80/TCP (active)   \n"
        + "6    192.168.10.50:80/TCP      ExternalIPs    1 => 172.20.0.63:80/TCP (active)   \n"
        + "7    192.168.10.211:80/TCP     LoadBalancer   1 => 172.20.0.63:80/TCP (active)   \n"
        + "8    192.168.10.211:80/TCP/i   LoadBalancer   1 => 172.20.0.63:80/TCP (active)   \n",
        ServiceList.list(entries, false));
    assertEquals(4, ServiceList.frontends(ip("10.96.7.7"), true, List.of(ip("192.168.10.211")),
        List.of(ip("192.168.10.50")), false, List.of(tcp(80, 30001, WEB1))).size());
  }

  /** kube-dns: TCP before UDP on one address (the protocol's letter), backends by address then port. */
  @Test
  void protocolsAndBackendOrder() {
    ServiceTable.Backend a = new ServiceTable.Backend(ip("172.20.0.9"), 53);
    ServiceTable.Backend b = new ServiceTable.Backend(ip("172.20.0.10"), 53);
    ServiceTable.Backend c = new ServiceTable.Backend(ip("172.20.0.9"), 5353);
    List<ServiceList.Params> fes = ServiceList.frontends(ip("10.96.0.10"), false, List.of(), List.of(), false,
        List.of(new ServiceList.Port(53, ServiceList.UDP, 0, List.of(b, a)),
            new ServiceList.Port(53, ServiceList.TCP, 0, List.of(c, b, a)),
            new ServiceList.Port(9153, ServiceList.TCP, 0, List.of())));
    assertEquals(""
        + "ID   Frontend              Service Type   Backend                                         \n"
        + "1    10.96.0.10:53/TCP     ClusterIP      1 => 172.20.0.9:53/TCP (active) (preferred)     \n"
        + "                                          2 => 172.20.0.9:5353/TCP (active) (preferred)   \n"
        + "                                          3 => 172.20.0.10:53/TCP (active) (preferred)    \n"
        + "2    10.96.0.10:53/UDP     ClusterIP      1 => 172.20.0.9:53/UDP (active) (preferred)     \n"
        + "                                          2 => 172.20.0.10:53/UDP (active) (preferred)    \n"
        + "3    10.96.0.10:9153/TCP   ClusterIP                                                      \n",
        ServiceList.list(new ServiceList.Ids().reconcile(fes, List.of()), true));
  }

  @Test
  void noFrontendsIsTheHeaderAlone() {
    assertEquals("ID   Frontend   Service Type   Backend   \n", ServiceList.list(List.of(), false));
  }

  @Test
  void addressesAreValidated() {
    assertEquals("10.0.0.1:5000/SCTP", new ServiceList.Address(ip("10.0.0.1"), 5000, ServiceList.SCTP, false)
        .toString());
    assertThrows(IllegalArgumentException.class, () -> new ServiceList.Address(ip("10.0.0.1"), 80, 1, false));
    assertThrows(IllegalArgumentException.class, () -> new ServiceList.Address(ip("10.0.0.1"), 65536, 6, false));
    assertThrows(IllegalArgumentException.class, () -> new ServiceList.Params(
        new ServiceList.Address(ip("10.0.0.1"), 80, 6, false), "HostPort", List.of()));
  }
}
