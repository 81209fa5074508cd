package io.podnet.router;

import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.SegmentActor;
import io.podnet.netstack.tool.Tools;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;

/**
 * A plain Linux router: a host whose kernel forwards (net.ipv4.ip_forward=1), built from its
 * topology entry (interfaces, addresses, routes), with the tools a person uses on one.
 */
public final class Router {
  private Router() {}

  public static Behavior<HostActor.Command> create(HostConfig config,
      Map<String, ActorRef<SegmentActor.Command>> segments) {
    return create(config, segments, Tools.standard());
  }

  /** A router with {@code tools} (the standard ones, and what its machine adds, such as {@code reboot}). */
  public static Behavior<HostActor.Command> create(HostConfig config,
      Map<String, ActorRef<SegmentActor.Command>> segments, Map<String, io.podnet.netstack.tool.ToolFactory> tools) {
    HostConfig forwarding = new HostConfig(config.name(), config.seed(), true, config.links(), config.routes(),
        config.etcHosts());
    return HostActor.create(forwarding, segments, tools);
  }
}
