package io.podnet.node.cilium;

/** Cilium's reserved security identities (pkg/identity/numericidentity.go). */
public enum ReservedIdentity {
  HOST(1, "host"),
  WORLD(2, "world"),
  UNMANAGED(3, "unmanaged"),
  HEALTH(4, "health"),
  INIT(5, "init"),
  REMOTE_NODE(6, "remote-node"),
  KUBE_APISERVER(7, "kube-apiserver"),
  INGRESS(8, "ingress"),
  WORLD_IPV4(9, "world-ipv4"),
  WORLD_IPV6(10, "world-ipv6");

  private final int id;
  private final String label;

  ReservedIdentity(int id, String label) {
    this.id = id;
    this.label = label;
  }

  public int id() {
    return id;
  }

  /** The {@code reserved:} label, e.g. {@code reserved:remote-node}. */
  public String label() {
    return "reserved:" + label;
  }

  public static ReservedIdentity byId(int id) {
    for (ReservedIdentity r : values()) {
      if (r.id == id) {
        return r;
      }
    }
    return null;
  }
}
