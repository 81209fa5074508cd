package io.podnet.deploy.control;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the control protocol's request as bytes arrive. The request, as the shim writes it with
 * bash builtins only:
 *
 * <pre>
 * PODNET/1 TOKEN\n
 * HOST\n
 * CWD\n
 * ARGC\n
 * ARG0\0ARG1\0...ARGn\0
 * </pre>
 *
 * Arguments are NUL-terminated because NUL is the one byte an argument cannot hold.
 */
public final class RequestParser {
  public static final String MAGIC = "PODNET/1";
  /** Large enough for any command line a shell passes; larger requests are refused. */
  public static final int MAX_REQUEST_BYTES = 1 << 20;
  static final int MAX_ARGS = 65_536;

  /** A request whose token has not yet been checked. */
  public record Parsed(String token, CommandRequest request) {}

  /** The bytes do not form a request; the message says why, for the shim's stderr. */
  public static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private boolean done;

  /** Feeds bytes; returns the request once it is complete. Bytes after it are ignored. */
  public Optional<Parsed> feed(byte[] bytes) throws BadRequest {
    if (done) {
      return Optional.empty();
    }
    if (buf.size() + bytes.length > MAX_REQUEST_BYTES) {
      throw new BadRequest("request larger than " + MAX_REQUEST_BYTES + " bytes");
    }
    buf.write(bytes, 0, bytes.length);
    Optional<Parsed> p = tryParse(buf.toByteArray());
    p.ifPresent(x -> done = true);
    return p;
  }

  static Optional<Parsed> tryParse(byte[] b) throws BadRequest {
    int[] pos = {0};
    String first = line(b, pos);
    if (first == null) {
      if (b.length >= MAGIC.length() && !startsWith(b, MAGIC)) {
        throw new BadRequest("not a podnet control request");
      }
      return Optional.empty();
    }
    if (!first.startsWith(MAGIC + " ")) {
      throw new BadRequest("not a podnet control request");
    }
    String token = first.substring(MAGIC.length() + 1);
    String host = line(b, pos);
    String cwd = host == null ? null : line(b, pos);
    String argcLine = cwd == null ? null : line(b, pos);
    if (argcLine == null) {
      return Optional.empty();
    }
    int argc;
    try {
      argc = Integer.parseInt(argcLine);
    } catch (NumberFormatException e) {
      throw new BadRequest("argument count is not a number: '" + argcLine + "'");
    }
    if (argc < 1 || argc > MAX_ARGS) {
      throw new BadRequest("argument count out of range 1-" + MAX_ARGS + ": " + argc);
    }
    List<String> argv = new ArrayList<>(argc);
    int p = pos[0];
    for (int i = 0; i < argc; i++) {
      int nul = indexOf(b, (byte) 0, p);
      if (nul < 0) {
        return Optional.empty();
      }
      argv.add(new String(b, p, nul - p, StandardCharsets.UTF_8));
      p = nul + 1;
    }
    return Optional.of(new Parsed(token, new CommandRequest(host, cwd, argv)));
  }

  private static String line(byte[] b, int[] pos) {
    int nl = indexOf(b, (byte) '\n', pos[0]);
    if (nl < 0) {
      return null;
    }
    String s = new String(b, pos[0], nl - pos[0], StandardCharsets.UTF_8);
    pos[0] = nl + 1;
    return s;
  }

  private static int indexOf(byte[] b, byte v, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (b[i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}
