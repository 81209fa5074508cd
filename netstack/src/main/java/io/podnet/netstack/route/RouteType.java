package io.podnet.netstack.route;

/**
 * Route types (rtm_type) this stack implements, with the errno a lookup hitting one returns
 * (fib_props[].error) and the narrowest scope the kernel allows for it (fib_props[].scope).
 */
public enum RouteType {
  UNICAST("unicast", 1, null, Scope.GLOBAL),
  LOCAL("local", 2, null, Scope.HOST),
  BROADCAST("broadcast", 3, null, Scope.LINK),
  BLACKHOLE("blackhole", 6, Errno.EINVAL, Scope.GLOBAL),
  UNREACHABLE("unreachable", 7, Errno.EHOSTUNREACH, Scope.GLOBAL),
  PROHIBIT("prohibit", 8, Errno.EACCES, Scope.GLOBAL);

  private final String label;
  private final int number;
  private final Errno error;
  private final int minScope;

  RouteType(String label, int number, Errno error, int minScope) {
    this.label = label;
    this.number = number;
    this.error = error;
    this.minScope = minScope;
  }

  public String label() {
    return label;
  }

  public int number() {
    return number;
  }

  /** The error a lookup that lands on this route fails with, or null for a usable route. */
  public Errno error() {
    return error;
  }

  public int minScope() {
    return minScope;
  }

  /** By iproute2 name; null when not one of ours. */
  public static RouteType byLabel(String s) {
    for (RouteType t : values()) {
      if (t.label.equals(s)) {
        return t;
      }
    }
    return null;
  }
}
