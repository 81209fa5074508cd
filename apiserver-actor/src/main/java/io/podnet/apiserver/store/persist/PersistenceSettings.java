package io.podnet.apiserver.store.persist;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where and how the store is kept on disk.
 *
 * @param directory             the data directory (created if missing); one store per directory
 * @param fsync                 when a log record reaches the disk
 * @param compactionThreshold   log size in bytes past which the next write first writes a new
 *                              snapshot and starts a new log
 * @param initialResourceVersion the counter of a store created in an empty directory
 */
public record PersistenceSettings(Path directory, FsyncPolicy fsync, long compactionThreshold,
    long initialResourceVersion) {

  /** 8 MiB: a few seconds to replay, a snapshot every few thousand writes of typical objects. */
  public static final long DEFAULT_COMPACTION_THRESHOLD = 8L << 20;

  public PersistenceSettings {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(fsync, "fsync");
    if (compactionThreshold < 1) {
      throw new IllegalArgumentException("compactionThreshold must be >= 1: " + compactionThreshold);
    }
    if (initialResourceVersion < 0) {
      throw new IllegalArgumentException("initialResourceVersion must be >= 0: " + initialResourceVersion);
    }
  }

  /** fsync on every write, compaction at 8 MiB, a new store starting at resourceVersion 0. */
  public static PersistenceSettings of(Path directory) {
    return new PersistenceSettings(directory, FsyncPolicy.EVERY_WRITE, DEFAULT_COMPACTION_THRESHOLD, 0);
  }

  public PersistenceSettings withFsync(FsyncPolicy p) {
    return new PersistenceSettings(directory, p, compactionThreshold, initialResourceVersion);
  }

  public PersistenceSettings withCompactionThreshold(long bytes) {
    return new PersistenceSettings(directory, fsync, bytes, initialResourceVersion);
  }

  public PersistenceSettings withInitialResourceVersion(long rv) {
    return new PersistenceSettings(directory, fsync, compactionThreshold, rv);
  }
}
