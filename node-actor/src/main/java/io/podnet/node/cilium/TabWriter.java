package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code text/tabwriter} as the Cilium tools use it (pad character ' ', no flags): lines are
 * split into tab-terminated cells; the text after a line's last tab is its trailing cell and is
 * never padded. A column block is a run of consecutive lines that all have a terminated cell in
 * that column; every cell of the block is padded to the block's widest cell plus {@code padding}
 * (at least {@code minwidth}). Cell widths count code points, as Go counts runes.
 */
final class TabWriter {
  private final int minwidth;
  private final int padding;
  private final List<String[]> lines = new ArrayList<>();
  private final List<Integer> widths = new ArrayList<>();
  private final StringBuilder out = new StringBuilder();

  TabWriter(int minwidth, int padding) {
    this.minwidth = minwidth;
    this.padding = padding;
  }

  /** One line, cells separated by '\t', without the newline. */
  TabWriter line(String text) {
    lines.add(text.split("\t", -1));
    return this;
  }

  /** The formatted text, each line ending with '\n'. */
  String flush() {
    out.setLength(0);
    format(0, lines.size());
    return out.toString();
  }

  private static int width(String cell) {
    return cell.codePointCount(0, cell.length());
  }

  private void format(int line0, int line1) {
    int column = widths.size();
    for (int cur = line0; cur < line1; cur++) {
      if (column >= lines.get(cur).length - 1) {
        continue;
      }
      writeLines(line0, cur);
      line0 = cur;
      int width = minwidth;
      for (; cur < line1; cur++) {
        String[] line = lines.get(cur);
        if (column >= line.length - 1) {
          break;
        }
        width = Math.max(width, width(line[column]) + padding);
      }
      widths.add(width);
      format(line0, cur);
      widths.remove(widths.size() - 1);
      line0 = cur;
    }
    writeLines(line0, line1);
  }

  private void writeLines(int line0, int line1) {
    for (int i = line0; i < line1; i++) {
      String[] line = lines.get(i);
      for (int j = 0; j < line.length; j++) {
        out.append(line[j]);
        if (j < widths.size() && j < line.length - 1) {
          out.append(" ".repeat(Math.max(0, widths.get(j) - width(line[j]))));
        }
      }
      out.append('\n');
    }
  }
}
