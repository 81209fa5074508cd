package io.podnet.node.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The error texts of spf13/cobra, which every Cilium and Helm command line is built on:
 * {@code unknown command "X" for "PATH"} with its "Did you mean this?" suggestions (a command
 * whose name starts with what was typed, or within Levenshtein distance 2 ignoring case), and
 * pflag's unknown-flag messages.
 */
final class Cobra {
  private Cobra() {}

  /** cobra's SuggestionsMinimumDistance default. */
  static final int SUGGESTIONS_MINIMUM_DISTANCE = 2;

  /**
   * {@code legacyArgs}' error for a root command: {@code unknown command "typed" for "path"},
   * followed by the suggestions block when some command is close.
   *
   * @param commands the available (not hidden, not help) subcommand names, sorted
   */
  static String unknownCommand(String typed, String path, List<String> commands) {
    StringBuilder sb = new StringBuilder("unknown command \"" + typed + "\" for \"" + path + "\"");
    List<String> s = suggestions(typed, commands);
    if (!s.isEmpty()) {
      sb.append("\n\nDid you mean this?\n");
      for (String c : s) {
        sb.append('\t').append(c).append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * What a root command without SilenceErrors prints for an unknown command (cobra's own error
   * line and its hint), each line ended.
   */
  static String unknownCommandPrinted(String typed, String path, List<String> commands) {
    return "Error: " + unknownCommand(typed, path, commands) + "\nRun '" + path + " --help' for usage.\n";
  }

  /** pflag's error for a flag the command does not define. */
  static String unknownFlag(String arg) {
    if (arg.startsWith("--")) {
      int eq = arg.indexOf('=');
      return "unknown flag: " + (eq > 0 ? arg.substring(0, eq) : arg);
    }
    return "unknown shorthand flag: '" + arg.charAt(1) + "' in " + arg;
  }

  static List<String> suggestions(String typed, List<String> commands) {
    List<String> out = new ArrayList<>();
    String t = typed.toLowerCase(Locale.ROOT);
    for (String c : commands) {
      String n = c.toLowerCase(Locale.ROOT);
      if (levenshtein(t, n) <= SUGGESTIONS_MINIMUM_DISTANCE || n.startsWith(t)) {
        out.add(c);
      }
    }
    return out;
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** Whether a word is a flag (pflag treats "-" alone as an argument). */
  static boolean isFlag(String a) {
    return a.startsWith("-") && a.length() > 1;
  }

  /** Where the subcommand is: the first argument that is not a flag, or -1. */
  static int subcommandAt(java.util.List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (!isFlag(args.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
