package io.podnet.netstack.tool;

import java.util.ArrayList;
import java.util.List;

/**
 * glibc's getopt(3) for short options, as the C tools call it: clustered flags ({@code -qn}),
 * arguments attached ({@code -c3}) or separate ({@code -c 3}), options and operands in any order
 * (GNU permutation), {@code --} ending the options. Errors are glibc's messages, prefixed with the
 * program name.
 */
public final class Getopt {
  /** One option as parsed: the letter and its argument (null for a flag). */
  public record Opt(char letter, String arg) {}

  /** A command line getopt refuses, with glibc's message (no newline). */
  public static final class GetoptException extends Exception {
    public GetoptException(String message) {
      super(message, null, false, false);
    }
  }

  /** The result: options in order, then the operands (non-options) in order. */
  public record Parsed(List<Opt> options, List<String> operands) {}

  private Getopt() {}

  /**
   * Parses {@code argv} (without the program name) against {@code optstring} (letters, a ':'
   * after those that take an argument).
   */
  public static Parsed parse(String program, String optstring, List<String> argv) throws GetoptException {
    List<Opt> opts = new ArrayList<>();
    List<String> operands = new ArrayList<>();
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals("--")) {
        operands.addAll(argv.subList(i + 1, argv.size()));
        break;
      }
      if (a.startsWith("--")) {
        throw new GetoptException(program + ": unrecognized option '" + a + "'");
      }
      if (!a.startsWith("-") || a.length() == 1) {
        operands.add(a);
        continue;
      }
      for (int j = 1; j < a.length(); j++) {
        char c = a.charAt(j);
        int at = c == ':' ? -1 : optstring.indexOf(c);
        if (at < 0) {
          throw new GetoptException(program + ": invalid option -- '" + c + "'");
        }
        boolean takesArg = at + 1 < optstring.length() && optstring.charAt(at + 1) == ':';
        if (!takesArg) {
          opts.add(new Opt(c, null));
          continue;
        }
        String arg;
        if (j + 1 < a.length()) {
          arg = a.substring(j + 1);
        } else if (i + 1 < argv.size()) {
          arg = argv.get(++i);
        } else {
          throw new GetoptException(program + ": option requires an argument -- '" + c + "'");
        }
        opts.add(new Opt(c, arg));
        break;
      }
    }
    return new Parsed(opts, operands);
  }
}
