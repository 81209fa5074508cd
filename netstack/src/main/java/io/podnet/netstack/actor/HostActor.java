package io.podnet.netstack.actor;

import com.google.protobuf.UnsafeByteOperations;
import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.netstack.tcp.TcpLayer;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.proto.v1.Frame;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * A Linux host: its kernel ({@link HostCore} over a {@link HostStack}) wired to the L2 segments
 * of its interfaces, and the tools people run on it. The actor owns the core, feeds it arriving
 * frames and the lab clock, sends what it transmits to the segments, and wakes it with one timer
 * at its next deadline. Routers and nodes are hosts with more tools and hooks.
 */
public final class HostActor extends AbstractBehavior<Object> {
  public sealed interface Command permits RunTool, SignalTool, KillTool, PowerOff, LinkAttached, ExtensionMessage,
      Watched, Tick, ShutdownDone, MachineActor.Reboot {}

  /** Run {@code argv} (tool name first) in {@code cwd}; output and the exit code go to {@code replyTo}. */
  public record RunTool(String id, List<String> argv, String cwd, ActorRef<ToolOutput> replyTo)
      implements Command, KryoMessage {
    public RunTool {
      argv = List.copyOf(argv);
    }
  }

  /** Ctrl-C ("INT") or "TERM" for a running tool. */
  public record SignalTool(String id, String signal) implements Command, KryoMessage {}

  /** The tool's caller went away: stop it without a word. */
  public record KillTool(String id) implements Command, KryoMessage {}

  /**
   * The machine goes down, as on {@code reboot}: running commands end as an ssh session does when
   * its host goes away; with {@code graceful}, the extension shuts down first (as systemd stops
   * services, within {@link #SHUTDOWN_TIMEOUT}), otherwise at once (a crash, {@code reboot -f}).
   * The actor then stops.
   */
  public record PowerOff(boolean graceful) implements Command, KryoMessage {}

  private record LinkAttached(String dev, SegmentActor.Attached attached) implements Command {}

  /** The extension's graceful shutdown is over: delivered by this actor to itself. */
  private enum ShutdownDone implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded { INSTANCE }

  /** A message for the extension, wrapped by one of its adapters. */
  private record ExtensionMessage(Object message) implements Command {}

  /** An extension's death-watch notice: delivered by this actor to itself, never sent anywhere. */
  private record Watched(Object message) implements Command, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  private enum Tick implements Command { INSTANCE }

  private record Running(Tool tool, ToolContext ctx) {}

