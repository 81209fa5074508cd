package io.podnet.deploy.lab;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.ApiResource;
import io.podnet.apiserver.api.ApiGateway;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.ApiServerActor;
import io.podnet.apiserver.controllers.ControllerManager;
import io.podnet.apiserver.http.ApiHttpServer;
import io.podnet.apiserver.http.ExecHandler;
import io.podnet.apiserver.http.LabCertificates;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectMeta;
import io.podnet.apiserver.store.persist.DurableStore;
import io.podnet.apiserver.store.persist.PersistenceSettings;
import io.podnet.netstack.actor.LabClock;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The lab's Kubernetes API server: the API-server actor over a store kept in the lab's directory
 * (it survives the actor's and the JVM's restarts), with its controllers, served over HTTPS on
 * loopback to the real kubectl through a kubeconfig that carries the lab's CA and secret.
 */
public final class LabApiServer implements AutoCloseable {
  /** The namespaces every cluster starts with. */
  static final List<String> NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");

  private final ApiHttpServer http;
  private final Path kubeconfig;

  private LabApiServer(ApiHttpServer http, Path kubeconfig) {
    this.http = http;
    this.kubeconfig = kubeconfig;
  }

  /**
   * The HTTPS endpoint's TLS material for a lab: its certificates and the server's TLS context.
   * Making them needs no actor system (key generation, signing, the JSSE classes), so
   * {@link #prepareTls} makes them on their own thread while the lab's actors start.
   */
  public record Tls(LabCertificates certificates, SSLContext serverContext) {
    public static Tls generate(String labName) {
      LabCertificates certs = LabCertificates.generate(labName, InetAddress.getLoopbackAddress(), new SecureRandom());
      return new Tls(certs, certs.serverContext());
    }
  }

  /** Starts making the TLS material of lab {@code labName} on a new daemon thread. */
  public static CompletableFuture<Tls> prepareTls(String labName) {
    return CompletableFuture.supplyAsync(() -> Tls.generate(labName), daemon("podnet-apiserver-tls"));
  }

  /**
   * Starts the API server of {@code plan}'s lab with its data in {@code dataDir} and writes the
   * kubeconfig to {@code kubeconfig}. {@code wallClockAtStart} is the epoch milliseconds when the
   * lab started: object timestamps are that plus the lab clock.
   */
  public static LabApiServer start(ActorSystem<?> system, LabPlan plan, Path dataDir, Path kubeconfig, String token,
      long wallClockAtStart) throws Exception {
    return start(system, plan, dataDir, kubeconfig, token, wallClockAtStart,
        CompletableFuture.completedFuture(Tls.generate(plan.spec().name())))
        .get(60, TimeUnit.SECONDS);
  }

  /**
   * Starts the API-server actor of {@code plan}'s lab (its namespaces created, its controllers and
   * the {@link ApiGateway} running) before it returns, so the lab's actors can use the Kubernetes
   * API at once. The HTTPS endpoint, which only kubectl and the other real clients use, binds on
   * another thread once {@code tls} is ready; the returned future completes when it listens and the
   * kubeconfig is written.
   */
  public static CompletableFuture<LabApiServer> start(ActorSystem<?> system, LabPlan plan, Path dataDir,
      Path kubeconfig, String token, long wallClockAtStart, CompletableFuture<Tls> tls) throws Exception {
    LabClock labClock = LabClock.get(system);
    LongSupplier clock = () -> wallClockAtStart + labClock.nowMicros() / 1000;
    ApiResources resources = ApiResources.standard();
    SplittableRandom random = new SplittableRandom(plan.spec().seed() ^ 0x6b756265L);
    ControllerManager controllers = ControllerManager.standard(resources, "10.96.0.0/12", 40_000, random.split());
    // New uids must not repeat across restarts of the same lab: they come from the OS, not the seed.
    SecureRandom uids = new SecureRandom();
    ActorRef<ApiServerActor.Command> api = system.systemActorOf(ApiServerActor.create(
        () -> DurableStore.open(PersistenceSettings.of(dataDir),
            (gv, r) -> resources.find(gv, r).map(ApiResource::type), clock, uids, 4096),
        resources, controllers, clock, Duration.ofSeconds(1)), "apiserver", Props.empty());
    // All four asked at once: the actor creates them in this order, one reply each.
    List<CompletableFuture<ApiServerActor.Reply>> created = new java.util.ArrayList<>();
    for (String ns : NAMESPACES) {
      KubeObject obj = KubeObject.of(ApiResources.NAMESPACE, ObjectMeta.of("", ns,
          Map.of("kubernetes.io/metadata.name", ns)), Struct.getDefaultInstance());
      created.add(AskPattern.<ApiServerActor.Command, ApiServerActor.Reply>ask(api,
          reply -> new ApiServerActor.Create(ApiResources.NAMESPACE, obj, reply), Duration.ofSeconds(10),
          system.scheduler()).toCompletableFuture());
    }
    for (int i = 0; i < NAMESPACES.size(); i++) {
      ApiServerActor.Reply r = created.get(i).get(15, TimeUnit.SECONDS);
      if (!r.ok() && r.error().code() != 409) {
        throw new IllegalStateException("cannot create namespace " + NAMESPACES.get(i) + ": " + r.error().message());
      }
    }
    // The Kubernetes API for actors (kubelets, agents), found through the Receptionist.
    system.systemActorOf(ApiGateway.create(api), "apiserver-gateway", Props.empty());
    // Binding (pekko-http's classes and settings, the TLS engine) takes a while: on its own thread.
    return tls.thenApplyAsync(t -> {
      try {
        ApiHttpServer http = ApiHttpServer.start(system, api, resources, t.certificates(), t.serverContext(), token,
            clock, 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
        Files.deleteIfExists(kubeconfig);
        Files.createFile(kubeconfig,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(kubeconfig, http.kubeconfig(plan.spec().name()), StandardCharsets.UTF_8);
        return new LabApiServer(http, kubeconfig);
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the API server's HTTPS endpoint: " + e, e);
      }
    }, daemon("podnet-apiserver-http"));
  }

  /** Runs each task on a new daemon thread named {@code name}. */
  private static Executor daemon(String name) {
    return task -> {
      Thread t = new Thread(task, name);
      t.setDaemon(true);
      t.start();
    };
  }

  /** Runs the commands of {@code kubectl exec} from now on. */
  public void execHandler(ExecHandler handler) {
    http.execHandler(handler);
  }

  public String url() {
    return http.url();
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public void close() {
    http.close();
  }
}
