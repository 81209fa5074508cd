package io.podnet.deploy.control;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.DelayOverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * The lab's control endpoint: a TCP listener on loopback through which the tool shims run
 * commands in the lab. Every request must carry the lab's secret; without it nothing runs.
 */
public final class ControlServer {
  /** How long a connection may take to send its request. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** How long a tool may take to finish after a signal before the endpoint ends it. */
  static final Duration SIGNAL_GRACE = Duration.ofSeconds(2);
  /** How long, after the exit code, the endpoint waits for the client to close the connection. */
  public static final Duration LINGER = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final byte[] token;
  private final CommandRunner runner;

  private ControlServer(ActorSystem<?> system, String token, CommandRunner runner) {
    this.system = system;
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.runner = runner;
  }

  /**
   * Binds the endpoint on {@code iface} ({@code 127.0.0.1} unless a person says otherwise) and
   * {@code port} (0 for any free port).
   */
  public static CompletionStage<Tcp.ServerBinding> bind(
      ActorSystem<?> system, String iface, int port, String token, CommandRunner runner) {
    ControlServer server = new ControlServer(system, token, runner);
    return Tcp.get(system).bind(iface, port)
        .to(Sink.foreach(conn -> conn.handleWith(server.connectionFlow(), system)))
        .run(system);
  }

  /** The flow for one connection: read one request, stream the command's output back. */
  Flow<ByteString, ByteString, NotUsed> connectionFlow() {
    CompletableFuture<Source<Output, NotUsed>> command = new CompletableFuture<>();
    CompletableFuture<String> signal = new CompletableFuture<>();
    // The connection is over: the client closed its end (or went away), or did not within LINGER.
    CompletableFuture<Done> closed = new CompletableFuture<>();
    RequestParser parser = new RequestParser();
    Sink<ByteString, NotUsed> in = Sink.<ByteString>foreach(bytes -> {
      if (command.isDone()) {
        // After the request, the shim sends only signal names, one a line.
        String s = bytes.utf8String();
        if (s.contains("INT")) {
          signal.complete("INT");
        } else if (s.contains("TERM")) {
          signal.complete("TERM");
        }
        return;
      }
      try {
        parser.feed(bytes.toArray()).ifPresent(p -> command.complete(authorize(p, signal, closed)));
      } catch (RequestParser.BadRequest e) {
        command.complete(failure("podnet: bad control request: " + e.getMessage(), 2));
      }
    }).mapMaterializedValue(done -> {
      done.whenComplete((d, t) -> {
        // The client went away before sending a whole request: nothing to run.
        command.complete(Source.empty());
        closed.complete(Done.getInstance());
      });
      return NotUsed.getInstance();
    });
    system.scheduler().scheduleOnce(REQUEST_TIMEOUT,
        () -> command.complete(failure("podnet: no control request within " + REQUEST_TIMEOUT.toSeconds() + " s", 2)),
        system.executionContext());
    Source<ByteString, NotUsed> out = Source.completionStageSource(command)
        .takeWhile(o -> !(o instanceof Output.Exit), true)
        .map(o -> ByteString.fromString(OutputEncoder.encode(o), StandardCharsets.UTF_8))
        // The client closes first, once it has read the exit code. Were the endpoint to close first
        // and a command's effect follow at once (`down` terminates the actor system, which aborts
        // the connections still open with a reset), the reply could be lost on its way, and the
        // client would see "Connection reset" instead of it.
        .concat(Source.<ByteString>never().takeWithin(LINGER))
        .mapMaterializedValue(m -> NotUsed.getInstance());
    // Coupled: when the shim disconnects (Ctrl-C, kill), the command's source is cancelled.
    return Flow.fromSinkAndSourceCoupled(in, out);
  }

  private Source<Output, NotUsed> authorize(RequestParser.Parsed p, CompletableFuture<String> signal,
      CompletableFuture<Done> closed) {
    if (!MessageDigest.isEqual(token, p.token().getBytes(StandardCharsets.UTF_8))) {
      return failure("podnet: permission denied: the request does not carry this lab's secret", 126);
    }
    Source<Output, NotUsed> src;
    try {
      src = runner.run(p.request(), signal, closed);
    } catch (RuntimeException e) {
      return failure("podnet: " + p.request().tool() + ": internal error: " + e, 1);
    }
    // A tool that does not finish within the grace period after a signal ends as killed by it.
    Source<Output, NotUsed> deadline = Source.completionStage(signal)
        .delay(SIGNAL_GRACE, DelayOverflowStrategy.backpressure())
        .map(sig -> Output.exit(sig.equals("INT") ? 130 : 143));
    return src.recoverWithRetries(1, Throwable.class,
        () -> failure("podnet: " + p.request().tool() + ": internal error", 1))
        .merge(deadline);
  }

  static Source<Output, NotUsed> failure(String message, int code) {
    return Source.from(List.of(Output.err(message + "\n"), Output.exit(code)));
  }
}