  private static final String CORE_TIMER = "core";
  private static final String SHUTDOWN_TIMER = "shutdown";
  /** How long a graceful shutdown may take before the machine goes down anyway. */
  public static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);

  private final HostConfig config;
  private final HostCore core;
  private final TimerQueue timers;
  private final TcpLayer tcp;
  private final TimerScheduler<Object> scheduler;
  private final LabClock clock;
  private final Map<String, ToolFactory> tools;
  private final HostExtension extension;
  private final Map<String, ActorRef<SegmentActor.Command>> attachedTo = new HashMap<>();
  private java.util.function.Function<String, io.podnet.proto.packet.Ipv4Address> dns = n -> null;
  private final Map<String, ActorRef<Frame>> uplinks = new HashMap<>();
  private final Map<String, Running> running = new HashMap<>();
  private boolean shuttingDown;
  private final ActorRef<Frame> inbox;
  private long scheduledFor = Long.MAX_VALUE;
  private long framesDroppedUnattached;
  private final Map<String, List<Frame>> unattached = new HashMap<>();
  private static final int MAX_UNATTACHED = 1000;

  /**
   * A host built from {@code config} (already validated with {@link HostSetup#build}), whose
   * ethernet links attach to {@code segments} (by link name).
   */
  public static Behavior<Command> create(HostConfig config, Map<String, ActorRef<SegmentActor.Command>> segments,
      Map<String, ToolFactory> tools) {
    return create(config, segments, tools, null);
  }

  /** A host with an {@code extension} (a node's agents) running on its thread; null for none. */
  public static Behavior<Command> create(HostConfig config, Map<String, ActorRef<SegmentActor.Command>> segments,
      Map<String, ToolFactory> tools, HostExtension extension) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(t -> new HostActor(ctx, t, config, segments, tools,
        extension))).narrow();
  }

  /**
   * The actor takes {@link Command}s and, on its frame inbox (its own reference narrowed to
   * {@link Frame}), bare frames: no message adapter, so no wrapper allocated per frame.
   */
  private HostActor(ActorContext<Object> ctx, TimerScheduler<Object> scheduler, HostConfig config,
      Map<String, ActorRef<SegmentActor.Command>> segments, Map<String, ToolFactory> tools,
      HostExtension extension) throws Exception {
    super(ctx);
    this.config = config;
    this.scheduler = scheduler;
    this.tools = new HashMap<>(tools);
    this.extension = extension;
    this.clock = LabClock.get(ctx.getSystem());
    HostStack stack = HostSetup.build(config);
    this.timers = new TimerQueue(clock.nowMicros());
    SplittableRandom random = new SplittableRandom(config.seed());
    this.core = new HostCore(stack, timers, random.split(), this::transmit);
    core.setForwarding(config.forwarding());
    core.setRealtimeOrigin(clock.realtimeOriginMicros());
    this.tcp = new TcpLayer(timers, random.split(), core.ipSender(), core::routeMtu, TcpLayer.Params.LINUX);
    core.register(IpProtocol.TCP, tcp);
    this.inbox = ctx.getSelf().narrow();
    // One ask per link: a message adapter is one per message class, so with two links the
    // second adapter would replace the first and both replies would name the same device.
    segments.forEach(this::attach);
    if (extension != null) {
      step(() -> extension.start(new ExtensionContext()));
    }
  }

  private void attach(String dev, ActorRef<SegmentActor.Command> seg) {
    attachedTo.put(dev, seg);
    getContext().ask(SegmentActor.Attached.class, seg, ATTACH_TIMEOUT,
        replyTo -> new SegmentActor.Attach(config.name(), dev, inbox, replyTo),
        (attached, failure) -> new LinkAttached(dev, attached));
  }

  private final class ExtensionContext implements HostExtension.Context {
    @Override
    public String hostName() {
      return config.name();
    }

    @Override
    public HostCore core() {
      return core;
    }

    @Override
    public TcpLayer tcp() {
      return tcp;
    }

    @Override
    public org.apache.pekko.actor.typed.ActorSystem<?> system() {
      return getContext().getSystem();
    }

    @Override
    public ActorRef<Command> self() {
      return getContext().getSelf().narrow();
    }

    @Override
    public <T> ActorRef<T> adapter(Class<T> type) {
      return getContext().messageAdapter(type, ExtensionMessage::new);
    }

    @Override
    public <Q, R> void ask(Class<R> replyType, org.apache.pekko.actor.typed.RecipientRef<Q> target,
        Duration timeout, java.util.function.Function<ActorRef<R>, Q> request,
        java.util.function.BiFunction<R, Throwable, Object> onReply) {
      getContext().ask(replyType, target, timeout, request::apply,
          (reply, failure) -> new ExtensionMessage(onReply.apply(reply, failure)));
    }

    @Override
    public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
      return getContext().spawn(behavior, name);
    }

    @Override
    public void stop(ActorRef<?> child) {
      getContext().stop(child);
    }

    @Override
    public void watchWith(ActorRef<?> ref, Object message) {
      getContext().watchWith(ref, new Watched(message));
    }

    @Override
    public void unwatch(ActorRef<?> ref) {
      getContext().unwatch(ref);
    }

    @Override
    public void addTool(String name, ToolFactory factory) {
      tools.put(name, factory);
    }

    @Override
    public void attachLink(String dev, ActorRef<SegmentActor.Command> segment) {
      attach(dev, segment);
    }

    @Override
    public void detachLink(String dev) {
      ActorRef<SegmentActor.Command> seg = attachedTo.remove(dev);
      uplinks.remove(dev);
      unattached.remove(dev);
      if (seg != null) {
        seg.tell(new SegmentActor.Detach(config.name(), dev));
      }
    }

    @Override
    public void setResolver(java.util.function.Function<String, io.podnet.proto.packet.Ipv4Address> resolver) {
      dns = resolver;
    }
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Frame.class, this::onFrame)
        .onMessage(RunTool.class, this::onRunTool)
        .onMessage(SignalTool.class, this::onSignalTool)
        .onMessage(KillTool.class, this::onKillTool)
        .onMessage(PowerOff.class, this::onPowerOff)
        .onMessageEquals(ShutdownDone.INSTANCE, () -> Behaviors.stopped())
        .onMessage(LinkAttached.class, this::onLinkAttached)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(ExtensionMessage.class, m -> step(() -> extension.onMessage(m.message())))
        .onMessage(Watched.class, m -> step(() -> extension.onMessage(m.message())))
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          if (extension != null) {
            extension.stop();
          }
          return Behaviors.same();
        })
        .build();
  }

  /** Brings the core up to the lab clock, runs {@code r}, and sets the timer for what is next. */
  private Behavior<Object> step(Runnable r) {
    core.advanceTo(clock.nowMicros());
    r.run();
    reschedule();
    return Behaviors.same();
  }

  private void reschedule() {
    long next = core.nextDeadline();
    if (next == scheduledFor) {
      return;
    }
    scheduledFor = next;
    if (next == Long.MAX_VALUE) {
      scheduler.cancel(CORE_TIMER);
    } else {
      long delay = Math.max(0, next - clock.nowMicros());
      scheduler.startSingleTimer(CORE_TIMER, Tick.INSTANCE, Duration.ofNanos(delay * 1000));
    }
  }

  private Behavior<Object> onTick() {
    scheduledFor = Long.MAX_VALUE;
    return step(() -> { });
  }

  private Behavior<Object> onFrame(Frame f) {
    return step(() -> core.receiveShared(f.getDstInterface(), FrameBytes.of(f.getData())));
  }

  private void transmit(String dev, byte[] frame) {
    // The core never writes to a frame it has handed over (HostCore.Output), and a ByteString is
    // never written to, so the array is wrapped rather than copied.
    Frame f = Frame.newBuilder().setData(UnsafeByteOperations.unsafeWrap(frame)).setSrcHost(config.name()).setSrcInterface(dev)
        .setTimestampMicros(timers.nowMicros()).build();
    ActorRef<Frame> up = uplinks.get(dev);
    if (up != null) {
      up.tell(f);
      return;
    }
    // The segment has not confirmed the attachment yet (the host just started): hold the frame, as
    // a NIC's queue would while its link comes up, rather than lose the first ARP request.
    List<Frame> q = unattached.computeIfAbsent(dev, d -> new java.util.ArrayList<>());
    if (q.size() < MAX_UNATTACHED) {
      q.add(f);
    } else {
      framesDroppedUnattached++;
    }
  }

  private Behavior<Object> onLinkAttached(LinkAttached a) {
    if (!attachedTo.containsKey(a.dev())) {
      return Behaviors.same(); // detached meanwhile
    }
    if (a.attached() == null) {
      getContext().getLog().warn("{}: segment of {} did not answer the attach", config.name(), a.dev());
      return Behaviors.same();
    }
    uplinks.put(a.dev(), a.attached().inbox());
    List<Frame> held = unattached.remove(a.dev());
    if (held != null) {
      held.forEach(a.attached().inbox()::tell);
    }
    return Behaviors.same();
  }

  private Behavior<Object> onPowerOff(PowerOff p) {
    if (shuttingDown) {
      return p.graceful() ? Behaviors.same() : Behaviors.stopped();
    }
    shuttingDown = true;
    step(() -> {
      for (Running t : List.copyOf(running.values())) {
        t.ctx().guarded(() -> {
          t.ctx().err("Connection to " + config.name() + " closed by remote host.\n");
          t.ctx().exit(255);
        });
      }
      running.clear();
    });
    if (!p.graceful() || extension == null) {
      return Behaviors.stopped();
    }
    scheduler.startSingleTimer(SHUTDOWN_TIMER, ShutdownDone.INSTANCE, SHUTDOWN_TIMEOUT);
    ActorRef<Object> self = getContext().getSelf();
    return step(() -> extension.shutdown(() -> self.tell(ShutdownDone.INSTANCE)));
  }

  private Behavior<Object> onRunTool(RunTool r) {
    if (shuttingDown) {
      r.replyTo().tell(new ToolOutput.Stderr(r.id(), "podnet: " + config.name() + " is going down\n"));
      r.replyTo().tell(new ToolOutput.Exited(r.id(), 255));
      return Behaviors.same();
    }
    return step(() -> {
      ActorRef<ToolOutput> to = r.replyTo();
      String name = r.argv().isEmpty() ? "" : r.argv().get(0);
      ToolFactory f = tools.get(name);
      if (f == null) {
        to.tell(new ToolOutput.Stderr(r.id(), "podnet: " + name + ": no such tool on " + config.name() + "\n"));
        to.tell(new ToolOutput.Exited(r.id(), 127));
        return;
      }
      ToolContext ctx = new ToolContext(config.name(), core, tcp, config.etcHosts(), dns, r.cwd(), new ToolContext.Sink() {
        @Override
        public void out(String text) {
          to.tell(new ToolOutput.Stdout(r.id(), text));
        }

        @Override
        public void err(String text) {
          to.tell(new ToolOutput.Stderr(r.id(), text));
        }

        @Override
        public void exited(int code) {
          Running gone = running.remove(r.id());
          if (gone != null) {
            gone.tool().close();
          }
          to.tell(new ToolOutput.Exited(r.id(), code));
        }
      });
      ctx.guarded(() -> {
        Tool tool = f.create(ctx, r.argv().subList(1, r.argv().size()));
        running.put(r.id(), new Running(tool, ctx));
        tool.start();
      });
      if (ctx.exited()) {
        running.remove(r.id());
      }
    });
  }

  private Behavior<Object> onSignalTool(SignalTool s) {
    return step(() -> {
      Running t = running.get(s.id());
      if (t != null) {
        t.ctx().guarded(() -> t.tool().signal(t.ctx(), s.signal()));
      }
    });
  }

  private Behavior<Object> onKillTool(KillTool k) {
    return step(() -> {
      Running t = running.remove(k.id());
      if (t != null) {
        t.ctx().kill();
        t.tool().close();
      }
    });
  }
}
