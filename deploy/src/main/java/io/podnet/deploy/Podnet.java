package io.podnet.deploy;

import io.podnet.deploy.control.ControlClient;
import io.podnet.deploy.control.LabDir;
import io.podnet.deploy.demo.CaptureDemo;
import io.podnet.deploy.lab.LabPlan;
import io.podnet.deploy.lab.LabSession;
import io.podnet.deploy.transcript.Transcript;
import io.podnet.deploy.transcript.TranscriptRunner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import io.podnet.deploy.topology.LabSpec;
import io.podnet.deploy.topology.TopologyException;
import io.podnet.deploy.topology.TopologyLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The {@code podnet} command. {@code sh} and {@code exec} live in deploy/bin/podnet (bash). */
@Command(name = "podnet", mixinStandardHelpOptions = true, version = "podnet 0.1.0",
    description = "Kubernetes and Cilium networking labs as Pekko actors exchanging real Ethernet frames.",
    subcommands = {Podnet.Up.class, Podnet.Down.class, Podnet.Run.class, Podnet.Demo.class})
public final class Podnet implements Runnable {
  @Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Initialise logging before any thread logs, so that nothing is replayed noisily later.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new Podnet());
    cl.setOut(out);
    cl.setErr(err);
    return cl.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Where the labs that come with podnet are (deploy/labs), for names given without a path. */
  static Path labsDir() {
    String env = System.getenv("PODNET_LABS");
    return env != null && !env.isEmpty() ? Path.of(env) : Path.of("deploy", "labs");
  }

  /** A lab given as a directory (holding lab.yaml), a topology file, or the name of a bundled lab. */
  static Path topologyFile(String lab) {
    Path p = Path.of(lab);
    if (Files.isDirectory(p)) {
      return p.resolve("lab.yaml");
    }
    if (Files.isRegularFile(p)) {
      return p;
    }
    Path bundled = labsDir().resolve(lab).resolve("lab.yaml");
    return Files.isRegularFile(bundled) ? bundled : p;
  }

  /** Loads and plans a lab, or prints what is wrong with it and returns null. */
  static LabPlan plan(String lab, PrintWriter err) {
    try {
      return LabPlan.of(TopologyLoader.load(topologyFile(lab)));
    } catch (TopologyException | LabPlan.PlanException e) {
      err.println("podnet: " + e.getMessage());
      return null;
    }
  }

  /** Refuses to start a lab whose directory shows it running. */
  static boolean alreadyRunning(LabDir dir, PrintWriter err) {
    if (Files.exists(dir.portFile())) {
      try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(),
          Integer.parseInt(Files.readString(dir.portFile()).strip()))) {
        err.println("podnet: lab " + dir.path().getFileName() + " is already running (podnet down to stop it)");
        return true;
      } catch (IOException | NumberFormatException e) {
        // A stale port file from a lab that died: start over it.
      }
    }
    return false;
  }

  @Command(name = "up", description = "Start a lab: in the foreground until `podnet down` or Ctrl-C, or as a "
      + "daemon with -d.")
  static final class Up implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "lab directory, topology file or name")
    String lab;

    @Option(names = {"-d", "--daemon"}, description = "run in the background")
    boolean daemon;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address of the control endpoint "
        + "(default: ${DEFAULT-VALUE})")
    String bind;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      LabPlan plan = plan(lab, err);
      if (plan == null) {
        return 1;
      }
      LabDir dir = LabDir.forLab(plan.spec().name());
      if (alreadyRunning(dir, err)) {
        return 1;
      }
      if (daemon) {
        return daemonize(plan, dir, out, err);
      }
      LabSession session = LabSession.start(plan, dir, bind, false);
      // Ctrl-C or kill: the JVM exits once its shutdown hooks return, so the hook waits for the lab to
      // have stopped (and removed its port file) rather than leave it half closed.
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      Thread hook = new Thread(() -> {
        session.stopRequested().complete("signal");
        try {
          stopped.get(Down.STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
          // The JVM ends anyway.
        }
      }, "podnet-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        out.println("lab " + plan.spec().name() + " is up: " + String.join(", ", session.lab().hostNames()));
        out.println("  podnet sh HOST      a shell on a host        podnet down      stop the lab");
        out.flush();
        session.stopRequested().get();
      } finally {
        try {
          session.close();
        } finally {
          stopped.complete(null);
        }
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // Already shutting down.
      }
      return 0;
    }

    private int daemonize(LabPlan plan, LabDir dir, PrintWriter out, PrintWriter err) throws Exception {
      Files.createDirectories(dir.path());
      Path log = dir.path().resolve("lab.log");
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      String jar = Path.of(Podnet.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
      Files.deleteIfExists(dir.portFile());
      List<String> command = new java.util.ArrayList<>(List.of(javaBin));
      // The class-data-sharing archive that deploy/bin/podnet gave this JVM, if any, serves the lab's too.
      for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (a.startsWith("-XX:SharedArchiveFile=") || a.startsWith("-Xshare:") || a.startsWith("-Xlog:cds")) {
          command.add(a);
        }
      }
      command.addAll(List.of("-cp", jar, Podnet.class.getName(), "up", lab, "--bind", bind));
      Process p = new ProcessBuilder(command)
          .redirectOutput(log.toFile()).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(
              new java.io.File("/dev/null"))).start();
      // Longer than the lab's own 60 s wait for readiness: a lab that does not get ready ends with
      // what it was waiting for, and that is what people should read here.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(90);
      while (!Files.exists(dir.portFile())) {
        if (!p.isAlive()) {
          err.println("podnet: lab " + plan.spec().name() + " did not start; its log (" + log + "):");
          err.print(Files.readString(log));
          return 1;
        }
        if (System.nanoTime() > deadline) {
          p.destroy();
          err.println("podnet: lab " + plan.spec().name() + " did not start within 90 s; see " + log);
          return 1;
        }
        Thread.sleep(50);
      }
      out.println("lab " + plan.spec().name() + " is up in the background (pid " + p.pid() + ", log " + log + ")");
      return 0;
    }
  }

  @Command(name = "down", description = "Stop a running lab.")
  static final class Down implements Callable<Integer> {
    /** How long a lab may take to stop once asked. */
    static final java.time.Duration STOP_TIMEOUT = java.time.Duration.ofSeconds(30);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", description = "lab name (default: the one running lab)")
    String lab;

    @Override
    public Integer call() throws Exception {
      PrintWriter err = spec.commandLine().getErr();
      LabDir dir;
      if (lab != null) {
        dir = LabDir.forLab(lab);
      } else {
        List<Path> running = new ArrayList<>();
        Path labs = LabDir.home().resolve("labs");
        if (Files.isDirectory(labs)) {
          try (var s = Files.list(labs)) {
            s.filter(d -> Files.exists(d.resolve("port"))).forEach(running::add);
          }
        }
        if (running.size() != 1) {
          err.println(running.isEmpty() ? "podnet: no lab is running"
              : "podnet: several labs are running: name one (" + running.stream().map(d -> d.getFileName().toString())
                  .collect(java.util.stream.Collectors.joining(" ")) + ")");
          return 1;
        }
        dir = new LabDir(running.get(0));
      }
      String name = dir.path().getFileName().toString();
      if (!Files.exists(dir.portFile())) {
        err.println("podnet: lab " + name + " is not running");
        return 1;
      }
      int rc;
      try {
        rc = ControlClient.run(dir, LabSession.LAB_HOST, List.of("down"), System.out, System.err);
      } catch (java.net.ConnectException e) {
        // Nothing listens where the port file points: the lab died without cleaning up.
        Files.deleteIfExists(dir.portFile());
        err.println("podnet: lab " + name + " is not running (it ended without `podnet down`; its stale port "
            + "file is removed)");
        return 1;
      } catch (IOException e) {
        err.println("podnet: lab " + name + " did not answer: " + e.getMessage() + " (see "
            + dir.path().resolve("lab.log") + ")");
        return 1;
      }
      if (rc != 0) {
        return rc;
      }
      // The lab stops once it has answered; it removes its port file when it has stopped.
      long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
      while (Files.exists(dir.portFile())) {
        if (System.nanoTime() > deadline) {
          err.println("podnet: lab " + name + " did not stop within " + STOP_TIMEOUT.toSeconds() + " s (see "
              + dir.path().resolve("lab.log") + ")");
          return 1;
        }
        Thread.sleep(20);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println("lab " + name + " stopped");
      out.flush();
      return 0;
    }
  }

  @Command(name = "run", description = "Start a lab, replay a transcript on it (HOST# COMMAND lines), stop it.")
  static final class Run implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "lab directory, topology file or name")
    String lab;

    @Parameters(index = "1", arity = "0..1", description = "transcript (default: the lab's walkthrough.lab)")
    Path script;

    @Option(names = "--command-timeout", defaultValue = "120", description = "seconds before a hanging command "
        + "gets Ctrl-C (default: ${DEFAULT-VALUE})")
    long commandTimeout;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Path topo = topologyFile(lab);
      Path transcript = script != null ? script : topo.toAbsolutePath().getParent().resolve("walkthrough.lab");
      if (!Files.isRegularFile(transcript)) {
        err.println("podnet: no transcript " + transcript + (script == null ? " (give one: podnet run LAB SCRIPT)" : ""));
        return 1;
      }
      List<Transcript.Step> steps;
      try {
        steps = Transcript.parse(transcript.toString(), Files.readString(transcript));
      } catch (Transcript.ParseException e) {
        err.println("podnet: " + e.getMessage());
        return 1;
      }
      LabPlan plan = plan(lab, err);
      if (plan == null) {
        return 1;
      }
      LabDir dir = LabDir.forLab(plan.spec().name());
      if (alreadyRunning(dir, err)) {
        return 1;
      }
      try (LabSession session = LabSession.start(plan, dir, "127.0.0.1", true)) {
        out.flush();
        java.io.PrintStream ps = new java.io.PrintStream(new java.io.OutputStream() {
          @Override
          public void write(int b) {
            out.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            out.write(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
          }

          @Override
          public void flush() {
            out.flush();
          }
        }, true, java.nio.charset.StandardCharsets.UTF_8);
        try (TranscriptRunner runner = new TranscriptRunner(dir.path(),
            java.util.Map.of("KUBECONFIG", session.api().kubeconfig().toString()), ps,
            java.time.Duration.ofSeconds(commandTimeout))) {
          runner.run(steps);
        }
        ps.flush();
      }
      return 0;
    }
  }

  @Command(name = "demo", description = "Write what a lab's router would capture (Geneve, VXLAN, TCP, ARP) "
      + "and print it as tcpdump does.")
  static final class Demo implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--lab", defaultValue = "cilium-seed", description = "lab directory, topology file or name "
        + "(default: ${DEFAULT-VALUE})")
    String lab;

    @Parameters(index = "0", defaultValue = "podnet-demo.pcap", description = "capture file to write "
        + "(default: ${DEFAULT-VALUE})")
    Path file;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      LabSpec labSpec;
      try {
        labSpec = TopologyLoader.load(topologyFile(lab));
      } catch (TopologyException e) {
        err.println("podnet: " + e.getMessage());
        return 1;
      }
      CaptureDemo.Result r;
      try {
        r = new CaptureDemo(labSpec).run(file);
      } catch (IllegalArgumentException e) {
        err.println("podnet: " + e.getMessage());
        return 1;
      }
      out.println("# lab " + labSpec.name() + ": what `tcpdump -i any -w " + file + "` on its router would hold");
      out.println("reading from file " + file + ", link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144");
      r.lines().forEach(out::println);
      out.println("# " + r.lines().size() + " frames written to " + file
          + " (pcap, LINUX_SLL2): open it in Wireshark, or read it with: tcpdump -nn -r " + file);
      return 0;
    }
  }
}
