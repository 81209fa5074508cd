package io.podnet.node.cilium;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.proto.packet.Ipv4Address;
import java.util.BitSet;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * The agent's host-scope allocator over its podCIDR (pkg/ipam/hostscope.go on
 * pkg/ipam/service/ipallocator): the network and broadcast addresses are never handed out, and
 * AllocateNext uses the bitmap's random-scan strategy (a random offset, then the first free
 * address at or after it, wrapping), which is why pod IPs look scattered. The random source is
 * injected, so a seed reproduces a run.
 */
public final class HostScopeIpam {
  /** ipallocator.ErrFull. */
  public static final String ERR_FULL = "range is full";
  /** ipallocator.ErrAllocated. */
  public static final String ERR_ALLOCATED = "provided IP is already allocated";

  private final Ipv4Prefix cidr;
  private final int base;
  private final int max;
  private final BitSet allocated = new BitSet();
  private final Map<Ipv4Address, String> owners = new TreeMap<>();
  private final RandomGenerator random;

  public HostScopeIpam(Ipv4Prefix podCidr, RandomGenerator random) {
    this.cidr = podCidr.network();
    this.random = random;
    long size = podCidr.length() >= 31 ? 0 : 1L << (32 - podCidr.length());
    this.max = (int) Math.max(0, size - 2);
    this.base = cidr.address().value() + 1;
  }

  public Ipv4Prefix cidr() {
    return cidr;
  }

  /** AllocateNext for {@code owner} (e.g. {@code router}, {@code default/curl-pod}). */
  public Ipv4Address allocateNext(String owner) throws IpamException {
    if (owners.size() >= max) {
      throw new IpamException(ERR_FULL);
    }
    int offset = random.nextInt(max);
    for (int i = 0; i < max; i++) {
      int at = (offset + i) % max;
      if (!allocated.get(at)) {
        allocated.set(at);
        Ipv4Address ip = new Ipv4Address(base + at);
        owners.put(ip, owner);
        return ip;
      }
    }
    throw new IpamException(ERR_FULL);
  }

  /** Allocate a given address (restoring an endpoint after a restart). */
  public void allocate(Ipv4Address ip, String owner) throws IpamException {
    int off = offset(ip);
    if (off < 0) {
      throw new IpamException("provided IP is not in the valid range. The range of valid IPs is " + cidr);
    }
    if (allocated.get(off)) {
      throw new IpamException(ERR_ALLOCATED);
    }
    allocated.set(off);
    owners.put(ip, owner);
  }

  /** Release: a no-op for an address not allocated or out of range, as in Cilium. */
  public boolean release(Ipv4Address ip) {
    int off = offset(ip);
    if (off < 0 || !allocated.get(off)) {
      return false;
    }
    allocated.clear(off);
    owners.remove(ip);
    return true;
  }

  private int offset(Ipv4Address ip) {
    if (!cidr.contains(ip)) {
      return -1;
    }
    int off = ip.value() - base;
    return off < 0 || off >= max ? -1 : off;
  }

  public int used() {
    return owners.size();
  }

  /** How many addresses the range has (254 for a /24). */
  public int size() {
    return max;
  }

  /** Address to owner, in address order. */
  public Map<Ipv4Address, String> allocations() {
    return Collections.unmodifiableMap(owners);
  }
}
