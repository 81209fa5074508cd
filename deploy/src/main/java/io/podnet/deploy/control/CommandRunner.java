package io.podnet.deploy.control;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Runs a command in the lab. The returned source emits the command's output and ends with exactly
 * one {@link Output.Exit}. Cancelling it (the person pressed Ctrl-C, or the shim went away) stops
 * the command.
 */
@FunctionalInterface
public interface CommandRunner {
  Source<Output, NotUsed> run(CommandRequest request);
}
