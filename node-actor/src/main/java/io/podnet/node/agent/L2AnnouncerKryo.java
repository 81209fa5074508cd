package io.podnet.node.agent;

import com.esotericsoftware.kryo.Kryo;
import io.podnet.netstack.serialization.KryoRegistrar;

/**
 * Kryo ids 3120-3129 (node-actor's range is 3000-3999): the L2 announcer's protocol with whoever
 * stops a node's agent. Never reuse or renumber an id.
 */
public final class L2AnnouncerKryo implements KryoRegistrar {
  @Override
  public void register(Kryo kryo) {
    kryo.register(L2Announcer.Shutdown.class, 3120);
    kryo.register(L2Announcer.Stopped.class, 3121);
  }
}
