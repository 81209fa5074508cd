package io.podnet.netstack.tool;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.PacketType;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.tools.tcpdump.CaptureFilter;
import io.podnet.netstack.tools.tcpdump.Direction;
import io.podnet.netstack.tools.tcpdump.TcpdumpOptions;
import io.podnet.netstack.tools.tcpdump.TcpdumpPrinter;
import io.podnet.proto.pcap.PcapWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * tcpdump 4.99 (libpcap 1.10) capturing live on an emulated host: {@code -i IF|any} (default: the
 * first up, non-loopback interface, as pcap_lookupdev picks), a tap on the host's core, the
 * filter expression matched on each frame, one line per packet on stdout with the host's time of day (CLOCK_REALTIME), or
 * {@code -w FILE} (pcap, relative to the shell's directory; {@code -i any} writes LINUX_SLL2 with
 * the host's interface indexes). {@code -c N} stops after N packets; INT/TERM stop it with an
 * extra newline on stdout (when printing) and the statistics on stderr; exit code 0. Like
 * libpcap, the outgoing copy of a loopback frame is not captured. With {@code -w} and {@code -v},
 * {@code Got N} is written to stderr every second, as tcpdump's verbose_stats_dump does. Capture
 * is always promiscuous ({@code -p} is accepted and ignored); {@code -r} is not supported.
 */
public final class TcpdumpTool implements Tool {
  private final ToolContext ctx;
  private final List<String> args;

  private TcpdumpOptions options;
  private CaptureFilter filter;
  private TcpdumpPrinter printer;
  private boolean any;
  private PcapWriter writer;
  private OutputStream file;
  private HostCore.Registration tap;
  private long captured;
  private long received;
  private boolean done;

  public TcpdumpTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  @Override
  public void start() {
    try {
      options = TcpdumpOptions.parse(args);
      if (options.help()) {
        ctx.err(TcpdumpOptions.usage());
        ctx.exit(0);
        return;
      }
      if (options.version()) {
        ctx.out(TcpdumpOptions.versionText());
        ctx.exit(0);
        return;
      }
      if (options.readFile() != null) {
        ctx.err("tcpdump: -r is not supported by podnet's tcpdump\n");
        ctx.exit(1);
        return;
      }
      filter = CaptureFilter.compile(options.filterExpression());
    } catch (TcpdumpOptions.UsageException e) {
      ctx.err(e.stderr());
      ctx.exit(e.exitCode());
      return;
    }
    String dev = options.interfaceName();
    if (dev == null) {
      for (Link l : ctx.core().stack().links().all()) {
        if (l.up() && !l.isLoopback()) {
          dev = l.name();
          break;
        }
      }
      if (dev == null) {
        ctx.err("tcpdump: no suitable device found\n");
        ctx.exit(1);
        return;
      }
    }
    any = HostCore.ANY.equals(dev);
    if (!any) {
      Link l = ctx.core().stack().links().byName(dev).orElse(null);
      if (l == null) {
        ctx.err("tcpdump: " + dev + ": No such device exists\n(SIOCGIFHWADDR: No such device)\n");
        ctx.exit(1);
        return;
      }
      if (!l.up()) {
        ctx.err("tcpdump: " + dev + ": That device is not up\n");
        ctx.exit(1);
        return;
      }
    }
    if (options.writeFile() != null) {
      String name = options.writeFile();
      Path path = name.equals("-") ? null : Path.of(ctx.cwd()).resolve(name);
      if (path == null) {
        ctx.err("tcpdump: writing to stdout (-w -) is not supported by podnet's tcpdump\n");
        ctx.exit(1);
        return;
      }
      try {
        file = new BufferedOutputStream(Files.newOutputStream(path));
        writer = any ? PcapWriter.linuxSll2(file) : PcapWriter.ethernet(file);
      } catch (NoSuchFileException e) {
        ctx.err("tcpdump: " + name + ": No such file or directory\n");
        ctx.exit(1);
        return;
      } catch (AccessDeniedException e) {
        ctx.err("tcpdump: " + name + ": Permission denied\n");
        ctx.exit(1);
        return;
      } catch (IOException e) {
        ctx.err("tcpdump: " + name + ": " + e.getMessage() + "\n");
        ctx.exit(1);
        return;
      }
      ctx.onExit(this::closeFile);
      if (options.verbosity() > 0) {
        ctx.after(1_000_000L, this::gotTick);
      }
    } else {
      printer = new TcpdumpPrinter(options);
    }
    ctx.err(TcpdumpPrinter.banner(options, dev));
    tap = ctx.core().addTap(dev, true, this::onFrame);
    ctx.onExit(tap::cancel);
  }

  private void gotTick() {
    ctx.err("\rGot " + captured);
    ctx.after(1_000_000L, this::gotTick);
  }

  private void onFrame(String dev, HostCore.Direction dir, PacketType type, long labMicros, byte[] frame) {
    if (done) {
      return;
    }
    // Captures are stamped with the host's CLOCK_REALTIME, as the kernel stamps them.
    long micros = ctx.realtimeOf(labMicros);
    Link l = ctx.core().stack().links().byName(dev).orElse(null);
    if (dir == HostCore.Direction.OUT && l != null && l.isLoopback()) {
      return; // libpcap drops PACKET_OUTGOING on lo: each loopback packet is seen once
    }
    ctx.guarded(() -> {
      if (!filter.matches(frame)) {
        return;
      }
      received++;
      captured++;
      Direction d = direction(dir, type);
      if (writer != null) {
        try {
          if (any) {
            writer.writeSll2(micros, l == null ? 0 : l.index(), d.packetType(), frame);
          } else {
            writer.writeEthernet(micros, frame);
          }
        } catch (IOException e) {
          ctx.err("tcpdump: " + options.writeFile() + ": " + e.getMessage() + "\n");
          stop(false, 1);
          return;
        }
      } else {
        ctx.out(printer.line(micros, any ? dev : null, d, frame) + "\n");
      }
      if (options.count() > 0 && captured >= options.count()) {
        stop(false, 0);
      }
    });
  }

  static Direction direction(HostCore.Direction dir, PacketType type) {
    if (dir == HostCore.Direction.OUT) {
      return Direction.OUT;
    }
    return switch (type) {
      case HOST -> Direction.IN;
      case BROADCAST -> Direction.BROADCAST;
      case MULTICAST -> Direction.MULTICAST;
      case OTHERHOST -> Direction.OTHERHOST;
      case OUTGOING -> Direction.OUT;
    };
  }

  @Override
  public void signal(ToolContext c, String signal) {
    stop(true, 0); // tcpdump's cleanup handler: INT, TERM (and HUP)
  }

  /** The end of the capture loop: interrupted or -c reached; the statistics, then exit. */
  private void stop(boolean interrupted, int code) {
    if (done) {
      return;
    }
    done = true;
    tap.cancel();
    if (interrupted && writer == null) {
      ctx.out("\n"); // "we didn't manage to finish a line we were printing"
    }
    closeFile();
    if (options.verbosity() > 0 && writer != null) {
      ctx.err("\rGot " + captured + "\n");
    }
    ctx.err(TcpdumpPrinter.statistics(captured, received, 0));
    ctx.exit(code);
  }

  private void closeFile() {
    if (file != null) {
      try {
        file.close();
      } catch (IOException e) {
        ctx.err("tcpdump: " + options.writeFile() + ": " + e.getMessage() + "\n");
      }
      file = null;
    }
  }
}
