package io.podnet.deploy;

import io.podnet.deploy.demo.CaptureDemo;
import io.podnet.deploy.topology.LabSpec;
import io.podnet.deploy.topology.TopologyException;
import io.podnet.deploy.topology.TopologyLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The {@code podnet} command. {@code sh} and {@code exec} live in deploy/bin/podnet (bash). */
@Command(name = "podnet", mixinStandardHelpOptions = true, version = "podnet 0.1.0",
    description = "Kubernetes and Cilium networking labs as Pekko actors exchanging real Ethernet frames.",
    subcommands = {Podnet.Demo.class})
public final class Podnet implements Runnable {
  @Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
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
