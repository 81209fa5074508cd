package io.podnet.deploy.transcript;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Replays a transcript against a running lab, as a person at a terminal would: one bash session
 * per host for the whole transcript (variables and functions carry over), the host's tool shims
 * on its PATH, each command printed after the host's prompt and followed by what it prints. A
 * failing command does not stop the replay. A command ending in {@code &} runs in the background
 * and its output appears as it comes; background jobs are stopped at the end. A foreground
 * command still running after the command timeout gets Ctrl-C, as a person would press it.
 */
public final class TranscriptRunner implements AutoCloseable {
  /** How long to wait for a background job's first output (tcpdump's banner) before going on. */
  static final Duration BACKGROUND_SETTLE = Duration.ofMillis(1500);

  private final Path labDir;
  private final Map<String, String> env;
  private final PrintStream out;
  private final Duration commandTimeout;
  private final Map<String, HostShell> shells = new LinkedHashMap<>();
  private final String nonce;
  private final Object printLock = new Object();

  public TranscriptRunner(Path labDir, Map<String, String> env, PrintStream out, Duration commandTimeout) {
    this.labDir = labDir;
    this.env = Map.copyOf(env);
    this.out = out;
    this.commandTimeout = commandTimeout;
    byte[] raw = new byte[8];
    new SecureRandom().nextBytes(raw);
    this.nonce = HexFormat.of().formatHex(raw);
  }

  /** Runs every step; returns how many commands exited non-zero. */
  public int run(List<Transcript.Step> steps) throws IOException, InterruptedException {
    int failed = 0;
    for (Transcript.Step step : steps) {
      if (step instanceof Transcript.Blank) {
        print("\n");
      } else if (step instanceof Transcript.Comment c) {
        print(c.text() + "\n");
      } else {
        Transcript.Command cmd = (Transcript.Command) step;
        print("root@" + cmd.host() + ":~# " + cmd.text() + "\n");
        int rc = shell(cmd.host()).run(cmd);
        if (rc != 0) {
          failed++;
        }
      }
    }
    return failed;
  }

  private HostShell shell(String host) throws IOException {
    HostShell s = shells.get(host);
    if (s == null) {
      s = new HostShell(host);
      shells.put(host, s);
    }
    return s;
  }

  void print(String s) {
    synchronized (printLock) {
      out.print(s);
      out.flush();
    }
  }

  /** Stops background jobs and ends every host's session. */
  @Override
  public void close() throws InterruptedException {
    for (HostShell s : shells.values()) {
      s.stop();
    }
    shells.clear();
  }

  /** One host's bash session: stdin is where commands go, stdout+stderr come back merged. */
  private final class HostShell {
    private final String host;
    private final Process bash;
    private final OutputStream stdin;
    private final Thread reader;
    private final Object lock = new Object();
    private Integer pendingExit;
    /** Output bytes printed (markers excluded). */
    private long bytesSeen;
    private final String marker;

    HostShell(String host) throws IOException {
      this.host = host;
      this.marker = "\u001ePODNET-END-" + nonce + " ";
      ProcessBuilder pb = new ProcessBuilder("bash", "--noprofile", "--norc").redirectErrorStream(true);
      Map<String, String> e = pb.environment();
      e.putAll(env);
      e.put("PODNET_HOST", host);
      e.put("PODNET_LAB_DIR", labDir.toString());
      e.put("PATH", labDir.resolve("bin") + ":" + e.getOrDefault("PATH", "/usr/bin:/bin"));
      this.bash = pb.start();
      this.stdin = bash.getOutputStream();
      this.reader = new Thread(this::pump, "transcript-" + host);
      reader.setDaemon(true);
      reader.start();
    }

