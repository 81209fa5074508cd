package io.podnet.netstack.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * A Pekko serializer for podnet's protocol records, over a pool of Kryo instances with
 * registration required: a class nobody registered cannot be sent, and cannot be instantiated from
 * bytes that arrive. Typed actor references travel as their serialized paths. Immutable JDK
 * collections ({@code List.of}, {@code Map.of}, {@code Set.of}), which Kryo cannot build itself,
 * travel as their elements.
 */
public final class KryoSerializer extends JSerializer {
  /** Pekko serializer id; ids below 40 are Pekko's own. */
  public static final int IDENTIFIER = 7301;

  private final Pool<Kryo> pool;

  public KryoSerializer(ExtendedActorSystem system) {
    List<KryoRegistrar> registrars = new ArrayList<>();
    // An object, not a list, so that each module's reference.conf adds its own entry.
    com.typesafe.config.Config regs = system.settings().config().getConfig("podnet.kryo.registrars");
    for (String name : new java.util.TreeSet<>(regs.root().keySet()).stream().map(regs::getString).toList()) {
      try {
        registrars.add((KryoRegistrar) Class.forName(name, true, system.dynamicAccess().classLoader())
            .getDeclaredConstructor().newInstance());
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException("podnet.kryo.registrars: cannot load " + name + ": " + e, e);
      }
    }
    ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.pool = new Pool<>(true, false, 16) {
      @Override
      protected Kryo create() {
        return newKryo(resolver, registrars);
      }
    };
  }

  /** A Kryo configured as the serializer configures it; for tests and persistence. */
  public static Kryo newKryo(ActorRefResolver resolver, List<KryoRegistrar> registrars) {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    registerBasics(kryo, resolver);
    for (KryoRegistrar r : registrars) {
      r.register(kryo);
    }
    return kryo;
  }

  static void registerBasics(Kryo kryo, ActorRefResolver resolver) {
    kryo.register(ArrayList.class, 100);
    kryo.register(LinkedHashMap.class, 101);
    kryo.register(LinkedHashSet.class, 102);
    kryo.register(byte[].class, 103);
    kryo.register(int[].class, 104);
    kryo.register(long[].class, 105);
    kryo.register(String[].class, 106);
    kryo.register(java.util.Optional.class, 107);
    kryo.register(java.util.HashMap.class, 108);
    kryo.register(java.time.Duration.class, 109);
    kryo.register(java.util.TreeMap.class, 110);
    ImmutableListSerializer list = new ImmutableListSerializer();
    kryo.register(List.of().getClass(), list, 120);
    kryo.register(List.of(1).getClass(), list, 121);
    kryo.register(List.of(1, 2, 3).getClass(), list, 122);
    ImmutableSetSerializer set = new ImmutableSetSerializer();
    kryo.register(Set.of().getClass(), set, 123);
    kryo.register(Set.of(1).getClass(), set, 124);
    kryo.register(Set.of(1, 2, 3).getClass(), set, 125);
    ImmutableMapSerializer map = new ImmutableMapSerializer();
    kryo.register(Map.of().getClass(), map, 126);
    kryo.register(Map.of(1, 1).getClass(), map, 127);
    kryo.register(Map.of(1, 1, 2, 2).getClass(), map, 128);
    kryo.register(java.util.Collections.unmodifiableList(new ArrayList<>()).getClass(), list, 129);
    if (resolver != null) {
      // Typed references are adapters over classic ones; the class is internal to Pekko.
      ActorRefSerializer refs = new ActorRefSerializer(resolver);
      kryo.addDefaultSerializer(ActorRef.class, refs);
      try {
        kryo.register(Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter"), refs, 130);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("this Pekko has no ActorRefAdapter; podnet's Kryo setup needs updating", e);
      }
    }
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool.obtain();
    try (Output out = new Output(256, -1)) {
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + " with Kryo: " + e.getMessage(), e);
    } finally {
      pool.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool.obtain();
    try (Input in = new Input(bytes)) {
      return kryo.readClassAndObject(in);
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot deserialize with Kryo: " + e.getMessage(), e);
    } finally {
      pool.free(kryo);
    }
  }

  static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }

  static final class ImmutableListSerializer extends Serializer<List<Object>> {
    ImmutableListSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, List<Object> list) {
      writeElements(kryo, out, list);
    }

    @Override
    public List<Object> read(Kryo kryo, Input in, Class<? extends List<Object>> type) {
      return java.util.Collections.unmodifiableList(readElements(kryo, in));
    }
  }

  static final class ImmutableSetSerializer extends Serializer<Set<Object>> {
    ImmutableSetSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Set<Object> set) {
      writeElements(kryo, out, set);
    }

    @Override
    public Set<Object> read(Kryo kryo, Input in, Class<? extends Set<Object>> type) {
      return Set.copyOf(readElements(kryo, in));
    }
  }

  static final class ImmutableMapSerializer extends Serializer<Map<Object, Object>> {
    ImmutableMapSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, Map<Object, Object> map) {
      out.writeVarInt(map.size(), true);
      for (Map.Entry<Object, Object> e : map.entrySet()) {
        kryo.writeClassAndObject(out, e.getKey());
        kryo.writeClassAndObject(out, e.getValue());
      }
    }

    @Override
    public Map<Object, Object> read(Kryo kryo, Input in, Class<? extends Map<Object, Object>> type) {
      int n = in.readVarInt(true);
      Map<Object, Object> m = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        m.put(kryo.readClassAndObject(in), kryo.readClassAndObject(in));
      }
      return Map.copyOf(m);
    }
  }

  static void writeElements(Kryo kryo, Output out, Collection<Object> c) {
    out.writeVarInt(c.size(), true);
    for (Object o : c) {
      kryo.writeClassAndObject(out, o);
    }
  }

  static List<Object> readElements(Kryo kryo, Input in) {
    int n = in.readVarInt(true);
    List<Object> l = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(kryo.readClassAndObject(in));
    }
    return l;
  }
}
