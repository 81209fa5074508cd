package io.podnet.proto.packet;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One Geneve option TLV (RFC 8926, section 3.5).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Option Class         |C|    Type     |R|R|R| Length  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                  Variable-Length Option Data                  ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * {@code type} is the whole 8-bit field: its high bit is the critical bit C ({@link #critical()}).
 * Length is the data length in 4-byte words (0-31), not counting the 4-byte option header; it is
 * derived from {@code data} ({@link #lengthWords()}). {@code reserved} holds the three R bits as
 * carried (zero when built here).
 */
public record GeneveOption(int optionClass, int type, int reserved, ByteString data) {
  public static final String LAYER = "Geneve";
  public static final int HEADER_LENGTH = 4;
  public static final int MAX_DATA_LENGTH = 31 * 4;
  /** The critical bit in {@link #type}. */
  public static final int TYPE_CRITICAL = 0x80;

  static final int CLASS_OFFSET = 0;
  static final int TYPE_OFFSET = 2;
  static final int LENGTH_OFFSET = 3;

  /**
   * Option class of the lab's service-chaining example (see {@link ServiceChain}). Note that IANA's
   * Geneve option class registry assigns 0x0101 to Open vSwitch (Wireshark names it so): the seed
   * uses it as an illustration, and so does podnet, between emulated nodes only.
   */
  public static final int SERVICE_CHAINING_CLASS = 0x0101;
  /** Its type, "Path + Index": 0x01, not critical (a receiver that does not know it may ignore it). */
  public static final int SERVICE_CHAINING_TYPE = 0x01;

  public GeneveOption {
    if (optionClass < 0 || optionClass > 0xffff) {
      throw new IllegalArgumentException("Geneve option class out of range 0-65535: " + optionClass);
    }
    if (type < 0 || type > 0xff) {
      throw new IllegalArgumentException("Geneve option type out of range 0-255: " + type);
    }
    if (reserved < 0 || reserved > 7) {
      throw new IllegalArgumentException("Geneve option reserved bits out of range 0-7: " + reserved);
    }
    if (data == null) {
      data = ByteString.EMPTY;
    }
    if (data.size() % 4 != 0 || data.size() > MAX_DATA_LENGTH) {
      throw new IllegalArgumentException("Geneve option data must be a multiple of 4 bytes, at most 124: "
          + data.size());
    }
  }

  public static GeneveOption of(int optionClass, int type, ByteString data) {
    return new GeneveOption(optionClass, type, 0, data);
  }

  /**
   * Decodes one option at {@code off}; {@code len} bytes of the header's declared options area
   * remain there. An option whose length runs past that area is rejected.
   */
  public static GeneveOption decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "option header", off, HEADER_LENGTH, limit);
    int words = Bytes.u8(b, off + LENGTH_OFFSET) & 0x1f;
    int available = len - HEADER_LENGTH;
    if (words * 4 > available) {
      throw PacketException.invalid(LAYER, "option length", off + LENGTH_OFFSET,
          "at most " + available / 4 + " words (options length declared in the header)", words + " words");
    }
    int rl = Bytes.u8(b, off + LENGTH_OFFSET);
    return new GeneveOption(Bytes.u16(b, off + CLASS_OFFSET), Bytes.u8(b, off + TYPE_OFFSET), rl >>> 5,
        ByteString.copyFrom(b, off + HEADER_LENGTH, words * 4));
  }

  /** The C bit: a receiver that does not understand this option must drop the packet. */
  public boolean critical() {
    return (type & TYPE_CRITICAL) != 0;
  }

  /** The Length field: data length in 4-byte words. */
  public int lengthWords() {
    return data.size() / 4;
  }

  /** Bytes on the wire, header included. */
  public int length() {
    return HEADER_LENGTH + data.size();
  }

  /** (class, type) as one int, {@code class << 8 | type}, e.g. for a set of known options. */
  public int key() {
    return key(optionClass, type);
  }

  public static int key(int optionClass, int type) {
    return optionClass << 8 | type;
  }

  /** Writes the option; returns the bytes written. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, length());
    Bytes.put16(out, off + CLASS_OFFSET, optionClass);
    Bytes.put8(out, off + TYPE_OFFSET, type);
    Bytes.put8(out, off + LENGTH_OFFSET, reserved << 5 | lengthWords());
    data.copyTo(out, off + HEADER_LENGTH);
    return length();
  }

  /**
   * The first critical option that {@code known} does not accept: RFC 8926 section 3.5.1 says
   * such a packet must be dropped. The caller counts the drop ({@link #dropReason}); it is not a
   * malformed packet, so nothing is thrown.
   */
  public static Optional<GeneveOption> firstUnknownCritical(List<GeneveOption> options,
      Predicate<? super GeneveOption> known) {
    for (int i = 0; i < options.size(); i++) {
      GeneveOption o = options.get(i);
      if (o.critical() && !known.test(o)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }

  /**
   * Why a packet with these options must be dropped, e.g. {@code "Geneve unknown critical option
   * class 0x0102 type 0x80"}, or null when it need not be.
   */
  public static String dropReason(List<GeneveOption> options, Predicate<? super GeneveOption> known) {
    return firstUnknownCritical(options, known)
        .map(o -> String.format("Geneve unknown critical option class 0x%04x type 0x%02x", o.optionClass(), o.type()))
        .orElse(null);
  }

  @Override
  public String toString() {
    return String.format("GeneveOption[class=0x%04x, type=0x%02x%s, len=%d words, data=%s]", optionClass, type,
        critical() ? " (critical)" : "", lengthWords(), Bytes.hex(data.toByteArray(), 0, data.size()));
  }

  /**
   * The lab's service-chaining example: class 0x0101, type "Path + Index", 8 bytes of data
   * carrying a service path identifier (SPID) and a service index (SI) that each service
   * decrements; the chain ends when SI reaches 0. RFC 8926 defines no such option, so the layout
   * borrows NSH's service path header (RFC 8300, section 2.3):
   *
   * <pre>
   *  0                   1                   2                   3
   *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   * |          Service Path Identifier (SPID, 24)   | Serv. Index 8 |
   * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   * |                      Reserved (zero)                          |
   * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
   * </pre>
   *
   * SPID 0x0012 and SI 0x04 are thus the data bytes {@code 00 00 12 04 00 00 00 00}.
   */
  public record ServiceChain(int pathId, int index) {
    public static final int DATA_LENGTH = 8;

    public ServiceChain {
      if (pathId < 0 || pathId > 0xff_ffff) {
        throw new IllegalArgumentException("service path ID out of range (24 bits): " + pathId);
      }
      if (index < 0 || index > 0xff) {
        throw new IllegalArgumentException("service index out of range 0-255: " + index);
      }
    }

    public GeneveOption toOption() {
      byte[] d = new byte[DATA_LENGTH];
      Bytes.put24(d, 0, pathId);
      Bytes.put8(d, 3, index);
      return GeneveOption.of(SERVICE_CHAINING_CLASS, SERVICE_CHAINING_TYPE, ByteString.copyFrom(d));
    }

    /** Reads a service-chaining option's data; rejects other options and other lengths. */
    public static ServiceChain of(GeneveOption o) {
      if (o.optionClass() != SERVICE_CHAINING_CLASS || (o.type() & ~TYPE_CRITICAL) != SERVICE_CHAINING_TYPE) {
        throw PacketException.invalid(LAYER, "service chaining option class/type", 0,
            String.format("0x%04x/0x%02x", SERVICE_CHAINING_CLASS, SERVICE_CHAINING_TYPE),
            String.format("0x%04x/0x%02x", o.optionClass(), o.type()));
      }
      if (o.data().size() != DATA_LENGTH) {
        throw PacketException.invalid(LAYER, "service chaining option length", GeneveOption.LENGTH_OFFSET,
            DATA_LENGTH / 4 + " words", o.lengthWords() + " words");
      }
      int word = o.data().substring(0, 4).asReadOnlyByteBuffer().getInt();
      return new ServiceChain(word >>> 8, word & 0xff);
    }

    /** After one service: SI decremented. At 0 the chain has ended. */
    public ServiceChain next() {
      if (index == 0) {
        throw new IllegalStateException("service chain already ended (SI 0)");
      }
      return new ServiceChain(pathId, index - 1);
    }

    public boolean ended() {
      return index == 0;
    }
  }
}
