package io.podnet.netstack.tools.tcpdump;

import java.util.ArrayList;
import java.util.List;

/**
 * tcpdump's command line, parsed as tcpdump 4.99 parses it (GNU getopt: clustered flags,
 * attached or separate arguments, options after the expression, {@code --} ends options).
 * Supported: {@code -i IF}, {@code -n}/{@code -nn}, {@code -c N}, {@code -w FILE}, {@code -r FILE},
 * {@code -e}, {@code -v}..., {@code -l}, {@code -S}, {@code -p}, {@code -U}, {@code -h},
 * {@code --immediate-mode}, {@code --help}, {@code --version}. What remains is the filter
 * expression, its words joined by spaces.
 *
 * @param interfaceName {@code -i}, null when not given
 * @param numeric how many {@code -n} were given (addresses and ports are printed numerically
 *     either way)
 * @param count {@code -c}, or -1 for no limit
 * @param verbosity how many {@code -v}
 * @param help {@code -h}/{@code --help}: print {@link #usage()} to stderr, exit 0
 * @param version {@code --version}: print {@link #versionText()} to stdout, exit 0
 */
public record TcpdumpOptions(
    String interfaceName,
    int numeric,
    long count,
    String writeFile,
    String readFile,
    boolean linkHeaders,
    int verbosity,
    boolean lineBuffered,
    boolean absoluteSequence,
    boolean immediateMode,
    boolean help,
    boolean version,
    String filterExpression) {

  /** The getopt string of tcpdump 4.99: letters followed by ':' take an argument. */
  private static final String GETOPT = "aAbB:c:C:dDeE:fF:G:hHi:IjJ:KlLm:M:nNOpq:Qr:s:StT:uUvV:w:W:xXy:Yz:Z:#";
  private static final String SUPPORTED = "ceihilnprSUvw";

  /** A command line tcpdump refuses: what it prints to stderr and its exit code. */
  public static final class UsageException extends Exception {
    private final int exitCode;

    public UsageException(String stderr, int exitCode) {
      super(stderr, null, false, false);
      this.exitCode = exitCode;
    }

    /** Everything tcpdump writes to stderr, newline-terminated. */
    public String stderr() {
      return getMessage();
    }

    public int exitCode() {
      return exitCode;
    }
  }

  public static String versionText() {
    return "tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\n";
  }

  /** The usage text tcpdump 4.99 prints (after the version lines) for -h and bad options. */
  public static String usage() {
    return versionText()
        + "Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]\n"
        + "\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]\n"
        + "\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]\n"
        + "\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]\n"
        + "\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]\n"
        + "\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]\n"
        + "\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]\n"
        + "\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]\n";
  }

  /** Parses tcpdump's arguments (without the program name). */
  public static TcpdumpOptions parse(List<String> argv) throws UsageException {
    String iface = null;
    int numeric = 0;
    long count = -1;
    String write = null;
    String read = null;
    boolean link = false;
    int verbose = 0;
    boolean lineBuffered = false;
    boolean absolute = false;
    boolean immediate = false;
    boolean help = false;
    boolean version = false;
    List<String> expression = new ArrayList<>();
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals("--")) {
        expression.addAll(argv.subList(i + 1, argv.size()));
        break;
      }
      if (a.startsWith("--")) {
        switch (a) {
          case "--immediate-mode" -> immediate = true;
          case "--help" -> help = true;
          case "--version" -> version = true;
          default -> throw usageError("tcpdump: unrecognized option '" + a + "'");
        }
        continue;
      }
      if (!a.startsWith("-") || a.length() == 1) {
        expression.add(a);
        continue;
      }
      for (int j = 1; j < a.length(); j++) {
        char c = a.charAt(j);
        int at = c == ':' ? -1 : GETOPT.indexOf(c);
        if (at < 0) {
          throw usageError("tcpdump: invalid option -- '" + c + "'");
        }
        String arg = null;
        if (at + 1 < GETOPT.length() && GETOPT.charAt(at + 1) == ':') {
          if (j + 1 < a.length()) {
            arg = a.substring(j + 1);
          } else if (i + 1 < argv.size()) {
            arg = argv.get(++i);
          } else {
            throw usageError("tcpdump: option requires an argument -- '" + c + "'");
          }
          j = a.length();
        }
        if (SUPPORTED.indexOf(c) < 0) {
          throw new UsageException("tcpdump: option -" + c + " is not supported by podnet's tcpdump\n", 1);
        }
        switch (c) {
          case 'c' -> count = packetCount(arg);
          case 'e' -> link = true;
          case 'h' -> help = true;
          case 'i' -> iface = arg;
          case 'l' -> lineBuffered = true;
          case 'n' -> numeric++;
          case 'p', 'U' -> { }
          case 'r' -> read = arg;
          case 'S' -> absolute = true;
          case 'v' -> verbose++;
          case 'w' -> write = arg;
          default -> throw new IllegalStateException("unhandled option " + c);
        }
      }
    }
    return new TcpdumpOptions(iface, numeric, count, write, read, link, verbose, lineBuffered, absolute, immediate,
        help, version, String.join(" ", expression));
  }

  /** strtol as tcpdump uses it for -c: leading digits count, nothing or <= 0 is refused. */
  private static long packetCount(String arg) throws UsageException {
    int k = 0;
    String s = arg.strip();
    boolean negative = false;
    if (k < s.length() && (s.charAt(k) == '-' || s.charAt(k) == '+')) {
      negative = s.charAt(k) == '-';
      k++;
    }
    long v = 0;
    int digits = 0;
    while (k < s.length() && Character.isDigit(s.charAt(k)) && v < Integer.MAX_VALUE) {
      v = v * 10 + (s.charAt(k++) - '0');
      digits++;
    }
    if (digits == 0 || negative || v <= 0 || v > Integer.MAX_VALUE) {
      throw new UsageException("tcpdump: invalid packet count " + arg + "\n", 1);
    }
    return v;
  }

  private static UsageException usageError(String line) {
    return new UsageException(line + "\n" + usage(), 1);
  }

  public static TcpdumpOptions parse(String... argv) throws UsageException {
    return parse(List.of(argv));
  }
}
