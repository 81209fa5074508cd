package io.podnet.deploy.control;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Runs a command in the lab. The returned source emits the command's output and ends with exactly
 * one {@link Output.Exit}. {@code signal} completes with "INT" or "TERM" when the person presses
 * Ctrl-C or the shim is told to stop: a tool that handles it (ping and tcpdump print their
 * statistics) finishes on its own; one that does not is stopped by the endpoint shortly after.
 * Cancelling the source (the shim went away) stops the command at once.
 */
@FunctionalInterface
public interface CommandRunner {
  Source<Output, NotUsed> run(CommandRequest request, CompletionStage<String> signal);

  /**
   * As {@link #run(CommandRequest, CompletionStage)}, for a command with an effect that must wait
   * until its answer has reached the client ({@code down}, which stops the endpoint itself):
   * {@code closed} completes when the connection is over, the client having read the exit code and
   * closed its end (or gone away, or not closed within {@link ControlServer#LINGER}).
   */
  default Source<Output, NotUsed> run(CommandRequest request, CompletionStage<String> signal,
      CompletionStage<Done> closed) {
    return run(request, signal);
  }
}
