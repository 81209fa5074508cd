package io.podnet.apiserver.http;

import java.util.List;
import java.util.Objects;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Runs the command of a {@code kubectl exec}: the lab implements it by running the command on the
 * pod's host. The API server has already checked that the pod exists, has a node and has the
 * container.
 *
 * <p>The returned stream carries the command's output and ends with exactly one {@link Exit} or
 * {@link Failed}; nothing after it is sent. Cancelling it (the client went away) should stop the
 * command.
 */
@FunctionalInterface
public interface ExecHandler {

  /**
   * @param request what to run, and where
   * @param input   stdin bytes (and terminal resizes, with a tty) from the client; completes when the
   *                client closes stdin (v5 protocol), when the connection ends, or at once if the
   *                request has no stdin
   */
  Source<Output, NotUsed> exec(Request request, Source<Input, NotUsed> input);

  /**
   * One exec, as PodExecOptions name it.
   *
   * @param node      the pod's spec.nodeName
   * @param container the resolved container (never empty)
   * @param command   argv, not run through a shell
   * @param stdout    false when the client asked not to receive it
   * @param stderr    false when the client asked not to receive it (always false with a tty, where
   *                  the terminal merges it into stdout)
   */
  record Request(String namespace, String pod, String node, String container, List<String> command,
      boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    public Request {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(pod, "pod");
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(container, "container");
      command = List.copyOf(command);
    }
  }

  /** From the client. */
  sealed interface Input {}

  record Stdin(ByteString data) implements Input {}

  /** A terminal resize (channel 4: {"Width":W,"Height":H}). */
  record Resize(int width, int height) implements Input {}

  /** To the client. */
  sealed interface Output {}

  record Stdout(ByteString data) implements Output {}

  record Stderr(ByteString data) implements Output {}

  /** The command exited with {@code code} (0 is success). */
  record Exit(int code) implements Output {}

  /**
   * The command could not be run at all (as a container runtime error): kubectl prints
   * "error: Internal error occurred: error executing command in container: MESSAGE" and exits 1.
   */
  record Failed(String message) implements Output {
    public Failed {
      Objects.requireNonNull(message, "message");
    }
  }

  /** What a server without a lab answers: every exec fails. */
  ExecHandler UNAVAILABLE = (request, input) ->
      Source.single(new Failed("no exec handler is configured for this API server"));
}
