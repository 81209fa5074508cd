package io.podnet.apiserver.controllers;

/** Dotted-quad IPv4 addresses as unsigned 32-bit values in a long. */
final class Ipv4 {
  private Ipv4() {}

  /** @throws IllegalArgumentException if {@code s} is not a dotted quad */
  static long parse(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + s);
    }
    long v = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)
          || (p.length() > 1 && p.charAt(0) == '0')) {
        throw new IllegalArgumentException("not an IPv4 address: " + s);
      }
      int octet = Integer.parseInt(p);
      if (octet > 255) {
        throw new IllegalArgumentException("not an IPv4 address: " + s);
      }
      v = (v << 8) | octet;
    }
    return v;
  }

  static String format(long v) {
    return ((v >>> 24) & 0xFF) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
  }
}
