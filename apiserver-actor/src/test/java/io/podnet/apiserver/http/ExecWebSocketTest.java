package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.ws.BinaryMessage;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The exec channel protocol byte by byte, with a WebSocket client: v4 fallback, tty, resize, refusals. */
class ExecWebSocketTest {
  static ActorSystem<Void> system;
  static LabCertificates certs;
  ReferenceLab lab;
  ApiHttpServer server;

  @BeforeAll
  static void startSystem() {
    system = ActorSystem.create(Behaviors.empty(), "exec-ws-test",
        ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    certs = LabCertificates.generate("reference", InetAddress.getLoopbackAddress(), new SecureRandom());
  }

  @AfterAll
  static void stopSystem() {
    system.terminate();
  }

  /** "probe": reports each input until stdin "q", writes to stderr, exits 2. */
  static Source<ExecHandler.Output, NotUsed> probe(ExecHandler.Request r, Source<ExecHandler.Input, NotUsed> input) {
    return input
        .takeWhile(i -> !(i instanceof ExecHandler.Stdin s && s.data().utf8String().equals("q")), true)
        .map(i -> (ExecHandler.Output) new ExecHandler.Stdout(ByteString.fromString(
            i instanceof ExecHandler.Resize z ? "resize " + z.width() + "x" + z.height() + "\n"
                : "stdin " + ((ExecHandler.Stdin) i).data().utf8String() + "\n")))
        .concat(Source.from(List.of(new ExecHandler.Stderr(ByteString.fromString("warn\n")),
            new ExecHandler.Stdout(ByteString.fromString("tty=" + r.tty() + " stderr=" + r.stderr() + "\n")),
            new ExecHandler.Exit(2))));
  }

  @BeforeEach
  void start() throws Exception {
    lab = new ReferenceLab();
    server = ApiHttpServer.start(system, lab.store, certs, KubectlTest.TOKEN, lab.clock::get, 0)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    server.execHandler(ExecWebSocketTest::probe);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static Message msg(int channel, String data) {
    return BinaryMessage.create(ByteString.fromArray(new byte[] {(byte) channel}).concat(ByteString.fromString(data)));
  }

  /** Connects, sends {@code send}, and collects what the server sends until it closes. */
  Pair<WebSocketUpgradeResponse, List<String>> exec(String query, String protocol, List<Message> send) throws Exception {
    WebSocketRequest req = WebSocketRequest.create(server.url().replace("https:", "wss:")
            + "/api/v1/namespaces/default/pods/curl-pod/exec?" + query)
        .addHeader(RawHeader.create("Authorization", "Bearer " + KubectlTest.TOKEN))
        .requestSubprotocol(protocol);
    Flow<Message, Message, CompletionStage<List<Message>>> client =
        Flow.fromSinkAndSourceCoupledMat(Sink.<Message>seq(), Source.from(send).concat(Source.maybe()), Keep.left());
    Pair<CompletionStage<WebSocketUpgradeResponse>, CompletionStage<List<Message>>> p = Http.get(system)
        .singleWebSocketRequest(req, client, ConnectionContext.httpsClient(certs.clientContext()),
            Materializer.matFromSystem(system));
    WebSocketUpgradeResponse upgrade = p.first().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<String> got = new ArrayList<>();
    if (upgrade.isValid()) {
      for (Message m : p.second().toCompletableFuture().get(10, TimeUnit.SECONDS)) {
        ByteString b = m.asBinaryMessage().getStreamedData()
            .runFold(ByteString.emptyByteString(), ByteString::concat, system).toCompletableFuture().get();
        got.add((b.apply(0) & 0xff) + ":" + b.drop(1).utf8String());
      }
    }
    return Pair.create(upgrade, got);
  }

  @Test
  void v4WithTtyStdinAndResize() throws Exception {
    Pair<WebSocketUpgradeResponse, List<String>> r = exec("command=probe&stdin=true&stdout=true&tty=true",
        "v4.channel.k8s.io", List.of(msg(4, "{\"Width\":80,\"Height\":24}"), msg(0, "a"), msg(0, "q")));
    assertTrue(r.first().isValid());
    assertEquals("v4.channel.k8s.io", r.first().chosenSubprotocol().orElseThrow());
    assertEquals(List.of("1:resize 80x24\n", "1:stdin a\n", "1:stdin q\n",
        "1:warn\n", // a terminal merges stderr into stdout
        "1:tty=true stderr=false\n",
        "3:{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit code: "
            + "error executing command [probe], exit code 2\",\"reason\":\"NonZeroExitCode\","
            + "\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"2\"}]}}"), r.second());
  }

  @Test
  void v5StdinCloseEndsTheInputAndStderrHasItsChannel() throws Exception {
    Pair<WebSocketUpgradeResponse, List<String>> r = exec(
        "command=probe&stdin=true&stdout=true&stderr=true", "v5.channel.k8s.io",
        List.of(msg(0, "x"), BinaryMessage.create(ByteString.fromArray(new byte[] {(byte) 255, 0}))));
    assertEquals("v5.channel.k8s.io", r.first().chosenSubprotocol().orElseThrow());
    assertEquals(List.of("1:stdin x\n", "2:warn\n", "1:tty=false stderr=true\n"), r.second().subList(0, 3));
    assertTrue(r.second().get(3).startsWith("3:{\"metadata\":{},\"status\":\"Failure\""), r.second().get(3));
  }

  @Test
  void unsupportedProtocolIsRefused() throws Exception {
    Pair<WebSocketUpgradeResponse, List<String>> r = exec("command=probe&stdout=true", "v3.channel.k8s.io", List.of());
    assertFalse(r.first().isValid());
    assertEquals(400, r.first().response().status().intValue());
    // (Pekko's WebSocket client does not hand over the refusal's body.)
  }

  @Test
  void containerResolution() {
    KubeObject one = lab.store.get(io.podnet.apiserver.api.ApiResources.POD, "default", "curl-pod");
    assertEquals("curl", PodExec.resolveContainer(one, ""));
    assertEquals("curl", PodExec.resolveContainer(one, "curl"));
    ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
        () -> PodExec.resolveContainer(one, "nope"));
    assertEquals("container nope is not valid for pod curl-pod", e.status().message());
    KubeObject two = one.withSpec(io.podnet.apiserver.api.Json.obj("containers",
        List.of(java.util.Map.of("name", "a"), java.util.Map.of("name", "b")),
        "initContainers", List.of(java.util.Map.of("name", "init"))));
    e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class, () -> PodExec.resolveContainer(two, ""));
    assertEquals(400, e.status().code());
    assertEquals("a container name must be specified for pod curl-pod, choose one of: [init a b]", e.status().message());
    assertEquals("init", PodExec.resolveContainer(two, "init"));
  }

  @Test
  void goJsonEscaping() {
    assertEquals("\"a\\\"b\\\\c\\n\\u003cx\\u003e \\u0026 \\u0001\"", PodExec.goString("a\"b\\c\n<x> & \u0001"));
    assertEquals("{\"metadata\":{},\"status\":\"Success\"}", PodExec.exitStatus(List.of("true"), 0));
  }
}
