package io.podnet.netstack.tool;

/**
 * A command running on an emulated host: the counterpart of a Linux process running a network
 * tool. It lives inside its host's single-threaded core: it prints and exits through its
 * {@link ToolContext}, and keeps running on the context's timers and its sockets' events.
 */
public interface Tool {
  /** Runs the tool; it may exit at once or keep running. */
  void start();

  /**
   * A signal from the person (Ctrl-C is "INT") or the launcher ("TERM"). The default is what a
   * process without a handler does: it dies with 128 + the signal number.
   */
  default void signal(ToolContext ctx, String signal) {
    ctx.exit(128 + ("INT".equals(signal) ? 2 : 15));
  }

  /** The process is gone (it exited or was killed): release sockets and registrations. */
  default void close() {}
}
