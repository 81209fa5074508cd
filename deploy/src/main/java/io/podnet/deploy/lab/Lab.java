package io.podnet.deploy.lab;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.podnet.deploy.control.CommandRequest;
import io.podnet.deploy.control.CommandRunner;
import io.podnet.deploy.control.Output;
import io.podnet.deploy.topology.LabSpec.HostKind;
import io.podnet.netstack.actor.HostActor;
import io.podnet.netstack.actor.HostKeys;
import io.podnet.netstack.actor.MachineActor;
import io.podnet.netstack.actor.SegmentActor;
import io.podnet.netstack.actor.ToolOutput;
import io.podnet.netstack.tool.Tools;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.router.Router;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A running lab in this JVM: one actor per segment and per host, started from a {@link LabPlan};
 * commands run on its hosts through {@link #runner()}.
 */
public final class Lab implements AutoCloseable {
  private final LabPlan plan;
  private final ActorSystem<Void> system;
  private final Map<String, ActorRef<HostActor.Command>> hosts = new LinkedHashMap<>();
  private final AtomicLong commands = new AtomicLong();

  /**
   * How long a host is down when someone runs {@code reboot} on it: about what the reference lab's
   * VMs take from shutdown to a running kubelet.
   */
  public static final Duration REBOOT_TIME = Duration.ofSeconds(30);

  private Lab(LabPlan plan, ActorSystem<Void> system) {
    this.plan = plan;
    this.system = system;
  }

  /** The actor system settings of a lab: local, quiet, Java serialization off. */
  public static Config defaultConfig() {
    return ConfigFactory.parseString("""
        pekko.loglevel = WARNING
        pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
        pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
        pekko.stdout-loglevel = WARNING
        pekko.actor.provider = local
        # Timers (ping intervals, ARP and TCP retransmissions) fire within 1 ms of their deadline,
        # not the default 10 ms: the lab clock runs timed work as if on time.
        pekko.scheduler.tick-duration = 1ms
        pekko.log-dead-letters = off
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        """).withFallback(ConfigFactory.load());
  }

  public static Lab start(LabPlan plan) {
    return start(plan, defaultConfig());
  }

  public static Lab start(LabPlan plan, Config config) {
    return start(plan, config, Map.of());
  }

  /** Starts a lab whose plain hosts have {@code extraTools} besides the standard ones (benchmarks). */
  public static Lab start(LabPlan plan, Config config, Map<String, io.podnet.netstack.tool.ToolFactory> extraTools) {
    return start(plan, config, extraTools, h -> null);
  }

  /**
   * Starts a lab whose hosts may run an extension (a node's agents, see {@code LabSession}):
   * {@code extensions} gives each host's, or null.
   */
  public static Lab start(LabPlan plan, Config config, Map<String, io.podnet.netstack.tool.ToolFactory> extraTools,
      java.util.function.Function<LabPlan.HostPlan, io.podnet.netstack.actor.HostExtension> extensions) {
    Map<String, io.podnet.netstack.tool.ToolFactory> hostTools = new HashMap<>(Tools.standard());
    hostTools.putAll(extraTools);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "podnet-" + plan.spec().name(), config);
    Lab lab = new Lab(plan, system);
    Map<String, ActorRef<SegmentActor.Command>> segments = new HashMap<>();
    for (LabPlan.SegmentPlan s : plan.segments()) {
      Behavior<SegmentActor.Command> b = s.natGateways().isEmpty() ? SegmentActor.create(s.name())
          : SegmentActor.nat(s.name(), s.natGateways().stream().map(Ipv4Address::parse).toList());
      segments.put(s.name(), system.systemActorOf(b, "segment-" + s.name(), Props.empty()));
    }
    for (LabPlan.HostPlan h : plan.hosts()) {
      Map<String, ActorRef<SegmentActor.Command>> mine = new HashMap<>();
      for (var l : h.config().links()) {
        if (l.segment() != null) {
          mine.put(l.name(), segments.get(l.segment()));
        }
      }
      // Each boot builds the host afresh (a new stack from the topology, new agents), with `reboot`.
      java.util.function.Function<io.podnet.netstack.tool.ToolFactory, Behavior<HostActor.Command>> boot = reboot -> {
        Map<String, io.podnet.netstack.tool.ToolFactory> tools = new HashMap<>(hostTools);
        tools.put("reboot", reboot);
        return h.spec().kind() == HostKind.ROUTER ? Router.create(h.config(), mine, tools)
            : HostActor.create(h.config(), mine, tools, extensions.apply(h));
      };
      lab.hosts.put(h.spec().name(), system.systemActorOf(MachineActor.create(h.spec().name(), REBOOT_TIME, boot),
          "host-" + h.spec().name(), Props.empty()));
    }
    lab.awaitAttached(segments, Duration.ofSeconds(10));
    return lab;
  }

  /** Waits until every host interface is attached to its segment, so the first command's frames flow. */
  private void awaitAttached(Map<String, ActorRef<SegmentActor.Command>> segments, Duration timeout) {
    Map<String, Integer> expected = new HashMap<>();
    for (LabPlan.HostPlan h : plan.hosts()) {
      for (var l : h.config().links()) {
        if (l.segment() != null) {
          expected.merge(l.segment(), 1, Integer::sum);
        }
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (var e : expected.entrySet()) {
      while (true) {
        CompletionStage<SegmentActor.Stats> s = org.apache.pekko.actor.typed.javadsl.AskPattern.ask(
            segments.get(e.getKey()), SegmentActor.GetStats::new, Duration.ofSeconds(5), system.scheduler());
        try {
          if (s.toCompletableFuture().get(5, TimeUnit.SECONDS).ports().size() >= e.getValue()) {
            break;
          }
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while the lab starts", ex);
        } catch (java.util.concurrent.ExecutionException | TimeoutException ex) {
          throw new IllegalStateException("segment " + e.getKey() + " does not answer", ex);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("hosts did not attach to segment " + e.getKey() + " in " + timeout);
        }
        Thread.onSpinWait();
      }
    }
  }

  public LabPlan plan() {
    return plan;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public List<String> hostNames() {
    return new ArrayList<>(hosts.keySet());
  }

  /** Runs commands on the lab's hosts: output streams back, Ctrl-C and hang-ups reach the tool. */
  public CommandRunner runner() {
    return this::run;
  }

  /**
   * The host named {@code name}: a host of the topology, or the host of a pod, named
   * NAMESPACE/POD, that its node registered with the Receptionist ({@link HostKeys#pod}) while the
   * lab runs. Empty when there is none.
   */
  public CompletionStage<Optional<ActorRef<HostActor.Command>>> host(String name) {
    ActorRef<HostActor.Command> h = hosts.get(name);
    if (h != null) {
      return CompletableFuture.completedFuture(Optional.of(h));
    }
    int slash = name.indexOf('/');
    if (slash <= 0 || slash == name.length() - 1 || name.indexOf('/', slash + 1) >= 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return podHost(system, name.substring(0, slash), name.substring(slash + 1));
  }

  /** The host a node registered for pod {@code namespace/pod}, if it has one now. */
  public static CompletionStage<Optional<ActorRef<HostActor.Command>>> podHost(ActorSystem<?> system,
      String namespace, String pod) {
    ServiceKey<HostActor.Command> key = HostKeys.pod(namespace, pod);
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
            reply -> Receptionist.find(key, reply), LOOKUP_TIMEOUT, system.scheduler())
        // Two registrations (a pod host replaced while the old one stops): any one, the same each time.
        .thenApply(l -> l.getServiceInstances(key).stream().min(Comparator.comparing(r -> r.path().toString())));
  }

  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);

  private Source<Output, NotUsed> run(CommandRequest req, CompletionStage<String> signal) {
    ActorRef<HostActor.Command> host = hosts.get(req.host());
    if (host != null) {
      return runOn(host, req, signal);
    }
    return Source.completionStageSource(host(req.host()).thenApply(h -> h.map(ref -> runOn(ref, req, signal))
            .orElseGet(() -> noHost(req.host()))))
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private Source<Output, NotUsed> noHost(String name) {
    return Source.from(List.of(Output.err(noHostMessage(name) + "\n"), Output.exit(255)));
  }

  /** What podnet says for a host that is not in the lab. */
  public String noHostMessage(String name) {
    return "podnet: no host '" + name + "' in lab " + plan.spec().name();
  }

  private Source<Output, NotUsed> runOn(ActorRef<HostActor.Command> host, CommandRequest req,
      CompletionStage<String> signal) {
    String id = req.host() + "-" + commands.incrementAndGet();
    var pre = Source.<Output>queue(4096).preMaterialize(system);
    BoundedSourceQueue<Output> queue = pre.first();
    // A pod's host name has a '/', which an actor name may not: percent-encoded, which it may.
    ActorRef<Object> relay = system.systemActorOf(relay(queue), "cmd-" + URLEncoder.encode(id, StandardCharsets.UTF_8),
        Props.empty());
    host.tell(new HostActor.RunTool(id, req.argv(), req.cwd(), relay.narrow()));
    signal.thenAccept(sig -> host.tell(new HostActor.SignalTool(id, sig)));
    return pre.second().watchTermination((m, done) -> {
      done.whenComplete((d, t) -> {
        // The shim went away before the tool ended (or after: then this is a no-op).
        host.tell(new HostActor.KillTool(id));
        relay.tell(StopRelay.INSTANCE);
      });
      return NotUsed.getInstance();
    });
  }

  private enum StopRelay { INSTANCE }

  /** Moves a tool's output from the host actor into the command's output stream. */
  private static Behavior<Object> relay(BoundedSourceQueue<Output> queue) {
    return Behaviors.receive(Object.class)
        .onMessageEquals(StopRelay.INSTANCE, Behaviors::stopped)
        .onMessage(ToolOutput.Stdout.class, m -> {
          queue.offer(Output.out(m.text()));
          return Behaviors.same();
        })
        .onMessage(ToolOutput.Stderr.class, m -> {
          queue.offer(Output.err(m.text()));
          return Behaviors.same();
        })
        .onMessage(ToolOutput.Exited.class, m -> {
          queue.offer(Output.exit(m.code()));
          try {
            queue.complete();
          } catch (IllegalStateException alreadyEnded) {
            // the caller went away first (its stream was cancelled): StopRelay is on its way
          }
          return Behaviors.stopped();
        })
        .build();
  }

  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // The JVM is on its way out anyway.
    }
  }
}
