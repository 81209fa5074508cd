package io.podnet.apiserver.store.persist;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.ResourceType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The Kryo encoding of the store's records and snapshots. Registration is required and every class
 * has a fixed id and a hand-written serializer, so the bytes never depend on reflection, field order
 * or class names; protobuf Structs are written as their serialized bytes. Not thread-safe (one Kryo
 * per instance): owned by one {@link DurableStore}.
 *
 * <p>The format has a version, carried by the files' magic ({@link RecordLog}, {@link DurableStore}).
 * Version 2 (written) added generateName and ownerReferences to ObjectMeta; version 1 (read only)
 * has neither, and its objects are read with an empty generateName and no owner references.
 *
 * <pre>
 * ResourceType   apiVersion:String resource:String               (resolved on read)
 * ObjectMeta     name namespace uid resourceVersion creationTimestamp:String generation:varlong
 *                labels annotations: count:varint then (key:String value:String)* sorted by key
 *                generateName:String                                              (version 2 on)
 *                ownerReferences: count:varint then OwnerReference*, in order     (version 2 on)
 * OwnerReference apiVersion kind name uid:String controller blockOwnerDeletion:byte
 *                (the two flags: 0 unset, 1 false, 2 true)
 * KubeObject     apiVersion kind:String ObjectMeta spec status extra: (length:varint bytes)
 * Put           ResourceType KubeObject                          (create or update)
 * Remove        resourceVersion:varlong ResourceType namespace name:String
 * Snapshot      resourceVersion:varlong count:varint (ResourceType KubeObject)*
 * </pre>
 */
public final class StoreCodec {

  /** A log record: one committed write. */
  public sealed interface LogRecord {
    long resourceVersion();
  }

  /** A create or an update: the object as stored. */
  public record Put(ResourceType type, KubeObject object) implements LogRecord {
    public Put {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(object, "object");
    }

    @Override
    public long resourceVersion() {
      return object.resourceVersionNumber();
    }
  }

  /** A delete, at the resourceVersion of the delete. */
  public record Remove(long resourceVersion, ResourceType type, String namespace, String name) implements LogRecord {
    public Remove {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
    }
  }

