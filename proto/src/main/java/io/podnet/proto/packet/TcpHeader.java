package io.podnet.proto.packet;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.StringJoiner;

/**
 * A TCP header (RFC 9293).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |     |A|C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrv|E|W|C|R|C|S|S|Y|I|            Window             |
 * |       |     | |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (data offset > 5)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * {@code flags} holds the nine flag bits as on the wire (bit 8 is AE, formerly NS, RFC 3540 /
 * AccECN); {@code reserved} the three bits before it, kept for a byte-exact round trip. The raw
 * {@code options} bytes are the source of truth (NOP/EOL order and padding survive untouched);
 * {@link #parsedOptions()} gives them typed. Sequence and acknowledgment numbers are unsigned
 * 32-bit values in longs. {@code checksum} is the value carried; build segments with
 * {@link #builder()}, which computes it.
 */
public record TcpHeader(
    int sourcePort,
    int destinationPort,
    long sequenceNumber,
    long acknowledgmentNumber,
    int reserved,
    int flags,
    int window,
    int checksum,
    int urgentPointer,
    ByteString options) {

  public static final String LAYER = "TCP";
  public static final int MIN_LENGTH = 20;
  public static final int MAX_LENGTH = 60;

  public static final int FIN = 0x001;
  public static final int SYN = 0x002;
  public static final int RST = 0x004;
  public static final int PSH = 0x008;
  public static final int ACK = 0x010;
  public static final int URG = 0x020;
  public static final int ECE = 0x040;
  public static final int CWR = 0x080;
  /** AE (accurate ECN, RFC 9768), the former NS bit of RFC 3540: bit 7 of byte 12. */
  public static final int AE = 0x100;

  static final int SOURCE_PORT = 0;
  static final int DESTINATION_PORT = 2;
  static final int SEQUENCE = 4;
  static final int ACKNOWLEDGMENT = 8;
  static final int DATA_OFFSET = 12;
  static final int FLAGS = 13;
  static final int WINDOW = 14;
  static final int CHECKSUM = 16;
  static final int URGENT = 18;

  public TcpHeader {
    check("source port", sourcePort, 0xffff);
    check("destination port", destinationPort, 0xffff);
    if (sequenceNumber < 0 || sequenceNumber > 0xffffffffL || acknowledgmentNumber < 0
        || acknowledgmentNumber > 0xffffffffL) {
      throw new IllegalArgumentException("TCP sequence/acknowledgment number out of 32-bit range: "
          + sequenceNumber + "/" + acknowledgmentNumber);
    }
    check("reserved bits", reserved, 0x7);
    check("flags", flags, 0x1ff);
    check("window", window, 0xffff);
    check("checksum", checksum, 0xffff);
    check("urgent pointer", urgentPointer, 0xffff);
    if (options == null) {
      options = ByteString.EMPTY;
    }
    if (options.size() % 4 != 0 || options.size() > MAX_LENGTH - MIN_LENGTH) {
      throw new IllegalArgumentException("TCP options must be a multiple of 4 bytes, at most 40: " + options.size());
    }
  }

  private static void check(String field, int v, int max) {
    if (v < 0 || v > max) {
      throw new IllegalArgumentException("TCP " + field + " out of range 0-" + max + ": " + v);
    }
  }

  /**
   * Decodes the header at {@code off}; {@code len} bytes are readable there (the segment: the
   * IPv4 payload). Options are checked for consistent lengths.
   */
  public static TcpHeader decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "header", off, MIN_LENGTH, limit);
    int doff = Bytes.u8(b, off + DATA_OFFSET) >>> 4;
    if (doff < 5) {
      throw PacketException.invalid(LAYER, "data offset", off + DATA_OFFSET, ">= 5", doff);
    }
    int hlen = doff * 4;
    Bytes.require(LAYER, "options", off + MIN_LENGTH, hlen - MIN_LENGTH, limit);
    TcpOption.parse(b, off + MIN_LENGTH, hlen - MIN_LENGTH);
    int flagBits = (Bytes.u8(b, off + DATA_OFFSET) & 0x01) << 8 | Bytes.u8(b, off + FLAGS);
    return new TcpHeader(Bytes.u16(b, off + SOURCE_PORT), Bytes.u16(b, off + DESTINATION_PORT),
        Bytes.u32(b, off + SEQUENCE), Bytes.u32(b, off + ACKNOWLEDGMENT), (Bytes.u8(b, off + DATA_OFFSET) >>> 1) & 0x7,
        flagBits, Bytes.u16(b, off + WINDOW), Bytes.u16(b, off + CHECKSUM), Bytes.u16(b, off + URGENT),
        hlen == MIN_LENGTH ? ByteString.EMPTY : ByteString.copyFrom(b, off + MIN_LENGTH, hlen - MIN_LENGTH));
  }

  /** Header length in bytes (data offset * 4). */
  public int length() {
    return MIN_LENGTH + options.size();
  }

  /** Data offset: header length in 32-bit words. */
  public int dataOffset() {
    return length() / 4;
  }

  /** The options in wire order, NOP and EOL included (nothing after an EOL). */
  public List<TcpOption> parsedOptions() {
    byte[] o = options.toByteArray();
    return TcpOption.parse(o, 0, o.length);
  }

  public boolean has(int flag) {
    return (flags & flag) == flag;
  }

  public boolean fin() { return has(FIN); }

  public boolean syn() { return has(SYN); }

  public boolean rst() { return has(RST); }

  public boolean psh() { return has(PSH); }

  public boolean ack() { return has(ACK); }

  public boolean urg() { return has(URG); }

  public boolean ece() { return has(ECE); }

  public boolean cwr() { return has(CWR); }

  public boolean ae() { return has(AE); }

  /** Writes the header exactly as held, checksum and options included; returns {@link #length()}. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, length());
    Bytes.put16(out, off + SOURCE_PORT, sourcePort);
    Bytes.put16(out, off + DESTINATION_PORT, destinationPort);
    Bytes.put32(out, off + SEQUENCE, sequenceNumber);
    Bytes.put32(out, off + ACKNOWLEDGMENT, acknowledgmentNumber);
    Bytes.put8(out, off + DATA_OFFSET, dataOffset() << 4 | reserved << 1 | flags >>> 8);
    Bytes.put8(out, off + FLAGS, flags & 0xff);
    Bytes.put16(out, off + WINDOW, window);
    Bytes.put16(out, off + CHECKSUM, checksum);
    Bytes.put16(out, off + URGENT, urgentPointer);
    options.copyTo(out, off + MIN_LENGTH);
    return length();
  }

  /**
   * True when the segment at {@code off} in {@code buf} (this header encoded there and its
   * payload, {@code segmentLength} bytes) carries a right checksum.
   */
  public static boolean checksumValid(Ipv4Address src, Ipv4Address dst, byte[] buf, int off, int segmentLength) {
    Bytes.checkRegion(buf, off, segmentLength);
    return Checksum.transport(src.value(), dst.value(), IpProtocol.TCP, buf, off, segmentLength) == 0;
  }

  /** The checksum this header calls for, with {@code payloadLen} payload bytes at {@code payloadOff}. */
  public int computeChecksum(Ipv4Address src, Ipv4Address dst, byte[] payload, int payloadOff, int payloadLen) {
    Bytes.checkRegion(payload, payloadOff, payloadLen);
    byte[] h = new byte[length()];
    withChecksum(0).encode(h, 0);
    long sum = Checksum.pseudoHeader(src.value(), dst.value(), IpProtocol.TCP, h.length + payloadLen);
    sum = Checksum.add(sum, h, 0, h.length); // a multiple of 4 bytes: the payload's words stay aligned
    return Checksum.finish(Checksum.add(sum, payload, payloadOff, payloadLen));
  }

  public TcpHeader withChecksum(int newChecksum) {
    return new TcpHeader(sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, reserved, flags, window,
        newChecksum, urgentPointer, options);
  }

  /** Header followed by payload: a whole segment as bytes. */
  public byte[] segment(byte[] payload, int payloadOff, int payloadLen) {
    Bytes.checkRegion(payload, payloadOff, payloadLen);
    byte[] out = new byte[length() + payloadLen];
    encode(out, 0);
    System.arraycopy(payload, payloadOff, out, length(), payloadLen);
    return out;
  }

  // ---- printing ----

  private static final int[] TCPDUMP_ORDER = {FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE};
  private static final String[] TCPDUMP_NAMES = {"F", "S", "R", "P", ".", "U", "E", "W", "e"};
  private static final int[] HUBBLE_ORDER = {SYN, ACK, RST, FIN, PSH, URG, ECE, CWR, AE};
  private static final String[] HUBBLE_NAMES = {"SYN", "ACK", "RST", "FIN", "PSH", "URG", "ECE", "CWR", "NS"};

  /** tcpdump's flags field: {@code [S]}, {@code [S.]}, {@code [P.]}, {@code [F.]}, {@code [R]}, {@code [.]}. */
  public static String tcpdumpFlags(int flags) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < TCPDUMP_ORDER.length; i++) {
      if ((flags & TCPDUMP_ORDER[i]) != 0) {
        sb.append(TCPDUMP_NAMES[i]);
      }
    }
    return (sb.length() == 1 ? sb.append("none") : sb).append(']').toString();
  }

  public String tcpdumpFlags() {
    return tcpdumpFlags(flags);
  }

  /** Hubble's "TCP Flags" text (cilium's getTCPFlags order): {@code SYN}, {@code SYN, ACK}. */
  public static String hubbleFlags(int flags) {
    StringJoiner j = new StringJoiner(", ");
    for (int i = 0; i < HUBBLE_ORDER.length; i++) {
      if ((flags & HUBBLE_ORDER[i]) != 0) {
        j.add(HUBBLE_NAMES[i]);
      }
    }
    return j.toString();
  }

  public String hubbleFlags() {
    return hubbleFlags(flags);
  }

  /** tcpdump's options text, e.g. {@code [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]}. */
  public String tcpdumpOptions() {
    StringJoiner j = new StringJoiner(",", "[", "]");
    for (TcpOption o : parsedOptions()) {
      j.add(o.text());
    }
    return j.toString();
  }

  /** Like tcpdump -S (absolute numbers): {@code Flags [S], seq 1, win 64240, options [...]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(sourcePort).append(" > ").append(destinationPort)
        .append(": Flags ").append(tcpdumpFlags()).append(", seq ").append(sequenceNumber);
    if (ack()) {
      sb.append(", ack ").append(acknowledgmentNumber);
    }
    sb.append(", win ").append(window);
    if (!options.isEmpty()) {
      try {
        sb.append(", options ").append(tcpdumpOptions());
      } catch (PacketException e) {
        sb.append(", options [bad opts]");
      }
    }
    return sb.toString();
  }

  // ---- building ----

  /**
   * The options Linux puts on a SYN or SYN-ACK when timestamps, SACK and window scaling are on
   * (tcp_options_write): MSS, SACK-permitted, timestamps, NOP, window scale; 20 bytes.
   */
  public static List<TcpOption> linuxSynOptions(int mss, long tsVal, long tsEcr, int windowScale) {
    return List.of(new TcpOption.MaximumSegmentSize(mss), TcpOption.SACK_PERMITTED,
        new TcpOption.Timestamps(tsVal, tsEcr), TcpOption.NOP, new TcpOption.WindowScale(windowScale));
  }

  /** The options Linux puts on every later segment with timestamps on: NOP, NOP, timestamps. */
  public static List<TcpOption> linuxTimestampOptions(long tsVal, long tsEcr) {
    return List.of(TcpOption.NOP, TcpOption.NOP, new TcpOption.Timestamps(tsVal, tsEcr));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a header whose checksum is computed for given addresses and payload. */
  public static final class Builder {
    private int sourcePort;
    private int destinationPort;
    private long sequenceNumber;
    private long acknowledgmentNumber;
    private int flags;
    private int window;
    private int urgentPointer;
    private ByteString options = ByteString.EMPTY;

    public Builder sourcePort(int v) { this.sourcePort = v; return this; }

    public Builder destinationPort(int v) { this.destinationPort = v; return this; }

    public Builder sequenceNumber(long v) { this.sequenceNumber = v; return this; }

    public Builder acknowledgmentNumber(long v) { this.acknowledgmentNumber = v; return this; }

    public Builder flags(int v) { this.flags = v; return this; }

    public Builder window(int v) { this.window = v; return this; }

    public Builder urgentPointer(int v) { this.urgentPointer = v; return this; }

    /** Options in order, zero-padded to a multiple of 4. */
    public Builder options(List<TcpOption> v) { this.options = TcpOption.encode(v); return this; }

    /** The raw options area (a multiple of 4 bytes). */
    public Builder rawOptions(ByteString v) { this.options = v; return this; }

    /** The header with the checksum of the segment it heads with this payload, between src and dst. */
    public TcpHeader build(Ipv4Address src, Ipv4Address dst, byte[] payload, int payloadOff, int payloadLen) {
      TcpHeader h = new TcpHeader(sourcePort, destinationPort, sequenceNumber, acknowledgmentNumber, 0, flags, window,
          0, urgentPointer, options);
      return h.withChecksum(h.computeChecksum(src, dst, payload, payloadOff, payloadLen));
    }

    public TcpHeader build(Ipv4Address src, Ipv4Address dst) {
      return build(src, dst, new byte[0], 0, 0);
    }
  }
}
