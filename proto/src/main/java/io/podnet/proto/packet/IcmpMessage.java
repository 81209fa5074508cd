package io.podnet.proto.packet;

import com.google.protobuf.ByteString;

/**
 * An ICMPv4 message (RFC 792, RFC 1191), header and body: the checksum covers both.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Rest of header (4)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Body ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Rest of header, by type:
 *   echo request 8 / reply 0:      | Identifier (2) | Sequence (2) |   body: echoed data
 *   dest. unreachable 3:           |  unused (2)    | Next-hop MTU |   (MTU only for code 4)
 *   time exceeded 11:              |          unused (4)           |
 *   errors (3, 4, 5, 11, 12):      body = the offending IPv4 header + leading payload ("quoted")
 * </pre>
 *
 * The registry is open: any type decodes, with its rest of header and body kept raw, so every
 * message round-trips byte for byte. For the error types the body must start with a whole IPv4
 * header, as the Linux receiver requires, or the message is malformed.
 *
 * <p>Quoting: RFC 792 asks for the header plus 64 bits of data; Linux's {@code __icmp_send}
 * (net/ipv4/icmp.c) quotes "as much as we can without exceeding 576 bytes": the whole offending
 * datagram up to {@code min(route MTU, 576) - 20 - 8} bytes (548 on any normal link), which is
 * what the factories here do (see {@link #linuxQuoteLength}); podnet sends no IP options in the
 * error, so none are subtracted.
 */
public record IcmpMessage(int type, int code, int checksum, long restOfHeader, ByteString body) {
  public static final String LAYER = "ICMP";
  public static final int HEADER_LENGTH = 8;
  /** The longest message an IPv4 datagram can carry: 65535 - 20. */
  public static final int MAX_LENGTH = 0xffff - Ipv4Header.MIN_LENGTH;

  public static final int ECHO_REPLY = 0;
  public static final int DESTINATION_UNREACHABLE = 3;
  public static final int SOURCE_QUENCH = 4;
  public static final int REDIRECT = 5;
  public static final int ECHO_REQUEST = 8;
  public static final int TIME_EXCEEDED = 11;
  public static final int PARAMETER_PROBLEM = 12;
  /** Linux's NR_ICMP_TYPES: types above it are treated as errors when deciding what to answer. */
  static final int NR_ICMP_TYPES = 18;

  // Destination unreachable codes (RFC 792, RFC 1122, RFC 1812).
  public static final int CODE_NET_UNREACHABLE = 0;
  public static final int CODE_HOST_UNREACHABLE = 1;
  public static final int CODE_PROTOCOL_UNREACHABLE = 2;
  public static final int CODE_PORT_UNREACHABLE = 3;
  public static final int CODE_FRAGMENTATION_NEEDED = 4;
  public static final int CODE_SOURCE_ROUTE_FAILED = 5;
  public static final int CODE_ADMIN_PROHIBITED = 13;
  // Time exceeded codes.
  public static final int CODE_TTL_EXCEEDED = 0;
  public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

  /** RFC 1812's (and Linux's) cap on an ICMP error datagram: IP header + ICMP + quote. */
  public static final int MAX_ERROR_DATAGRAM = 576;
  /** The smallest MTU IPv4 allows (RFC 791). */
  public static final int MIN_MTU = 68;

  static final int TYPE = 0;
  static final int CODE = 1;
  static final int CHECKSUM = 2;
  static final int REST = 4;
  static final int BODY = 8;

  public IcmpMessage {
    if (type < 0 || type > 0xff || code < 0 || code > 0xff) {
      throw new IllegalArgumentException("ICMP type/code out of range 0-255: " + type + "/" + code);
    }
    if (checksum < 0 || checksum > 0xffff) {
      throw new IllegalArgumentException("ICMP checksum out of range: " + checksum);
    }
    if (restOfHeader < 0 || restOfHeader > 0xffffffffL) {
      throw new IllegalArgumentException("ICMP rest of header wider than 32 bits: " + restOfHeader);
    }
    if (body == null) {
      body = ByteString.EMPTY;
    }
    if (HEADER_LENGTH + body.size() > MAX_LENGTH) {
      throw new IllegalArgumentException("ICMP message too long for IPv4: " + body.size());
    }
  }

