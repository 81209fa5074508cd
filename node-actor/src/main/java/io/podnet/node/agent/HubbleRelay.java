package io.podnet.node.agent;

import io.podnet.node.cilium.hubble.Flow;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Hubble Relay: every node's agent publishes its flows here in batches, and every subscriber (the
 * agents, for {@code hubble observe} on any node) gets every node's flows, as the relay merges the
 * nodes' observers. Found through the Receptionist under {@link #KEY}.
 */
public final class HubbleRelay {
  private HubbleRelay() {}

  /** Local messages: flows carry no serializer of their own, and the relay lives in the lab's JVM. */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  public record Subscribe(ActorRef<Batch> subscriber) implements Command {
    public Subscribe {
      Objects.requireNonNull(subscriber, "subscriber");
    }
  }

  public record Publish(String node, List<Flow> flows) implements Command {
    public Publish {
      flows = List.copyOf(flows);
    }
  }

  /** Flows of one node, oldest first. */
  public record Batch(String node, List<Flow> flows) implements NoSerializationVerificationNeeded {}

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "podnet-hubble-relay");

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      List<ActorRef<Batch>> subscribers = new ArrayList<>();
      return Behaviors.receive(Command.class)
          .onMessage(Subscribe.class, s -> {
            // Once per subscriber: a second Subscribe (an agent that saw the relay again) must not
            // double its flows.
            if (!subscribers.contains(s.subscriber())) {
              subscribers.add(s.subscriber());
              ctx.watchWith(s.subscriber(), new Unsubscribe(s.subscriber()));
            }
            return Behaviors.same();
          })
          .onMessage(Unsubscribe.class, u -> {
            subscribers.remove(u.subscriber());
            return Behaviors.same();
          })
          .onMessage(Publish.class, p -> {
            Batch b = new Batch(p.node(), p.flows());
            subscribers.forEach(s -> s.tell(b));
            return Behaviors.same();
          })
          .build();
    });
  }

  private record Unsubscribe(ActorRef<Batch> subscriber) implements Command {}
}
