package io.podnet.node.agent;

import com.esotericsoftware.kryo.Kryo;
import io.podnet.netstack.serialization.KryoRegistrar;
import io.podnet.node.cilium.hubble.Flow;
import io.podnet.proto.packet.Ipv4Address;

/**
 * Kryo ids 3110-3119 (node-actor's range is 3000-3999): Hubble's observer protocol and the flows it
 * carries. Never reuse or renumber an id.
 */
public final class HubbleKryo implements KryoRegistrar {
  @Override
  public void register(Kryo kryo) {
    kryo.register(Hubble.Observe.class, 3110);
    kryo.register(Hubble.Flows.class, 3111);
    kryo.register(Flow.class, 3112);
    kryo.register(Flow.Kind.class, 3113);
    kryo.register(Flow.Verdict.class, 3114);
    kryo.register(Ipv4Address.class, 3115);
  }
}