  /** Types whose body quotes an offending datagram (Linux's icmp_pointers[].error). */
  public static boolean isErrorType(int type) {
    return type == DESTINATION_UNREACHABLE || type == SOURCE_QUENCH || type == REDIRECT
        || type == TIME_EXCEEDED || type == PARAMETER_PROBLEM;
  }

  // ---- decoding and encoding ----

  /**
   * Decodes the message that occupies exactly {@code [off, off+len)}: the IPv4 payload, whose
   * length the IPv4 header gives. A region longer than any IPv4 payload ({@link #MAX_LENGTH}) is
   * rejected.
   */
  public static IcmpMessage decode(byte[] b, int off, int len) {
    Bytes.checkRegion(b, off, len);
    int limit = off + len;
    Bytes.require(LAYER, "header", off, HEADER_LENGTH, limit);
    if (len > MAX_LENGTH) {
      throw PacketException.invalid(LAYER, "length", off, "at most " + MAX_LENGTH + " bytes (an IPv4 payload)",
          len + " bytes");
    }
    int type = Bytes.u8(b, off + TYPE);
    if (isErrorType(type)) {
      Bytes.require(LAYER, "quoted IPv4 header", off + BODY, Ipv4Header.MIN_LENGTH, limit);
      int vihl = Bytes.u8(b, off + BODY);
      if (vihl >>> 4 != 4 || (vihl & 0xf) < 5) {
        throw PacketException.invalid(LAYER, "quoted IPv4 version/IHL", off + BODY, "version 4, IHL >= 5",
            String.format("0x%02x", vihl));
      }
      Bytes.require(LAYER, "quoted IPv4 header", off + BODY, (vihl & 0xf) * 4, limit);
      Ipv4Header.decodeHeaderOnly(b, off + BODY, len - HEADER_LENGTH); // total length >= IHL * 4
    }
    return new IcmpMessage(type, Bytes.u8(b, off + CODE), Bytes.u16(b, off + CHECKSUM), Bytes.u32(b, off + REST),
        ByteString.copyFrom(b, off + BODY, len - HEADER_LENGTH));
  }

  /** Header plus body. */
  public int length() {
    return HEADER_LENGTH + body.size();
  }

  /** Writes the message exactly as held, checksum included; returns {@link #length()}. */
  public int encode(byte[] out, int off) {
    Bytes.checkRegion(out, off, length());
    Bytes.put8(out, off + TYPE, type);
    Bytes.put8(out, off + CODE, code);
    Bytes.put16(out, off + CHECKSUM, checksum);
    Bytes.put32(out, off + REST, restOfHeader);
    body.copyTo(out, off + BODY);
    return length();
  }

  public byte[] toBytes() {
    byte[] out = new byte[length()];
    encode(out, 0);
    return out;
  }

  // ---- checksum ----

  /** The checksum these type, code, rest of header and body call for. */
  public int computeChecksum() {
    return Checksum.finish(sumWithoutChecksum());
  }

  /** True when the carried checksum is right for the whole message. */
  public boolean checksumValid() {
    return Checksum.finish(sumWithoutChecksum() + checksum) == 0;
  }

  private long sumWithoutChecksum() {
    long sum = (type << 8 | code) + (restOfHeader >>> 16) + (restOfHeader & 0xffff);
    byte[] data = body.toByteArray();
    return Checksum.add(sum, data, 0, data.length);
  }

  public IcmpMessage withChecksum(int newChecksum) {
    return new IcmpMessage(type, code, newChecksum, restOfHeader, body);
  }

  /** A message with a correct checksum. */
  public static IcmpMessage of(int type, int code, long restOfHeader, ByteString body) {
    IcmpMessage m = new IcmpMessage(type, code, 0, restOfHeader, body);
    return m.withChecksum(m.computeChecksum());
  }

  // ---- echo ----

  public static IcmpMessage echoRequest(int identifier, int sequence, ByteString data) {
    return of(ECHO_REQUEST, 0, echoRest(identifier, sequence), data);
  }

  public static IcmpMessage echoReply(int identifier, int sequence, ByteString data) {
    return of(ECHO_REPLY, 0, echoRest(identifier, sequence), data);
  }

  private static long echoRest(int identifier, int sequence) {
    if (identifier < 0 || identifier > 0xffff || sequence < 0 || sequence > 0xffff) {
      throw new IllegalArgumentException("ICMP echo identifier/sequence out of range 0-65535: "
          + identifier + "/" + sequence);
    }
    return (long) identifier << 16 | sequence;
  }

