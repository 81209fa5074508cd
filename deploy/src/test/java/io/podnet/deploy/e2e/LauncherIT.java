package io.podnet.deploy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as a person uses it: deploy/bin/podnet with the built jar, a daemon lab, shells. */
class LauncherIT {
  @TempDir
  Path tmp;

  record Result(int code, String out, String err) {}

  Result podnet(String stdin, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(Path.of("bin/podnet").toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().put("PODNET_HOME", tmp.resolve("home").toString());
    pb.environment().put("HOME", tmp.toString());
    Path out = tmp.resolve("out.txt");
    Path err = tmp.resolve("err.txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "podnet " + String.join(" ", args) + " did not finish");
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static final String LAB = """
      name: it-lab
      segments:
        left: {}
        right: {}
      hosts:
        gw:
          kind: router
          interfaces:
            lan1: {segment: left, address: 10.1.0.1/24}
            lan2: {segment: right, address: 10.2.0.1/24}
        a:
          interfaces:
            nic0: {segment: left, address: 10.1.0.10/24}
          routes: [10.2.0.0/24 via 10.1.0.1]
      """;

  @AfterEach
  void down() throws Exception {
    if (Files.exists(tmp.resolve("home/labs/it-lab/port"))) {
      podnet(null, "down", "it-lab");
    }
  }

  @Test
  void daemonLabShellsExecAndDown() throws Exception {
    Path lab = tmp.resolve("lab.yaml");
    Files.writeString(lab, LAB);
    Result up = podnet(null, "up", lab.toString(), "-d");
    assertEquals(0, up.code(), up.err());
    assertTrue(up.out().startsWith("lab it-lab is up in the background (pid "), up.out());

    Result again = podnet(null, "up", lab.toString(), "-d");
    assertEquals(1, again.code());
    assertEquals("podnet: lab it-lab is already running (podnet down to stop it)\n", again.err());

    Result exec = podnet(null, "exec", "a", "--", "ip", "route");
    assertEquals(0, exec.code(), exec.err());
    assertEquals("10.1.0.0/24 dev nic0 proto kernel scope link src 10.1.0.10 \n"
        + "10.2.0.0/24 via 10.1.0.1 dev nic0 \n", exec.out());

    Result fail = podnet(null, "exec", "gw", "--", "ip", "route", "add", "10.9.0.0/16", "via", "10.3.0.1");
    assertEquals(2, fail.code());
    assertEquals("Error: Nexthop has invalid gateway.\n", fail.err());

    // The user's own bash around the shims: pipes, loops, command substitution.
    Result loop = podnet(null, "exec", "gw", "--", "bash", "-c",
        "for i in $(seq 100); do ip route get 10.1.0.10 | head -1; done | sort | uniq -c | sed 's/^ *//'");
    assertEquals(0, loop.code(), loop.err());
    assertEquals("100 10.1.0.10 dev lan1 src 10.1.0.1 uid 0 \n", loop.out());

    Result shell = podnet("ip route | wc -l\nexit 3\n", "sh", "a");
    assertEquals(3, shell.code(), shell.err());
    assertEquals("2\n", shell.out());
    assertTrue(shell.err().contains("root@a:~# "), shell.err());

    Result noHost = podnet(null, "exec", "zz", "--", "ip", "route");
    assertEquals(1, noHost.code());
    assertEquals("podnet: no host 'zz' in lab it-lab (hosts: gw a )\n", noHost.err());

    Result down = podnet(null, "down");
    assertEquals(0, down.code(), down.err());
    assertEquals("lab it-lab stopped\n", down.out());
    assertEquals("", down.err());
    assertFalse(Files.exists(tmp.resolve("home/labs/it-lab/port")));
    Result after = podnet(null, "exec", "a", "--", "ip", "route");
    assertEquals(1, after.code());
    assertEquals("podnet: no lab is running (start one with: podnet up LAB)\n", after.err());
  }

  /**
   * `up -d` then `down` at once, again and again, as a person (or a script) does: `down` says the lab
   * stopped, exactly when it has (its port file is gone), and never "Connection reset" (the lab
   * used to end its actor system, aborting the connection, before its answer was on the wire).
   */
  @Test
  void downRightAfterUpStopsTheLabEveryTime() throws Exception {
    Path lab = tmp.resolve("lab.yaml");
    Files.writeString(lab, LAB);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
    int rounds = 0;
    while (rounds < 8 && System.nanoTime() < deadline) {
      Result up = podnet(null, "up", lab.toString(), "-d");
      assertEquals(0, up.code(), up.err());
      Result down = podnet(null, "down");
      assertEquals(new Result(0, "lab it-lab stopped\n", ""), down, "round " + rounds);
      assertFalse(Files.exists(tmp.resolve("home/labs/it-lab/port")));
      rounds++;
    }
    assertTrue(rounds >= 3, "only " + rounds + " rounds in 150 s");

    Result none = podnet(null, "down");
    assertEquals(new Result(1, "", "podnet: no lab is running\n"), none);
    Result named = podnet(null, "down", "it-lab");
    assertEquals(new Result(1, "", "podnet: lab it-lab is not running\n"), named);
  }

  @Test
  void downOfALabThatDiedSaysItIsNotRunning() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("home/labs/it-lab"));
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Files.writeString(dir.resolve("port"), closedPort + "\n");
    Files.writeString(dir.resolve("token"), "0123\n");
    Result down = podnet(null, "down");
    assertEquals(new Result(1, "", "podnet: lab it-lab is not running (it ended without `podnet down`; its stale "
        + "port file is removed)\n"), down);
    assertFalse(Files.exists(dir.resolve("port")));
  }
}
