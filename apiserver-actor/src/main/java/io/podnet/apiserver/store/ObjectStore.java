package io.podnet.apiserver.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The API server's object store, in memory, with the semantics of kube-apiserver over etcd:
 *
 * <ul>
 *   <li>one resourceVersion counter for every object of every kind; a write that changes an object
 *       increments it and stamps the object with it. A write that changes nothing (an update
 *       carrying the stored object back) is a no-op, as etcd3's GuaranteedUpdate makes it: no new
 *       resourceVersion and no watch event;
 *   <li>create stamps uid (a version-4 UUID drawn from the injected random source),
 *       creationTimestamp (from the injected clock), and generation 1 for kinds that keep one;
 *   <li>update is conditional when the request carries a resourceVersion (409 Conflict when it is
 *       not the stored one) and unconditional when it carries none; generation grows only when the
 *       spec changes; on kinds with a status subresource the main resource cannot change status;
 *   <li>watches see ADDED/MODIFIED/DELETED in resourceVersion order; a bounded history of changes
 *       lets a watch resume from an older resourceVersion, and one older than the history gets 410.
 * </ul>
 *
 * <p>The store never reads the wall clock and is not thread-safe: it is owned by one actor. Watch
 * listeners are called synchronously from the write and must not write to the store themselves.
 */
public final class ObjectStore {

  /** A registered watch; {@link #cancel()} stops it. */
  public interface Watch {
    void cancel();
  }

  /** Default number of changes kept for resuming watches (kube-apiserver's watch cache keeps 100+). */
  public static final int DEFAULT_HISTORY = 1024;

  /** How many generated names a create tries before answering AlreadyExists. */
  static final int GENERATE_NAME_ATTEMPTS = 8;

  private record Change(WatchEvent.Type type, ResourceType resource, KubeObject object, KubeObject prev) {}

  private final class Subscription implements Watch {
    final ResourceType type;
    final String namespace;
    final LabelSelector labels;
    final FieldSelector fields;
    final WatchListener listener;
    boolean active = true;

    Subscription(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields,
        WatchListener listener) {
      this.type = type;
      this.namespace = namespace;
      this.labels = labels;
      this.fields = fields;
      this.listener = listener;
    }

    boolean selects(KubeObject o) {
      return (namespace.isEmpty() || namespace.equals(o.metadata().namespace()))
          && labels.matches(o.metadata().labels())
          && fields.matches(o);
    }

    /**
     * The event this watcher sees for a change, as the apiserver's cacheWatcher converts it: an
     * object that starts matching the filter is ADDED, one that stops matching is DELETED (the old
     * object, stamped with the new resourceVersion).
     */
    WatchEvent convert(Change c) {
      if (c.resource != type) {
        return null;
      }
      boolean now = c.type != WatchEvent.Type.DELETED && selects(c.object);
      boolean before = c.prev != null && selects(c.prev);
      if (now && before) {
        return new WatchEvent(WatchEvent.Type.MODIFIED, c.object);
      }
      if (now) {
        return new WatchEvent(WatchEvent.Type.ADDED, c.object);
      }
      if (before) {
        KubeObject gone =
            c.type == WatchEvent.Type.DELETED
                ? c.object
                : c.prev.withMetadata(c.prev.metadata().withResourceVersion(c.object.metadata().resourceVersion()));
        return new WatchEvent(WatchEvent.Type.DELETED, gone);
      }
      return null;
    }

    @Override
    public void cancel() {
      active = false;
      subscriptions.remove(this);
    }
  }

  private final LongSupplier clock;
  private final RandomGenerator random;
  private final int historyCapacity;
  private final Map<ObjectKey, KubeObject> objects = new HashMap<>();
  private final ArrayDeque<Change> history = new ArrayDeque<>();
  private final List<Subscription> subscriptions = new ArrayList<>();
  private long resourceVersion;
  /** Every change with a resourceVersion above this one is still in {@link #history}. */
  private long historyFloor;
  private boolean delivering;
  private CommitLog commitLog = CommitLog.NONE;

