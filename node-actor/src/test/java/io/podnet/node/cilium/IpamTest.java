package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IpamTest {
  @Test
  void operatorHandsOutBlocksInOrderStablePerNode() throws Exception {
    ClusterPoolOperator op = new ClusterPoolOperator(List.of(Ipv4Prefix.parse("172.20.0.0/16")), 24);
    assertEquals(Ipv4Prefix.parse("172.20.0.0/24"), op.podCidr("k8s-ctr"));
    assertEquals(Ipv4Prefix.parse("172.20.1.0/24"), op.podCidr("k8s-w1"));
    assertEquals(Ipv4Prefix.parse("172.20.2.0/24"), op.podCidr("k8s-w0"));
    assertEquals(Ipv4Prefix.parse("172.20.1.0/24"), op.podCidr("k8s-w1"));
    // a released block is reused only after the rotating candidate wraps (k8s cidrset)
    assertTrue(op.release("k8s-w1"));
    assertEquals(Ipv4Prefix.parse("172.20.3.0/24"), op.podCidr("k8s-w2"));
  }

  @Test
  void operatorMovesToTheNextClusterCidrWhenOneIsFullAndReportsExhaustion() throws Exception {
    ClusterPoolOperator op = new ClusterPoolOperator(
        List.of(Ipv4Prefix.parse("10.244.0.0/25"), Ipv4Prefix.parse("10.250.0.0/26")), 26);
    assertEquals(Ipv4Prefix.parse("10.244.0.0/26"), op.podCidr("a"));
    assertEquals(Ipv4Prefix.parse("10.244.0.64/26"), op.podCidr("b"));
    assertEquals(Ipv4Prefix.parse("10.250.0.0/26"), op.podCidr("c"));
    IpamException e = assertThrows(IpamException.class, () -> op.podCidr("d"));
    assertEquals("CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range",
        e.getMessage());
    op.release("b");
    assertEquals(Ipv4Prefix.parse("10.244.0.64/26"), op.podCidr("d"));
    assertThrows(IpamException.class, () -> new CidrSet(Ipv4Prefix.parse("10.0.0.0/16"), 8));
  }

  @Test
  void hostScopeNeverHandsOutAnAddressTwiceNorNetworkOrBroadcast() throws Exception {
    HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("10.244.0.64/28"), new SplittableRandom(5));
    Set<Ipv4Address> seen = new HashSet<>();
    Ipv4Address router = ipam.allocateNext("router");
    seen.add(router);
    for (int i = 1; i < 14; i++) {
      assertTrue(seen.add(ipam.allocateNext("default/p" + i)));
    }
    assertFalse(seen.contains(Ipv4Address.parse("10.244.0.64")));
    assertFalse(seen.contains(Ipv4Address.parse("10.244.0.79")));
    assertEquals(14, ipam.used());
    IpamException full = assertThrows(IpamException.class, () -> ipam.allocateNext("x"));
    assertEquals("range is full", full.getMessage());
    assertEquals("router", ipam.allocations().get(router));
    // release on endpoint deletion, then the address can be handed out again
    Ipv4Address gone = seen.stream().filter(a -> !a.equals(router)).findFirst().orElseThrow();
    assertTrue(ipam.release(gone));
    assertFalse(ipam.release(gone));
    assertEquals(gone, ipam.allocateNext("default/new"));
  }

  @Test
  void hostScopeIsRandomScanSeeded() throws Exception {
    List<Ipv4Address> a = run(11);
    assertEquals(a, run(11));
    assertNotEquals(a, run(12));
    // not sequential from .1 as a naive allocator would be
    assertNotEquals(Ipv4Address.parse("172.20.0.1"), a.get(0));
  }

  private static List<Ipv4Address> run(long seed) throws IpamException {
    HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("172.20.0.0/24"), new SplittableRandom(seed));
    List<Ipv4Address> out = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      out.add(ipam.allocateNext("o" + i));
    }
    return out;
  }

  @Test
  void hostScopeAllocateSpecific() throws Exception {
    HostScopeIpam ipam = new HostScopeIpam(Ipv4Prefix.parse("172.20.0.0/24"), new SplittableRandom(1));
    ipam.allocate(Ipv4Address.parse("172.20.0.74"), "router");
    assertEquals("provided IP is already allocated",
        assertThrows(IpamException.class, () -> ipam.allocate(Ipv4Address.parse("172.20.0.74"), "x")).getMessage());
    assertEquals("provided IP is not in the valid range. The range of valid IPs is 172.20.0.0/24",
        assertThrows(IpamException.class, () -> ipam.allocate(Ipv4Address.parse("172.20.0.255"), "x")).getMessage());
    assertEquals(254, ipam.size());
  }
}
