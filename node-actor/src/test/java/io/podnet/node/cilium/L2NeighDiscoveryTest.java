package io.podnet.node.cilium;

import static io.podnet.node.cilium.Hosts.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.node.cilium.L2NeighDiscovery.Desired;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** enable-l2-neigh-discovery's next hops on the reference lab's k8s-ctr (addresses are test data). */
class L2NeighDiscoveryTest {
  static final Ipv4Address W1 = Ipv4Address.parse("192.168.10.101");
  static final Ipv4Address W0 = Ipv4Address.parse("192.168.20.100");

  final HostStack stack = ReferenceLab.k8sCtr();
  final List<String> frames = new ArrayList<>();
  final HostCore ctr;

  L2NeighDiscoveryTest() {
    // the lab's static route to k8s-w0's subnet through the router, and what Cilium adds
    ok(stack, "route add 192.168.20.0/24 via 192.168.10.200 dev eth1");
    stack.addLink("cilium_host", LinkKind.VETH, MacAddress.parse("5a:c1:4b:2c:00:01"));
    ok(stack, "link set cilium_host up");
    ok(stack, "addr add 172.20.0.1/32 dev cilium_host");
    ok(stack, "route add 172.20.0.0/24 via 172.20.0.1 dev cilium_host src 172.20.0.1");
    stack.addLink("lxc1234", LinkKind.VETH, MacAddress.parse("5a:c1:4b:2c:00:02"));
    ok(stack, "link set lxc1234 up");
    ctr = new HostCore(stack, new TimerQueue(0), new SplittableRandom(3), (dev, f) -> frames.add(dev));
  }

  String ipNeigh() {
    return new IpCommand(ctr, 0).run(Arrays.asList("neigh", "show", "nud", "all")).stdout();
  }

  @Test
  void theL2DevicesAreTheNicsNotCiliumsOrThePods() {
    assertEquals(List.of("eth0", "eth1"), L2NeighDiscovery.l2Devices(stack).stream().map(Link::name).toList());
  }

  @Test
  void nextHopsPerDeviceAsTheTranscriptShowsThem() {
    assertEquals(Set.of(new Desired("eth1", W1), new Desired("eth1", Ipv4Address.parse("192.168.10.200")),
        new Desired("eth0", Ipv4Address.parse("10.0.2.2"))), L2NeighDiscovery.desired(stack, List.of(W1, W0)),
        "a same-subnet node is its own next hop on eth1, a routed one the router; through eth0 every node is "
            + "behind the default gateway");
    ok(stack, "link set eth0 down");
    assertEquals(Set.of(new Desired("eth1", W1)), L2NeighDiscovery.desired(stack, List.of(W1)));
  }

  @Test
  void reconcileWritesManagedExternLearnedEntriesAndRemovesTheOnesNoLongerWanted() throws Exception {
    ctr.neighbourUpdate("eth1", Ipv4Address.parse("192.168.10.7"), MacAddress.parse("08:00:27:00:00:07"),
        io.podnet.netstack.neigh.NeighbourTable.State.STALE, true, false);
    Set<Desired> applied = new HashSet<>();
    L2NeighDiscovery.reconcile(ctr, L2NeighDiscovery.desired(stack, List.of(W1, W0)), applied);
    assertEquals("""
        192.168.10.200 dev eth1 managed extern_learn INCOMPLETE\s
        192.168.10.101 dev eth1 managed extern_learn INCOMPLETE\s
        10.0.2.2 dev eth0 managed extern_learn INCOMPLETE\s
        192.168.10.7 dev eth1 lladdr 08:00:27:00:00:07 STALE\s
        """, ipNeigh());
    assertEquals(List.of("eth0", "eth1", "eth1"), frames, "the kernel solicits each at once");
    assertEquals(3, applied.size());
    // nothing new: nothing written again
    L2NeighDiscovery.reconcile(ctr, L2NeighDiscovery.desired(stack, List.of(W1, W0)), applied);
    assertEquals(3, frames.size());
    // k8s-w0 goes away: its next hop (the router) goes; eth0's gateway stays for k8s-w1
    L2NeighDiscovery.reconcile(ctr, L2NeighDiscovery.desired(stack, List.of(W1)), applied);
    assertEquals("""
        192.168.10.101 dev eth1 managed extern_learn INCOMPLETE\s
        10.0.2.2 dev eth0 managed extern_learn INCOMPLETE\s
        192.168.10.7 dev eth1 lladdr 08:00:27:00:00:07 STALE\s
        """, ipNeigh());
    // someone deletes an entry by hand: the next run writes it again
    ok(stack, "link set eth0 up");
    new IpCommand(ctr, 0).run(List.of("neigh", "del", "192.168.10.101", "dev", "eth1"));
    L2NeighDiscovery.reconcile(ctr, L2NeighDiscovery.desired(stack, List.of(W1)), applied);
    assertEquals("192.168.10.101 dev eth1 managed extern_learn INCOMPLETE \n",
        new IpCommand(ctr, 0).run(List.of("neigh", "show", "192.168.10.101")).stdout());
    // no nodes: every extern_learn entry goes, the others stay
    L2NeighDiscovery.reconcile(ctr, Set.of(), applied);
    assertEquals("192.168.10.7 dev eth1 lladdr 08:00:27:00:00:07 STALE \n", ipNeigh());
  }
}
