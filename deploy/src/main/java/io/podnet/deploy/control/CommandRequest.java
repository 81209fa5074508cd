package io.podnet.deploy.control;

import java.util.List;

/**
 * One command a person typed, forwarded by a tool shim: which host of the lab it runs on, the
 * shell's working directory (for files a tool writes, such as {@code tcpdump -w}), and argv with
 * the tool's name first.
 */
public record CommandRequest(String host, String cwd, List<String> argv) {
  public CommandRequest {
    argv = List.copyOf(argv);
  }

  public String tool() {
    return argv.isEmpty() ? "" : argv.get(0);
  }

  public List<String> args() {
    return argv.isEmpty() ? List.of() : argv.subList(1, argv.size());
  }
}
