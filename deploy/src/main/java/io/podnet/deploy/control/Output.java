package io.podnet.deploy.control;

/** What a command running in the lab sends back: text on stdout or stderr, then its exit code. */
public sealed interface Output {
  /** Text for stdout; may hold several lines, and may end without a newline. */
  record Out(String text) implements Output {}

  /** Text for stderr. */
  record Err(String text) implements Output {}

  /** The command ended with this exit code; nothing follows. */
  record Exit(int code) implements Output {}

  static Output out(String text) {
    return new Out(text);
  }

  static Output err(String text) {
    return new Err(text);
  }

  static Output exit(int code) {
    return new Exit(code);
  }
}
