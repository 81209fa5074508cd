package io.podnet.apiserver.store;

/**
 * Where the {@link ObjectStore} records each write before it takes effect: the store calls
 * {@link #append} with the write's outcome, stamped with its new resourceVersion, before it changes
 * its map, advances its counter, notifies watchers or answers the caller. An implementation that
 * cannot make the write durable throws {@link ApiException} (the write then does not happen).
 */
@FunctionalInterface
public interface CommitLog {

  /** Keeps nothing: the store is in memory only. */
  CommitLog NONE = commit -> {};

  /**
   * One committed write.
   *
   * @param type   ADDED for a create, MODIFIED for an update, DELETED for a delete
   * @param object the stored object, or for DELETED the deleted one stamped with the delete's
   *     resourceVersion
   */
  record Commit(WatchEvent.Type type, ResourceType resource, KubeObject object) {
    public long resourceVersion() {
      return object.resourceVersionNumber();
    }
  }

  void append(Commit commit);
}
