package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;
import java.util.List;

/**
 * The agent's load-balancer view of Services: frontends (ClusterIP, NodePort, LoadBalancer,
 * ExternalIPs, as {@code cilium-dbg service list} names them) and their backends.
 */
public final class ServiceTable {
  private ServiceTable() {}

  /** A backend: a ready endpoint's address and target port. */
  public record Backend(Ipv4Address ip, int port) {}

  /**
   * One frontend of a Service.
   *
   * @param namespace the Service's namespace
   * @param name the Service's name
   * @param type ClusterIP, NodePort, LoadBalancer or ExternalIPs (the frontend's kind)
   * @param ip the frontend address (ClusterIP, LB IP, external IP, or a node address for NodePort)
   * @param port the frontend port
   * @param protocol IP protocol (TCP 6, UDP 17)
   * @param backends the backends, in the order the agent lists them
   * @param externalLocal externalTrafficPolicy: Local (traffic from outside the cluster only to
   *     backends on the node it arrived at); meaningless for ClusterIP frontends
   */
  public record Frontend(String namespace, String name, String type, Ipv4Address ip, int port, int protocol,
      List<Backend> backends, boolean externalLocal) {
    public Frontend {
      backends = List.copyOf(backends);
    }

    /** A frontend with externalTrafficPolicy: Cluster. */
    public Frontend(String namespace, String name, String type, Ipv4Address ip, int port, int protocol,
        List<Backend> backends) {
      this(namespace, name, type, ip, port, protocol, backends, false);
    }
  }
}
