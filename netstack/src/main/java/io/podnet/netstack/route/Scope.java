package io.podnet.netstack.route;

/** Route and address scopes (rtm_scope / ifa_scope) and their iproute2 names (rt_scopes). */
public final class Scope {
  public static final int GLOBAL = 0;
  public static final int SITE = 200;
  public static final int LINK = 253;
  public static final int HOST = 254;
  public static final int NOWHERE = 255;

  private Scope() {}

  /** As rtnl_rtscope_n2a prints it: a name, or the number. */
  public static String name(int scope) {
    return switch (scope) {
      case GLOBAL -> "global";
      case SITE -> "site";
      case LINK -> "link";
      case HOST -> "host";
      case NOWHERE -> "nowhere";
      default -> Integer.toString(scope);
    };
  }

  /** As rtnl_rtscope_a2n reads it: a name or a number 0..255; -1 when neither. */
  public static int parse(String s) {
    return switch (s) {
      case "global" -> GLOBAL;
      case "site" -> SITE;
      case "link" -> LINK;
      case "host" -> HOST;
      case "nowhere" -> NOWHERE;
      default -> Names.parseU8(s);
    };
  }
}
