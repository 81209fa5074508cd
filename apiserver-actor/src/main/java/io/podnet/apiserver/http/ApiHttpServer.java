package io.podnet.apiserver.http;

import io.podnet.apiserver.api.Patches;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.typesafe.config.ConfigFactory;
import io.podnet.apiserver.api.ApiResource;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.api.FieldValidation;
import io.podnet.apiserver.api.ApiServerActor.PatchType;
import io.podnet.apiserver.api.ApiServerActor.Reply;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.api.ObjectCodec;
import io.podnet.apiserver.api.Tables;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.FieldSelector;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import io.podnet.apiserver.store.ObjectList;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import io.podnet.proto.k8s.JsonTree;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * The Kubernetes REST API over HTTPS on loopback, enough for the real kubectl: discovery (legacy,
 * non-aggregated), get/list/watch/create/update/patch/delete on the resources of
 * {@link ApiResources}, server-side Table output, bearer-token authentication and Status errors.
 *
 * <p>The object store is owned by an {@link ApiServerActor}; every request asks it. AGE cells are
 * computed with the lab clock given here.
 */
public final class ApiHttpServer implements AutoCloseable {
  /** The Kubernetes version the server reports at /version. */
  public static final String GIT_VERSION = "v1.32.4";
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
  private static final int WATCH_BUFFER = 4096;

  private final ActorSystem<?> system;
  private final ActorRef<ApiServerActor.Command> api;
  private final ApiResources resources;
  private final LabCertificates certificates;
  private final byte[] token;
  private final String tokenText;
  private final LongSupplier clock;
  private final OpenApiV3 openApi;
  private volatile ServerBinding binding;
  private volatile ExecHandler execHandler = ExecHandler.UNAVAILABLE;
  private final PodExec podExec;

  private ApiHttpServer(ActorSystem<?> system, ActorRef<ApiServerActor.Command> api, ApiResources resources,
      LabCertificates certificates, String token, LongSupplier clock) {
    this.system = system;
    this.api = api;
    this.resources = resources;
    this.certificates = certificates;
    this.tokenText = token;
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.openApi = new OpenApiV3(resources);
    this.podExec = new PodExec(system, this::ask, () -> execHandler);
  }

  /** Runs the commands of {@code kubectl exec} from now on (until set, every exec fails). */
  public ApiHttpServer execHandler(ExecHandler handler) {
    this.execHandler = Objects.requireNonNull(handler, "handler");
    return this;
  }

  /**
   * Spawns an {@link ApiServerActor} owning {@code store} (as a system actor) and serves it on
   * 127.0.0.1:{@code port} (0 = any free port).
   */
  public static CompletionStage<ApiHttpServer> start(ActorSystem<?> system, ObjectStore store,
      LabCertificates certificates, String token, LongSupplier clock, int port) {
    ActorRef<ApiServerActor.Command> api =
        system.systemActorOf(ApiServerActor.create(store), "apiserver-" + Integer.toHexString(System.identityHashCode(store)),
            Props.empty());
    return start(system, api, ApiResources.standard(), certificates, token, clock, port);
  }

  /** Serves an existing {@link ApiServerActor} on 127.0.0.1:{@code port}. */
  public static CompletionStage<ApiHttpServer> start(ActorSystem<?> system, ActorRef<ApiServerActor.Command> api,
      ApiResources resources, LabCertificates certificates, String token, LongSupplier clock, int port) {
    return start(system, api, resources, certificates, certificates.serverContext(), token, clock, port);
  }

