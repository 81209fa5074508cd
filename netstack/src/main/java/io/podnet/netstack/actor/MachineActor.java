package io.podnet.netstack.actor;

import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.netstack.tool.ToolFactory;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The machine a host runs on: it boots the host (a {@link HostActor}, built afresh by its boot
 * function: a new stack from the host's configuration, new agents) and reboots it when someone
 * runs {@code reboot} on it. Commands for the host go through the machine; frames do not (the
 * host's links attach to their segments themselves, and again after each boot).
 *
 * <p>A reboot: the host powers off ({@link HostActor.PowerOff}: graceful, as systemd stops the
 * services, or at once with {@code reboot -f}), the machine stays down for its boot time (no frame
 * answered, no command run), then boots the host again: what {@code ip route add} or
 * {@code ip neigh} changed is gone, as on a real reboot.
 */
public final class MachineActor extends AbstractBehavior<Object> {

  /** Reboot the machine; {@code force} skips the graceful shutdown ({@code reboot -f}). */
  public record Reboot(boolean force) implements HostActor.Command, KryoMessage {}

  /** The host stopped: delivered by this actor to itself. */
  private record HostStopped(long boot) implements NoSerializationVerificationNeeded {}

  private enum Boot implements NoSerializationVerificationNeeded { INSTANCE }

  private static final String BOOT_TIMER = "boot";

  private final String name;
  private final Duration bootTime;
  private final Function<ToolFactory, Behavior<HostActor.Command>> boot;
  private final TimerScheduler<Object> timers;
  private ActorRef<HostActor.Command> host;
  private long boots;
  private boolean rebooting;

  /**
   * @param name the host's name (for messages)
   * @param bootTime how long the machine is down during a reboot
   * @param boot builds the host, given the {@code reboot} tool to add to its tools
   */
  public static Behavior<HostActor.Command> create(String name, Duration bootTime,
      Function<ToolFactory, Behavior<HostActor.Command>> boot) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(t -> new MachineActor(ctx, t, name, bootTime, boot)))
        .narrow();
  }

  private MachineActor(ActorContext<Object> ctx, TimerScheduler<Object> timers, String name, Duration bootTime,
      Function<ToolFactory, Behavior<HostActor.Command>> boot) {
    super(ctx);
    this.name = name;
    this.bootTime = bootTime;
    this.boot = boot;
    this.timers = timers;
    start();
  }

  private void start() {
    ActorRef<HostActor.Command> self = getContext().getSelf().narrow();
    boots++;
    host = getContext().spawn(boot.apply((ctx, args) -> new RebootTool(ctx, args, self)), "boot-" + boots);
    getContext().watchWith(host, new HostStopped(boots));
    rebooting = false;
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Reboot.class, this::onReboot)
        .onMessage(HostStopped.class, this::onHostStopped)
        .onMessageEquals(Boot.INSTANCE, () -> {
          start();
          return this;
        })
        .onMessage(HostActor.RunTool.class, this::onRunTool)
        .onMessage(HostActor.Command.class, c -> {
          if (host != null) {
            host.tell(c);
          }
          return this;
        })
        .build();
  }

  private Behavior<Object> onRunTool(HostActor.RunTool r) {
    if (host == null || rebooting) {
      String state = host == null ? " is rebooting\n" : " is going down\n";
      r.replyTo().tell(new ToolOutput.Stderr(r.id(), "podnet: " + name + state));
      r.replyTo().tell(new ToolOutput.Exited(r.id(), 255));
    } else {
      host.tell(r);
    }
    return this;
  }

  private Behavior<Object> onReboot(Reboot r) {
    if (host == null) {
      return this; // down already: it comes back on its own
    }
    if (rebooting && !r.force()) {
      return this;
    }
    rebooting = true;
    host.tell(new HostActor.PowerOff(!r.force()));
    return this;
  }

  private Behavior<Object> onHostStopped(HostStopped s) {
    if (s.boot() != boots) {
      return this;
    }
    host = null;
    if (!rebooting) {
      getContext().getLog().warn("{}: host stopped on its own; booting it again in {}", name, bootTime);
    }
    timers.startSingleTimer(BOOT_TIMER, Boot.INSTANCE, bootTime);
    return this;
  }

  /** systemd's {@code reboot}: asks the machine to reboot and exits 0 (the session then closes). */
  static final class RebootTool implements Tool {
    private final ToolContext ctx;
    private final List<String> args;
    private final ActorRef<HostActor.Command> machine;

    RebootTool(ToolContext ctx, List<String> args, ActorRef<HostActor.Command> machine) {
      this.ctx = ctx;
      this.args = args;
      this.machine = machine;
    }

    @Override
    public void start() {
      boolean force = false;
      for (String a : args) {
        switch (a) {
          case "-f", "--force" -> force = true;
          case "--help", "-h" -> {
            ctx.out(usage());
            ctx.exit(0);
            return;
          }
          default -> {
            ctx.err(a.startsWith("--") ? "reboot: unrecognized option '" + a + "'\n"
                : a.startsWith("-") ? "reboot: invalid option -- '" + a.substring(1, 2) + "'\n"
                : "reboot: too many arguments.\n");
            ctx.exit(1);
            return;
          }
        }
      }
      machine.tell(new Reboot(force));
      ctx.exit(0);
    }

    static String usage() {
      return """
          reboot [OPTIONS...]

          Reboot the system.

          Options:
               --help      Show this help
            -f --force     Force immediate reboot
          """;
    }
  }
}
