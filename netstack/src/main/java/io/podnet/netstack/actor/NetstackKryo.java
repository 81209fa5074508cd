package io.podnet.netstack.actor;

import com.esotericsoftware.kryo.Kryo;
import io.podnet.netstack.serialization.KryoRegistrar;

/** Kryo ids 1000-1999: netstack's actor protocols. Never reuse or renumber an id. */
public final class NetstackKryo implements KryoRegistrar {
  @Override
  public void register(Kryo kryo) {
    kryo.register(SegmentActor.Attach.class, 1000);
    kryo.register(SegmentActor.Attached.class, 1001);
    kryo.register(SegmentActor.Detach.class, 1002);
    kryo.register(SegmentActor.GetStats.class, 1003);
    kryo.register(SegmentActor.Stats.class, 1004);
    kryo.register(HostActor.RunTool.class, 1010);
    kryo.register(HostActor.SignalTool.class, 1011);
    kryo.register(HostActor.KillTool.class, 1012);
    kryo.register(ToolOutput.Stdout.class, 1013);
    kryo.register(ToolOutput.Stderr.class, 1014);
    kryo.register(ToolOutput.Exited.class, 1015);
    kryo.register(HostConfig.class, 1016);
    kryo.register(HostConfig.LinkConfig.class, 1017);
    kryo.register(HostActor.PowerOff.class, 1018);
    kryo.register(MachineActor.Reboot.class, 1019);
  }
}