  public boolean isEcho() {
    return (type == ECHO_REQUEST || type == ECHO_REPLY) && code == 0;
  }

  /** The reply to this echo request: same identifier, sequence and data (as Linux answers). */
  public IcmpMessage echoReplyTo() {
    if (type != ECHO_REQUEST) {
      throw new IllegalStateException("not an echo request: " + this);
    }
    return of(ECHO_REPLY, 0, restOfHeader, body);
  }

  /** Echo identifier (bytes 4-5). */
  public int identifier() {
    requireType(type == ECHO_REQUEST || type == ECHO_REPLY, "echo");
    return (int) (restOfHeader >>> 16);
  }

  /** Echo sequence number (bytes 6-7). */
  public int sequence() {
    requireType(type == ECHO_REQUEST || type == ECHO_REPLY, "echo");
    return (int) (restOfHeader & 0xffff);
  }

  // ---- errors ----

  /** Next-hop MTU of a "fragmentation needed" (3/4) message, bytes 6-7 (RFC 1191); 0 if unset. */
  public int nextHopMtu() {
    requireType(type == DESTINATION_UNREACHABLE && code == CODE_FRAGMENTATION_NEEDED, "fragmentation needed");
    return (int) (restOfHeader & 0xffff);
  }

  public boolean isError() {
    return isErrorType(type);
  }

  /**
   * The header of the datagram an error message quotes (decode checked it; a hand-built message
   * with a malformed quote throws PacketException).
   */
  public Ipv4Header quotedHeader() {
    requireType(isError(), "error");
    byte[] q = body.toByteArray();
    return Ipv4Header.decodeHeaderOnly(q, 0, q.length);
  }

  /** The quoted bytes after the quoted IPv4 header: the start of the offending transport header. */
  public ByteString quotedPayload() {
    return body.substring(quotedHeader().length());
  }

