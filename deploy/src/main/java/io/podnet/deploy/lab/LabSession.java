package io.podnet.deploy.lab;

import io.podnet.deploy.control.CommandRequest;
import io.podnet.deploy.control.CommandRunner;
import io.podnet.deploy.control.ControlServer;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.control.Output;
import io.podnet.netstack.tool.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;

/**
 * A lab people can use: the lab's actors, its control endpoint on loopback behind the lab's
 * secret, and its directory (secret, port, host list, tool shims) through which {@code podnet sh},
 * {@code podnet exec} and the shims reach it. Host "@lab" takes the launcher's own commands
 * ({@code down}).
 */
public final class LabSession implements AutoCloseable {
  /** The name the launcher's own requests use as their host. */
  public static final String LAB_HOST = "@lab";

  private final Lab lab;
  private final LabDir dir;
  private final Tcp.ServerBinding binding;
  private LabApiServer api;
  private java.time.Duration readyAfter = java.time.Duration.ZERO;
  private final CompletableFuture<String> stopRequested = new CompletableFuture<>();

  private LabSession(Lab lab, LabDir dir, Tcp.ServerBinding binding) {
    this.lab = lab;
    this.dir = dir;
    this.binding = binding;
  }

  /**
   * Starts the lab with its API server; {@code fresh} wipes the API server's stored objects from
   * an earlier run of the same lab first ({@code podnet run} does; {@code podnet up} keeps them, as a
   * rebooted cluster keeps etcd).
   */
  public static LabSession start(LabPlan plan, LabDir dir, String bindAddress, boolean fresh) {
    long wallClockAtStart = System.currentTimeMillis();
    // Meanwhile, while the actor system's classes load: logging (SLF4J finding and configuring
    // logback), which the actor system otherwise waits for when it first logs; then the descriptors
    // of google.protobuf.Struct, which every Kubernetes object is, built once per JVM.
    Thread warmUp = new Thread(() -> {
      org.slf4j.LoggerFactory.getILoggerFactory();
      com.google.protobuf.Struct.getDescriptor();
    }, "podnet-warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
    // The API server's certificates and TLS context need no actors: made meanwhile, on their own thread.
    CompletableFuture<LabApiServer.Tls> tls = LabApiServer.prepareTls(plan.spec().name());
    // The hosts' CLOCK_REALTIME, the API server's and Hubble's timestamps: one origin.
    Lab lab = Lab.start(plan, Lab.defaultConfig().withValue(io.podnet.netstack.actor.LabClock.REALTIME_ORIGIN,
        com.typesafe.config.ConfigValueFactory.fromAnyRef(wallClockAtStart)), java.util.Map.of(),
        h -> LabKubernetes.agentFor(plan, h, wallClockAtStart));
    try {
      String token = dir.createWithNewToken();
      Path data = dir.path().resolve("data");
      if (fresh) {
        deleteTree(data);
      }
      // The API-server actor runs when this returns; its HTTPS endpoint binds while the lab boots.
      CompletableFuture<LabApiServer> apiServer = LabApiServer.start(lab.system(), plan, data,
          dir.path().resolve("kubeconfig"), token, wallClockAtStart, tls);
      Files.deleteIfExists(dir.portFile());
      LabSession[] self = new LabSession[1];
      CommandRunner labRunner = lab.runner();
      CommandRunner runner = new CommandRunner() {
        @Override
        public Source<Output, org.apache.pekko.NotUsed> run(CommandRequest req, CompletionStage<String> signal) {
          return run(req, signal, CompletableFuture.completedFuture(Done.getInstance()));
        }

        @Override
        public Source<Output, org.apache.pekko.NotUsed> run(CommandRequest req, CompletionStage<String> signal,
            CompletionStage<Done> closed) {
          return LAB_HOST.equals(req.host()) ? self[0].labCommand(req.argv(), closed) : labRunner.run(req, signal);
        }
      };
      Tcp.ServerBinding b = ControlServer.bind(lab.system(), bindAddress, 0, token, runner).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      LabKubernetes.bootstrap(lab.system(), plan.spec(), wallClockAtStart);
      java.time.Duration ready = LabKubernetes.awaitReady(lab, plan.spec(), java.time.Duration.ofSeconds(60));
      LabApiServer api;
      try {
        api = apiServer.get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception c ? c : e;
      }
      api.execHandler(new LabExec(lab.system(), dir.path(), api.kubeconfig()));
      self[0] = new LabSession(lab, dir, b);
      self[0].readyAfter = ready;
      self[0].api = api;
      Files.writeString(dir.path().resolve("hosts"), String.join("\n", lab.hostNames()) + "\n",
          StandardCharsets.UTF_8);
      List<String> tools = new ArrayList<>(Tools.standard().keySet());
      tools.addAll(List.of("cilium", "cilium-dbg", "hubble", "helm", "reboot"));
      dir.installShims(tools);
      dir.writePort(b.localAddress().getPort());
      return self[0];
    } catch (Exception e) {
      lab.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("cannot start the control endpoint of lab " + plan.spec().name() + ": " + e, e);
    }
  }

  /**
   * The launcher's own commands: {@code down}; {@code host NAME}, which exits 0 when NAME is a
   * host of the lab now (a pod's host, NAMESPACE/POD, is one while its node runs it), else 1 with
   * the message for a host that is not there.
   */
  private Source<Output, org.apache.pekko.NotUsed> labCommand(List<String> args, CompletionStage<Done> closed) {
    if (args.equals(List.of("down"))) {
      // The lab stops once the client has its answer: stopping ends the actor system, and with it
      // every connection still open. `podnet down` then waits for the port file to go, which
      // close() removes last, and says the lab stopped.
      closed.thenRun(() -> stopRequested.complete("podnet down"));
      return Source.single(Output.exit(0));
    }
    if (args.size() == 2 && args.get(0).equals("host")) {
      String name = args.get(1);
      return Source.completionStageSource(lab.host(name).thenApply(h -> h.isPresent()
              ? Source.from(List.of(Output.out(name + "\n"), Output.exit(0)))
              : Source.from(List.of(Output.err(lab.noHostMessage(name) + "\n"), Output.exit(1)))))
          .mapMaterializedValue(m -> org.apache.pekko.NotUsed.getInstance());
    }
    return Source.from(List.of(Output.err("podnet: unknown lab command: " + String.join(" ", args) + "\n"),
        Output.exit(2)));
  }

  /** Each node's kubelet registers its Node and renews its node Lease. */
  static void startKubelets(Lab lab, LabPlan plan, long wallClockAtStart) {
    for (LabPlan.HostPlan h : plan.hosts()) {
      if (h.spec().kind() != io.podnet.deploy.topology.LabSpec.HostKind.NODE) {
        continue;
      }
      String ip = h.spec().interfaces().stream().filter(i -> i.segment() != null && !i.addresses().isEmpty())
          .map(i -> i.addresses().get(0).substring(0, i.addresses().get(0).indexOf('/'))).findFirst().orElse("");
      java.util.Map<String, String> labels = new java.util.TreeMap<>(java.util.Map.of(
          "kubernetes.io/hostname", h.spec().name(), "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
          "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch", "amd64"));
      labels.putAll(h.spec().labels());
      lab.system().systemActorOf(io.podnet.node.kubelet.Kubelet.create(h.spec().name(), ip, labels, wallClockAtStart),
          "kubelet-" + h.spec().name(), org.apache.pekko.actor.typed.Props.empty());
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  /** How long the lab took, after its actors started, until every pod ran and every route was in place. */
  public java.time.Duration readyAfter() {
    return readyAfter;
  }

  public LabApiServer api() {
    return api;
  }

  public Lab lab() {
    return lab;
  }

  public LabDir dir() {
    return dir;
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  /** Completes when someone runs {@code podnet down}. */
  public CompletableFuture<String> stopRequested() {
    return stopRequested;
  }

  /**
   * Stops the lab: the control endpoint, the API server, the actors; then, last, removes the port
   * file, whose absence tells {@code podnet down} (and whoever starts the lab again) that the lab
   * has stopped.
   */
  @Override
  public void close() {
    try {
      binding.unbind();
      if (api != null) {
        api.close();
      }
    } finally {
      try {
        lab.close();
      } finally {
        try {
          Files.deleteIfExists(dir.portFile());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
