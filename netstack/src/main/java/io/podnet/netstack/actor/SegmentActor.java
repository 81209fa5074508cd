package io.podnet.netstack.actor;

import com.google.protobuf.ByteString;
import io.podnet.netstack.core.LearningSwitch;
import io.podnet.netstack.core.NatGateway;
import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.v1.Frame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One L2 broadcast domain: a learning switch whose ports are host interfaces. Hosts attach a port
 * (their interface's frame inbox) and get the segment's frame inbox back; frames are forwarded by
 * destination MAC, flooded when unknown. A port whose actor stops is detached and forgotten. A NAT
 * segment also holds the NAT gateway of a VM's uplink.
 */
public final class SegmentActor extends AbstractBehavior<Object> {
  public sealed interface Command {}

  /** Attach {@code host}'s interface {@code iface}; frames for it go to {@code port}. */
  public record Attach(String host, String iface, ActorRef<Frame> port, ActorRef<Attached> replyTo)
      implements Command, KryoMessage {}

  /** The segment's inbox for frames from the attached interface. */
  public record Attached(String segment, ActorRef<Frame> inbox) implements KryoMessage {}

  public record Detach(String host, String iface) implements Command, KryoMessage {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command, KryoMessage {}

  /** Frames seen, forwarded, flooded, filtered and dropped (by reason, e.g. the NAT gateway's). */
  public record Stats(String segment, long frames, long unicast, long flooded, long filtered,
      Map<String, Long> drops, List<String> ports) implements KryoMessage {}

  private record PortStopped(ActorRef<Frame> port) implements Command {}

  private record Port(String host, String iface, ActorRef<Frame> ref) {}

  private static final int NAT_PORT = 0;

  private final String name;
  private final ActorRef<Frame> inbox;
  private final LearningSwitch fdb;
  private final NatGateway nat;
  private final LabClock clock;
  private final List<Port> ports = new ArrayList<>();
  /** Port index by (host, interface): a record key hashes the two names' cached hashes, no string per frame. */
  private final Map<PortKey, Integer> byKey = new HashMap<>();

  private record PortKey(String host, String iface) {}
  private final Map<String, Long> drops = new TreeMap<>();
  private long frames;
  private long unicast;
  private long flooded;
  private long filtered;

  public static Behavior<Command> create(String name) {
    return Behaviors.<Object>setup(ctx -> new SegmentActor(ctx, name, null)).narrow();
  }

  /** A NAT uplink segment whose gateway answers for {@code gatewayAddresses}. */
  public static Behavior<Command> nat(String name, List<Ipv4Address> gatewayAddresses) {
    return Behaviors.<Object>setup(ctx -> new SegmentActor(ctx, name, new NatGateway(gatewayAddresses))).narrow();
  }

  /**
   * The actor takes {@link Command}s and, on its frame inbox (its own reference narrowed to
   * {@link Frame}), bare frames: no message adapter, so no wrapper allocated per frame.
   */
  private SegmentActor(ActorContext<Object> ctx, String name, NatGateway nat) {
    super(ctx);
    this.name = name;
    this.nat = nat;
    this.clock = LabClock.get(ctx.getSystem());
    this.fdb = new LearningSwitch(LearningSwitch.DEFAULT_AGEING_MICROS);
    this.inbox = ctx.getSelf().narrow();
    // Port 0 is the NAT gateway (or unused), so that host ports never collide with it.
    ports.add(null);
  }

  @Override
  public Receive<Object> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attach.class, this::onAttach)
        .onMessage(Detach.class, this::onDetach)
        .onMessage(Frame.class, this::onFrame)
        .onMessage(GetStats.class, this::onGetStats)
        .onMessage(PortStopped.class, this::onPortStopped)
        .build();
  }

  private Behavior<Object> onAttach(Attach a) {
    PortKey key = new PortKey(a.host(), a.iface());
    Integer existing = byKey.get(key);
    Port p = new Port(a.host(), a.iface(), a.port());
    if (existing != null) {
      fdb.forgetPort(existing);
      ports.set(existing, p);
    } else {
      byKey.put(key, ports.size());
      ports.add(p);
    }
    getContext().watchWith(a.port(), new PortStopped(a.port()));
    a.replyTo().tell(new Attached(name, inbox));
    return Behaviors.same();
  }

  private Behavior<Object> onDetach(Detach d) {
    Integer idx = byKey.remove(new PortKey(d.host(), d.iface()));
    if (idx != null) {
      fdb.forgetPort(idx);
      ports.set(idx, null);
    }
    return Behaviors.same();
  }

  private Behavior<Object> onPortStopped(PortStopped s) {
    for (int i = 1; i < ports.size(); i++) {
      Port p = ports.get(i);
      if (p != null && p.ref().equals(s.port())) {
        byKey.remove(new PortKey(p.host(), p.iface()));
        fdb.forgetPort(i);
        ports.set(i, null);
      }
    }
    return Behaviors.same();
  }

  private Behavior<Object> onFrame(Frame f) {
    frames++;
    Integer ingress = byKey.get(new PortKey(f.getSrcHost(), f.getSrcInterface()));
    if (ingress == null) {
      drop("frame from an unattached port");
      return Behaviors.same();
    }
    ByteString data = f.getData();
    if (data.size() < EthernetHeader.LENGTH) {
      drop("runt frame");
      return Behaviors.same();
    }
    // The switch reads the two addresses in place; only the NAT gateway needs the bytes as an array.
    MacAddress dst = macAt(data, EthernetHeader.DST_OFFSET);
    MacAddress src = macAt(data, EthernetHeader.SRC_OFFSET);
    int out = fdb.forward(src, dst, ingress, clock.nowMicros());
    if (out == LearningSwitch.FILTER) {
      filtered++;
    } else if (out == LearningSwitch.FLOOD) {
      flooded++;
      for (int i = 0; i < ports.size(); i++) {
        if (i != ingress) {
          deliver(i, f, null);
        }
      }
    } else {
      unicast++;
      deliver(out, f, null);
    }
    return Behaviors.same();
  }

  /** The 6-byte MAC address at {@code off} of a frame of at least {@code off + 6} bytes. */
  private static MacAddress macAt(ByteString b, int off) {
    long v = 0;
    for (int i = 0; i < 6; i++) {
      v = v << 8 | (b.byteAt(off + i) & 0xff);
    }
    return new MacAddress(v);
  }

  /** Hands {@code f} to a port; {@code data} is its bytes when the caller has them as an array, else null. */
  private void deliver(int port, Frame f, byte[] data) {
    if (port == NAT_PORT) {
      if (nat != null) {
        byte[] d = data != null ? data : f.getData().toByteArray();
        nat.receive(d, 0, d.length, reply -> fromGateway(reply));
      }
      return;
    }
    Port p = ports.get(port);
    if (p != null) {
      p.ref().tell(f.toBuilder().setSegment(name).setDstInterface(p.iface()).build());
    }
  }

  private void fromGateway(byte[] reply) {
    Frame f = Frame.newBuilder().setData(ByteString.copyFrom(reply)).setSegment(name).setSrcHost("nat-gateway")
        .setSrcInterface("gw").setTimestampMicros(clock.nowMicros()).build();
    MacAddress dst = MacAddress.read(reply, EthernetHeader.DST_OFFSET);
    MacAddress src = MacAddress.read(reply, EthernetHeader.SRC_OFFSET);
    int out = fdb.forward(src, dst, NAT_PORT, clock.nowMicros());
    if (out == LearningSwitch.FLOOD) {
      for (int i = 1; i < ports.size(); i++) {
        deliver(i, f, reply);
      }
    } else if (out != LearningSwitch.FILTER) {
      deliver(out, f, reply);
    }
  }

  private void drop(String reason) {
    drops.merge(reason, 1L, Long::sum);
  }

  private Behavior<Object> onGetStats(GetStats g) {
    Map<String, Long> all = new TreeMap<>(drops);
    if (nat != null) {
      nat.drops().forEach((k, v) -> all.merge("nat gateway: " + k, v, Long::sum));
    }
    List<String> names = new ArrayList<>();
    for (Port p : ports) {
      if (p != null) {
        names.add(p.host() + "/" + p.iface());
      }
    }
    g.replyTo().tell(new Stats(name, frames, unicast, flooded, filtered, all, names));
    return Behaviors.same();
  }
}