  /**
   * @param clock           epoch milliseconds, for creationTimestamp
   * @param random          the source of uids (seed it for reproducible runs)
   * @param historyCapacity how many changes are kept for resuming watches
   * @param initialResourceVersion the counter's value before the first write
   */
  public ObjectStore(LongSupplier clock, RandomGenerator random, int historyCapacity, long initialResourceVersion) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    if (historyCapacity < 1) {
      throw new IllegalArgumentException("historyCapacity must be >= 1: " + historyCapacity);
    }
    if (initialResourceVersion < 0) {
      throw new IllegalArgumentException("initialResourceVersion must be >= 0: " + initialResourceVersion);
    }
    this.historyCapacity = historyCapacity;
    this.resourceVersion = initialResourceVersion;
    this.historyFloor = initialResourceVersion;
  }

  public ObjectStore(LongSupplier clock, RandomGenerator random) {
    this(clock, random, DEFAULT_HISTORY, 0);
  }

  /**
   * A store recovered from disk: {@code objects} as they were stored, and the counter at
   * {@code resourceVersion}. The watch history starts empty at that resourceVersion, so a watch
   * from an older one gets 410 Expired, as after a kube-apiserver restart.
   */
  public static ObjectStore restored(LongSupplier clock, RandomGenerator random, int historyCapacity,
      long resourceVersion, Map<ObjectKey, KubeObject> objects) {
    ObjectStore s = new ObjectStore(clock, random, historyCapacity, resourceVersion);
    for (Map.Entry<ObjectKey, KubeObject> e : objects.entrySet()) {
      ObjectKey k = e.getKey();
      KubeObject o = e.getValue();
      if (!k.equals(key(k.type(), o.metadata().namespace(), o.metadata().name()))
          || o.resourceVersionNumber() > resourceVersion) {
        throw new IllegalArgumentException("object " + o.metadata() + " does not belong at " + k
            + " in a store at resourceVersion " + resourceVersion);
      }
      s.objects.put(k, o);
    }
    return s;
  }

  /** Records every later write in {@code log} before it takes effect (see {@link CommitLog}). */
  public void setCommitLog(CommitLog log) {
    this.commitLog = Objects.requireNonNull(log, "log");
  }

  /** Every stored object by key: an unmodifiable live view, for snapshots. */
  public Map<ObjectKey, KubeObject> contents() {
    return java.util.Collections.unmodifiableMap(objects);
  }

  /** The server's clock, epoch milliseconds: the one creationTimestamp and Lease arbitration use. */
  public long now() {
    return clock.getAsLong();
  }

  /** The store's current resourceVersion: that of the latest write. */
  public long resourceVersion() {
    return resourceVersion;
  }

  public int size() {
    return objects.size();
  }

  // ---------------------------------------------------------------- reads

  /** The stored object, or empty. */
  public Optional<KubeObject> find(ResourceType type, String namespace, String name) {
    return Optional.ofNullable(objects.get(key(type, namespace, name)));
  }

  /**
   * The stored object.
   *
   * @throws ApiException 404 NotFound
   */
  public KubeObject get(ResourceType type, String namespace, String name) {
    KubeObject o = objects.get(key(type, namespace, name));
    if (o == null) {
      throw new ApiException(Status.notFound(type, name));
    }
    return o;
  }

  /**
   * The objects of {@code type} in {@code namespace} ("" for all namespaces) that match both
   * selectors, in namespace then name order, with the store's resourceVersion.
   *
   * @throws ApiException 400 BadRequest for a field the kind does not support
   */
  public ObjectList list(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields) {
    fields.validateFor(type);
    return new ObjectList(Long.toString(resourceVersion), select(type, namespace, labels, fields));
  }

  private List<KubeObject> select(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields) {
    List<Map.Entry<ObjectKey, KubeObject>> hits = new ArrayList<>();
    for (Map.Entry<ObjectKey, KubeObject> e : objects.entrySet()) {
      ObjectKey k = e.getKey();
      if (k.type() == type
          && (namespace.isEmpty() || namespace.equals(k.namespace()))
          && labels.matches(e.getValue().metadata().labels())
          && fields.matches(e.getValue())) {
        hits.add(e);
      }
    }
    hits.sort(Map.Entry.comparingByKey(ObjectKey.LIST_ORDER));
    List<KubeObject> out = new ArrayList<>(hits.size());
    for (Map.Entry<ObjectKey, KubeObject> e : hits) {
      out.add(e.getValue());
    }
    return out;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Creates an object. The request's uid, resourceVersion, generation and creationTimestamp are
   * ignored or rejected as kube-apiserver does; apiVersion and kind are those of {@code type}.
   *
   * @return the stored object
   * @throws ApiException 409 AlreadyExists, 422 Invalid (no name / no namespace), 400 BadRequest
   *     (a resourceVersion on create)
   */
  public KubeObject create(ResourceType type, KubeObject request) {
    checkNotDelivering();
    ObjectMeta m = request.metadata();
    if (m.name().isEmpty() && m.generateName().isEmpty()) {
      throw new ApiException(
          Status.invalid(type, "", "metadata.name: Required value: name or generateName is required"));
    }
    String namespace = type.namespaced() ? m.namespace() : "";
    if (type.namespaced() && namespace.isEmpty()) {
      throw new ApiException(Status.invalid(type, m.name(), "metadata.namespace: Required value"));
    }
    if (!m.resourceVersion().isEmpty()) {
      throw new ApiException(Status.badRequest("resourceVersion should not be set on objects to be created"));
    }
    String name = m.name();
    ObjectKey key;
    if (name.isEmpty()) {
      // generateName: the apiserver retries a generated name that is taken (RetryGenerateName, GA in 1.31).
      int attempt = 0;
      do {
        name = KubeNames.generateName(m.generateName(), random);
        key = new ObjectKey(type, namespace, name);
      } while (objects.containsKey(key) && ++attempt < GENERATE_NAME_ATTEMPTS);
    } else {
      key = new ObjectKey(type, namespace, name);
    }
    if (objects.containsKey(key)) {
      throw new ApiException(Status.alreadyExists(type, name));
    }
    long rv = resourceVersion + 1;
    ObjectMeta stamped =
        new ObjectMeta(
            name,
            namespace,
            newUid(),
            Long.toString(rv),
            type.tracksGeneration() ? 1 : 0,
            m.labels(),
            m.annotations(),
            KubeTime.time(clock.getAsLong()),
            m.generateName(),
            m.ownerReferences());
    KubeObject stored = new KubeObject(type.apiVersion(), type.kind(), stamped, request.spec(), request.status(), request.extra());
    commitLog.append(new CommitLog.Commit(WatchEvent.Type.ADDED, type, stored));
    resourceVersion = rv;
    objects.put(key, stored);
    record(new Change(WatchEvent.Type.ADDED, type, stored, null));
    return stored;
  }

  /**
   * Replaces an object (PUT). Conditional when {@code request.metadata().resourceVersion()} is
   * set, unconditional when it is empty.
   *
   * @return the stored object (the unchanged one if the update changed nothing)
   * @throws ApiException 404 NotFound, 409 Conflict
   */
  public KubeObject update(ResourceType type, KubeObject request) {
    return replace(type, request, false);
  }

  /**
   * Writes the status subresource: only status changes, spec and metadata stay as stored.
   *
   * @throws IllegalArgumentException if {@code type} has no status subresource
   */
  public KubeObject updateStatus(ResourceType type, KubeObject request) {
    if (!type.statusSubresource()) {
      throw new IllegalArgumentException(type.qualifiedResource() + " has no status subresource");
    }
    return replace(type, request, true);
  }

  private KubeObject replace(ResourceType type, KubeObject request, boolean statusWrite) {
    checkNotDelivering();
    ObjectMeta m = request.metadata();
    ObjectKey key = key(type, m.namespace(), m.name());
    KubeObject stored = objects.get(key);
    if (stored == null) {
      throw new ApiException(Status.notFound(type, m.name()));
    }
    ObjectMeta old = stored.metadata();
    if (!m.uid().isEmpty() && !m.uid().equals(old.uid())) {
      throw new ApiException(
          Status.conflict(type, m.name(),
              "Precondition failed: UID in precondition: " + m.uid() + ", UID in object meta: " + old.uid()));
    }
    if (!m.resourceVersion().isEmpty() && !m.resourceVersion().equals(old.resourceVersion())) {
      throw new ApiException(Status.conflict(type, m.name()));
    }
    KubeObject next;
    if (statusWrite) {
      next = stored.withStatus(request.status());
    } else {
      com.google.protobuf.Struct status = type.statusSubresource() ? stored.status() : request.status();
      long generation =
          type.tracksGeneration() && !request.spec().equals(stored.spec()) ? old.generation() + 1 : old.generation();
      ObjectMeta meta =
          new ObjectMeta(old.name(), old.namespace(), old.uid(), old.resourceVersion(), generation,
              m.labels(), m.annotations(), old.creationTimestamp(), old.generateName(), m.ownerReferences());
      next = new KubeObject(stored.apiVersion(), stored.kind(), meta, request.spec(), status, request.extra());
    }
    if (next.equals(stored)) {
      return stored;
    }
    long rv = resourceVersion + 1;
    KubeObject written = next.withMetadata(next.metadata().withResourceVersion(Long.toString(rv)));
    commitLog.append(new CommitLog.Commit(WatchEvent.Type.MODIFIED, type, written));
    resourceVersion = rv;
    objects.put(key, written);
    record(new Change(WatchEvent.Type.MODIFIED, type, written, stored));
    return written;
  }

  /**
   * Deletes an object, optionally only if it is still at {@code preconditionResourceVersion}
   * ("" for none).
   *
   * @return the deleted object, stamped with the resourceVersion of the delete
   * @throws ApiException 404 NotFound, 409 Conflict (precondition failed)
   */
  public KubeObject delete(ResourceType type, String namespace, String name, String preconditionResourceVersion) {
    checkNotDelivering();
    ObjectKey key = key(type, namespace, name);
    KubeObject stored = objects.get(key);
    if (stored == null) {
      throw new ApiException(Status.notFound(type, name));
    }
    String have = stored.metadata().resourceVersion();
    if (!preconditionResourceVersion.isEmpty() && !preconditionResourceVersion.equals(have)) {
      throw new ApiException(
          Status.conflict(type, name,
              "Precondition failed: ResourceVersion in precondition: " + preconditionResourceVersion
                  + ", ResourceVersion in object meta: " + have));
    }
    long rv = resourceVersion + 1;
    KubeObject deleted = stored.withMetadata(stored.metadata().withResourceVersion(Long.toString(rv)));
    commitLog.append(new CommitLog.Commit(WatchEvent.Type.DELETED, type, deleted));
    resourceVersion = rv;
    objects.remove(key);
    record(new Change(WatchEvent.Type.DELETED, type, deleted, stored));
    return deleted;
  }

  // ---------------------------------------------------------------- watch

  /**
   * Watches {@code type} in {@code namespace} ("" for all) through both selectors.
   *
   * <p>From resourceVersion 0 the listener first receives a synthetic ADDED for every matching
   * object (kube-apiserver's "any" semantics), then every later change. From a resourceVersion
   * N &gt; 0 it receives every change after N, replayed from the history, then the live ones.
   *
   * @throws ApiException 410 Expired ("too old resource version: N (FLOOR)") when changes after N
   *     are no longer kept; 504 when N is newer than the store; 400 for an unsupported field
   */
  public Watch watch(ResourceType type, String namespace, LabelSelector labels, FieldSelector fields,
      long fromResourceVersion, WatchListener listener) {
    checkNotDelivering();
    fields.validateFor(type);
    Objects.requireNonNull(listener, "listener");
    if (fromResourceVersion > resourceVersion) {
      throw new ApiException(Status.tooLargeResourceVersion(fromResourceVersion, resourceVersion));
    }
    if (fromResourceVersion != 0 && fromResourceVersion < historyFloor) {
      throw new ApiException(
          Status.expired("too old resource version: " + fromResourceVersion + " (" + historyFloor + ")"));
    }
    Subscription sub = new Subscription(type, namespace, labels, fields, listener);
    delivering = true;
    try {
      if (fromResourceVersion == 0) {
        for (KubeObject o : select(type, namespace, labels, fields)) {
          deliver(sub, new WatchEvent(WatchEvent.Type.ADDED, o));
        }
      } else {
        for (Change c : history) {
          if (c.object.resourceVersionNumber() > fromResourceVersion) {
            WatchEvent e = sub.convert(c);
            if (e != null) {
              deliver(sub, e);
            }
          }
        }
      }
    } finally {
      delivering = false;
    }
    if (sub.active) {
      subscriptions.add(sub);
    }
    return sub;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  public long oldestResumableResourceVersion() {
    return historyFloor;
  }

  public int watchCount() {
    return subscriptions.size();
  }

  private void record(Change c) {
    history.addLast(c);
    if (history.size() > historyCapacity) {
      historyFloor = history.removeFirst().object.resourceVersionNumber();
    }
    delivering = true;
    try {
      for (Subscription s : List.copyOf(subscriptions)) {
        if (s.active) {
          WatchEvent e = s.convert(c);
          if (e != null) {
            deliver(s, e);
          }
        }
      }
    } finally {
      delivering = false;
    }
  }

  private void deliver(Subscription s, WatchEvent e) {
    try {
      s.listener.onEvent(e);
    } catch (RuntimeException dead) {
      s.cancel();
    }
  }

  // ---------------------------------------------------------------- helpers

  private void checkNotDelivering() {
    if (delivering) {
      throw new IllegalStateException("the store was called from inside a watch listener");
    }
  }

  private static ObjectKey key(ResourceType type, String namespace, String name) {
    return new ObjectKey(type, type.namespaced() ? namespace : "", name);
  }

  /** The store's random source, for callers inside the owning actor that must stay reproducible. */
  public RandomGenerator random() {
    return random;
  }

  /** A version-4 UUID from the injected random source. */
  private String newUid() {
    long msb = random.nextLong();
    long lsb = random.nextLong();
    msb = (msb & ~0xF000L) | 0x4000L; // version 4
    lsb = (lsb & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
    return new UUID(msb, lsb).toString();
  }
}
