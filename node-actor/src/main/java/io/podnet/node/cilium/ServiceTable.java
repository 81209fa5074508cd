package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;
import java.util.List;

/** The agent's load-balancer view of Services: frontends (ClusterIP, NodePort, LoadBalancer) and their backends. */
public final class ServiceTable {
  private ServiceTable() {}

  /** A backend: a ready endpoint's address and target port. */
  public record Backend(Ipv4Address ip, int port) {}

  /**
   * One frontend of a Service.
   *
   * @param namespace the Service's namespace
   * @param name the Service's name
   * @param type ClusterIP, NodePort or LoadBalancer (the frontend's kind)
   * @param ip the frontend address (ClusterIP, LB IP, or a node address for NodePort)
   * @param port the frontend port
   * @param protocol IP protocol (TCP 6, UDP 17)
   * @param backends the backends, in the order the agent lists them
   */
  public record Frontend(String namespace, String name, String type, Ipv4Address ip, int port, int protocol,
      List<Backend> backends) {
    public Frontend {
      backends = List.copyOf(backends);
    }
  }
}
