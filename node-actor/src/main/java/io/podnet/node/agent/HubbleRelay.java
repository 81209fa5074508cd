package io.podnet.node.agent;

import io.podnet.node.cilium.hubble.Flow;
import io.podnet.node.cilium.hubble.ObserveOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Hubble Relay: serves {@link Hubble.Observe} for the whole cluster by asking every node's
 * observer (found through the Receptionist under {@link Hubble#OBSERVER}) and merging their answers,
 * as hubble-relay does: the backlogs in time order, cut to the request's {@code --last}; then, with
 * {@code follow}, every node's new flows as they come. Nodes keep their own flows; nothing is
 * copied between nodes unless someone asks. An observer that does not answer within the node
 * timeout is left out of the backlog (its followed flows still come). Found through the
 * Receptionist under {@link #KEY}.
 */
public final class HubbleRelay {
  private HubbleRelay() {}

  /** The relay's protocol: {@link Hubble.Observe} (and its own local notices). */
  public sealed interface Command permits Hubble.Observe, ObserversChanged {}

  private record ObserversChanged(Set<ActorRef<Hubble.Observe>> observers)
      implements Command, NoSerializationVerificationNeeded {}

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "podnet-hubble-relay");

  /** How long a request waits for every observer's backlog. */
  public static final Duration NODE_TIMEOUT = Duration.ofSeconds(5);

  public static Behavior<Command> create() {
    return create(NODE_TIMEOUT);
  }

  public static Behavior<Command> create(Duration nodeTimeout) {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(Hubble.OBSERVER,
          ctx.messageAdapter(Receptionist.Listing.class,
              l -> new ObserversChanged(l.getServiceInstances(Hubble.OBSERVER)))));
      Set<ActorRef<Hubble.Observe>>[] observers = new Set[] {Set.of()};
      long[] requests = {0};
      return Behaviors.receive(Command.class)
          .onMessage(ObserversChanged.class, c -> {
            observers[0] = c.observers();
            return Behaviors.same();
          })
          .onMessage(Hubble.Observe.class, o -> {
            ctx.spawn(request(o, List.copyOf(observers[0]), nodeTimeout), "observe-" + ++requests[0]);
            return Behaviors.same();
          })
          .build();
    });
  }

  private enum Deadline implements NoSerializationVerificationNeeded { INSTANCE }

  private record RequesterGone() implements NoSerializationVerificationNeeded {}

  /** One GetFlows served: asks every observer, merges the backlogs, then forwards followed flows. */
  private static Behavior<Object> request(Hubble.Observe o, List<ActorRef<Hubble.Observe>> observers,
      Duration timeout) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Request(ctx, timers, o, observers, timeout)));
  }

  private static final class Request extends org.apache.pekko.actor.typed.javadsl.AbstractBehavior<Object> {
    private final Hubble.Observe o;
    private final int expected;
    private int answered;
    private final List<Flow> backlog = new ArrayList<>();
    /** Followed flows that came before the merged backlog went out. */
    private final List<Flow> early = new ArrayList<>();
    private boolean sent;

    Request(ActorContext<Object> ctx, TimerScheduler<Object> timers, Hubble.Observe o,
        List<ActorRef<Hubble.Observe>> observers, Duration timeout) {
      super(ctx);
      this.o = o;
      this.expected = observers.size();
      ctx.watchWith(o.replyTo(), new RequesterGone());
      ActorRef<Hubble.Flows> self = ctx.getSelf().narrow();
      observers.forEach(obs -> obs.tell(new Hubble.Observe(o.filter(), o.follow(), self)));
      if (expected == 0) {
        sendBacklog();
      } else {
        timers.startSingleTimer(Deadline.INSTANCE, timeout);
      }
    }

    @Override
    public org.apache.pekko.actor.typed.javadsl.Receive<Object> createReceive() {
      return newReceiveBuilder()
          .onMessage(Hubble.Flows.class, f -> {
            if (sent) {
              if (!f.backlog() && !f.flows().isEmpty()) {
                o.replyTo().tell(f);
              }
            } else if (f.backlog()) {
              backlog.addAll(f.flows());
              if (++answered == expected) {
                sendBacklog();
              }
            } else {
              early.addAll(f.flows());
            }
            return done();
          })
          .onMessageEquals(Deadline.INSTANCE, () -> {
            if (!sent) {
              getContext().getLog().info("hubble-relay: {} of {} nodes answered in time", answered, expected);
              sendBacklog();
            }
            return done();
          })
          .onMessage(RequesterGone.class, g -> Behaviors.stopped())
          .build();
    }

    private void sendBacklog() {
      sent = true;
      backlog.sort(Comparator.comparingLong(Flow::timeMicros));
      List<Flow> merged;
      try {
        merged = ObserveOptions.parse(o.filter()).select(backlog);
      } catch (ObserveOptions.UsageException e) {
        merged = List.of();
      }
      o.replyTo().tell(new Hubble.Flows(merged, true));
      if (!early.isEmpty()) {
        early.sort(Comparator.comparingLong(Flow::timeMicros));
        o.replyTo().tell(new Hubble.Flows(early, false));
        early.clear();
      }
    }

    private Behavior<Object> done() {
      return sent && !o.follow() ? Behaviors.stopped() : Behaviors.same();
    }
  }
}
