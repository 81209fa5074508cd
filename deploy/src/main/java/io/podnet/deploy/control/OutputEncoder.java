package io.podnet.deploy.control;

/**
 * Encodes command output as the shim reads it: one record a line, its first character saying what
 * it is. {@code o} a stdout line, {@code p} stdout text that ends without a newline, {@code e} and
 * {@code f} the same for stderr, {@code x} the exit code. The shim reads records with bash's
 * {@code read -r} and prints them with {@code printf}, so it needs no other process.
 */
public final class OutputEncoder {
  private OutputEncoder() {}

  public static String encode(Output o) {
    if (o instanceof Output.Out out) {
      return lines(out.text(), 'o', 'p');
    } else if (o instanceof Output.Err err) {
      return lines(err.text(), 'e', 'f');
    } else {
      return "x" + ((Output.Exit) o).code() + "\n";
    }
  }

  private static String lines(String text, char full, char partial) {
    StringBuilder sb = new StringBuilder(text.length() + 8);
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        sb.append(partial).append(text, start, text.length()).append('\n');
        break;
      }
      sb.append(full).append(text, start, nl).append('\n');
      start = nl + 1;
    }
    return sb.toString();
  }
}
