package io.podnet.netstack.tool;

/** What running a tool produced: its stdout, its stderr and its exit code. */
public record CommandResult(String stdout, String stderr, int exitCode) {
  public CommandResult {
    if (stdout == null || stderr == null) {
      throw new IllegalArgumentException("stdout and stderr must not be null");
    }
    if (exitCode < 0 || exitCode > 255) {
      throw new IllegalArgumentException("exit code out of 0..255: " + exitCode);
    }
  }
}
