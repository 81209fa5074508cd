package io.podnet.netstack.actor;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.tcp.TcpLayer;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.proto.packet.Ipv4Address;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;

/**
 * What runs inside a host actor besides its kernel and tools: the agents of a Kubernetes node
 * (kubelet, Cilium agent) whose state must live on the host's single thread because they program
 * its datapath. An extension is called only from the host actor, after the core has been brought
 * up to the lab clock; the host re-arms its timer after each call, so timers an extension sets on
 * {@code core().timers()} fire on time.
 */
public interface HostExtension {

  /** Called once, when the host actor has built its core, before any frame or tool. */
  void start(Context ctx);

  /** A message that arrived through one of {@link Context#adapter}'s references. */
  default void onMessage(Object message) {}

  /** The host actor is stopping. */
  default void stop() {}

  /**
   * The machine is shutting down gracefully (a {@code reboot}): finish what must be finished (give
   * up leases, as a stopped agent does) and then run {@code done}, on the host's thread. The host
   * stops after {@code done}, or after {@link HostActor#SHUTDOWN_TIMEOUT} at the latest; {@link #stop}
   * follows.
   */
  default void shutdown(Runnable done) {
    done.run();
  }

  /** The host, as an extension sees it. */
  interface Context {
    String hostName();

    HostCore core();

    TcpLayer tcp();

    ActorSystem<?> system();

    /** This host actor. */
    ActorRef<HostActor.Command> self();

    /** A reference whose messages reach {@link HostExtension#onMessage} on the host's thread. */
    <T> ActorRef<T> adapter(Class<T> type);

    /**
     * Asks {@code target}; the reply (or the failure: a timeout) mapped by {@code onReply} reaches
     * {@link HostExtension#onMessage} on the host's thread.
     */
    <Q, R> void ask(Class<R> replyType, org.apache.pekko.actor.typed.RecipientRef<Q> target,
        java.time.Duration timeout, java.util.function.Function<ActorRef<R>, Q> request,
        java.util.function.BiFunction<R, Throwable, Object> onReply);

    /** Spawns a child of the host actor (it stops with the host). */
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);

    void stop(ActorRef<?> child);

    /**
     * Watches {@code ref} (any actor, in this JVM or another): when it stops, {@code message}
     * reaches {@link HostExtension#onMessage} on the host's thread. A ref is watched once: watching
     * it again with another message is an error, as in Pekko.
     */
    void watchWith(ActorRef<?> ref, Object message);

    /** Stops watching {@code ref}; a notice already on its way is not delivered. */
    void unwatch(ActorRef<?> ref);

    /** Adds (or replaces) a tool people can run on this host. */
    void addTool(String name, ToolFactory factory);

    /**
     * Attaches the existing link {@code dev} to {@code segment}; frames sent on it meanwhile are
     * held until the segment confirms, as at start.
     */
    void attachLink(String dev, ActorRef<SegmentActor.Command> segment);

    /** Detaches {@code dev} from its segment (the link is about to be deleted). */
    void detachLink(String dev);

    /**
     * Names not in /etc/hosts are looked up here ("hosts: files dns"): null means unknown. A node
     * resolves Service names of its pods this way.
     */
    void setResolver(Function<String, Ipv4Address> dns);
  }
}
