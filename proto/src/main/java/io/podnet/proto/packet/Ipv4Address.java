package io.podnet.proto.packet;

/** An IPv4 address as its 32 bits in an int (network order: first octet in the high byte). */
public record Ipv4Address(int value) implements Comparable<Ipv4Address> {
  public static final Ipv4Address ANY = new Ipv4Address(0);
  public static final Ipv4Address BROADCAST = new Ipv4Address(-1);

  /** Parses dotted-quad notation, strictly: four decimal octets 0-255. */
  public static Ipv4Address parse(String s) {
    int v = 0;
    int octets = 0;
    int cur = -1;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c >= '0' && c <= '9') {
        cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
        if (cur > 255) {
          throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
        }
      } else if (c == '.' && cur >= 0 && octets < 4) {
        v = (v << 8) | cur;
        octets++;
        cur = -1;
      } else {
        throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
      }
    }
    if (octets != 4) {
      throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
    }
    return new Ipv4Address(v);
  }

  public static Ipv4Address of(int a, int b, int c, int d) {
    return new Ipv4Address((a & 0xff) << 24 | (b & 0xff) << 16 | (c & 0xff) << 8 | (d & 0xff));
  }

  public static Ipv4Address read(byte[] b, int off) {
    return new Ipv4Address(Bytes.i32(b, off));
  }

  public void write(byte[] b, int off) {
    Bytes.put32(b, off, value);
  }

  public long unsigned() {
    return value & 0xffffffffL;
  }

  @Override
  public int compareTo(Ipv4Address o) {
    return Integer.compareUnsigned(value, o.value);
  }

  @Override
  public String toString() {
    return ((value >>> 24) & 0xff) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "."
        + (value & 0xff);
  }
}
