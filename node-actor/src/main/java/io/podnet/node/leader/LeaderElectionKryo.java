package io.podnet.node.leader;

import com.esotericsoftware.kryo.Kryo;
import io.podnet.netstack.serialization.KryoRegistrar;

/**
 * Kryo ids 3100-3109 (node-actor's range is 3000-3999): the leader-election protocol. Never reuse
 * or renumber an id.
 */
public final class LeaderElectionKryo implements KryoRegistrar {
  @Override
  public void register(Kryo kryo) {
    kryo.register(LeaderElection.Stop.class, 3100);
    kryo.register(LeaderElection.GetLeader.class, 3101);
    kryo.register(LeaderElection.Leader.class, 3102);
    kryo.register(LeaderElection.StartedLeading.class, 3103);
    kryo.register(LeaderElection.StoppedLeading.class, 3104);
    kryo.register(LeaderElection.NewLeader.class, 3105);
  }
}
