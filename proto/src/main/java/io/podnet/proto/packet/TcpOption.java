package io.podnet.proto.packet;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One TCP option (RFC 9293 3.1, RFC 7323, RFC 2018). Single-byte kinds EOL and NOP; all others are
 * kind, length (including kind and length bytes), data:
 *
 * <pre>
 *  EOL  | 0 |                      NOP | 1 |
 *  MSS  | 2 | 4 | MSS (2) |           WS  | 3 | 3 | shift |
 *  SACK-permitted | 4 | 2 |           SACK | 5 | 2+8n | left edge (4) | right edge (4) | ...
 *  Timestamps | 8 | 10 | TSval (4) | TSecr (4) |
 * </pre>
 *
 * Unknown kinds are kept raw ({@link Unknown}).
 */
public sealed interface TcpOption {
  String LAYER = "TCP";
  int KIND_EOL = 0;
  int KIND_NOP = 1;
  int KIND_MSS = 2;
  int KIND_WINDOW_SCALE = 3;
  int KIND_SACK_PERMITTED = 4;
  int KIND_SACK = 5;
  int KIND_TIMESTAMPS = 8;

  int kind();

  /** Bytes on the wire. */
  int length();

  /** Writes the option at {@code off}; returns {@link #length()}. */
  int encode(byte[] out, int off);

  /** tcpdump's name for the option, e.g. {@code mss 1460}, {@code TS val 1 ecr 0}. */
  String text();

  record EndOfOptionList() implements TcpOption {
    public int kind() { return KIND_EOL; }
    public int length() { return 1; }
    public int encode(byte[] out, int off) { out[off] = KIND_EOL; return 1; }
    public String text() { return "eol"; }
  }

  record NoOperation() implements TcpOption {
    public int kind() { return KIND_NOP; }
    public int length() { return 1; }
    public int encode(byte[] out, int off) { out[off] = KIND_NOP; return 1; }
    public String text() { return "nop"; }
  }

  record MaximumSegmentSize(int mss) implements TcpOption {
    public MaximumSegmentSize {
      if (mss < 0 || mss > 0xffff) {
        throw new IllegalArgumentException("MSS out of range 0-65535: " + mss);
      }
    }
    public int kind() { return KIND_MSS; }
    public int length() { return 4; }
    public int encode(byte[] out, int off) {
      out[off] = KIND_MSS;
      out[off + 1] = 4;
      Bytes.put16(out, off + 2, mss);
      return 4;
    }
    public String text() { return "mss " + mss; }
  }

  /** Window scale: the shift count (RFC 7323 caps its use at 14; larger values are kept). */
  record WindowScale(int shift) implements TcpOption {
    public WindowScale {
      if (shift < 0 || shift > 0xff) {
        throw new IllegalArgumentException("window scale out of range 0-255: " + shift);
      }
    }
    public int kind() { return KIND_WINDOW_SCALE; }
    public int length() { return 3; }
    public int encode(byte[] out, int off) {
      out[off] = KIND_WINDOW_SCALE;
      out[off + 1] = 3;
      out[off + 2] = (byte) shift;
      return 3;
    }
    public String text() { return "wscale " + shift; }
  }

  record SackPermitted() implements TcpOption {
    public int kind() { return KIND_SACK_PERMITTED; }
    public int length() { return 2; }
    public int encode(byte[] out, int off) { out[off] = KIND_SACK_PERMITTED; out[off + 1] = 2; return 2; }
    public String text() { return "sackOK"; }
  }

  /** One SACK block: sequence numbers [left, right), unsigned 32-bit. */
  record SackBlock(long left, long right) {
    public SackBlock {
      if (left < 0 || left > 0xffffffffL || right < 0 || right > 0xffffffffL) {
        throw new IllegalArgumentException("SACK edge out of 32-bit range: " + left + "-" + right);
      }
    }
  }

  /** SACK blocks, 1 to 4 (RFC 2018). */
  record Sack(List<SackBlock> blocks) implements TcpOption {
    public Sack {
      if (blocks == null || blocks.isEmpty() || blocks.size() > 4) {
        throw new IllegalArgumentException("SACK option holds 1-4 blocks: " + blocks);
      }
      blocks = List.copyOf(blocks);
    }
    public int kind() { return KIND_SACK; }
    public int length() { return 2 + 8 * blocks.size(); }
    public int encode(byte[] out, int off) {
      out[off] = KIND_SACK;
      out[off + 1] = (byte) length();
      int p = off + 2;
      for (SackBlock b : blocks) {
        Bytes.put32(out, p, b.left());
        Bytes.put32(out, p + 4, b.right());
        p += 8;
      }
      return length();
    }
    public String text() {
      StringBuilder sb = new StringBuilder("sack ").append(blocks.size());
      for (SackBlock b : blocks) {
        sb.append(" {").append(b.left()).append(':').append(b.right()).append('}');
      }
      return sb.toString();
    }
  }

