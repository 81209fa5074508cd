package io.podnet.netstack.actor;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Receptionist keys of hosts that come and go while a lab runs: a pod's host is registered by its
 * node under {@link #pod}, so the launcher and {@code kubectl exec} find it wherever it runs. A pod
 * on the host network registers its node's own host actor.
 */
public final class HostKeys {
  private HostKeys() {}

  public static ServiceKey<HostActor.Command> pod(String namespace, String name) {
    return ServiceKey.create(HostActor.Command.class, "podnet-pod:" + namespace + "/" + name);
  }
}
