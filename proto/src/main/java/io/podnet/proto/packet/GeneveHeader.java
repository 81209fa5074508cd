package io.podnet.proto.packet;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A Geneve header (RFC 8926, section 3.4), with its options.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Virtual Network Identifier (VNI)       |    Reserved   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * ~                    Variable-Length Options                    ~
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Opt Len is the options' total length in 4-byte words; it is derived from {@code options}
 * ({@link #optionLengthWords()}), which decode fills exactly. Only version 0 is accepted on
 * decode. {@code reserved1} holds the six reserved flag bits and {@code reserved2} the last byte,
 * as carried; {@link #of} writes them as zero. Protocol type 0x6558 (transparent Ethernet
 * bridging) means the payload is an Ethernet frame, which is what Linux and Cilium send.
 */
public record GeneveHeader(
    int version,
    boolean oam,
    boolean criticalOptionsPresent,
    int reserved1,
    int protocolType,
    int vni,
    int reserved2,
    List<GeneveOption> options) {

  public static final String LAYER = "Geneve";
  /** The fixed part, without options. */
  public static final int MIN_LENGTH = 8;
  /** 63 words, the most a 6-bit Opt Len can say. */
  public static final int MAX_OPTIONS_LENGTH = 63 * 4;
  public static final int FLAG_OAM = 0x80;
  public static final int FLAG_CRITICAL = 0x40;

  static final int VER_OPTLEN_OFFSET = 0;
  static final int FLAGS_OFFSET = 1;
  static final int PROTOCOL_OFFSET = 2;
  static final int VNI_OFFSET = 4;
  static final int RESERVED2_OFFSET = 7;
  static final int OPTIONS_OFFSET = 8;

  public GeneveHeader {
    if (version < 0 || version > 3) {
      throw new IllegalArgumentException("Geneve version out of range 0-3: " + version);
    }
    if (reserved1 < 0 || reserved1 > 0x3f) {
      throw new IllegalArgumentException("Geneve reserved flag bits out of range (6 bits): " + reserved1);
    }
    if (protocolType < 0 || protocolType > 0xffff) {
      throw new IllegalArgumentException("Geneve protocol type out of range: " + protocolType);
    }
    if (vni < 0 || vni > 0xff_ffff) {
      throw new IllegalArgumentException("Geneve VNI out of range 0-16777215: " + vni);
    }
    if (reserved2 < 0 || reserved2 > 0xff) {
      throw new IllegalArgumentException("Geneve reserved byte out of range: " + reserved2);
    }
    options = options == null ? List.of() : List.copyOf(options);
    if (optionsLength(options) > MAX_OPTIONS_LENGTH) {
      throw new IllegalArgumentException("Geneve options longer than 252 bytes: " + optionsLength(options));
    }
  }

  /**
   * A header as Linux sends it: version 0, O clear, C set exactly when an option is critical,
   * reserved bits zero, protocol type Ethernet.
   */
  public static GeneveHeader of(int vni, List<GeneveOption> options) {
    boolean critical = false;
    for (GeneveOption o : options) {
      critical |= o.critical();
    }
    return new GeneveHeader(0, false, critical, 0, EtherType.TRANSPARENT_ETHERNET, vni, 0, options);
  }

  public static int optionsLength(List<GeneveOption> options) {
    int n = 0;
    for (int i = 0; i < options.size(); i++) {
      n += options.get(i).length();
    }
    return n;
  }

  /**
   * Decodes the header and its options at {@code off}; {@code len} bytes are readable there. The
   * payload starts at {@code off + header.length()}.
   */
  public static GeneveHeader decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "header", off, MIN_LENGTH, limit);
    int vo = Bytes.u8(b, off + VER_OPTLEN_OFFSET);
    if (vo >>> 6 != 0) {
      throw PacketException.invalid(LAYER, "version", off + VER_OPTLEN_OFFSET, "0", vo >>> 6);
    }
    int optLen = (vo & 0x3f) * 4;
    Bytes.require(LAYER, "options", off + OPTIONS_OFFSET, optLen, limit);
    int flags = Bytes.u8(b, off + FLAGS_OFFSET);
    return new GeneveHeader(0, (flags & FLAG_OAM) != 0, (flags & FLAG_CRITICAL) != 0, flags & 0x3f,
        Bytes.u16(b, off + PROTOCOL_OFFSET), Bytes.u24(b, off + VNI_OFFSET), Bytes.u8(b, off + RESERVED2_OFFSET),
        decodeOptions(b, off + OPTIONS_OFFSET, optLen));
  }

  /** Decodes the options filling exactly {@code [off, off+len)}; an empty area gives List.of(). */
  static List<GeneveOption> decodeOptions(byte[] b, int off, int len) {
    if (len == 0) {
      return List.of();
    }
    GeneveOption[] out = new GeneveOption[len / GeneveOption.HEADER_LENGTH];
    int n = 0;
    int p = off;
    int end = off + len;
    while (p < end) {
      GeneveOption o = GeneveOption.decode(b, p, end - p);
      out[n++] = o;
      p += o.length();
    }
    return List.of(java.util.Arrays.copyOf(out, n));
  }

  /** Options length in bytes. */
  public int optionsLength() {
    return optionsLength(options);
  }

  /** The Opt Len field: options length in 4-byte words. */
  public int optionLengthWords() {
    return optionsLength() / 4;
  }

  /** Header length on the wire, options included. */
  public int length() {
    return MIN_LENGTH + optionsLength();
  }

  /** Writes the header and options exactly as held; returns the bytes written. */
  public int encode(byte[] out, int off) {
    int n = length();
    Bytes.checkRegion(out, off, n);
    Bytes.put8(out, off + VER_OPTLEN_OFFSET, version << 6 | optionLengthWords());
    Bytes.put8(out, off + FLAGS_OFFSET, (oam ? FLAG_OAM : 0) | (criticalOptionsPresent ? FLAG_CRITICAL : 0) | reserved1);
    Bytes.put16(out, off + PROTOCOL_OFFSET, protocolType);
    Bytes.put24(out, off + VNI_OFFSET, vni);
    Bytes.put8(out, off + RESERVED2_OFFSET, reserved2);
    int p = off + OPTIONS_OFFSET;
    for (int i = 0; i < options.size(); i++) {
      p += options.get(i).encode(out, p);
    }
    return n;
  }

  /** See {@link GeneveOption#firstUnknownCritical}. */
  public Optional<GeneveOption> firstUnknownCritical(Predicate<? super GeneveOption> known) {
    return GeneveOption.firstUnknownCritical(options, known);
  }

  /** See {@link GeneveOption#dropReason}: null when the packet may be accepted. */
  public String dropReason(Predicate<? super GeneveOption> known) {
    return GeneveOption.dropReason(options, known);
  }
}