  /** Timestamps (RFC 7323): TSval and TSecr, unsigned 32-bit. */
  record Timestamps(long value, long echoReply) implements TcpOption {
    public Timestamps {
      if (value < 0 || value > 0xffffffffL || echoReply < 0 || echoReply > 0xffffffffL) {
        throw new IllegalArgumentException("timestamp out of 32-bit range: " + value + "/" + echoReply);
      }
    }
    public int kind() { return KIND_TIMESTAMPS; }
    public int length() { return 10; }
    public int encode(byte[] out, int off) {
      out[off] = KIND_TIMESTAMPS;
      out[off + 1] = 10;
      Bytes.put32(out, off + 2, value);
      Bytes.put32(out, off + 6, echoReply);
      return 10;
    }
    public String text() { return "TS val " + value + " ecr " + echoReply; }
  }

  /** A kind podnet does not model: kept with its data (length - 2 bytes). */
  record Unknown(int kind, ByteString data) implements TcpOption {
    public Unknown {
      if (kind <= KIND_NOP || kind > 0xff) {
        throw new IllegalArgumentException("option kind out of range 2-255: " + kind);
      }
      if (data == null) {
        data = ByteString.EMPTY;
      }
      if (data.size() > 38) {
        throw new IllegalArgumentException("option data longer than 38 bytes: " + data.size());
      }
    }
    public int length() { return 2 + data.size(); }
    public int encode(byte[] out, int off) {
      out[off] = (byte) kind;
      out[off + 1] = (byte) length();
      data.copyTo(out, off + 2);
      return length();
    }
    public String text() { return "unknown-" + kind + " 0x" + Bytes.hex(data.toByteArray(), 0, data.size()); }
  }

  EndOfOptionList EOL = new EndOfOptionList();
  NoOperation NOP = new NoOperation();
  SackPermitted SACK_PERMITTED = new SackPermitted();

  /**
   * Parses the options area {@code [off, off+len)} in order, NOP and EOL included; parsing stops
   * after an EOL (what follows is padding). Lengths are checked before any read.
   */
  static List<TcpOption> parse(byte[] b, int off, int len) {
    List<TcpOption> out = new ArrayList<>();
    int limit = off + len;
    int p = off;
    while (p < limit) {
      int kind = Bytes.u8(b, p);
      if (kind == KIND_EOL) {
        out.add(EOL);
        break;
      }
      if (kind == KIND_NOP) {
        out.add(NOP);
        p++;
        continue;
      }
      Bytes.require(LAYER, "option length", p + 1, 1, limit);
      int olen = Bytes.u8(b, p + 1);
      if (olen < 2) {
        throw PacketException.invalid(LAYER, "option length", p + 1, ">= 2", olen);
      }
      // The length a known kind must have first (the precise complaint), then that it fits.
      switch (kind) {
        case KIND_MSS -> fixed("MSS", p, olen, 4);
        case KIND_WINDOW_SCALE -> fixed("window scale", p, olen, 3);
        case KIND_SACK_PERMITTED -> fixed("SACK-permitted", p, olen, 2);
        case KIND_TIMESTAMPS -> fixed("timestamps", p, olen, 10);
        case KIND_SACK -> {
          if ((olen - 2) % 8 != 0 || olen < 10 || olen > 34) {
            throw PacketException.invalid(LAYER, "SACK option length", p + 1, "10, 18, 26 or 34", olen);
          }
        }
        default -> { }
      }
      Bytes.require(LAYER, "option " + kind, p, olen, limit);
      out.add(switch (kind) {
        case KIND_MSS -> new MaximumSegmentSize(Bytes.u16(b, p + 2));
        case KIND_WINDOW_SCALE -> new WindowScale(Bytes.u8(b, p + 2));
        case KIND_SACK_PERMITTED -> SACK_PERMITTED;
        case KIND_TIMESTAMPS -> new Timestamps(Bytes.u32(b, p + 2), Bytes.u32(b, p + 6));
        case KIND_SACK -> {
          List<SackBlock> blocks = new ArrayList<>();
          for (int q = p + 2; q < p + olen; q += 8) {
            blocks.add(new SackBlock(Bytes.u32(b, q), Bytes.u32(b, q + 4)));
          }
          yield new Sack(blocks);
        }
        default -> new Unknown(kind, ByteString.copyFrom(b, p + 2, olen - 2));
      });
      p += olen;
    }
    return Collections.unmodifiableList(out);
  }

  private static void fixed(String name, int p, int olen, int expected) {
    if (olen != expected) {
      throw PacketException.invalid(LAYER, name + " option length", p + 1, Integer.toString(expected), olen);
    }
  }

  /**
   * The options area for a list of options, in order, zero-padded (EOL bytes) to a multiple of
   * four; at most 40 bytes.
   */
  static ByteString encode(List<TcpOption> options) {
    int n = 0;
    for (TcpOption o : options) {
      n += o.length();
    }
    int padded = (n + 3) & ~3;
    if (padded > 40) {
      throw new IllegalArgumentException("TCP options longer than 40 bytes: " + n);
    }
    byte[] out = new byte[padded];
    int p = 0;
    for (TcpOption o : options) {
      p += o.encode(out, p);
    }
    return ByteString.copyFrom(out);
  }
}