    /** Copies the session's output to the transcript, taking out the end-of-command markers. */
    private void pump() {
      byte[] m = marker.getBytes(StandardCharsets.UTF_8);
      byte[] buf = new byte[8192];
      java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
      try (InputStream in = bash.getInputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          pending.write(buf, 0, n);
          byte[] data = pending.toByteArray();
          int start = 0;
          while (true) {
            int at = indexOf(data, m, start);
            if (at < 0) {
              // Keep a tail that could be the start of a marker; print the rest.
              int keep = Math.min(m.length - 1, data.length - start);
              int printable = data.length - keep;
              for (int k = data.length - keep; k < data.length; k++) {
                if (!prefixMatches(data, k, m)) {
                  printable = k + 1;
                } else {
                  break;
                }
              }
              emit(data, start, printable - start);
              pending.reset();
              pending.write(data, printable, data.length - printable);
              break;
            }
            int nl = indexOf(data, new byte[] {'\n'}, at);
            if (nl < 0) {
              emit(data, start, at - start);
              pending.reset();
              pending.write(data, at, data.length - at);
              break;
            }
            emit(data, start, at - start);
            String code = new String(data, at + m.length, nl - at - m.length, StandardCharsets.US_ASCII).trim();
            synchronized (lock) {
              pendingExit = parseIntOr(code, 1);
              lock.notifyAll();
            }
            start = nl + 1;
          }
        }
      } catch (IOException e) {
        // The session ended.
      } finally {
        synchronized (lock) {
          if (pendingExit == null) {
            pendingExit = -1;
          }
          lock.notifyAll();
        }
      }
    }

    private void emit(byte[] b, int off, int len) {
      if (len > 0) {
        print(new String(b, off, len, StandardCharsets.UTF_8));
        synchronized (lock) {
          bytesSeen += len;
          lock.notifyAll();
        }
      }
    }

    int run(Transcript.Command cmd) throws IOException, InterruptedException {
      long before;
      synchronized (lock) {
        pendingExit = null;
        before = bytesSeen;
      }
      // Braces keep the command in this shell (exports and jobs persist) while its stdin is
      // /dev/null, so that a command reading stdin cannot swallow the lines that follow.
      String script = "{ " + cmd.text() + "\n} </dev/null\n"
          + "__podnet_rc=$?; printf '" + marker.replace("\u001e", "\\036") + "%d\\n' \"$__podnet_rc\"\n";
      stdin.write(script.getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      int rc = awaitExit(commandTimeout);
      if (rc == Integer.MIN_VALUE) {
        print("^C\n");
        signalChildren("INT");
        rc = awaitExit(Duration.ofSeconds(5));
        if (rc == Integer.MIN_VALUE) {
          signalChildren("KILL");
          rc = awaitExit(Duration.ofSeconds(5));
        }
      }
      if (cmd.background()) {
        // Give the job time to start (tcpdump prints its banner once it listens).
        long deadline = System.nanoTime() + BACKGROUND_SETTLE.toNanos();
        synchronized (lock) {
          while (bytesSeen == before && System.nanoTime() < deadline) {
            lock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
          }
        }
      }
      return rc;
    }

    private int awaitExit(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (pendingExit == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return Integer.MIN_VALUE;
          }
          lock.wait(Math.max(1, left / 1_000_000));
        }
        int rc = pendingExit;
        pendingExit = null;
        return rc;
      }
    }

    /** Sends a signal to the foreground command's processes (the session's descendants). */
    private void signalChildren(String sig) {
      bash.toHandle().descendants().forEach(ph -> {
        try {
          new ProcessBuilder("kill", "-" + sig, Long.toString(ph.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
          // The process is gone already.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }

    void stop() throws InterruptedException {
      try {
        // Background jobs get SIGTERM (tools print their statistics, as tcpdump does), then the
        // session ends.
        stdin.write("j=$(jobs -p); [ -n \"$j\" ] && kill -TERM $j 2>/dev/null; wait 2>/dev/null; exit 0\n"
            .getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        stdin.close();
      } catch (IOException e) {
        // The session is gone already.
      }
      if (!bash.waitFor(10, TimeUnit.SECONDS)) {
        bash.descendants().forEach(ProcessHandle::destroyForcibly);
        bash.destroyForcibly();
        bash.waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(5000);
    }
  }

  static int indexOf(byte[] data, byte[] pat, int from) {
    outer:
    for (int i = Math.max(0, from); i <= data.length - pat.length; i++) {
      for (int j = 0; j < pat.length; j++) {
        if (data[i + j] != pat[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** True when data[k..] is a prefix of pat (a marker may be cut across reads). */
  static boolean prefixMatches(byte[] data, int k, byte[] pat) {
    for (int j = 0; k + j < data.length; j++) {
      if (j >= pat.length || data[k + j] != pat[j]) {
        return false;
      }
    }
    return true;
  }

  static int parseIntOr(String s, int dflt) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
