package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;

/** What a CiliumEndpoint tells every agent: a pod's IP, its security identity and its node. */
public record EndpointInfo(String namespace, String name, Ipv4Address ip, int identity, String nodeName) {
  public EndpointInfo {
    if (namespace == null || name == null || ip == null || nodeName == null) {
      throw new IllegalArgumentException("namespace, name, ip and nodeName are required");
    }
  }

  /** {@code namespace/name}, as Cilium names an endpoint's pod. */
  public String podName() {
    return namespace + "/" + name;
  }
}