  /**
   * As {@link #start(ActorSystem, ActorRef, ApiResources, LabCertificates, String, LongSupplier, int)},
   * with {@code serverContext}, {@code certificates}' server TLS context
   * ({@link LabCertificates#serverContext()}), made beforehand, e.g. on another thread while the
   * actor system starts.
   */
  public static CompletionStage<ApiHttpServer> start(ActorSystem<?> system, ActorRef<ApiServerActor.Command> api,
      ApiResources resources, LabCertificates certificates, javax.net.ssl.SSLContext serverContext, String token,
      LongSupplier clock, int port) {
    Objects.requireNonNull(serverContext, "serverContext");
    Objects.requireNonNull(token, "token");
    if (token.isEmpty()) {
      throw new IllegalArgumentException("the bearer token must not be empty");
    }
    ApiHttpServer server = new ApiHttpServer(system, api, resources, certificates, token, clock);
    // Watches stay open for as long as the client wants, as kube-apiserver's do.
    ServerSettings settings = ServerSettings.create(
        ConfigFactory.parseString("pekko.http.server.idle-timeout = infinite\n"
                + "pekko.http.server.request-timeout = infinite")
            .withFallback(system.settings().config()));
    return Http.get(system)
        .newServerAt(InetAddress.getLoopbackAddress().getHostAddress(), port)
        .enableHttps(ConnectionContext.httpsServer(serverContext))
        .withSettings(settings)
        .bind(server::handle)
        .thenApply(b -> {
          server.binding = b;
          return server;
        });
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** https://127.0.0.1:PORT */
  public String url() {
    return "https://127.0.0.1:" + port();
  }

  public LabCertificates certificates() {
    return certificates;
  }

  /** A kubeconfig for this server, user and context named after {@code labName}. */
  public String kubeconfig(String labName) {
    return Kubeconfig.render(labName, url(), certificates.caPem(), tokenText);
  }

  @Override
  public void close() {
    ServerBinding b = binding;
    if (b != null) {
      b.terminate(Duration.ofSeconds(1)).toCompletableFuture().join();
    }
  }

  // ================================================================== routing

  CompletionStage<HttpResponse> handle(HttpRequest req) {
    try {
      if (!authorized(req)) {
        req.discardEntityBytes(system);
        return done(status(new Status(401, "Unauthorized", "Unauthorized", Status.Details.NONE)));
      }
      return route(req).exceptionally(ApiHttpServer::failure);
    } catch (ApiException e) {
      req.discardEntityBytes(system);
      return done(status(e.status()));
    } catch (RuntimeException e) {
      req.discardEntityBytes(system);
      return done(status(new Status(500, "InternalError",
          "Internal error occurred: " + e, Status.Details.NONE)));
    }
  }

  /** A request that failed after it was routed: its Status, or 500 InternalError. */
  private static HttpResponse failure(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof java.util.concurrent.CompletionException
        || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof ApiException e) {
      return status(e.status());
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return status(new Status(504, "Timeout", "Timeout: request did not complete within the allowed duration",
          Status.Details.NONE));
    }
    return status(new Status(500, "InternalError", "Internal error occurred: " + cause, Status.Details.NONE));
  }

