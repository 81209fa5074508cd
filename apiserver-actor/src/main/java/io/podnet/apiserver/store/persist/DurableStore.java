package io.podnet.apiserver.store.persist;

import com.esotericsoftware.kryo.KryoException;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.CommitLog;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.apiserver.store.WatchEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link ObjectStore} kept in a data directory: a snapshot plus an append-only log, so that the
 * store survives a restart of its actor and of its JVM.
 *
 * <pre>
 * DIR/lock       held (FileLock) while the store is open: one owner per directory
 * DIR/snapshot   magic "PNSNP" + format version (3 bytes, big-endian; "PNSNP\0\0\2" written), then
 *                one {@link RecordLog} frame holding a {@link StoreCodec.Snapshot}; replaced atomically
 *                (temp file, fsync, rename, fsync dir)
 * DIR/wal        a {@link RecordLog} of {@link StoreCodec.LogRecord}s, one per committed write
 * </pre>
 *
 * <p>Each file is decoded with the {@link StoreCodec} format version its magic names. Files of an
 * older version (1: ObjectMeta without generateName and ownerReferences) are read, and the store is
 * then upgraded at once: a snapshot and a new log of the current version replace them (the same
 * steps as a compaction, so a crash midway is recovered as one), and nothing of the old version is
 * ever appended to. If that rewrite fails, the store does not open.
 *
 * <p>Every create, update and delete is appended to the log (and synced, under
 * {@link FsyncPolicy#EVERY_WRITE}) before the store applies it, notifies watchers or answers. When the
 * log has grown past the compaction threshold, the next write first writes a snapshot of the whole
 * store and starts a new log.
 *
 * <p>Recovery loads the snapshot, replays the log records after its resourceVersion (a crash between
 * the snapshot's rename and the new log leaves older ones behind: they are skipped), checks that the
 * records continue the resourceVersion sequence without a gap, and restores uids, creation
 * timestamps and the counter exactly. A torn or corrupt last record is logged and cut away; any other
 * damage throws {@link CorruptStoreException} naming the file and offset. The watch history starts
 * empty: a watch from an older resourceVersion gets 410 Expired, as after a kube-apiserver restart.
 *
 * <p>Not thread-safe: owned, with its store, by one actor.
 */
public final class DurableStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);
  static final String SNAPSHOT_MAGIC_PREFIX = "PNSNP";
  /** The magic of the snapshots written: format {@link StoreCodec#VERSION}. */
  static final byte[] SNAPSHOT_MAGIC = RecordLog.magic(SNAPSHOT_MAGIC_PREFIX, StoreCodec.VERSION);
  static final String SNAPSHOT = "snapshot";
  static final String WAL = "wal";
  static final String LOCK = "lock";

  /**
   * What recovery found.
   *
   * @param snapshotResourceVersion the snapshot's resourceVersion
   * @param snapshotObjects         objects in the snapshot
   * @param recordsReplayed         log records applied after the snapshot
   * @param recordsSkipped          log records already in the snapshot
   * @param resourceVersion         the restored counter
   * @param truncatedAt             offset in the log where a torn last record was cut, or -1
   * @param bytesDropped            bytes cut from the log's end
   * @param tailDamage              what was wrong with them ("" if nothing)
   */
  public record Recovery(long snapshotResourceVersion, int snapshotObjects, int recordsReplayed, int recordsSkipped,
      long resourceVersion, long truncatedAt, long bytesDropped, String tailDamage) {}

  private final PersistenceSettings settings;
  private final StoreCodec codec;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ObjectStore store;
  private final Recovery recovery;
  private RecordLog log;
  private long nextCompactionAt;
  private int compactions;
  private boolean broken;
  private boolean closed;

  private DurableStore(PersistenceSettings settings, StoreCodec codec, FileChannel lockChannel, FileLock lock,
      ObjectStore store, Recovery recovery, RecordLog log) {
    this.settings = settings;
    this.codec = codec;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.store = store;
    this.recovery = recovery;
    this.log = log;
    this.nextCompactionAt = settings.compactionThreshold();
    store.setCommitLog(this::append);
  }

  /**
   * Opens the store in {@code settings.directory()}: recovers it, or creates an empty one at
   * {@code settings.initialResourceVersion()} if the directory holds none.
   *
   * @param types           resolves the kinds named on disk
   * @param clock           epoch milliseconds, for the creationTimestamp of new objects
   * @param random          the source of new uids
   * @param historyCapacity changes kept for resuming watches
   * @throws CorruptStoreException when the directory holds damage beyond a torn last record
   * @throws IOException           when the directory cannot be read or is locked by another owner
   */
  public static DurableStore open(PersistenceSettings settings, TypeResolver types, LongSupplier clock,
      RandomGenerator random, int historyCapacity) throws IOException {
    Objects.requireNonNull(settings, "settings");
    Path dir = settings.directory();
    Files.createDirectories(dir);
    FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      lockChannel.close();
      throw new IOException(dir + " is in use by another store (lock held)");
    }
    try {
      StoreCodec codec = new StoreCodec(types);
      Files.deleteIfExists(dir.resolve(SNAPSHOT + ".tmp"));
      Files.deleteIfExists(dir.resolve(WAL + ".tmp"));
      Path snapshotFile = dir.resolve(SNAPSHOT);
      Path walFile = dir.resolve(WAL);
      if (!Files.exists(snapshotFile)) {
        if (Files.exists(walFile)) {
          throw new CorruptStoreException(snapshotFile, 0, "missing snapshot beside an existing log");
        }
        writeSnapshot(dir, codec, new StoreCodec.Snapshot(settings.initialResourceVersion(), Map.of()));
      }
      if (!Files.exists(walFile)) {
        RecordLog.create(walFile);
      }
      Map<Integer, StoreCodec> codecs = new HashMap<>(Map.of(codec.version(), codec));
      IntFunction<StoreCodec> codecFor = v -> codecs.computeIfAbsent(v, x -> new StoreCodec(types, x));
      byte[] snapshotBytes = Files.readAllBytes(snapshotFile);
      int snapshotVersion = RecordLog.version(snapshotFile, snapshotBytes, SNAPSHOT_MAGIC_PREFIX, "snapshot");
      StoreCodec.Snapshot snap = readSnapshot(snapshotFile, snapshotBytes, codecFor.apply(snapshotVersion));
      Map<ObjectKey, KubeObject> objects = new HashMap<>(snap.objects());
      RecordLog.Scan scan = RecordLog.scan(walFile);
      StoreCodec walCodec = codecFor.apply(scan.version());
      long rv = snap.resourceVersion();
      int replayed = 0;
      int skipped = 0;
      for (RecordLog.Frame f : scan.frames()) {
        StoreCodec.LogRecord r;
        try {
          r = walCodec.decode(f.payload());
        } catch (KryoException e) {
          throw new CorruptStoreException(walFile, f.offset(), "undecodable record (" + e.getMessage() + ")");
        }
        if (r.resourceVersion() <= snap.resourceVersion()) {
          skipped++;
          continue;
        }
        if (r.resourceVersion() != rv + 1) {
          throw new CorruptStoreException(walFile, f.offset(),
              "record at resourceVersion " + r.resourceVersion() + " after " + rv + " (a gap)");
        }
        apply(objects, r, walFile, f.offset());
        rv = r.resourceVersion();
        replayed++;
      }
      long dropped = scan.fileSize() - scan.validEnd();
      if (scan.tornTail()) {
        LOG.warn("{}: torn or corrupt last record at offset {} ({}): cut {} bytes; the {} records before it are kept",
            walFile, scan.validEnd(), scan.tailDamage(), dropped, scan.frames().size());
      }
      RecordLog log = RecordLog.openForAppend(walFile, scan.validEnd(), settings.fsync());
      Recovery recovery = new Recovery(snap.resourceVersion(), snap.objects().size(), replayed, skipped, rv,
          scan.tornTail() ? scan.validEnd() : -1, dropped, scan.tailDamage());
      LOG.info("{}: recovered {} objects at resourceVersion {} (snapshot at {}, {} log records replayed)",
          dir, objects.size(), rv, snap.resourceVersion(), replayed);
      ObjectStore store = ObjectStore.restored(clock, random, historyCapacity, rv, objects);
      DurableStore d = new DurableStore(settings, codec, lockChannel, lock, store, recovery, log);
      int oldest = Math.min(snapshotVersion, scan.version());
      if (oldest < StoreCodec.VERSION) {
        try {
          d.compact();
        } catch (IOException | RuntimeException e) {
          d.log.close();
          throw e;
        }
        LOG.info("{}: upgraded from store format version {} to {}", dir, oldest, StoreCodec.VERSION);
      }
      return d;
    } catch (IOException | RuntimeException e) {
      lock.release();
      lockChannel.close();
      throw e;
    }
  }

  private static void apply(Map<ObjectKey, KubeObject> objects, StoreCodec.LogRecord r, Path file, long offset)
      throws CorruptStoreException {
    if (r instanceof StoreCodec.Put p) {
      objects.put(key(p.type(), p.object().metadata().namespace(), p.object().metadata().name()), p.object());
    } else if (r instanceof StoreCodec.Remove d
        && objects.remove(key(d.type(), d.namespace(), d.name())) == null) {
      throw new CorruptStoreException(file, offset,
          "delete of " + d.type().qualifiedResource() + " " + d.namespace() + "/" + d.name() + " which does not exist");
    }
  }

  private static ObjectKey key(ResourceType type, String namespace, String name) {
    return new ObjectKey(type, type.namespaced() ? namespace : "", name);
  }

  public ObjectStore store() {
    return store;
  }

  public Recovery recovery() {
    return recovery;
  }

  /** Bytes in the current log. */
  public long logSize() {
    return log.size();
  }

  /** Snapshots written since this store was opened. */
  public int compactions() {
    return compactions;
  }

  public PersistenceSettings settings() {
    return settings;
  }

  // ------------------------------------------------------------------ writing

  private void append(CommitLog.Commit c) {
    if (closed || broken) {
      throw internal(closed ? "the store is closed" : "an earlier write to the log failed and could not be undone");
    }
    if (log.size() >= nextCompactionAt) {
      try {
        compact();
      } catch (IOException e) {
        // The old snapshot and log are still whole: keep appending, try again later.
        nextCompactionAt = log.size() + settings.compactionThreshold();
        LOG.warn("{}: compaction failed, the log keeps growing: {}", settings.directory(), e.toString());
      }
    }
    StoreCodec.LogRecord r = c.type() == WatchEvent.Type.DELETED
        ? new StoreCodec.Remove(c.resourceVersion(), c.resource(), c.object().metadata().namespace(),
            c.object().metadata().name())
        : new StoreCodec.Put(c.resource(), c.object());
    byte[] payload = codec.encode(r);
    try {
      log.append(payload);
    } catch (IOException e) {
      broken = log.broken();
      throw internal("persisting the write failed: " + e);
    }
  }

  private static ApiException internal(String what) {
    return new ApiException(new Status(500, "InternalError", "Internal error occurred: " + what,
        Status.Details.NONE));
  }

  /**
   * Writes a snapshot of the store as it is now and starts a new, empty log. Safe at any point of a
   * crash: the snapshot replaces the old one atomically, and log records it already holds are
   * skipped on recovery.
   */
  public void compact() throws IOException {
    if (closed) {
      throw new IOException("the store is closed");
    }
    Path dir = settings.directory();
    writeSnapshot(dir, codec, new StoreCodec.Snapshot(store.resourceVersion(), store.contents()));
    Path walFile = dir.resolve(WAL);
    RecordLog.create(walFile);
    RecordLog fresh = RecordLog.openForAppend(walFile, RecordLog.MAGIC.length, settings.fsync());
    RecordLog old = log;
    log = fresh;
    compactions++;
    nextCompactionAt = settings.compactionThreshold();
    try {
      old.close();
    } catch (IOException e) {
      LOG.warn("closing the old log: {}", e.toString());
    }
    LOG.info("{}: snapshot of {} objects at resourceVersion {}, new log", dir, store.size(), store.resourceVersion());
  }

  private static void writeSnapshot(Path dir, StoreCodec codec, StoreCodec.Snapshot s) throws IOException {
    byte[] payload = codec.encodeSnapshot(s);
    ByteBuffer buf = ByteBuffer.allocate(SNAPSHOT_MAGIC.length + RecordLog.HEADER_LENGTH + payload.length);
    buf.put(SNAPSHOT_MAGIC);
    buf.putInt(payload.length);
    buf.putInt(RecordLog.crc(payload, 0, payload.length));
    buf.put(payload);
    buf.flip();
    Path tmp = dir.resolve(SNAPSHOT + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      RecordLog.writeFully(c, buf, 0);
      c.force(true);
    }
    Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    RecordLog.syncDirectory(dir);
  }

  /** Reads the snapshot {@code b} (the bytes of {@code file}) with the codec of the version its magic names. */
  private static StoreCodec.Snapshot readSnapshot(Path file, byte[] b, StoreCodec codec) throws IOException {
    int m = SNAPSHOT_MAGIC.length;
    if (b.length < m + RecordLog.HEADER_LENGTH) {
      throw new CorruptStoreException(file, m, "snapshot header cut short");
    }
    long len = Integer.toUnsignedLong(RecordLog.u32(b, m));
    if (len != b.length - m - RecordLog.HEADER_LENGTH) {
      throw new CorruptStoreException(file, m,
          "snapshot length " + len + " but " + (b.length - m - RecordLog.HEADER_LENGTH) + " bytes follow");
    }
    int expected = RecordLog.u32(b, m + 4);
    int found = RecordLog.crc(b, m + RecordLog.HEADER_LENGTH, (int) len);
    if (expected != found) {
      throw new CorruptStoreException(file, m,
          String.format("snapshot CRC32C expected 0x%08x, found 0x%08x", expected, found));
    }
    try {
      return codec.decodeSnapshot(Arrays.copyOfRange(b, m + RecordLog.HEADER_LENGTH, b.length));
    } catch (KryoException e) {
      throw new CorruptStoreException(file, m + RecordLog.HEADER_LENGTH, "undecodable snapshot (" + e.getMessage() + ")");
    }
  }

  /** Closes the log and releases the directory; later writes to the store fail with 500. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      log.close();
    } finally {
      try {
        lock.release();
      } finally {
        lockChannel.close();
      }
    }
  }
}
