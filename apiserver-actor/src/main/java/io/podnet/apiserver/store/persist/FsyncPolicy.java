package io.podnet.apiserver.store.persist;

/**
 * When a log append reaches the disk. Both policies hand every record to the operating system
 * (write(2), no buffering in the JVM) before the write is acknowledged, so a crash or kill of the
 * JVM never loses an acknowledged write; they differ on a crash of the machine.
 */
public enum FsyncPolicy {
  /**
   * fdatasync after every record, before the write is acknowledged: an acknowledged write survives
   * a power loss, as etcd guarantees for kube-apiserver. The default.
   */
  EVERY_WRITE,
  /**
   * No fsync of the log (snapshots are still fsynced before they replace the old one): an
   * acknowledged write survives a crash of the JVM but the last ones may be lost, as a torn tail,
   * on a crash of the machine. For labs on throwaway disks, benchmarks and tests.
   */
  OS_BUFFERED
}
