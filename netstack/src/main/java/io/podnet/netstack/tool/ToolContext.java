package io.podnet.netstack.tool;

import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.Timers;
import io.podnet.netstack.route.Route;
import io.podnet.netstack.tcp.TcpLayer;
import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a running tool sees of its host and its terminal: the host's core (stack, sockets, taps),
 * its name and /etc/hosts, the shell's working directory, stdout and stderr, timers that die with
 * the tool, and exit. Single-threaded, like the core.
 */
public final class ToolContext {
  /** Where a tool's output and exit go (the host actor forwards them to the shim). */
  public interface Sink {
    void out(String text);

    void err(String text);

    void exited(int code);
  }

  private final String hostName;
  private final HostCore core;
  private final TcpLayer tcp;
  private final Map<String, String> etcHosts;
  private final java.util.function.Function<String, Ipv4Address> dns;
  private final String cwd;
  private final Sink sink;
  private final List<Timers.Timer> timers = new ArrayList<>();
  private final List<Runnable> onExit = new ArrayList<>();
  private boolean exited;

  public ToolContext(String hostName, HostCore core, TcpLayer tcp, Map<String, String> etcHosts, String cwd,
      Sink sink) {
    this(hostName, core, tcp, etcHosts, n -> null, cwd, sink);
  }

  /** With {@code dns}: names neither in /etc/hosts nor the host's own are looked up there (null: unknown). */
  public ToolContext(String hostName, HostCore core, TcpLayer tcp, Map<String, String> etcHosts,
      java.util.function.Function<String, Ipv4Address> dns, String cwd, Sink sink) {
    this.dns = dns;
    this.hostName = hostName;
    this.core = core;
    this.tcp = tcp;
    this.etcHosts = Map.copyOf(etcHosts);
    this.cwd = cwd;
    this.sink = sink;
  }

  /** The host's /etc/hosts: address to names (space separated). */
  public Map<String, String> etcHosts() {
    return etcHosts;
  }

  public String hostName() {
    return hostName;
  }

  public HostCore core() {
    return core;
  }

  /** The host's TCP (sockets for curl and servers). */
  public TcpLayer tcp() {
    return tcp;
  }

  /** The shell's working directory, where a tool writes files named without a path. */
  public String cwd() {
    return cwd;
  }

  public long nowMicros() {
    return core.timers().nowMicros();
  }

  /** The host's CLOCK_REALTIME now, in microseconds since the Unix epoch (for what tools print as a date). */
  public long realtimeMicros() {
    return core.realtimeMicros(nowMicros());
  }

  /** The host's CLOCK_REALTIME at lab time {@code labMicros}. */
  public long realtimeOf(long labMicros) {
    return core.realtimeMicros(labMicros);
  }

  public void out(String text) {
    if (!exited && !text.isEmpty()) {
      sink.out(text);
    }
  }

  public void err(String text) {
    if (!exited && !text.isEmpty()) {
      sink.err(text);
    }
  }

  /** Ends the tool: its timers are cancelled, its close hooks run, the exit code goes out. */
  public void exit(int code) {
    if (exited) {
      return;
    }
    exited = true;
    for (Timers.Timer t : timers) {
      t.cancel();
    }
    timers.clear();
    for (Runnable r : onExit) {
      r.run();
    }
    sink.exited(code & 0xff);
  }

  public boolean exited() {
    return exited;
  }

  /** Runs {@code task} after {@code delayMicros}, unless the tool has exited by then. */
  public Timers.Timer after(long delayMicros, Runnable task) {
    Timers.Timer t = core.timers().after(delayMicros, () -> {
      if (!exited) {
        guarded(task);
      }
    });
    timers.add(t);
    timers.removeIf(x -> !x.active() && x != t);
    return t;
  }

  /**
   * Runs a piece of the tool; a bug in it ends the tool with exit code 1 and a message, as a
   * crashing process would, and never reaches the host.
   */
  public void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      err("podnet: internal error in this tool: " + e + "\n");
      exit(1);
    }
  }

  /** Runs when the tool exits or is killed (close sockets here). */
  public void onExit(Runnable r) {
    onExit.add(r);
  }

  /** Kills the tool without an exit code reaching anyone (its shim went away). */
  public void kill() {
    if (exited) {
      return;
    }
    exited = true;
    for (Timers.Timer t : timers) {
      t.cancel();
    }
    timers.clear();
    for (Runnable r : onExit) {
      r.run();
    }
  }

  /**
   * The address a name resolves to, as glibc's getaddrinfo does on the host with "hosts: files
   * myhostname": a dotted quad as is, else /etc/hosts (any of a line's names), else
   * nss-myhostname ({@code localhost}, the host's own name: its first global address,
   * {@code _gateway}: the default gateway). Null when the name is unknown.
   */
  public Ipv4Address resolve(String name) {
    try {
      return Ipv4Address.parse(name);
    } catch (IllegalArgumentException notAnAddress) {
      // a name
    }
    for (Map.Entry<String, String> e : etcHosts.entrySet()) {
      for (String n : e.getValue().trim().split("\\s+")) {
        if (n.equals(name)) {
          try {
            return Ipv4Address.parse(e.getKey());
          } catch (IllegalArgumentException ignored) {
            // not an IPv4 line
          }
        }
      }
    }
    if (name.equals("localhost")) {
      return Ipv4Address.of(127, 0, 0, 1);
    }
    if (name.equals(hostName)) {
      for (var l : core.stack().links().all()) {
        for (var a : l.addresses()) {
          if (!l.isLoopback()) {
            return a.local();
          }
        }
      }
      return Ipv4Address.of(127, 0, 0, 1);
    }
    if (name.equals("_gateway")) {
      for (Route r : core.stack().table(254).routes()) {
        if (r.dst().length() == 0 && r.gateway() != null) {
          return r.gateway();
        }
      }
    }
    return dns.apply(name);
  }

  /**
   * The canonical name of {@code name} (the first name of its /etc/hosts line), as getaddrinfo's
   * AI_CANONNAME gives it to ping's header; the name itself when it has no hosts line.
   */
  public String canonicalName(String name) {
    for (String names : etcHosts.values()) {
      String[] ns = names.trim().split("\\s+");
      for (String n : ns) {
        if (n.equals(name)) {
          return ns[0];
        }
      }
    }
    return name;
  }

  /**
   * The name the host gives an address, as glibc's resolver would: /etc/hosts first, then
   * systemd's nss-myhostname, which calls the default gateway {@code _gateway}; null if none.
   */
  public String nameOf(Ipv4Address a) {
    String n = etcHosts.get(a.toString());
    if (n != null) {
      return n.trim().split("\\s+")[0];
    }
    for (Route r : core.stack().table(254).routes()) {
      if (r.dst().length() == 0 && a.equals(r.gateway())) {
        return "_gateway";
      }
    }
    return null;
  }
}
