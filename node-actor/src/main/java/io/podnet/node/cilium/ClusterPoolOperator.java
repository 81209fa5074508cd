package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operator's cluster-pool allocator: one podCIDR per node (CiliumNode spec.ipam.podCIDRs),
 * taken from the first cluster CIDR in the list that is not full. A node keeps its podCIDR for
 * as long as it exists; deleting the node releases it.
 */
public final class ClusterPoolOperator {
  private final List<CidrSet> sets = new ArrayList<>();
  private final Map<String, Ipv4Prefix> byNode = new LinkedHashMap<>();

  public ClusterPoolOperator(List<Ipv4Prefix> clusterCidrs, int maskSize) throws IpamException {
    if (clusterCidrs.isEmpty()) {
      throw new IpamException("no IPv4 cluster CIDR configured (cluster-pool-ipv4-cidr)");
    }
    for (Ipv4Prefix p : clusterCidrs) {
      sets.add(new CidrSet(p, maskSize));
    }
  }

  /** The node's podCIDR, allocating one the first time the node is seen. */
  public Ipv4Prefix podCidr(String nodeName) throws IpamException {
    Ipv4Prefix have = byNode.get(nodeName);
    if (have != null) {
      return have;
    }
    for (CidrSet s : sets) {
      if (!s.isFull()) {
        Ipv4Prefix p = s.allocateNext();
        byNode.put(nodeName, p);
        return p;
      }
    }
    throw new IpamException(CidrSet.NO_CIDRS_REMAINING);
  }

  /** A node that already has {@code block} (the operator restarted): keep it allocated to that node. */
  public void restore(String nodeName, Ipv4Prefix block) throws IpamException {
    if (block.equals(byNode.get(nodeName))) {
      return;
    }
    for (CidrSet s : sets) {
      if (s.cluster().contains(block.address())) {
        s.occupy(block);
        byNode.put(nodeName, block);
        return;
      }
    }
    throw new IpamException("podCIDR " + block + " of node " + nodeName + " is in no cluster CIDR");
  }

  /** A node deleted: its podCIDR goes back to the pool. */
  public boolean release(String nodeName) throws IpamException {
    Ipv4Prefix p = byNode.remove(nodeName);
    if (p == null) {
      return false;
    }
    for (CidrSet s : sets) {
      if (s.cluster().contains(p.address())) {
        s.release(p);
      }
    }
    return true;
  }

  public Map<String, Ipv4Prefix> allocations() {
    return Collections.unmodifiableMap(byNode);
  }
}
