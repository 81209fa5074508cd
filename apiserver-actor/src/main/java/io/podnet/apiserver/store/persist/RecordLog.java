package io.podnet.apiserver.store.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * An append-only file of framed records, and the scan that recovers it.
 *
 * <pre>
 * file:   magic (8 bytes) then frames, back to back
 * magic:  "PNWAL" then the {@link StoreCodec} format version (3 bytes, big-endian):
 *         "PNWAL\0\0\2" written, "PNWAL\0\0\1" still read
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           payload length (unsigned, big-endian, >= 1)          |  offset 0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    CRC32C of the payload                       |  offset 4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    payload (length bytes) ...                  |  offset 8
 * </pre>
 *
 * <p>Recovery reads frames from the start. At the first frame that is not valid (a header or payload
 * cut short by the end of the file, a length of 0 or above {@link #MAX_RECORD}, a CRC mismatch) it
 * decides between two cases. If no valid frame starts anywhere after that offset, the damage is the
 * last record, torn by a crash mid-append (or a zero-filled tail the filesystem left): it is
 * reported and cut away, and everything before it is kept. If a valid frame does follow, the damage
 * is in the middle of the log: {@link CorruptStoreException} names the offset and nothing is
 * dropped. (A payload that itself embeds a well-formed frame could make a torn tail look like
 * damage in the middle: the store then refuses to start, which loses nothing.)
 */
final class RecordLog implements AutoCloseable {
  static final int MAGIC_LENGTH = 8;
  static final String MAGIC_PREFIX = "PNWAL";
  /** The magic of the logs written: format {@link StoreCodec#VERSION}. */
  static final byte[] MAGIC = magic(MAGIC_PREFIX, StoreCodec.VERSION);
  static final int LENGTH_OFFSET = 0;
  static final int CRC_OFFSET = 4;
  static final int HEADER_LENGTH = 8;
  /** Largest payload accepted (64 MiB): a bigger length is damage, not a record. */
  static final int MAX_RECORD = 64 << 20;

  /** One valid frame: its offset in the file and its payload. */
  record Frame(long offset, byte[] payload) {}

  /**
   * What a scan found.
   *
   * @param validEnd   the offset after the last valid frame
   * @param fileSize   the file's size
   * @param tailDamage why the bytes from validEnd on are not a record ("" when validEnd == fileSize)
   * @param version    the {@link StoreCodec} format version of the payloads, from the magic
   */
  record Scan(List<Frame> frames, long validEnd, long fileSize, String tailDamage, int version) {
    boolean tornTail() {
      return validEnd != fileSize;
    }
  }

  private final Path file;
  private final FileChannel channel;
  private final FsyncPolicy fsync;
  private long size;
  private boolean broken;

  private RecordLog(Path file, FileChannel channel, FsyncPolicy fsync, long size) {
    this.file = file;
    this.channel = channel;
    this.fsync = fsync;
    this.size = size;
  }

  /** Writes a new, empty log at {@code file} atomically (temp file, fsync, rename, fsync of the directory). */
  static void create(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      writeFully(c, ByteBuffer.wrap(MAGIC), 0);
      c.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(file.getParent());
  }

  /**
   * Reads and checks every frame of {@code file}.
   *
   * @throws CorruptStoreException for a bad magic, a format version this build does not read, or
   *     damage before the last record
   */
  static Scan scan(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    int version = version(file, b, MAGIC_PREFIX, "log");
    List<Frame> frames = new ArrayList<>();
    int off = MAGIC_LENGTH;
    while (off < b.length) {
      String damage = frameDamage(b, off);
      if (damage != null) {
        int next = nextValidFrame(b, off + 1);
        if (next >= 0) {
          throw new CorruptStoreException(file, off,
              "damaged record (" + damage + ") followed by a valid record at offset " + next);
        }
        return new Scan(frames, off, b.length, damage, version);
      }
      int len = u32(b, off + LENGTH_OFFSET);
      frames.add(new Frame(off, Arrays.copyOfRange(b, off + HEADER_LENGTH, off + HEADER_LENGTH + len)));
      off += HEADER_LENGTH + len;
    }
    return new Scan(frames, off, b.length, "", version);
  }

  /** The 8-byte magic: {@code prefix} (5 ASCII bytes) then {@code version} as 3 big-endian bytes. */
  static byte[] magic(String prefix, int version) {
    byte[] m = Arrays.copyOf(prefix.getBytes(StandardCharsets.US_ASCII), MAGIC_LENGTH);
    m[5] = (byte) (version >>> 16);
    m[6] = (byte) (version >>> 8);
    m[7] = (byte) version;
    return m;
  }

  /**
   * The format version in the magic at the start of {@code b}.
   *
   * @throws CorruptStoreException if {@code b} does not start with {@code prefix} and a version this build reads
   */
  static int version(Path file, byte[] b, String prefix, String what) throws CorruptStoreException {
    byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
    if (b.length < MAGIC_LENGTH || !Arrays.equals(b, 0, p.length, p, 0, p.length)) {
      throw new CorruptStoreException(file, 0, "not a podnet store " + what + " (bad magic)");
    }
    int version = ((b[5] & 0xff) << 16) | ((b[6] & 0xff) << 8) | (b[7] & 0xff);
    if (!StoreCodec.readable(version)) {
      throw new CorruptStoreException(file, 5, "store " + what + " format version " + version + ", this build reads "
          + StoreCodec.OLDEST_READABLE + ".." + StoreCodec.VERSION);
    }
    return version;
  }

  /** Why the frame at {@code off} is not valid, or null if it is. */
  private static String frameDamage(byte[] b, int off) {
    int remaining = b.length - off;
    if (remaining < HEADER_LENGTH) {
      return "header cut short: " + remaining + " of " + HEADER_LENGTH + " bytes";
    }
    long len = Integer.toUnsignedLong(u32(b, off + LENGTH_OFFSET));
    if (len == 0 || len > MAX_RECORD) {
      return "length " + len + " outside 1.." + MAX_RECORD;
    }
    if (len > remaining - HEADER_LENGTH) {
      return "payload cut short: " + (remaining - HEADER_LENGTH) + " of " + len + " bytes";
    }
    int expected = u32(b, off + CRC_OFFSET);
    int found = crc(b, off + HEADER_LENGTH, (int) len);
    if (expected != found) {
      return String.format("CRC32C expected 0x%08x, found 0x%08x", expected, found);
    }
    return null;
  }

  private static int nextValidFrame(byte[] b, int from) {
    for (int p = from; p + HEADER_LENGTH < b.length; p++) {
      if (frameDamage(b, p) == null) {
        return p;
      }
    }
    return -1;
  }

  /** Opens {@code file} for appending after {@code validEnd}, cutting away (and syncing) anything beyond it. */
  static RecordLog openForAppend(Path file, long validEnd, FsyncPolicy fsync) throws IOException {
    FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE);
    try {
      if (c.size() > validEnd) {
        c.truncate(validEnd);
        c.force(true);
      }
      return new RecordLog(file, c, fsync, validEnd);
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  long size() {
    return size;
  }

  Path file() {
    return file;
  }

  /** True when a failed append could not be cut back: the log must not be written again. */
  boolean broken() {
    return broken;
  }

  /**
   * Appends one frame and, under {@link FsyncPolicy#EVERY_WRITE}, syncs it. On failure the file is
   * cut back to its previous end so that the log stays well-formed.
   *
   * @throws IOException if the frame could not be written (see {@link #broken()})
   */
  void append(byte[] payload) throws IOException {
    if (payload.length == 0 || payload.length > MAX_RECORD) {
      throw new IllegalArgumentException("payload length " + payload.length + " outside 1.." + MAX_RECORD);
    }
    ByteBuffer frame = ByteBuffer.allocate(HEADER_LENGTH + payload.length);
    frame.putInt(LENGTH_OFFSET, payload.length);
    frame.putInt(CRC_OFFSET, crc(payload, 0, payload.length));
    frame.put(HEADER_LENGTH, payload);
    try {
      writeFully(channel, frame, size);
      if (fsync == FsyncPolicy.EVERY_WRITE) {
        channel.force(false);
      }
    } catch (IOException e) {
      try {
        channel.truncate(size);
      } catch (IOException t) {
        broken = true;
        e.addSuppressed(t);
      }
      throw e;
    }
    size += frame.capacity();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  static void writeFully(FileChannel c, ByteBuffer buf, long position) throws IOException {
    long p = position;
    while (buf.hasRemaining()) {
      p += c.write(buf, p);
    }
  }

  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  static int u32(byte[] b, int off) {
    return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
  }
}
