package io.podnet.node.agent;

import io.podnet.netstack.actor.HostExtension;
import io.podnet.proto.packet.Ipv4Address;
import java.util.function.BiFunction;

/**
 * A pod's resolver: Service names as the cluster DNS answers them ({@code webpod},
 * {@code webpod.default}, {@code webpod.default.svc.cluster.local}), with the pod's namespace as
 * the first search domain, as the kubelet's resolv.conf sets it. The node agent keeps the answers.
 */
final class PodDns implements HostExtension {
  private final BiFunction<String, String, Ipv4Address> lookup;
  private final String namespace;

  PodDns(BiFunction<String, String, Ipv4Address> lookup, String namespace) {
    this.lookup = lookup;
    this.namespace = namespace;
  }

  @Override
  public void start(Context ctx) {
    ctx.setResolver(name -> lookup.apply(name, namespace));
  }
}
