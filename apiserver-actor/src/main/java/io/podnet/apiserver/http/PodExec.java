package io.podnet.apiserver.http;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.api.ApiServerActor.Reply;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;

/**
 * {@code GET /api/v1/namespaces/NS/pods/NAME/exec?command=...} upgraded to a WebSocket speaking the
 * Kubernetes channel protocol, v5.channel.k8s.io or v4.channel.k8s.io, as kube-apiserver and the
 * kubelet serve it to kubectl 1.32.
 *
 * <p>Every WebSocket message is binary and starts with its channel:
 *
 * <pre>
 * +---------+---------------------------------------------------------------+
 * | channel | data                                                          |
 * | 1 byte  |                                                               |
 * +---------+---------------------------------------------------------------+
 *   0  stdin        client to server
 *   1  stdout       server to client
 *   2  stderr       server to client
 *   3  error        server to client: one metav1.Status as JSON, the exit status
 *   4  resize       client to server: {"Width":W,"Height":H}
 * 255  close        v5 only: data is the channel being closed (client sends [255, 0] at stdin EOF)
 * </pre>
 *
 * <p>The server sends the output, then the status on channel 3, then closes the WebSocket, which
 * ends every stream on the client. Before upgrading it checks, as kube-apiserver's
 * ExecLocation does, that the pod exists (404), that the container is valid (400) and that the pod
 * has a node (400).
 */
final class PodExec {
  static final String V5 = "v5.channel.k8s.io";
  static final String V4 = "v4.channel.k8s.io";
  static final List<String> PROTOCOLS = List.of(V5, V4);
  static final int STDIN = 0;
  static final int STDOUT = 1;
  static final int STDERR = 2;
  static final int ERROR = 3;
  static final int RESIZE = 4;
  static final int CLOSE = 255;
  static final java.time.Duration FIRST_OUTPUT_DELAY = java.time.Duration.ofMillis(100);

  private static final int STDIN_BUFFER = 16;

  private final ActorSystem<?> system;
  private final Function<Function<ActorRef<Reply>, ApiServerActor.Command>, CompletionStage<Reply>> ask;
  private final Supplier<ExecHandler> handler;

  PodExec(ActorSystem<?> system, Function<Function<ActorRef<Reply>, ApiServerActor.Command>, CompletionStage<Reply>> ask,
      Supplier<ExecHandler> handler) {
    this.system = system;
    this.ask = ask;
    this.handler = handler;
  }

  CompletionStage<HttpResponse> handle(HttpRequest req, String namespace, String name) {
    req.discardEntityBytes(system);
    List<String> command = new ArrayList<>();
    String container = "";
    boolean stdin = false;
    boolean stdout = false;
    boolean stderr = false;
    boolean tty = false;
    for (Pair<String, String> p : req.getUri().query().toList()) {
      switch (p.first()) {
        case "command" -> command.add(p.second());
        case "container" -> container = p.second();
        case "stdin" -> stdin = isTrue(p.second());
        case "stdout" -> stdout = isTrue(p.second());
        case "stderr" -> stderr = isTrue(p.second());
        case "tty" -> tty = isTrue(p.second());
        default -> { }
      }
    }
    Optional<WebSocketUpgrade> upgrade = req.getAttribute(AttributeKeys.webSocketUpgrade);
    String requested = container;
    boolean in = stdin;
    boolean out = stdout;
    boolean err = stderr && !tty;
    boolean terminal = tty;
    return ask.apply(r -> new ApiServerActor.Get(ApiResources.POD, namespace, name, r)).thenApply(reply -> {
      if (!reply.ok()) {
        return ApiHttpServer.status(reply.error());
      }
      KubeObject pod = (KubeObject) reply.value();
      String c = resolveContainer(pod, requested);
      String node = Json.string(pod.spec(), "nodeName");
      if (node.isEmpty()) {
        throw badRequest("pod " + name + " does not have a host assigned");
      }
      if (upgrade.isEmpty()) {
        // kubectl falls back to SPDY (POST, Upgrade: SPDY/3.1), which podnet does not serve.
        throw badRequest("Upgrade request required");
      }
      List<String> offered = new ArrayList<>();
      upgrade.get().getRequestedProtocols().forEach(offered::add);
      String protocol = offered.stream().filter(PROTOCOLS::contains).findFirst().orElseThrow(() -> badRequest(
          "requested protocol(s) are not supported: [" + String.join(" ", offered) + "]; supports ["
              + String.join(" ", PROTOCOLS) + "]"));
      ExecHandler.Request request = new ExecHandler.Request(namespace, name, node, c, command, in, out, err, terminal);
      return upgrade.get().handleMessagesWith(flow(request, protocol), protocol);
    });
  }

