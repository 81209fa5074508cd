package io.podnet.netstack.actor;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A frame's bytes as one array, without a copy where the {@link ByteString} is a whole array (what
 * a sender in this JVM wrapped with {@code unsafeWrap}); a copy otherwise (a slice of the buffer a
 * frame from another JVM was parsed from, a rope, a buffer). Frames are never written to once sent
 * (HostCore's contract for the frames it transmits and receives), so the array may be shared by
 * the sender and every receiver.
 */
final class FrameBytes extends ByteOutput {
  private byte[] whole;
  private boolean pieces;

  private FrameBytes() {}

  static byte[] of(ByteString data) {
    FrameBytes out = new FrameBytes();
    try {
      UnsafeByteOperations.unsafeWriteTo(data, out);
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory does not fail", e);
    }
    return !out.pieces && out.whole != null ? out.whole : data.toByteArray();
  }

  @Override
  public void writeLazy(byte[] value, int offset, int length) {
    if (whole == null && !pieces && offset == 0 && length == value.length) {
      whole = value;
    } else {
      pieces = true;
    }
  }

  @Override
  public void write(byte value) {
    pieces = true;
  }

  @Override
  public void write(byte[] value, int offset, int length) {
    pieces = true;
  }

  @Override
  public void write(ByteBuffer value) {
    pieces = true;
  }

  @Override
  public void writeLazy(ByteBuffer value) {
    pieces = true;
  }
}
