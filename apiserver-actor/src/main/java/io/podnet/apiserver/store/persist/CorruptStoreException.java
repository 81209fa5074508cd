package io.podnet.apiserver.store.persist;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The data directory holds damage that recovery must not paper over (anything but a torn or
 * corrupt last log record): the store refuses to start.
 */
public final class CorruptStoreException extends IOException {
  private final Path file;
  private final long offset;

  public CorruptStoreException(Path file, long offset, String what) {
    super(file + ": " + what + " at offset " + offset + "; refusing to start rather than drop data");
    this.file = file;
    this.offset = offset;
  }

  public Path file() {
    return file;
  }

  /** Byte offset in {@link #file()} of the damaged record. */
  public long offset() {
    return offset;
  }
}
