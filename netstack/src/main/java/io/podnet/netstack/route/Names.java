package io.podnet.netstack.route;

final class Names {
  private Names() {}

  /** A decimal number 0..255 as iproute2's a2n tables accept it, or -1. */
  static int parseU8(String s) {
    if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int v = Integer.parseInt(s);
    return v <= 255 ? v : -1;
  }
}