  private void requireType(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("not an ICMP " + what + " message: type " + type + " code " + code);
    }
  }

  /**
   * How many bytes of an offending datagram Linux quotes: all of it, up to {@code min(routeMtu,
   * 576)} minus the error's own IPv4 (20) and ICMP (8) headers.
   */
  public static int linuxQuoteLength(int datagramLength, int routeMtu) {
    if (routeMtu < MIN_MTU) {
      throw new IllegalArgumentException("route MTU below the IPv4 minimum 68: " + routeMtu);
    }
    int room = Math.min(routeMtu, MAX_ERROR_DATAGRAM) - Ipv4Header.MIN_LENGTH - HEADER_LENGTH;
    return Math.min(datagramLength, room);
  }

  /** Destination unreachable quoting the datagram at {@code [off, off+len)}, route MTU 1500. */
  public static IcmpMessage destinationUnreachable(int code, byte[] datagram, int off, int len) {
    return error(DESTINATION_UNREACHABLE, code, 0, datagram, off, len, 1500);
  }

  /**
   * "Fragmentation needed and DF set" (3/4) carrying the next-hop MTU (RFC 1191), as a router
   * sends it for a DF datagram too big for {@code nextHopMtu}; the quote is sized for a route of
   * that MTU back to the sender as well, a good enough stand-in (both are >= 576 in practice).
   */
  public static IcmpMessage fragmentationNeeded(int nextHopMtu, byte[] datagram, int off, int len) {
    if (nextHopMtu < MIN_MTU || nextHopMtu > 0xffff) {
      throw new IllegalArgumentException("next-hop MTU out of range 68-65535: " + nextHopMtu);
    }
    return error(DESTINATION_UNREACHABLE, CODE_FRAGMENTATION_NEEDED, nextHopMtu, datagram, off, len, 1500);
  }

  /** Time exceeded (code 0: TTL reached 0 in transit; 1: reassembly timeout), route MTU 1500. */
  public static IcmpMessage timeExceeded(int code, byte[] datagram, int off, int len) {
    return error(TIME_EXCEEDED, code, 0, datagram, off, len, 1500);
  }

  /**
   * An error of any type quoting the offending datagram at {@code [off, off+len)} (bytes past
   * its total length, e.g. Ethernet padding, are not quoted) as Linux would over a route of
   * {@code routeMtu}. Throws PacketException when the datagram is not a whole IPv4 datagram.
   */
  public static IcmpMessage error(int type, int code, long restOfHeader, byte[] datagram, int off, int len,
      int routeMtu) {
    if (!isErrorType(type)) {
      throw new IllegalArgumentException("not an ICMP error type: " + type);
    }
    Ipv4Header offending = Ipv4Header.decode(datagram, off, len);
    int quote = linuxQuoteLength(offending.totalLength(), routeMtu);
    return of(type, code, restOfHeader, ByteString.copyFrom(datagram, off, quote));
  }

  /**
   * Whether Linux would send an ICMP error about the datagram at {@code [off, off+len)}
   * ({@code __icmp_send}, RFC 1122 3.2.2): not about a non-first fragment, not to a datagram
   * sent to multicast or limited broadcast, not from an address that cannot be answered
   * (0.0.0.0, multicast, broadcast), and never about an ICMP error (or an unknown ICMP type above
   * 18, which Linux assumes is one). Subnet-directed broadcast and link-layer broadcast are the
   * caller's to check: only the route and the frame know them.
   */
  public static boolean errorAllowedFor(byte[] datagram, int off, int len) {
    Ipv4Header h = Ipv4Header.decodeHeaderOnly(datagram, off, len);
    if (h.fragmentOffset() != 0) {
      return false;
    }
    if (isMulticastOrBroadcast(h.destination()) || isMulticastOrBroadcast(h.source()) || h.source().value() == 0) {
      return false;
    }
    if (h.protocol() == IpProtocol.ICMP) {
      int at = off + h.length();
      if (at >= off + len) {
        return false; // Linux: the inner type cannot be read, no error
      }
      int innerType = Bytes.u8(datagram, at);
      return innerType <= NR_ICMP_TYPES && !isErrorType(innerType);
    }
    return true;
  }

  private static boolean isMulticastOrBroadcast(Ipv4Address a) {
    return (a.value() >>> 28) == 0xe || a.value() == -1;
  }

  /** tcpdump's summary of the ICMP part, e.g. {@code ICMP echo request, id 19, seq 1, length 64}. */
  @Override
  public String toString() {
    String s = switch (type) {
      case ECHO_REQUEST -> "ICMP echo request, id " + (restOfHeader >>> 16) + ", seq " + (restOfHeader & 0xffff);
      case ECHO_REPLY -> "ICMP echo reply, id " + (restOfHeader >>> 16) + ", seq " + (restOfHeader & 0xffff);
      case DESTINATION_UNREACHABLE -> "ICMP " + safeUnreachableText();
      case TIME_EXCEEDED -> code == CODE_TTL_EXCEEDED ? "ICMP time exceeded in-transit"
          : code == CODE_REASSEMBLY_TIME_EXCEEDED ? "ICMP ip reassembly time exceeded"
          : "ICMP time exceeded, code " + code;
      default -> "ICMP type " + type + ", code " + code;
    };
    return s + ", length " + length();
  }

  private String safeUnreachableText() {
    try {
      return unreachableText();
    } catch (PacketException e) {
      return "unreachable, code " + code + " (bad quote)";
    }
  }

  private String unreachableText() {
    Ipv4Header q = quotedHeader();
    return switch (code) {
      case CODE_NET_UNREACHABLE -> "net " + q.destination() + " unreachable";
      case CODE_HOST_UNREACHABLE -> "host " + q.destination() + " unreachable";
      case CODE_PROTOCOL_UNREACHABLE -> q.destination() + " protocol " + q.protocol() + " unreachable";
      case CODE_PORT_UNREACHABLE -> portUnreachableText(q);
      case CODE_FRAGMENTATION_NEEDED -> q.destination() + " unreachable - need to frag (mtu " + nextHopMtu() + ")";
      case CODE_ADMIN_PROHIBITED -> "host " + q.destination() + " unreachable - admin prohibited filter";
      default -> q.destination() + " unreachable, code " + code;
    };
  }

  private String portUnreachableText(Ipv4Header q) {
    ByteString transport = quotedPayload();
    String proto = q.protocol() == IpProtocol.UDP ? "udp" : q.protocol() == IpProtocol.TCP ? "tcp" : null;
    if (proto == null || transport.size() < 4) {
      return q.destination() + " port unreachable";
    }
    int dport = (transport.byteAt(2) & 0xff) << 8 | (transport.byteAt(3) & 0xff);
    return q.destination() + " " + proto + " port " + dport + " unreachable";
  }
}
