package io.podnet.deploy.transcript;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A lab transcript: what a person types, host by host. Lines are
 *
 * <pre>
 * HOST# COMMAND        a command typed on HOST (a backslash at the end, or a heredoc, continues it)
 * # text               a comment, printed as it stands
 * (blank)              printed as a blank line
 * </pre>
 */
public final class Transcript {
  /** One step of a transcript. */
  public sealed interface Step {}

  /** {@code text} is the command as typed, continuation lines and heredoc bodies included. */
  public record Command(int line, String host, String text) implements Step {
    /** A command ending in a lone {@code &} runs in the background. */
    public boolean background() {
      String t = text.strip();
      return t.endsWith("&") && !t.endsWith("&&");
    }
  }

  public record Comment(int line, String text) implements Step {}

  public record Blank(int line) implements Step {}

  /** The transcript is malformed; the message names the source and line. */
  public static final class ParseException extends Exception {
    public ParseException(String message) {
      super(message);
    }
  }

  static final Pattern COMMAND = Pattern.compile("^([A-Za-z0-9][A-Za-z0-9._-]*)# ?(.*)$");
  static final Pattern HEREDOC = Pattern.compile("<<(-?)\\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\\2");

  private Transcript() {}

  public static List<Step> parse(String source, String text) throws ParseException {
    List<Step> steps = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    int n = lines.length;
    if (n > 0 && lines[n - 1].isEmpty()) {
      n--;
    }
    for (int i = 0; i < n; i++) {
      String line = stripCr(lines[i]);
      int lineNo = i + 1;
      if (line.isBlank()) {
        steps.add(new Blank(lineNo));
        continue;
      }
      if (line.startsWith("#")) {
        steps.add(new Comment(lineNo, line));
        continue;
      }
      Matcher m = COMMAND.matcher(line);
      if (!m.matches()) {
        throw new ParseException(source + ":" + lineNo + ": expected 'HOST# COMMAND', a '# comment' or a blank line, found: "
            + line);
      }
      StringBuilder cmd = new StringBuilder(m.group(2));
      String current = m.group(2);
      // Continuation lines: a trailing backslash joins the next line, as in bash.
      while (endsWithContinuation(current)) {
        if (++i >= n) {
          throw new ParseException(source + ":" + lineNo + ": command ends with '\\' but the transcript ends");
        }
        current = stripCr(lines[i]);
        cmd.append('\n').append(current);
      }
      // Heredocs: the body runs to the delimiter line.
      Matcher h = HEREDOC.matcher(cmd.toString());
      int from = 0;
      while (h.find(from)) {
        boolean stripTabs = !h.group(1).isEmpty();
        String delim = h.group(3);
        from = h.end();
        while (true) {
          if (++i >= n) {
            throw new ParseException(source + ":" + lineNo + ": heredoc '" + delim + "' is not closed");
          }
          String body = stripCr(lines[i]);
          cmd.append('\n').append(body);
          String cmp = stripTabs ? body.replaceFirst("^\t+", "") : body;
          if (cmp.equals(delim)) {
            break;
          }
        }
      }
      steps.add(new Command(lineNo, m.group(1), cmd.toString()));
    }
    return steps;
  }

  private static boolean endsWithContinuation(String line) {
    int k = 0;
    for (int j = line.length() - 1; j >= 0 && line.charAt(j) == '\\'; j--) {
      k++;
    }
    return k % 2 == 1;
  }

  private static String stripCr(String s) {
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }
}
