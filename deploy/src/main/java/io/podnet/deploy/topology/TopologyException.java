package io.podnet.deploy.topology;

import java.util.List;

/** A topology file is wrong; the message lists every problem with the path to its field. */
public final class TopologyException extends Exception {
  private final List<String> problems;

  public TopologyException(String source, List<String> problems) {
    super(source + ": " + (problems.size() == 1 ? problems.get(0)
        : problems.size() + " problems:\n  " + String.join("\n  ", problems)));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
