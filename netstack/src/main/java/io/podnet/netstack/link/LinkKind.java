package io.podnet.netstack.link;

/**
 * Kinds of network devices, with the defaults Linux gives each: MTU, tx queue length, the qdisc
 * attached when it first comes up, and whether it is NOARP.
 */
public enum LinkKind {
  /** A NIC (the lab VMs' e1000/virtio ports). Ubuntu's default qdisc is fq_codel. */
  ETHERNET(1500, 1000, "fq_codel", false),
  LOOPBACK(65536, 1000, "noqueue", false),
  /** {@code ip link add X type dummy}: NOARP, no carrier state (operstate UNKNOWN). */
  DUMMY(1500, 1000, "noqueue", true),
  /** An Ethernet-over-UDP tunnel device (geneve, vxlan): no tx queue. */
  TUNNEL(1500, 0, "noqueue", false),
  /** One end of a veth pair (cilium_host / cilium_net). */
  VETH(1500, 1000, "noqueue", false);

  private final int defaultMtu;
  private final int defaultTxQueueLen;
  private final String upQdisc;
  private final boolean defaultNoArp;

  LinkKind(int defaultMtu, int defaultTxQueueLen, String upQdisc, boolean defaultNoArp) {
    this.defaultMtu = defaultMtu;
    this.defaultTxQueueLen = defaultTxQueueLen;
    this.upQdisc = upQdisc;
    this.defaultNoArp = defaultNoArp;
  }

  public int defaultMtu() {
    return defaultMtu;
  }

  public int defaultTxQueueLen() {
    return defaultTxQueueLen;
  }

  public String upQdisc() {
    return upQdisc;
  }

  public boolean defaultNoArp() {
    return defaultNoArp;
  }
}
