package io.podnet.apiserver.store.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectKey;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.OwnerReference;
import io.podnet.apiserver.store.WatchEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

  // ------------------------------------------------------------------ format version 2, and reading version 1

  /** The objects OwnedWrites leaves, written to a plain in-memory store. */
  static Map<ObjectKey, KubeObject> ownedWritesInMemory() {
    AtomicLong c = new AtomicLong(Workload.T0);
    ObjectStore s = new ObjectStore(c::get, new SplittableRandom(OwnedWrites.SEED), 64, OwnedWrites.INITIAL_RV);
    OwnedWrites.run(s, c, () -> {});
    return copy(s);
  }

  static Map<ObjectKey, KubeObject> withoutOwners(Map<ObjectKey, KubeObject> objects) {
    Map<ObjectKey, KubeObject> m = new HashMap<>();
    objects.forEach((k, o) -> m.put(k, o.withMetadata(o.metadata().withGenerateName("").withOwnerReferences(List.of()))));
    return m;
  }

  static List<KubeObject> agentPods(Map<ObjectKey, KubeObject> objects) {
    return objects.values().stream().filter(o -> o.kind().equals("Pod") && o.metadata().name().startsWith("agent-"))
        .toList();
  }

  static byte[] magic(Path file) throws IOException {
    return java.util.Arrays.copyOf(Files.readAllBytes(file), 8);
  }

  @Test
  void generateNameAndOwnerReferencesSurviveARestart() throws Exception {
    Path dir = tmp.resolve("data");
    Map<ObjectKey, KubeObject> expected = ownedWritesInMemory();
    List<KubeObject> agents = agentPods(expected);
    assertEquals(2, agents.size());
    for (KubeObject p : agents) {
      assertEquals("agent-", p.metadata().generateName());
      assertEquals("DaemonSet", p.metadata().controllerRef().orElseThrow().kind());
    }
    PersistenceSettings s = settings(dir).withInitialResourceVersion(OwnedWrites.INITIAL_RV);
    try (DurableStore d = DurableStore.open(s, Workload.TYPES, clock::get, new SplittableRandom(OwnedWrites.SEED), 64)) {
      OwnedWrites.run(d.store(), clock, () -> {});
      assertEquals(expected, copy(d.store()));
    }
    assertArrayEquals("PNWAL\0\0\2".getBytes(StandardCharsets.ISO_8859_1), magic(dir.resolve("wal")));
    assertArrayEquals("PNSNP\0\0\2".getBytes(StandardCharsets.ISO_8859_1),
        magic(dir.resolve("snapshot")));
    // From the log...
    try (DurableStore d = open(settings(dir))) {
      assertEquals(expected, copy(d.store()), "generateName and every ownerReference field, from the log");
      assertEquals(0, d.compactions());
      d.compact();
    }
    // ... and from a snapshot.
    try (DurableStore d = open(settings(dir))) {
      assertEquals(expected, copy(d.store()), "from the snapshot");
      assertEquals(0, d.recovery().recordsReplayed());
      assertEquals(expected.size(), d.recovery().snapshotObjects());
    }
  }

  /** A copy of the version 1 fixture (written by the v1 store from OwnedWrites, compacting midway). */
  Path v1Directory(String name) throws IOException {
    Path to = tmp.resolve(name);
    Files.createDirectories(to);
    for (String f : List.of("snapshot", "wal")) {
      try (var in = DurableStoreTest.class.getResourceAsStream("/store-v1/" + f)) {
        Files.copy(in, to.resolve(f));
      }
    }
    return to;
  }

  static final byte[] V1_WAL_MAGIC = "PNWAL\0\0\1".getBytes(StandardCharsets.ISO_8859_1);
  static final byte[] V1_SNAPSHOT_MAGIC = "PNSNP\0\0\1".getBytes(StandardCharsets.ISO_8859_1);

  @Test
  void aVersion1DirectoryStillLoadsAndIsUpgradedToVersion2() throws Exception {
    Path dir = v1Directory("v1");
    assertArrayEquals(V1_WAL_MAGIC, magic(dir.resolve("wal")));
    assertArrayEquals(V1_SNAPSHOT_MAGIC, magic(dir.resolve("snapshot")));
    // Version 1 kept everything but generateName and ownerReferences: they load empty.
    Map<ObjectKey, KubeObject> expected = withoutOwners(ownedWritesInMemory());
    Map<ObjectKey, KubeObject> after;
    try (DurableStore d = open(settings(dir))) {
      assertEquals(expected, copy(d.store()));
      assertEquals(OwnedWrites.INITIAL_RV + 9, d.store().resourceVersion());
      // The fixture's snapshot holds the first four writes, its log the other five.
      assertEquals(new DurableStore.Recovery(OwnedWrites.INITIAL_RV + 4, 4, 5, 0, OwnedWrites.INITIAL_RV + 9, -1, 0, ""),
          d.recovery());
      assertEquals(1, d.compactions(), "rewritten in version 2 at once");
      assertArrayEquals(RecordLog.MAGIC, magic(dir.resolve("wal")));
      assertArrayEquals(DurableStore.SNAPSHOT_MAGIC, magic(dir.resolve("snapshot")));
      assertEquals(RecordLog.MAGIC.length, Files.size(dir.resolve("wal")), "a fresh log");
      // New writes go to the version 2 log, with their owners.
      KubeObject cm = d.store().get(ApiResources.CONFIG_MAP, "kube-system", "cfg");
      KubeObject pod = d.store().get(ApiResources.POD, "kube-system", "two-owners");
      d.store().update(ApiResources.POD, pod.withMetadata(pod.metadata().withOwnerReferences(
          List.of(new OwnerReference("v1", "ConfigMap", "cfg", cm.metadata().uid(), null,
              null)))));
      after = copy(d.store());
    }
    try (DurableStore d = open(settings(dir))) {
      assertEquals(after, copy(d.store()));
      assertEquals(new DurableStore.Recovery(OwnedWrites.INITIAL_RV + 9, expected.size(), 1, 0,
          OwnedWrites.INITIAL_RV + 10, -1, 0, ""), d.recovery());
      assertEquals(0, d.compactions(), "already version 2");
      assertEquals("cfg", d.store().get(ApiResources.POD, "kube-system", "two-owners")
          .metadata().ownerReferences().get(0).name());
    }
  }

  @Test
  void aCrashDuringTheUpgradeLeavesAVersion2SnapshotBesideTheVersion1Log() throws Exception {
    Path dir = v1Directory("v1");
    Map<ObjectKey, KubeObject> expected = withoutOwners(ownedWritesInMemory());
    open(settings(dir)).close();
    // As if the process died after the new snapshot's rename, before the new log.
    Files.copy(v1Directory("again").resolve("wal"), dir.resolve("wal"), StandardCopyOption.REPLACE_EXISTING);
    try (DurableStore d = open(settings(dir))) {
      assertEquals(expected, copy(d.store()));
      assertEquals(5, d.recovery().recordsSkipped());
      assertEquals(1, d.compactions());
      assertArrayEquals(RecordLog.MAGIC, magic(dir.resolve("wal")));
    }
  }

  @Test
  void aTornLastRecordOfAVersion1LogIsCutBeforeTheUpgrade() throws Exception {
    Path dir = v1Directory("v1");
    Path wal = dir.resolve("wal");
    byte[] b = Files.readAllBytes(wal);
    long last = lastFrameOffset(wal);
    Files.write(wal, java.util.Arrays.copyOf(b, b.length - 3));
    Map<ObjectKey, KubeObject> expected = withoutOwners(ownedWritesInMemory());
    // The last write deleted config map "gone": without it, "gone" is still there.
    try (DurableStore d = open(settings(dir))) {
      assertEquals(OwnedWrites.INITIAL_RV + 8, d.store().resourceVersion());
      assertEquals(last, d.recovery().truncatedAt());
      Map<ObjectKey, KubeObject> m = copy(d.store());
      KubeObject gone = m.remove(new ObjectKey(ApiResources.CONFIG_MAP, "kube-system", "gone"));
      assertEquals("gone", gone.metadata().name());
      assertEquals(expected, m);
    }
    try (DurableStore d = open(settings(dir))) {
      assertEquals(OwnedWrites.INITIAL_RV + 8, d.store().resourceVersion());
      assertEquals(-1, d.recovery().truncatedAt());
    }
  }

  @Test
  void damageInAVersion1DirectoryStillRefusesToStart() throws Exception {
    // In the middle of the log.
    Path dir = v1Directory("mid");
    Path wal = dir.resolve("wal");
    List<RecordLog.Frame> frames = RecordLog.scan(wal).frames();
    assertEquals(5, frames.size());
    byte[] b = Files.readAllBytes(wal);
    b[(int) frames.get(1).offset() + RecordLog.HEADER_LENGTH + 2] ^= 0x08;
    Files.write(wal, b);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(frames.get(1).offset(), e.offset());
    assertArrayEquals(V1_WAL_MAGIC, magic(wal), "nothing was rewritten");
    // In the snapshot.
    Path dir2 = v1Directory("snap");
    byte[] snap = Files.readAllBytes(dir2.resolve("snapshot"));
    snap[snap.length - 10] ^= 0x01;
    Files.write(dir2.resolve("snapshot"), snap);
    e = assertThrows(CorruptStoreException.class, () -> open(settings(dir2)));
    assertEquals(8, e.offset());
    assertTrue(e.getMessage().startsWith(dir2.resolve("snapshot") + ": snapshot CRC32C expected 0x"), e.getMessage());
    assertArrayEquals(V1_SNAPSHOT_MAGIC, magic(dir2.resolve("snapshot")));
    // A record whose CRC is right but whose bytes are not a version 1 record (a version 2 one).
    Path dir3 = v1Directory("v2record");
    try (DurableStore d = open(settings(tmp.resolve("scratch")))) {
      d.store().create(ApiResources.CONFIG_MAP, KubeObject.of(
          ApiResources.CONFIG_MAP, ObjectMeta.of("x", "y", Map.of()),
          Json.obj()));
    }
    byte[] v2 = Files.readAllBytes(tmp.resolve("scratch").resolve("wal"));
    byte[] mixed = new byte[(int) frames.get(0).offset() + v2.length - RecordLog.MAGIC.length];
    System.arraycopy(Files.readAllBytes(dir3.resolve("wal")), 0, mixed, 0, (int) frames.get(0).offset());
    System.arraycopy(v2, RecordLog.MAGIC.length, mixed, (int) frames.get(0).offset(), v2.length - RecordLog.MAGIC.length);
    Files.write(dir3.resolve("wal"), mixed);
    e = assertThrows(CorruptStoreException.class, () -> open(settings(dir3)));
    assertEquals(frames.get(0).offset(), e.offset());
    assertTrue(e.getMessage().contains(": undecodable record ("), e.getMessage());
  }

  @Test
  void aFormatVersionThisBuildDoesNotReadIsRefused() throws Exception {
    Path dir = tmp.resolve("data");
    write(dir, 3);
    byte[] wal = Files.readAllBytes(dir.resolve("wal"));
    wal[7] = 3;
    Files.write(dir.resolve("wal"), wal);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(dir.resolve("wal") + ": store log format version 3, this build reads 1..2 at offset 5; "
        + "refusing to start rather than drop data", e.getMessage());
    wal[7] = 2;
    Files.write(dir.resolve("wal"), wal);
    byte[] snap = Files.readAllBytes(dir.resolve("snapshot"));
    snap[5] = 1;
    Files.write(dir.resolve("snapshot"), snap);
    e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(dir.resolve("snapshot") + ": store snapshot format version 65538, this build reads 1..2 at offset 5; "
        + "refusing to start rather than drop data", e.getMessage());
    snap[0] = 'X';
    snap[5] = 0;
    Files.write(dir.resolve("snapshot"), snap);
    e = assertThrows(CorruptStoreException.class, () -> open(settings(dir)));
    assertEquals(dir.resolve("snapshot") + ": not a podnet store snapshot (bad magic) at offset 0; "
        + "refusing to start rather than drop data", e.getMessage());
  }
}