  private static boolean isTrue(String v) {
    return v.equals("true") || v.equals("1");
  }

  private static ApiException badRequest(String message) {
    return new ApiException(Status.badRequest(message));
  }

  /** kube-apiserver's validateContainer: the only container by default; any container of the pod by name. */
  static String resolveContainer(KubeObject pod, String requested) {
    String name = pod.metadata().name();
    List<String> all = new ArrayList<>();
    all.addAll(names(pod.spec(), "initContainers"));
    List<String> regular = names(pod.spec(), "containers");
    all.addAll(regular);
    all.addAll(names(pod.spec(), "ephemeralContainers"));
    if (requested.isEmpty()) {
      if (regular.size() == 1) {
        return regular.get(0);
      }
      if (regular.isEmpty()) {
        throw badRequest("a container name must be specified for pod " + name);
      }
      throw badRequest("a container name must be specified for pod " + name + ", choose one of: ["
          + String.join(" ", all) + "]");
    }
    if (!all.contains(requested)) {
      throw badRequest("container " + requested + " is not valid for pod " + name);
    }
    return requested;
  }

  private static List<String> names(Struct spec, String field) {
    List<String> out = new ArrayList<>();
    Value v = spec.getFieldsOrDefault(field, Value.getDefaultInstance());
    for (Value c : v.getListValue().getValuesList()) {
      String n = c.getStructValue().getFieldsOrDefault("name", Value.getDefaultInstance()).getStringValue();
      if (!n.isEmpty()) {
        out.add(n);
      }
    }
    return out;
  }

  // ================================================================== the WebSocket

