package io.podnet.netstack.serialization;

import com.esotericsoftware.kryo.Kryo;

/**
 * Registers a module's message classes with Kryo, each under a fixed id, so that every JVM of a
 * lab agrees on them. Listed by class name under {@code podnet.kryo.registrars.<module>}. Ids 100-999 are
 * reserved for podnet's own types; each module takes a range of 1,000 above that (netstack
 * 1000-1999, router 2000-2999, node 3000-3999, apiserver 4000-4999, deploy 5000-5999).
 */
public interface KryoRegistrar {
  void register(Kryo kryo);
}
