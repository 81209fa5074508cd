package io.podnet.proto.packet;

/**
 * The one exception the packet codecs throw. Its message says which layer and field was being
 * read, what was expected, what was found, and at which offset (from the start of the buffer
 * handed to the decoder), so that a drop counter or a log line can say exactly why a frame was
 * rejected.
 */
public final class PacketException extends RuntimeException {
  private final String layer;
  private final String field;
  private final int offset;

  public PacketException(String layer, String field, int offset, String expected, String found) {
    super(layer + " " + field + " at offset " + offset + ": expected " + expected + ", found " + found);
    this.layer = layer;
    this.field = field;
    this.offset = offset;
  }

  /** Fewer bytes remain than the field needs. */
  public static PacketException truncated(String layer, String field, int offset, int needed, int available) {
    return new PacketException(layer, field, offset, needed + " byte" + (needed == 1 ? "" : "s"),
        Math.max(available, 0) + " byte" + (available == 1 ? "" : "s"));
  }

  /** A field holds a value the format does not allow. */
  public static PacketException invalid(String layer, String field, int offset, String expected, Object found) {
    return new PacketException(layer, field, offset, expected, String.valueOf(found));
  }

  /** The protocol layer, e.g. "IPv4". */
  public String layer() {
    return layer;
  }

  /** The field that could not be read, e.g. "total length". */
  public String field() {
    return field;
  }

  /** Offset of the field from the start of the buffer given to the decoder. */
  public int offset() {
    return offset;
  }

  /** A short, stable reason for drop counters: "IPv4 total length". */
  public String reason() {
    return layer + " " + field;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    // Malformed input is expected traffic, not a programming error: a stack trace per dropped
    // frame would cost more than decoding it.
    return this;
  }
}
