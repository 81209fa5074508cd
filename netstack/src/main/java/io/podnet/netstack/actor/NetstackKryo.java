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
  }
}
