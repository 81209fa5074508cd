package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.BitSet;

/**
 * One cluster CIDR cut into node-sized blocks, as the operator's pkg/ipam/cidrset (a copy of
 * Kubernetes' cidrset) does it: a bitmap of blocks and a rotating next candidate, so a released
 * block is handed out again only after the allocator has wrapped around.
 */
public final class CidrSet {
  /** ErrCIDRRangeNoCIDRsRemaining. */
  public static final String NO_CIDRS_REMAINING =
      "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range";

  private final Ipv4Prefix cluster;
  private final int nodeMaskSize;
  private final int maxCidrs;
  private final BitSet used = new BitSet();
  private int allocated;
  private int nextCandidate;

  /**
   * @throws IpamException for a node mask longer than /32 or not longer than the cluster's
   */
  public CidrSet(Ipv4Prefix clusterCidr, int nodeMaskSize) throws IpamException {
    if (nodeMaskSize > 32) {
      throw new IpamException("SubNetMask is invalid, should be lower or equal to 32 for IPv4 and to 128 for IPv6");
    }
    if (nodeMaskSize < clusterCidr.length()) {
      throw new IpamException("New CIDR set failed; the node CIDR size is too big");
    }
    if (nodeMaskSize - clusterCidr.length() > 30) {
      throw new IpamException("New CIDR set failed; the node CIDR size is too small for this model");
    }
    this.cluster = clusterCidr.network();
    this.nodeMaskSize = nodeMaskSize;
    this.maxCidrs = 1 << (nodeMaskSize - clusterCidr.length());
  }

  public Ipv4Prefix cluster() {
    return cluster;
  }

  public boolean isFull() {
    return allocated == maxCidrs;
  }

  /** AllocateNext. */
  public Ipv4Prefix allocateNext() throws IpamException {
    if (allocated == maxCidrs) {
      throw new IpamException(NO_CIDRS_REMAINING);
    }
    int candidate = nextCandidate;
    for (int i = 0; i < maxCidrs; i++) {
      if (!used.get(candidate)) {
        break;
      }
      candidate = (candidate + 1) % maxCidrs;
    }
    nextCandidate = (candidate + 1) % maxCidrs;
    used.set(candidate);
    allocated++;
    return block(candidate);
  }

  private Ipv4Prefix block(int index) {
    int shift = 32 - nodeMaskSize;
    int ip = cluster.address().value() | (shift == 32 ? 0 : index << shift);
    return new Ipv4Prefix(new Ipv4Address(ip), nodeMaskSize);
  }

  private int index(Ipv4Prefix block) throws IpamException {
    if (block.length() != nodeMaskSize || !cluster.contains(block.address())) {
      throw new IpamException("cidr " + block + " is out the range of cluster cidr " + cluster);
    }
    int shift = 32 - nodeMaskSize;
    return shift == 32 ? 0 : (block.address().value() ^ cluster.address().value()) >>> shift;
  }

  /** Occupy: marks a block used (e.g. one a node already has); succeeds if already used. */
  public void occupy(Ipv4Prefix block) throws IpamException {
    int i = index(block);
    if (!used.get(i)) {
      used.set(i);
      allocated++;
    }
  }

  public void release(Ipv4Prefix block) throws IpamException {
    int i = index(block);
    if (used.get(i)) {
      used.clear(i);
      allocated--;
    }
  }

  public boolean isAllocated(Ipv4Prefix block) throws IpamException {
    return used.get(index(block));
  }
}