  /** The whole store at one resourceVersion. */
  public record Snapshot(long resourceVersion, Map<ObjectKey, KubeObject> objects) {
    public Snapshot {
      objects = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(objects));
    }
  }

  // Fixed registration ids: never reuse or renumber one (Kryo's defaults take 0..9).
  static final int ID_RESOURCE_TYPE = 100;
  static final int ID_OBJECT_META = 101;
  static final int ID_KUBE_OBJECT = 102;
  static final int ID_PUT = 103;
  static final int ID_REMOVE = 104;
  static final int ID_SNAPSHOT = 105;

  /** The format version written. */
  public static final int VERSION = 2;
  /** The oldest format version read. */
  public static final int OLDEST_READABLE = 1;
  /** The first version whose ObjectMeta carries generateName and ownerReferences. */
  static final int VERSION_OWNER_REFERENCES = 2;

  static final int FLAG_UNSET = 0;
  static final int FLAG_FALSE = 1;
  static final int FLAG_TRUE = 2;

  private final Kryo kryo = new Kryo();
  private final int version;

  /** A codec of the current format, {@link #VERSION}. */
  public StoreCodec(TypeResolver types) {
    this(types, VERSION);
  }

  /**
   * A codec of format {@code version}: {@link #VERSION} reads and writes, an older readable one only
   * reads (writing it would drop fields).
   *
   * @throws IllegalArgumentException if {@code version} is not between {@link #OLDEST_READABLE} and {@link #VERSION}
   */
  public StoreCodec(TypeResolver types, int version) {
    Objects.requireNonNull(types, "types");
    if (!readable(version)) {
      throw new IllegalArgumentException(
          "store format version " + version + " outside " + OLDEST_READABLE + ".." + VERSION);
    }
    this.version = version;
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    kryo.register(ResourceType.class, new ResourceTypeSerializer(types), ID_RESOURCE_TYPE);
    kryo.register(ObjectMeta.class, new ObjectMetaSerializer(version), ID_OBJECT_META);
    kryo.register(KubeObject.class, new KubeObjectSerializer(), ID_KUBE_OBJECT);
    kryo.register(Put.class, new PutSerializer(), ID_PUT);
    kryo.register(Remove.class, new RemoveSerializer(), ID_REMOVE);
    kryo.register(Snapshot.class, new SnapshotSerializer(), ID_SNAPSHOT);
  }

  /** True when this build reads format {@code version}. */
  public static boolean readable(int version) {
    return version >= OLDEST_READABLE && version <= VERSION;
  }

  public int version() {
    return version;
  }

  private void requireWritable() {
    if (version != VERSION) {
      throw new IllegalStateException("store format version " + version + " is read only; writes use " + VERSION);
    }
  }

  /** The bytes of a log record (its class id, then its fields). */
  public byte[] encode(LogRecord r) {
    requireWritable();
    Output out = new Output(512, -1);
    kryo.writeClassAndObject(out, r);
    return out.toBytes();
  }

  /**
   * Decodes a log record.
   *
   * @throws KryoException if the bytes are not exactly one record of this encoding
   */
  public LogRecord decode(byte[] bytes) {
    Input in = new Input(bytes);
    Object o = kryo.readClassAndObject(in);
    requireConsumed(in, bytes.length);
    if (!(o instanceof LogRecord r)) {
      throw new KryoException("not a log record: " + (o == null ? "null" : o.getClass().getSimpleName()));
    }
    return r;
  }

  public byte[] encodeSnapshot(Snapshot s) {
    requireWritable();
    Output out = new Output(64 * 1024, -1);
    kryo.writeObject(out, s);
    return out.toBytes();
  }

  public Snapshot decodeSnapshot(byte[] bytes) {
    Input in = new Input(bytes);
    Snapshot s = kryo.readObject(in, Snapshot.class);
    requireConsumed(in, bytes.length);
    return s;
  }

  private static void requireConsumed(Input in, int length) {
    if (in.position() != length) {
      throw new KryoException((length - in.position()) + " trailing bytes after the record");
    }
  }

  // ------------------------------------------------------------------ serializers

  private static final class ResourceTypeSerializer extends Serializer<ResourceType> {
    private final TypeResolver types;

    ResourceTypeSerializer(TypeResolver types) {
      super(false, true);
      this.types = types;
    }

    @Override
    public void write(Kryo kryo, Output out, ResourceType t) {
      out.writeString(t.apiVersion());
      out.writeString(t.resource());
    }

    @Override
    public ResourceType read(Kryo kryo, Input in, Class<? extends ResourceType> c) {
      String apiVersion = string(in, "apiVersion");
      String resource = string(in, "resource");
      return types.resolve(apiVersion, resource)
          .orElseThrow(() -> new KryoException("unknown resource " + resource + " in " + apiVersion));
    }
  }

  private static final class ObjectMetaSerializer extends Serializer<ObjectMeta> {
    private final int version;

    ObjectMetaSerializer(int version) {
      super(false, true);
      this.version = version;
    }

    @Override
    public void write(Kryo kryo, Output out, ObjectMeta m) {
      out.writeString(m.name());
      out.writeString(m.namespace());
      out.writeString(m.uid());
      out.writeString(m.resourceVersion());
      out.writeString(m.creationTimestamp());
      out.writeVarLong(m.generation(), true);
      writeMap(out, m.labels());
      writeMap(out, m.annotations());
      out.writeString(m.generateName());
      out.writeVarInt(m.ownerReferences().size(), true);
      for (OwnerReference r : m.ownerReferences()) {
        out.writeString(r.apiVersion());
        out.writeString(r.kind());
        out.writeString(r.name());
        out.writeString(r.uid());
        out.writeByte(flag(r.controller()));
        out.writeByte(flag(r.blockOwnerDeletion()));
      }
    }

    @Override
    public ObjectMeta read(Kryo kryo, Input in, Class<? extends ObjectMeta> c) {
      String name = string(in, "name");
      String namespace = string(in, "namespace");
      String uid = string(in, "uid");
      String rv = string(in, "resourceVersion");
      String created = string(in, "creationTimestamp");
      long generation = in.readVarLong(true);
      if (generation < 0) {
        throw new KryoException("negative generation " + generation);
      }
      Map<String, String> labels = readMap(in);
      Map<String, String> annotations = readMap(in);
      if (version < VERSION_OWNER_REFERENCES) {
        return new ObjectMeta(name, namespace, uid, rv, generation, labels, annotations, created);
      }
      String generateName = string(in, "generateName");
      int n = count(in);
      List<OwnerReference> refs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String apiVersion = string(in, "ownerReferences.apiVersion");
        String kind = string(in, "ownerReferences.kind");
        String ownerName = string(in, "ownerReferences.name");
        String ownerUid = string(in, "ownerReferences.uid");
        Boolean controller = flag(in, "ownerReferences.controller");
        Boolean block = flag(in, "ownerReferences.blockOwnerDeletion");
        refs.add(new OwnerReference(apiVersion, kind, ownerName, ownerUid, controller, block));
      }
      return new ObjectMeta(name, namespace, uid, rv, generation, labels, annotations, created, generateName, refs);
    }

    private static int flag(Boolean b) {
      return b == null ? FLAG_UNSET : b ? FLAG_TRUE : FLAG_FALSE;
    }

    private static Boolean flag(Input in, String what) {
      int b = in.readByteUnsigned();
      return switch (b) {
        case FLAG_UNSET -> null;
        case FLAG_FALSE -> Boolean.FALSE;
        case FLAG_TRUE -> Boolean.TRUE;
        default -> throw new KryoException("bad " + what + " flag " + b + " (0 unset, 1 false, 2 true)");
      };
    }

    private static void writeMap(Output out, Map<String, String> m) {
      out.writeVarInt(m.size(), true);
      for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) {
        out.writeString(e.getKey());
        out.writeString(e.getValue());
      }
    }

    private static Map<String, String> readMap(Input in) {
      int n = count(in);
      Map<String, String> m = new HashMap<>();
      for (int i = 0; i < n; i++) {
        String k = string(in, "key");
        if (m.put(k, string(in, "value")) != null) {
          throw new KryoException("duplicate key " + k);
        }
      }
      return m;
    }
  }

  private static final class KubeObjectSerializer extends Serializer<KubeObject> {
    KubeObjectSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, KubeObject o) {
      out.writeString(o.apiVersion());
      out.writeString(o.kind());
      kryo.writeObject(out, o.metadata());
      writeStruct(out, o.spec());
      writeStruct(out, o.status());
      writeStruct(out, o.extra());
    }

    @Override
    public KubeObject read(Kryo kryo, Input in, Class<? extends KubeObject> c) {
      String apiVersion = string(in, "apiVersion");
      String kind = string(in, "kind");
      ObjectMeta meta = kryo.readObject(in, ObjectMeta.class);
      Struct spec = readStruct(in);
      Struct status = readStruct(in);
      Struct extra = readStruct(in);
      try {
        return new KubeObject(apiVersion, kind, meta, spec, status, extra);
      } catch (IllegalArgumentException e) {
        throw new KryoException(e.getMessage());
      }
    }

    private static void writeStruct(Output out, Struct s) {
      byte[] b = s.toByteArray();
      out.writeVarInt(b.length, true);
      out.writeBytes(b);
    }

    private static Struct readStruct(Input in) {
      byte[] b = in.readBytes(count(in));
      try {
        return Struct.parseFrom(b);
      } catch (InvalidProtocolBufferException e) {
        throw new KryoException("bad protobuf Struct: " + e.getMessage());
      }
    }
  }

  private static final class PutSerializer extends Serializer<Put> {
    PutSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, Put p) {
      kryo.writeObject(out, p.type());
      kryo.writeObject(out, p.object());
    }

    @Override
    public Put read(Kryo kryo, Input in, Class<? extends Put> c) {
      ResourceType type = kryo.readObject(in, ResourceType.class);
      KubeObject o = kryo.readObject(in, KubeObject.class);
      checkResourceVersion(o);
      return new Put(type, o);
    }
  }

  private static final class RemoveSerializer extends Serializer<Remove> {
    RemoveSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, Remove r) {
      out.writeVarLong(r.resourceVersion(), true);
      kryo.writeObject(out, r.type());
      out.writeString(r.namespace());
      out.writeString(r.name());
    }

    @Override
    public Remove read(Kryo kryo, Input in, Class<? extends Remove> c) {
      long rv = in.readVarLong(true);
      if (rv < 1) {
        throw new KryoException("bad resourceVersion " + rv);
      }
      ResourceType type = kryo.readObject(in, ResourceType.class);
      return new Remove(rv, type, string(in, "namespace"), string(in, "name"));
    }
  }

  private static final class SnapshotSerializer extends Serializer<Snapshot> {
    SnapshotSerializer() {
      super(false, true);
    }

    @Override
    public void write(Kryo kryo, Output out, Snapshot s) {
      out.writeVarLong(s.resourceVersion(), true);
      out.writeVarInt(s.objects().size(), true);
      List<Map.Entry<ObjectKey, KubeObject>> entries = new ArrayList<>(s.objects().entrySet());
      for (Map.Entry<ObjectKey, KubeObject> e : entries) {
        kryo.writeObject(out, e.getKey().type());
        kryo.writeObject(out, e.getValue());
      }
    }

    @Override
    public Snapshot read(Kryo kryo, Input in, Class<? extends Snapshot> c) {
      long rv = in.readVarLong(true);
      if (rv < 0) {
        throw new KryoException("bad resourceVersion " + rv);
      }
      int n = count(in);
      Map<ObjectKey, KubeObject> objects = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        ResourceType type = kryo.readObject(in, ResourceType.class);
        KubeObject o = kryo.readObject(in, KubeObject.class);
        long orv = checkResourceVersion(o);
        if (orv > rv) {
          throw new KryoException("object at resourceVersion " + orv + " in a snapshot at " + rv);
        }
        ObjectKey k = new ObjectKey(type, type.namespaced() ? o.metadata().namespace() : "", o.metadata().name());
        if (objects.put(k, o) != null) {
          throw new KryoException("duplicate object " + k);
        }
      }
      return new Snapshot(rv, objects);
    }
  }

  private static long checkResourceVersion(KubeObject o) {
    try {
      long rv = o.resourceVersionNumber();
      if (rv < 1) {
        throw new KryoException("bad resourceVersion " + rv);
      }
      return rv;
    } catch (NumberFormatException e) {
      throw new KryoException("bad resourceVersion \"" + o.metadata().resourceVersion() + "\"");
    }
  }

  private static String string(Input in, String what) {
    String s = in.readString();
    if (s == null) {
      throw new KryoException("null " + what);
    }
    return s;
  }

  private static int count(Input in) {
    int n = in.readVarInt(true);
    if (n < 0 || n > in.limit() - in.position()) {
      throw new KryoException("bad count " + n);
    }
    return n;
  }
}
