package io.podnet.netstack.ip;

import io.podnet.proto.packet.Ipv4Address;

/**
 * An IPv4 prefix as the user wrote it: an address and a length. The address may carry host bits
 * (the kernel rejects such a route with "Invalid prefix for given prefix length"), so it is kept
 * as given; {@link #network()} is the canonical form.
 */
public record Ipv4Prefix(Ipv4Address address, int length) implements Comparable<Ipv4Prefix> {
  public static final Ipv4Prefix DEFAULT = new Ipv4Prefix(Ipv4Address.ANY, 0);

  public Ipv4Prefix {
    if (address == null) {
      throw new IllegalArgumentException("address is null");
    }
    if (length < 0 || length > 32) {
      throw new IllegalArgumentException("prefix length out of 0..32: " + length);
    }
  }

  public static Ipv4Prefix of(Ipv4Address address, int length) {
    return new Ipv4Prefix(address, length);
  }

  public static Ipv4Prefix host(Ipv4Address address) {
    return new Ipv4Prefix(address, 32);
  }

  /**
   * Parses as iproute2's get_prefix does for IPv4: {@code default}, {@code all} and {@code any}
   * mean 0/0; {@code A/N} with N a length 0..32 or a contiguous dotted mask; a bare address is
   * /32. As in iproute2, an address may be shortened ({@code 10.1} is 10.1.0.0). Numbers are
   * decimal (iproute2 also takes octal and hex octets; we do not).
   *
   * @throws IllegalArgumentException if {@code s} is not a prefix
   */
  public static Ipv4Prefix parse(String s) {
    if (s.equals("default") || s.equals("all") || s.equals("any")) {
      return DEFAULT;
    }
    int slash = s.indexOf('/');
    Ipv4Address addr = parseLooseAddress(slash < 0 ? s : s.substring(0, slash));
    if (slash < 0) {
      return new Ipv4Prefix(addr, 32);
    }
    return new Ipv4Prefix(addr, parseLength(s.substring(slash + 1), s));
  }

  /**
   * An address as iproute2's get_addr_ipv4 reads it: one to four dot-separated decimal octets,
   * missing trailing octets are zero.
   */
  public static Ipv4Address parseLooseAddress(String s) {
    int v = 0;
    int octets = 0;
    int i = 0;
    int n = s.length();
    if (n == 0) {
      throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
    }
    while (true) {
      int start = i;
      int cur = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        cur = cur * 10 + (s.charAt(i) - '0');
        if (cur > 255) {
          throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
        }
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
      }
      v |= cur << (24 - 8 * octets);
      octets++;
      if (i == n) {
        return new Ipv4Address(v);
      }
      if (octets == 4 || s.charAt(i) != '.') {
        throw new IllegalArgumentException("not an IPv4 address: '" + s + "'");
      }
      i++;
    }
  }

  private static int parseLength(String len, String whole) {
    if (!len.isEmpty() && len.chars().allMatch(c -> c >= '0' && c <= '9') && len.length() <= 2) {
      int l = Integer.parseInt(len);
      if (l <= 32) {
        return l;
      }
    } else if (len.indexOf('.') > 0) {
      int mask = Ipv4Address.parse(len).value();
      int ones = Integer.bitCount(mask);
      if (mask == maskOf(ones)) {
        return ones;
      }
    }
    throw new IllegalArgumentException("not an IPv4 prefix: '" + whole + "'");
  }

  /** The netmask of a prefix length, as an int. */
  public static int maskOf(int length) {
    return length == 0 ? 0 : -1 << (32 - length);
  }

  public int mask() {
    return maskOf(length);
  }

  /** The prefix with its host bits cleared. */
  public Ipv4Prefix network() {
    return isCanonical() ? this : new Ipv4Prefix(new Ipv4Address(address.value() & mask()), length);
  }

  /** True when the address has no bits set beyond the prefix length. */
  public boolean isCanonical() {
    return (address.value() & ~mask()) == 0;
  }

  public boolean contains(Ipv4Address a) {
    return ((a.value() ^ address.value()) & mask()) == 0;
  }

  /** The subnet's broadcast address (all host bits set). */
  public Ipv4Address broadcast() {
    return new Ipv4Address(address.value() | ~mask());
  }

  /** Orders as the kernel's FIB dump does: by network address, then longer prefixes first. */
  @Override
  public int compareTo(Ipv4Prefix o) {
    int c = Integer.compareUnsigned(address.value(), o.address.value());
    return c != 0 ? c : Integer.compare(o.length, length);
  }

  /** As iproute2 prints a route destination: {@code default}, a bare /32 address, or A/N. */
  @Override
  public String toString() {
    if (length == 0 && address.value() == 0) {
      return "default";
    }
    return length == 32 ? address.toString() : address + "/" + length;
  }
}