  private Flow<Message, Message, NotUsed> flow(ExecHandler.Request request, String protocol) {
    Pair<SourceQueueWithComplete<ExecHandler.Input>, Source<ExecHandler.Input, NotUsed>> input =
        Source.<ExecHandler.Input>queue(STDIN_BUFFER, OverflowStrategy.backpressure()).preMaterialize(system);
    SourceQueueWithComplete<ExecHandler.Input> queue = input.first();
    AtomicBoolean inputClosed = new AtomicBoolean(false);
    Runnable closeInput = () -> {
      if (inputClosed.compareAndSet(false, true)) {
        queue.complete();
      }
    };
    if (!request.stdin() && !request.tty()) {
      closeInput.run();
    }
    boolean v5 = protocol.equals(V5);
    Sink<Message, NotUsed> fromClient = Flow.of(Message.class)
        .mapAsync(1, this::bytes)
        .mapAsync(1, frame -> {
          if (frame.isEmpty() || inputClosed.get()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          int channel = frame.apply(0) & 0xff;
          ByteString data = frame.drop(1);
          ExecHandler.Input in = null;
          if (channel == STDIN && !data.isEmpty() && request.stdin()) {
            in = new ExecHandler.Stdin(data);
          } else if (channel == RESIZE && request.tty()) {
            in = resize(data);
          } else if (channel == CLOSE && v5 && data.size() == 1 && (data.apply(0) & 0xff) == STDIN) {
            closeInput.run();
          }
          if (in == null) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          return queue.offer(in).handle((r, e) -> Done.getInstance());
        })
        .to(Sink.onComplete(t -> closeInput.run()));
    Source<Message, NotUsed> toClient = handler.get().exec(request, input.second())
        .recover(new PFBuilder<Throwable, ExecHandler.Output>()
            .match(Throwable.class, t -> new ExecHandler.Failed(String.valueOf(t.getMessage())))
            .build())
        .concat(Source.single(new ExecHandler.Failed("the command ended without an exit status")))
        .takeWhile(o -> !(o instanceof ExecHandler.Exit || o instanceof ExecHandler.Failed), true)
        .mapConcat(o -> encode(request, o))
        // kubectl starts reading the socket before it has set up its stdout/stderr streams, and
        // drops ("Unknown stream id") what arrives in between. A real exec has a process to start
        // first; the emulated one answers at once, so its output waits a moment.
        .initialDelay(FIRST_OUTPUT_DELAY);
    return Flow.fromSinkAndSourceCoupled(fromClient, toClient);
  }

  private CompletionStage<ByteString> bytes(Message m) {
    if (m.isText()) {
      return m.asTextMessage().getStreamedText().runWith(Sink.ignore(), system)
          .thenApply(d -> ByteString.emptyByteString());
    }
    return m.asBinaryMessage().getStreamedData()
        .runFold(ByteString.emptyByteString(), ByteString::concat, system);
  }

  private static ExecHandler.Input resize(ByteString data) {
    try {
      Struct s = Json.parseObject(data.utf8String());
      int w = (int) s.getFieldsOrDefault("Width", Value.getDefaultInstance()).getNumberValue();
      int h = (int) s.getFieldsOrDefault("Height", Value.getDefaultInstance()).getNumberValue();
      return new ExecHandler.Resize(w, h);
    } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
      return null;
    }
  }

  static List<Message> encode(ExecHandler.Request request, ExecHandler.Output o) {
    if (o instanceof ExecHandler.Stdout s) {
      return request.stdout() ? data(STDOUT, s.data()) : List.of();
    }
    if (o instanceof ExecHandler.Stderr s) {
      if (request.tty()) {
        return request.stdout() ? data(STDOUT, s.data()) : List.of(); // the terminal merges them
      }
      return request.stderr() ? data(STDERR, s.data()) : List.of();
    }
    String status = o instanceof ExecHandler.Exit e ? exitStatus(request.command(), e.code())
        : internalError("error executing command in container: " + ((ExecHandler.Failed) o).message());
    return List.of(message(ERROR, ByteString.fromString(status)));
  }

  private static List<Message> data(int channel, ByteString data) {
    return data.isEmpty() ? List.of() : List.of(message(channel, data));
  }

  private static Message message(int channel, ByteString data) {
    return BinaryMessage.create(ByteString.fromArray(new byte[] {(byte) channel}).concat(data));
  }

  /**
   * The kubelet's channel-3 Status for an exit code (metav1.Status as Go's encoding/json writes it),
   * with containerd's message for a non-zero exit.
   */
  static String exitStatus(List<String> command, int code) {
    if (code == 0) {
      return "{\"metadata\":{},\"status\":\"Success\"}";
    }
    String message = "command terminated with non-zero exit code: error executing command ["
        + String.join(" ", command) + "], exit code " + code;
    return "{\"metadata\":{},\"status\":\"Failure\",\"message\":" + goString(message)
        + ",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":"
        + goString(Integer.toString(code)) + "}]}}";
  }

  /** apierrors.NewInternalError(err) as Go's encoding/json writes it. */
  static String internalError(String err) {
    return "{\"metadata\":{},\"status\":\"Failure\",\"message\":" + goString("Internal error occurred: " + err)
        + ",\"reason\":\"InternalError\",\"details\":{\"causes\":[{\"message\":" + goString(err) + "}]},\"code\":500}";
  }

  /** A JSON string as Go's encoding/json writes it (HTML-safe: &lt; &gt; &amp; and U+2028/9 escaped). */
  static String goString(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
