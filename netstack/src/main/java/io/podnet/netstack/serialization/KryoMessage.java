package io.podnet.netstack.serialization;

/**
 * Marks a protocol record that crosses JVMs with Kryo. Every such record's class must be
 * registered, with a fixed id, by a {@link KryoRegistrar}: Kryo refuses unregistered classes.
 */
public interface KryoMessage {}
