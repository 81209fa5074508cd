package io.podnet.apiserver.store.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.WatchEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableStoreTest {
  @TempDir Path tmp;
  final AtomicLong clock = new AtomicLong(Workload.T0);

  DurableStore open(PersistenceSettings s) throws IOException {
    return DurableStore.open(s, Workload.TYPES, clock::get, new SplittableRandom(99), 64);
  }

  PersistenceSettings settings(Path dir) {
    return PersistenceSettings.of(dir).withFsync(FsyncPolicy.OS_BUFFERED).withInitialResourceVersion(500);
  }

  static Map<ObjectKey, KubeObject> copy(ObjectStore s) {
    return new HashMap<>(s.contents());
  }

  @Test
  void restartLosesNothing() throws Exception {
    Path dir = tmp.resolve("data");
    Map<ObjectKey, KubeObject> before;
    long rv;
    try (DurableStore d = open(PersistenceSettings.of(dir).withInitialResourceVersion(500))) {
      assertEquals(500, d.store().resourceVersion());
      new Workload(1).run(d.store(), clock, 300); // fsync on every write
      before = copy(d.store());
      rv = d.store().resourceVersion();
    }
    assertEquals(800, rv, "every write advanced the counter once");
    assertTrue(before.size() > 30, "objects: " + before.size());
    try (DurableStore d = open(settings(dir))) {
      assertEquals(before, copy(d.store()), "every object, uid, creationTimestamp, resourceVersion, generation");
      assertEquals(rv, d.store().resourceVersion());
      assertEquals(new DurableStore.Recovery(500, 0, 300, 0, 800, -1, 0, ""), d.recovery());
      // The counter continues, and the next write is persisted too.
      clock.addAndGet(60_000);
      KubeObject lease = d.store().create(ApiResources.LEASE, KubeObject.of(ApiResources.LEASE,
          ObjectMeta.of("kube-system", "after-restart", Map.of()), io.podnet.apiserver.api.Json.obj("holderIdentity", "x")));
      assertEquals("801", lease.metadata().resourceVersion());
      before = copy(d.store());
      // A watch from before the restart is too old (kube-apiserver after a restart), from now it works.
      ApiException gone = assertThrows(ApiException.class, () -> d.store().watch(ApiResources.POD, "",
          LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 700, e -> {}));
      assertEquals(410, gone.status().code());
      assertEquals("too old resource version: 700 (800)", gone.status().message());
      List<WatchEvent> seen = new ArrayList<>();
      d.store().watch(ApiResources.LEASE, "", LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, 800, seen::add);
      assertEquals(List.of(new WatchEvent(WatchEvent.Type.ADDED, lease)), seen);
    }
    try (DurableStore d = open(settings(dir))) {
      assertEquals(before, copy(d.store()));
      assertEquals(801, d.store().resourceVersion());
    }
  }

  @Test
  void aSecondOwnerOfTheDirectoryIsRefused() throws Exception {
    Path dir = tmp.resolve("data");
    try (DurableStore d = open(settings(dir))) {
      IOException e = assertThrows(IOException.class, () -> open(settings(dir)));
      assertEquals(dir + " is in use by another store (lock held)", e.getMessage());
    }
    open(settings(dir)).close();
  }

  /** Writes {@code n} records, returns the state before and after the last one. */
  record Written(Map<ObjectKey, KubeObject> beforeLast, long rvBeforeLast, Map<ObjectKey, KubeObject> all, long rv) {}

  Written write(Path dir, int n) throws IOException {
    try (DurableStore d = open(settings(dir))) {
      Workload w = new Workload(5);
      w.run(d.store(), clock, n - 1);
      Map<ObjectKey, KubeObject> beforeLast = copy(d.store());
      long rvBefore = d.store().resourceVersion();
      w.run(d.store(), clock, 1);
      return new Written(beforeLast, rvBefore, copy(d.store()), d.store().resourceVersion());
    }
  }

  static long lastFrameOffset(Path wal) throws IOException {
    List<RecordLog.Frame> frames = RecordLog.scan(wal).frames();
    return frames.get(frames.size() - 1).offset();
  }

  Path copyOf(Path dir, String name) throws IOException {
    Path to = tmp.resolve(name);
    Files.createDirectories(to);
    Files.copy(dir.resolve("snapshot"), to.resolve("snapshot"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(dir.resolve("wal"), to.resolve("wal"), StandardCopyOption.REPLACE_EXISTING);
    return to;
  }

  @Test
  void aTornLastRecordIsCutAtEveryByteAndNothingBeforeItIsLost() throws Exception {
    Path dir = tmp.resolve("data");
    Written w = write(dir, 40);
    byte[] wal = Files.readAllBytes(dir.resolve("wal"));
    long last = lastFrameOffset(dir.resolve("wal"));
    for (long cut = last; cut < wal.length; cut++) {
      Path d = copyOf(dir, "cut");
      Files.write(d.resolve("wal"), java.util.Arrays.copyOf(wal, (int) cut));
      try (DurableStore s = open(settings(d))) {
        assertEquals(w.beforeLast, copy(s.store()), "cut at " + cut);
        assertEquals(w.rvBeforeLast, s.store().resourceVersion(), "cut at " + cut);
        assertEquals(cut == last ? -1 : last, s.recovery().truncatedAt(), "cut at " + cut);
        assertEquals(cut - last, s.recovery().bytesDropped());
      }
      assertEquals(last, Files.size(d.resolve("wal")), "the torn bytes are gone from the file");
    }
    // The record was whole: everything is there.
    try (DurableStore s = open(settings(copyOf(dir, "whole")))) {
      assertEquals(w.all, copy(s.store()));
      assertEquals(w.rv, s.store().resourceVersion());
    }
  }

  @Test
  void aCorruptLastRecordOrAZeroFilledTailIsCut() throws Exception {
    Path dir = tmp.resolve("data");
    Written w = write(dir, 20);
    byte[] wal = Files.readAllBytes(dir.resolve("wal"));
    long last = lastFrameOffset(dir.resolve("wal"));
    for (int at : new int[] {(int) last + 2, (int) last + 5, (int) last + 9, wal.length - 1}) {
      byte[] bad = wal.clone();
      bad[at] ^= 0x10;
      Path d = copyOf(dir, "flip" + at);
      Files.write(d.resolve("wal"), bad);
      try (DurableStore s = open(settings(d))) {
        assertEquals(w.beforeLast, copy(s.store()), "flip at " + at);
        assertEquals(last, s.recovery().truncatedAt());
      }
    }
    // A crash can leave the file longer with zeros where the record never landed.
    Path d = copyOf(dir, "zeros");
    byte[] zeros = java.util.Arrays.copyOf(wal, wal.length + 4096);
    Files.write(d.resolve("wal"), zeros);
    try (DurableStore s = open(settings(d))) {
      assertEquals(w.all, copy(s.store()));
      assertEquals(wal.length, s.recovery().truncatedAt());
      assertEquals("length 0 outside 1..67108864", s.recovery().tailDamage());
    }
  }

  @Test
  void damageInTheMiddleRefusesToStartAndNamesTheOffset() throws Exception {
    Path dir = tmp.resolve("data");
    write(dir, 30);
    byte[] wal = Files.readAllBytes(dir.resolve("wal"));
    List<RecordLog.Frame> frames = RecordLog.scan(dir.resolve("wal")).frames();
    RecordLog.Frame victim = frames.get(17);
    // A flipped bit in the payload, in the CRC, and in the length (making it run past the end).
    int[][] flips = {
        {(int) victim.offset() + RecordLog.HEADER_LENGTH + 3, 0x04},
        {(int) victim.offset() + RecordLog.CRC_OFFSET + 1, 0x01},
        {(int) victim.offset() + RecordLog.LENGTH_OFFSET, 0x40},
        {(int) victim.offset() + RecordLog.LENGTH_OFFSET + 3, 0x01},
    };
    for (int[] f : flips) {
      byte[] bad = wal.clone();
      bad[f[0]] ^= (byte) f[1];
      Path d = copyOf(dir, "mid" + f[0]);
      Files.write(d.resolve("wal"), bad);
      CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(settings(d)));
      assertEquals(victim.offset(), e.offset(), e.getMessage());
      assertEquals(d.resolve("wal"), e.file());
      assertTrue(e.getMessage().startsWith(d.resolve("wal") + ": damaged record ("), e.getMessage());
      assertTrue(e.getMessage().endsWith(") followed by a valid record at offset " + frames.get(18).offset()
          + " at offset " + victim.offset() + "; refusing to start rather than drop data"), e.getMessage());
      assertArrayEquals(bad, Files.readAllBytes(d.resolve("wal")), "nothing was cut");
      // The refused directory is not left locked.
      assertThrows(CorruptStoreException.class, () -> open(settings(d)));
    }
    byte[] bad = wal.clone();
    bad[(int) victim.offset() + RecordLog.HEADER_LENGTH + 3] ^= 0x04;
    Path d = copyOf(dir, "crc");
    Files.write(d.resolve("wal"), bad);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(settings(d)));
    assertTrue(e.getMessage().contains("(CRC32C expected 0x"), e.getMessage());
  }

  @Test
  void aDamagedSnapshotIsRefused() throws Exception {
    Path dir = tmp.resolve("data");
    write(dir, 5);
    try (DurableStore d = open(settings(dir))) {
      d.compact();
    }
    byte[] snap = Files.readAllBytes(dir.resolve("snapshot"));
    snap[snap.length / 2] ^= 0x20;
    Files.write(dir.resolve("snapshot"), snap);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(8, e.offset());
    assertTrue(e.getMessage().startsWith(dir.resolve("snapshot") + ": snapshot CRC32C expected 0x"), e.getMessage());
    Files.delete(dir.resolve("snapshot"));
    e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(dir.resolve("snapshot") + ": missing snapshot beside an existing log at offset 0; "
        + "refusing to start rather than drop data", e.getMessage());
  }

  @Test
  void compactionKeepsEverything() throws Exception {
    Path dir = tmp.resolve("data");
    Map<ObjectKey, KubeObject> before;
    try (DurableStore d = open(settings(dir).withCompactionThreshold(4096))) {
      new Workload(3).run(d.store(), clock, 1000);
      assertTrue(d.compactions() > 10, "compactions: " + d.compactions());
      assertTrue(d.logSize() < 4096 + 2048, "log size " + d.logSize());
      before = copy(d.store());
    }
    try (DurableStore d = open(settings(dir))) {
      assertEquals(before, copy(d.store()));
      assertEquals(1500, d.store().resourceVersion());
      assertTrue(d.recovery().snapshotResourceVersion() > 1400, d.recovery().toString());
      assertEquals(1500 - d.recovery().snapshotResourceVersion(), d.recovery().recordsReplayed());
    }
    assertTrue(Files.notExists(dir.resolve("snapshot.tmp")) && Files.notExists(dir.resolve("wal.tmp")));
  }

  @Test
  void aCrashBetweenSnapshotAndNewLogReplaysOnlyNewerRecords() throws Exception {
    Path dir = tmp.resolve("data");
    Map<ObjectKey, KubeObject> before;
    try (DurableStore d = open(settings(dir))) {
      new Workload(8).run(d.store(), clock, 50);
      Files.copy(dir.resolve("wal"), tmp.resolve("old-wal"));
      d.compact();
      before = copy(d.store());
    }
    // As if the process died after the snapshot's rename but before the log was replaced.
    Files.copy(tmp.resolve("old-wal"), dir.resolve("wal"), StandardCopyOption.REPLACE_EXISTING);
    try (DurableStore d = open(settings(dir))) {
      assertEquals(before, copy(d.store()));
      assertEquals(50, d.recovery().recordsSkipped());
      assertEquals(0, d.recovery().recordsReplayed());
      assertEquals(550, d.store().resourceVersion());
    }
  }

  @Test
  void restartAcrossJvms() throws Exception {
    Path dir = tmp.resolve("data");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
        PersistChildMain.class.getName(), dir.toString(), "400", "11");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM hung");
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    // The same writes, in memory, in this JVM: what the child must have left on disk.
    AtomicLong c = new AtomicLong(Workload.T0);
    ObjectStore expected = new ObjectStore(c::get, new SplittableRandom(7), 64, 1000);
    new Workload(11).run(expected, c, 400);
    assertTrue(expected.resourceVersion() > 1350, "a few updates changed nothing: " + expected.resourceVersion());
    assertTrue(out.contains("rv=" + expected.resourceVersion() + " objects=" + expected.size()), out);
    try (DurableStore d = open(settings(dir))) {
      assertEquals(copy(expected), copy(d.store()));
      assertEquals(expected.resourceVersion(), d.store().resourceVersion());
    }
  }

  @Test
  void aWriteThatCannotBeLoggedDoesNotHappen() throws Exception {
    Path dir = tmp.resolve("data");
    DurableStore d = open(settings(dir));
    new Workload(2).run(d.store(), clock, 10);
    Map<ObjectKey, KubeObject> before = copy(d.store());
    long rv = d.store().resourceVersion();
    d.close();
    ApiException e = assertThrows(ApiException.class, () -> new Workload(2).run(d.store(), clock, 1));
    assertEquals(500, e.status().code());
    assertEquals("Internal error occurred: the store is closed", e.status().message());
    assertEquals(before, copy(d.store()), "nothing changed in memory");
    assertEquals(rv, d.store().resourceVersion());
  }

  @Test
  void aRecordOfAnUnknownKindRefusesToStart() throws Exception {
    Path dir = tmp.resolve("data");
    write(dir, 12);
    List<RecordLog.Frame> frames = RecordLog.scan(dir.resolve("wal")).frames();
    TypeResolver noLeases = (gv, r) -> r.equals("leases") ? java.util.Optional.empty() : Workload.TYPES.resolve(gv, r);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> DurableStore.open(settings(dir),
        noLeases, clock::get, new SplittableRandom(1), 64));
    StoreCodec codec = new StoreCodec(Workload.TYPES);
    long firstLease = frames.stream().filter(f -> codec.decode(f.payload()) instanceof StoreCodec.Put p
        && p.type().equals(ApiResources.LEASE)).findFirst().orElseThrow().offset();
    assertEquals(firstLease, e.offset());
    assertTrue(e.getMessage().contains("undecodable record (unknown resource leases in coordination.k8s.io/v1)"),
        e.getMessage());
  }
}
