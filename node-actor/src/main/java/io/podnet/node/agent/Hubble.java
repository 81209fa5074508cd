package io.podnet.node.agent;

import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.node.cilium.hubble.Flow;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Hubble's observer protocol, the shape of observer.GetFlows: every node's agent serves its own
 * flow buffer under {@link #OBSERVER}; Hubble Relay ({@link HubbleRelay}) serves every node's by
 * asking each observer. Messages are Kryo records ({@link HubbleKryo}): observers, the relay and
 * {@code hubble observe} may sit in different JVMs.
 */
public final class Hubble {
  private Hubble() {}

  /** Where nodes' observers register (one per agent). */
  public static final ServiceKey<Observe> OBSERVER = ServiceKey.create(Observe.class, "podnet-hubble-observer");

  /**
   * GetFlows: the flows matching {@code filter} (hubble observe's filter flags, as {@link
   * io.podnet.node.cilium.hubble.ObserveOptions} parses them; {@code --last N} bounds the backlog),
   * answered with exactly one {@link Flows} whose {@code backlog} is true; with {@code follow},
   * then every new matching flow, in further {@link Flows}, until {@code replyTo} stops. A filter
   * that does not parse gets an empty backlog and nothing more.
   */
  public record Observe(List<String> filter, boolean follow, ActorRef<Flows> replyTo)
      implements KryoMessage, HubbleRelay.Command {
    public Observe {
      filter = List.copyOf(filter);
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * Flows for one {@link Observe}, oldest first, stamped with wall-clock time (microseconds since
   * the epoch).
   *
   * @param flows the flows
   * @param backlog true for the one answer with the buffered flows, false for followed ones
   */
  public record Flows(List<Flow> flows, boolean backlog) implements KryoMessage {
    public Flows {
      flows = List.copyOf(flows);
    }
  }
}
