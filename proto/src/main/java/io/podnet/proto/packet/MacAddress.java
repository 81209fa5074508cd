package io.podnet.proto.packet;

/** A 48-bit IEEE 802 MAC address, held in the low 48 bits of a long. */
public record MacAddress(long value) implements Comparable<MacAddress> {
  public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);
  public static final MacAddress ZERO = new MacAddress(0L);

  public MacAddress {
    if ((value & ~0xffff_ffff_ffffL) != 0) {
      throw new IllegalArgumentException("MAC address wider than 48 bits: " + Long.toHexString(value));
    }
  }

  /** Parses {@code 08:00:27:af:e6:df} (also with '-' separators, upper or lower case). */
  /** The kernel's eth_random_addr: random bits, then unicast and locally administered. */
  public static MacAddress randomLocal(java.util.random.RandomGenerator random) {
    long v = random.nextLong() & 0xffff_ffff_ffffL;
    v &= ~(0x01L << 40);
    v |= 0x02L << 40;
    return new MacAddress(v);
  }

  public static MacAddress parse(String s) {
    String[] parts = s.trim().split("[:-]");
    if (parts.length != 6) {
      throw new IllegalArgumentException("not a MAC address (six hex octets): '" + s + "'");
    }
    long v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 2) {
        throw new IllegalArgumentException("not a MAC address (six hex octets): '" + s + "'");
      }
      try {
        v = (v << 8) | Integer.parseInt(p, 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a MAC address (six hex octets): '" + s + "'");
      }
    }
    return new MacAddress(v);
  }

  public static MacAddress read(byte[] b, int off) {
    return new MacAddress(Bytes.u48(b, off));
  }

  public void write(byte[] b, int off) {
    Bytes.put48(b, off, value);
  }

  public boolean isBroadcast() {
    return value == 0xffff_ffff_ffffL;
  }

  /** The I/G bit: group (multicast or broadcast) addresses. */
  public boolean isMulticast() {
    return ((value >>> 40) & 0x01) != 0;
  }

  @Override
  public int compareTo(MacAddress o) {
    return Long.compare(value, o.value);
  }

  /** Lower-case, colon separated, as {@code ip link} and tcpdump print it. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(17);
    for (int shift = 40; shift >= 0; shift -= 8) {
      int o = (int) ((value >>> shift) & 0xff);
      sb.append(Character.forDigit(o >> 4, 16)).append(Character.forDigit(o & 0xf, 16));
      if (shift > 0) {
        sb.append(':');
      }
    }
    return sb.toString();
  }
}