  private boolean authorized(HttpRequest req) {
    Optional<org.apache.pekko.http.javadsl.model.HttpHeader> h = req.getHeader("Authorization");
    if (h.isEmpty()) {
      return false;
    }
    String v = h.get().value();
    if (!v.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(v.substring(7).trim().getBytes(StandardCharsets.UTF_8), token);
  }

  private CompletionStage<HttpResponse> route(HttpRequest req) {
    String path = req.getUri().path();
    List<String> seg = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        seg.add(s);
      }
    }
    boolean get = req.method().equals(HttpMethods.GET);
    if (seg.size() == 1 && seg.get(0).equals("version") && get) {
      return done(json(200, version()));
    }
    if (seg.size() == 1 && seg.get(0).equals("api") && get) {
      return done(json(200, Json.obj("kind", "APIVersions", "versions", Json.strings(List.of("v1")),
          "serverAddressByClientCIDRs", Json.list(List.of(Json.of(Json.obj(
              "clientCIDR", "0.0.0.0/0", "serverAddress", "127.0.0.1:" + port())))))));
    }
    if (seg.size() >= 2 && seg.get(0).equals("openapi") && seg.get(1).equals("v3") && get) {
      if (seg.size() == 2) {
        return done(json(200, openApi.root()));
      }
      String doc = openApi.document(String.join("/", seg.subList(2, seg.size())));
      if (doc == null) {
        throw notFound();
      }
      return done(HttpResponse.create().withStatus(200)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, doc)));
    }
    if (seg.size() == 1 && seg.get(0).equals("apis") && get) {
      return done(json(200, groupList()));
    }
    if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("v1") && get) {
      return done(json(200, resourceList("v1")));
    }
    if (seg.size() == 2 && seg.get(0).equals("apis") && get && resources.groups().containsKey(seg.get(1))) {
      return done(json(200, group(seg.get(1), resources.groups().get(seg.get(1)))));
    }
    if (seg.size() == 3 && seg.get(0).equals("apis") && get
        && resources.groupVersions().contains(seg.get(1) + "/" + seg.get(2))) {
      return done(json(200, resourceList(seg.get(1) + "/" + seg.get(2))));
    }
    String groupVersion;
    List<String> rest;
    if (seg.size() > 2 && seg.get(0).equals("api") && seg.get(1).equals("v1")) {
      groupVersion = "v1";
      rest = seg.subList(2, seg.size());
    } else if (seg.size() > 3 && seg.get(0).equals("apis")) {
      groupVersion = seg.get(1) + "/" + seg.get(2);
      rest = seg.subList(3, seg.size());
    } else {
      throw notFound();
    }
    String namespace = "";
    boolean namespacedPath = false;
    if (rest.get(0).equals("namespaces") && rest.size() >= 3
        && !(rest.size() == 3 && (rest.get(2).equals("status") || rest.get(2).equals("finalize")))) {
      namespace = rest.get(1);
      namespacedPath = true;
      rest = rest.subList(2, rest.size());
    }
    if (rest.size() > 3) {
      throw notFound();
    }
    ApiResource resource = resources.find(groupVersion, rest.get(0)).orElseThrow(ApiHttpServer::notFound);
    ResourceType type = resource.type();
    if (namespacedPath && !type.namespaced()) {
      throw notFound();
    }
    String name = rest.size() > 1 ? rest.get(1) : "";
    String sub = rest.size() > 2 ? rest.get(2) : "";
    if (!sub.isEmpty() && !resource.hasSubresource(sub)) {
      throw notFound();
    }
    if (!name.isEmpty() && type.namespaced() && !namespacedPath) {
      throw notFound();
    }
    if (sub.equals("exec")) {
      if (!req.method().equals(HttpMethods.GET) && !req.method().equals(HttpMethods.POST)) {
        throw methodNotAllowed(req.method().value());
      }
      return podExec.handle(req, namespace, name);
    }
    boolean status = sub.equals("status");
    Map<String, String> q = req.getUri().query().toMap();
    String method = req.method().value();
    String ns = namespace;
    return switch (method) {
      case "GET" -> {
        req.discardEntityBytes(system);
        if (!name.isEmpty()) {
          yield ask(r -> new ApiServerActor.Get(type, ns, name, r))
              .thenApply(reply -> objectResponse(req, type, reply, 200));
        }
        LabelSelector labels = LabelSelector.parse(q.getOrDefault("labelSelector", ""));
        FieldSelector fields = FieldSelector.parse(q.getOrDefault("fieldSelector", ""));
        if (isTrue(q.get("watch"))) {
          yield watch(req, type, ns, labels, fields, q);
        }
        yield list(req, type, ns, labels, fields, q);
      }
      case "POST" -> {
        if (!name.isEmpty()) {
          throw methodNotAllowed(method);
        }
        FieldValidation.Directive validation =
            FieldValidation.Directive.parse("CreateOptions", q.get("fieldValidation"));
        yield body(req).thenCompose(b -> {
          FieldValidation.Outcome checked = b.check(type, validation);
          List<String> warnings = checked.warnings();
          KubeObject o = ObjectCodec.fromJson(type, checked.object(), ns);
          return ask(r -> new ApiServerActor.Create(type, o, r))
              .thenApply(reply -> warn(objectResponse(req, type, reply, 201), reply, warnings));
        });
      }
      case "PUT" -> {
        if (name.isEmpty()) {
          throw methodNotAllowed(method);
        }
        FieldValidation.Directive validation =
            FieldValidation.Directive.parse("UpdateOptions", q.get("fieldValidation"));
        yield body(req).thenCompose(b -> {
          FieldValidation.Outcome checked = b.check(type, validation);
          List<String> warnings = checked.warnings();
          KubeObject o = ObjectCodec.fromJson(type, checked.object(), ns);
          if (!o.metadata().name().equals(name)) {
            throw new ApiException(Status.badRequest("the name of the object (" + o.metadata().name()
                + ") does not match the name on the URL (" + name + ")"));
          }
          return ask(r -> new ApiServerActor.Update(type, o, status, r))
              .thenApply(reply -> warn(objectResponse(req, type, reply, 200), reply, warnings));
        });
      }
      case "PATCH" -> {
        if (name.isEmpty()) {
          throw methodNotAllowed(method);
        }
        PatchType patchType = patchType(req, resource);
        FieldValidation.Directive validation =
            FieldValidation.Directive.parse("PatchOptions", q.get("fieldValidation"));
        yield body(req).thenCompose(b -> {
          List<String> patchErrors = b.tree() == null ? List.of() : FieldValidation.patchDuplicates(b.tree());
          return ask(r -> new ApiServerActor.Patch(type, ns, name, patchType, b.json(), status, validation,
              patchErrors, r));
        }).thenApply(reply -> warn(objectResponse(req, type, reply, 200), reply, List.of()));
      }
      case "DELETE" -> {
        if (name.isEmpty()) {
          throw methodNotAllowed(method);
        }
        yield optionalBody(req).thenCompose(json -> {
          String precondition = Json.string(json, "preconditions", "resourceVersion");
          return ask(r -> new ApiServerActor.Delete(type, ns, name, precondition, r));
        }).thenApply(reply -> objectResponse(req, type, reply, 200));
      }
      default -> throw methodNotAllowed(method);
    };
  }

  private static boolean isTrue(String v) {
    return v != null && (v.equals("true") || v.equals("1"));
  }

  private static ApiException notFound() {
    return new ApiException(new Status(404, "NotFound", "the server could not find the requested resource",
        Status.Details.NONE));
  }

  private static ApiException methodNotAllowed(String method) {
    return new ApiException(new Status(405, "MethodNotAllowed",
        "the server does not allow this method on the requested resource", Status.Details.NONE));
  }

  private static PatchType patchType(HttpRequest req, ApiResource resource) {
    String ct = req.entity().getContentType().mediaType().toString();
    int semi = ct.indexOf(';');
    if (semi >= 0) {
      ct = ct.substring(0, semi);
    }
    switch (ct.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "application/merge-patch+json":
        return PatchType.MERGE;
      case "application/strategic-merge-patch+json":
        if (!resource.crd()) {
          return PatchType.STRATEGIC_MERGE;
        }
        break;
      default:
        break;
    }
    throw Patches.unsupportedMediaType(resource);
  }

  // ================================================================== list and watch

  private CompletionStage<HttpResponse> list(HttpRequest req, ResourceType type, String ns, LabelSelector labels,
      FieldSelector fields, Map<String, String> q) {
    long limit = parseLong(q.getOrDefault("limit", "0"), "limit");
    String cont = q.getOrDefault("continue", "");
    return ask(r -> new ApiServerActor.ListObjects(type, ns, labels, fields, r)).thenApply(reply -> {
      if (!reply.ok()) {
        return status(reply.error());
      }
      ObjectList all = (ObjectList) reply.value();
      List<KubeObject> items = all.items();
      String rv = all.resourceVersion();
      if (!cont.isEmpty()) {
        String[] token = decodeContinue(cont);
        rv = token[0];
        List<KubeObject> after = new ArrayList<>();
        for (KubeObject o : items) {
          int c = o.metadata().namespace().compareTo(token[1]);
          if (c > 0 || (c == 0 && o.metadata().name().compareTo(token[2]) > 0)) {
            after.add(o);
          }
        }
        items = after;
      }
      String next = "";
      long remaining = 0;
      if (limit > 0 && items.size() > limit) {
        remaining = items.size() - limit;
        items = items.subList(0, (int) limit);
        KubeObject last = items.get(items.size() - 1);
        next = encodeContinue(rv, last.metadata().namespace(), last.metadata().name());
      }
      if (wantsTable(req)) {
        return json(200, Tables.table(type, items, rv, next, clock.getAsLong(), true, includeObject(req)));
      }
      Struct.Builder meta = Struct.newBuilder().putFields("resourceVersion", Json.of(rv));
      if (!next.isEmpty()) {
        meta.putFields("continue", Json.of(next));
        meta.putFields("remainingItemCount", Json.of(remaining));
      }
      List<Value> out = new ArrayList<>(items.size());
      for (KubeObject o : items) {
        out.add(Json.of(ObjectCodec.toJson(o)));
      }
      return json(200, Json.obj("kind", type.kind() + "List", "apiVersion", type.apiVersion(),
          "metadata", meta.build(), "items", Json.list(out)));
    });
  }

  private static String encodeContinue(String rv, String ns, String name) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((rv + "\n" + ns + "\n" + name).getBytes(StandardCharsets.UTF_8));
  }

  private static String[] decodeContinue(String token) {
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", -1);
      if (parts.length == 3) {
        return parts;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw new ApiException(Status.badRequest("invalid continue token"));
  }

  private CompletionStage<HttpResponse> watch(HttpRequest req, ResourceType type, String ns, LabelSelector labels,
      FieldSelector fields, Map<String, String> q) {
    long from = q.getOrDefault("resourceVersion", "").isEmpty() ? 0
        : parseLong(q.get("resourceVersion"), "resourceVersion");
    boolean table = wantsTable(req);
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> pair =
        Source.<ByteString>queue(WATCH_BUFFER).preMaterialize(system);
    BoundedSourceQueue<ByteString> queue = pair.first();
    AtomicBoolean firstTable = new AtomicBoolean(true);
    io.podnet.apiserver.store.WatchListener listener = event -> {
      Value object = table
          ? Json.of(Tables.table(type, List.of(event.object()), "", "", clock.getAsLong(),
              firstTable.getAndSet(false), includeObject(req)))
          : Json.of(ObjectCodec.toJson(event.object()));
      String line = Json.print(Json.obj("type", event.type().name(), "object", object)) + "\n";
      QueueOfferResult r = queue.offer(ByteString.fromString(line));
      if (r != QueueOfferResult.enqueued()) {
        // The client is gone or too slow: the store drops this listener, the stream ends.
        queue.fail(new IllegalStateException("watch client did not keep up"));
        throw new IllegalStateException("watch closed: " + r);
      }
    };
    return ask(r -> new ApiServerActor.StartWatch(type, ns, labels, fields, from, listener, r)).thenApply(reply -> {
      if (!reply.ok()) {
        queue.complete();
        return status(reply.error());
      }
      long id = (Long) reply.value();
      String timeout = q.get("timeoutSeconds");
      if (timeout != null && !timeout.isEmpty()) {
        long secs = parseLong(timeout, "timeoutSeconds");
        system.scheduler().scheduleOnce(Duration.ofSeconds(secs), queue::complete, system.executionContext());
      }
      Source<ByteString, NotUsed> stream = pair.second().watchTermination((mat, done) -> {
        done.whenComplete((d, e) -> api.tell(new ApiServerActor.StopWatch(id)));
        return mat;
      });
      return HttpResponse.create().withStatus(200)
          .withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_JSON, stream));
    });
  }

  private static boolean wantsTable(HttpRequest req) {
    Optional<org.apache.pekko.http.javadsl.model.HttpHeader> accept = req.getHeader("Accept");
    if (accept.isEmpty()) {
      return false;
    }
    for (String range : accept.get().value().split(",")) {
      String r = range.replace(" ", "");
      if (r.contains(";as=Table") && r.contains(";g=meta.k8s.io")
          && (r.contains(";v=v1;") || r.endsWith(";v=v1") || r.contains(";v=v1beta1"))) {
        return true;
      }
    }
    return false;
  }

  private static long parseLong(String s, String what) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new ApiException(Status.badRequest("invalid " + what + ": " + s));
    }
  }

  // ================================================================== bodies and responses

  /**
   * A request body: the object as a Struct, and for JSON the tree as written (duplicate members
   * kept) that field validation checks; null for protobuf, which is not checked.
   */
  private record Body(Struct json, JsonTree.Obj tree) {
    FieldValidation.Outcome check(ResourceType type, FieldValidation.Directive validation) {
      return tree == null ? new FieldValidation.Outcome(List.of(), json)
          : FieldValidation.checkBody(type, tree, validation);
    }
  }

  private CompletionStage<Body> body(HttpRequest req) {
    boolean protobuf = KubeProtobuf.isProtobuf(req.entity().getContentType().mediaType().toString());
    return req.entity().toStrict(ASK_TIMEOUT.toMillis(), system).thenApply(strict -> {
      if (protobuf) {
        // client-go's typed clients (kubectl create deployment) send protobuf.
        return new Body(KubeProtobuf.decode(strict.getData().toArray()), null);
      }
      String text = strict.getData().utf8String();
      Struct json;
      try {
        json = Json.parseObject(text);
      } catch (InvalidProtocolBufferException e) {
        throw new ApiException(Status.badRequest("the body of the request was in an unknown format - "
            + "accepted media types include: application/json, application/yaml"));
      }
      JsonTree.Obj tree = null;
      try {
        if (JsonTree.parse(text) instanceof JsonTree.Obj o) {
          tree = o;
        }
      } catch (JsonTree.MalformedJsonException e) {
        // JSON that only the lenient parser accepts: decoded, but not checked field by field.
      }
      return new Body(json, tree);
    });
  }

  /** The response with a "Warning: 299 - ..." header per field-validation warning (successes only). */
  private static HttpResponse warn(HttpResponse response, Reply reply, List<String> warnings) {
    if (!reply.ok()) {
      return response;
    }
    List<String> all = new ArrayList<>(warnings);
    all.addAll(reply.warnings());
    List<org.apache.pekko.http.javadsl.model.HttpHeader> headers = new ArrayList<>();
    for (String w : all) {
      headers.add(RawHeader.create("Warning", "299 - \"" + w.replace("\\", "\\\\").replace("\"", "\\\"")
          + "\""));
    }
    // In order: kubectl prints them as they come.
    return headers.isEmpty() ? response : response.addHeaders(headers);
  }

  private CompletionStage<Struct> optionalBody(HttpRequest req) {
    return req.entity().toStrict(ASK_TIMEOUT.toMillis(), system).thenApply(strict -> {
      String text = strict.getData().utf8String().trim();
      if (text.isEmpty()) {
        return Struct.getDefaultInstance();
      }
      try {
        return Json.parseObject(text);
      } catch (InvalidProtocolBufferException e) {
        throw new ApiException(Status.badRequest("invalid DeleteOptions: " + e.getMessage()));
      }
    });
  }

  private CompletionStage<Reply> ask(Function<ActorRef<Reply>, ApiServerActor.Command> msg) {
    return AskPattern.ask(api, msg::apply, ASK_TIMEOUT, system.scheduler());
  }

  /** The Table's includeObject: None, Object, or Metadata (the default). */
  private static Tables.Include includeObject(HttpRequest req) {
    return switch (req.getUri().query().get("includeObject").orElse("")) {
      case "None" -> Tables.Include.NONE;
      case "Object" -> Tables.Include.OBJECT;
      default -> Tables.Include.METADATA;
    };
  }

  private HttpResponse objectResponse(HttpRequest req, ResourceType type, Reply reply, int okCode) {
    if (!reply.ok()) {
      return status(reply.error());
    }
    KubeObject o = (KubeObject) reply.value();
    if (req.method().equals(HttpMethods.GET) && wantsTable(req)) {
      return json(200, Tables.table(type, List.of(o), "", "", clock.getAsLong(), true, includeObject(req)));
    }
    return json(okCode, ObjectCodec.toJson(o));
  }

  private static CompletionStage<HttpResponse> done(HttpResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  static HttpResponse json(int code, Struct body) {
    return HttpResponse.create()
        .withStatus(StatusCodes.get(code))
        .addHeader(RawHeader.create("Cache-Control", "no-cache, private"))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, Json.print(body)));
  }

  /** metav1.Status as kube-apiserver writes it for a failure. */
  static Struct statusJson(Status s) {
    return io.podnet.apiserver.api.StatusJson.failure(s);
  }

  static HttpResponse status(Status s) {
    return json(s.code(), statusJson(s));
  }

  // ================================================================== discovery

  private static Struct version() {
    return Json.obj("major", "1", "minor", "32", "gitVersion", GIT_VERSION,
        "gitCommit", "", "gitTreeState", "clean", "buildDate", "", "goVersion", "go1.23.8",
        "compiler", "gc", "platform", "linux/amd64");
  }

  private Struct groupList() {
    List<Value> groups = new ArrayList<>();
    for (Map.Entry<String, List<String>> g : resources.groups().entrySet()) {
      groups.add(Json.of(group(g.getKey(), g.getValue())));
    }
    return Json.obj("kind", "APIGroupList", "apiVersion", "v1", "groups", Json.list(groups));
  }

  /** The first registered version of a group is its preferred one. */
  private static Struct group(String name, List<String> versions) {
    List<Value> vs = new ArrayList<>();
    for (String v : versions) {
      vs.add(Json.of(Json.obj("groupVersion", name + "/" + v, "version", v)));
    }
    return Json.obj("kind", "APIGroup", "apiVersion", "v1", "name", name, "versions", Json.list(vs),
        "preferredVersion", vs.get(0));
  }

  private Struct resourceList(String groupVersion) {
    List<Value> out = new ArrayList<>();
    for (ApiResource r : resources.resources(groupVersion)) {
      Struct.Builder b = Json.obj("name", r.resource(), "singularName", r.singularName(),
          "namespaced", r.type().namespaced(), "kind", r.type().kind(), "verbs", Json.strings(r.verbs())).toBuilder();
      if (!r.shortNames().isEmpty()) {
        b.putFields("shortNames", Json.strings(r.shortNames()));
      }
      if (!r.categories().isEmpty()) {
        b.putFields("categories", Json.strings(r.categories()));
      }
      out.add(Json.of(b.build()));
      for (String sub : r.subresources()) {
        String kind = sub.equals("exec") ? "PodExecOptions" : r.type().kind();
        List<String> verbs = sub.equals("exec") ? List.of("create", "get") : List.of("get", "patch", "update");
        out.add(Json.of(Json.obj("name", r.resource() + "/" + sub, "singularName", "",
            "namespaced", r.type().namespaced(), "kind", kind, "verbs", Json.strings(verbs))));
      }
    }
    return Json.obj("kind", "APIResourceList", "apiVersion", "v1", "groupVersion", groupVersion,
        "resources", Json.list(out));
  }

}
