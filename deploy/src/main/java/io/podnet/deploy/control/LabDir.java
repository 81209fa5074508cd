package io.podnet.deploy.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A running lab's directory: {@code token} (the lab's secret, readable only by its owner),
 * {@code port} (where the control endpoint listens on loopback), {@code bin/} (the tool shims).
 * Tool shims and {@code podnet sh} find the lab through it.
 */
public record LabDir(Path path) {
  /** podnet's home: -Dpodnet.home, else $PODNET_HOME, else ~/.podnet. */
  public static Path home() {
    String prop = System.getProperty("podnet.home");
    if (prop != null && !prop.isEmpty()) {
      return Path.of(prop);
    }
    String env = System.getenv("PODNET_HOME");
    return env != null && !env.isEmpty() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".podnet");
  }

  public static LabDir forLab(String labName) {
    return new LabDir(home().resolve("labs").resolve(labName));
  }

  public Path tokenFile() {
    return path.resolve("token");
  }

  public Path portFile() {
    return path.resolve("port");
  }

  public Path binDir() {
    return path.resolve("bin");
  }

  /** Creates the directory (owner only) and a fresh random secret; returns the secret. */
  public String createWithNewToken() {
    try {
      Files.createDirectories(path);
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String token = HexFormat.of().formatHex(raw);
      Path tmp = path.resolve("token.tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, tokenFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return token;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create lab directory " + path, e);
    }
  }

  public void writePort(int port) {
    try {
      Path tmp = path.resolve("port.tmp");
      Files.writeString(tmp, port + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, portFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + portFile(), e);
    }
  }

  /** Installs the shim and one link per tool name into {@code bin/}, and podnet's {@code ssh}. */
  public void installShims(Iterable<String> tools) {
    try {
      Files.createDirectories(binDir());
      Path shim = binDir().resolve("podnet-tool");
      try (var in = LabDir.class.getResourceAsStream("/io/podnet/deploy/podnet-tool.sh")) {
        if (in == null) {
          throw new IllegalStateException("podnet-tool.sh missing from the podnet jar");
        }
        Files.write(shim, in.readAllBytes());
      }
      Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwx------"));
      for (String tool : tools) {
        Path link = binDir().resolve(tool);
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, shim.getFileName());
      }
      // ssh to another host of the lab: a shell whose tools act there (never a real connection).
      Path ssh = binDir().resolve("ssh");
      try (var in = LabDir.class.getResourceAsStream("/io/podnet/deploy/podnet-ssh.sh")) {
        if (in == null) {
          throw new IllegalStateException("podnet-ssh.sh missing from the podnet jar");
        }
        Files.deleteIfExists(ssh);
        Files.write(ssh, in.readAllBytes());
      }
      Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install tool shims in " + binDir(), e);
    }
  }
}
