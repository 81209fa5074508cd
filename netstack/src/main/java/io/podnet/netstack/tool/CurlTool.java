package io.podnet.netstack.tool;

import io.podnet.netstack.core.Timers;
import io.podnet.netstack.tcp.SocketError;
import io.podnet.netstack.tcp.TcpConnection;
import io.podnet.netstack.tcp.TcpException;
import io.podnet.netstack.tcp.TcpListener;
import io.podnet.proto.packet.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * curl 8.5.0 (Ubuntu 24.04) for {@code http://} URLs: {@code http://HOST[:PORT][/PATH]}, or
 * without a scheme ({@code HOST}, {@code HOST/PATH}, {@code IP:PORT}). Options: {@code -s}
 * {@code -S} {@code -v} {@code -i} {@code -o FILE} {@code -O} {@code -I} {@code -X METHOD}
 * {@code -H 'Name: value'} {@code -d DATA} (also {@code --data-raw}, {@code --data-binary},
 * {@code @file}) {@code -A UA} {@code --connect-timeout S} {@code -m S} {@code -w FORMAT}
 * {@code -f} {@code -L} {@code -k}, in any order, several URLs in turn.
 *
 * <p>Requests are HTTP/1.1 with curl's headers in curl's order; responses are framed by
 * Content-Length, chunked coding or the connection's close; 1xx responses are skipped. A
 * connection left intact is re-used by the next URL to the same host and port, as curl's
 * connection cache does. The body goes to stdout (taken to be the terminal, so no progress meter)
 * or, with {@code -o}/{@code -O}, to a file, with the progress meter on stderr. Errors and exit
 * codes are curl's: 6 unresolvable, 7 refused or unreachable ({@code Couldn't connect to server},
 * as curl 8 words every failed connect), 28 timeouts, 22 with {@code -f} for a status of 400 and
 * more, 52 empty reply, 56 a connection that breaks, 47 too many redirects. curl notices a timeout
 * when its poll returns, which a Linux box does a millisecond after the deadline at the earliest:
 * the emulation fires its timeouts at deadline + 1 ms of lab time, whence the reference's
 * {@code after 1001 ms} for {@code --connect-timeout 1}. Ctrl-C kills it (exit 130, no message).
 * {@code https://} is refused with {@code curl: (35) podnet: TLS is not emulated}.
 */
public final class CurlTool implements Tool {
  static final String VERSION = "8.5.0";
  private static final long DEFAULT_CONNECT_TIMEOUT_US = 300_000_000L;
  private static final long POLL_LATENCY_US = 1000;
  private static final int MAX_REDIRS = 50;

  private final ToolContext ctx;
  private final List<String> args;

  // options
  private boolean silent;
  private boolean showError;
  private boolean verbose;
  private boolean include;
  private boolean head;
  private boolean fail;
  private boolean location;
  private String method;
  private final List<String> headers = new ArrayList<>();
  private ByteArrayOutputStream data;
  private long connectTimeoutUs;
  private long maxTimeUs;
  private String writeOut;
  private String userAgent = "curl/" + VERSION;
  private final List<Target> targets = new ArrayList<>();
  private final List<String> outputs = new ArrayList<>(); // "-o NAME" in order; "" for -O

  private record Target(String url, String output) {}

  // run state
  private int next;
  private int exitCode;
  private int connectionIds;
  private Conn idle;
  private Transfer current;
  private final CharsetDecoder stdoutDecoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);

  public CurlTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  // ------------------------------------------------------------------ options

  private static final class Usage extends Exception {
    final int code;

    Usage(String message, int code) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  @Override
  public void start() {
    try {
      parse();
    } catch (Usage u) {
      ctx.err(u.getMessage());
      ctx.exit(u.code);
      return;
    }
    ctx.onExit(() -> {
      if (idle != null) {
        idle.tcp.close();
      }
      if (current != null && current.conn != null) {
        current.conn.tcp.close();
      }
    });
    nextUrl();
  }

  private static String tryHelp() {
    return "curl: try 'curl --help' or 'curl --manual' for more information\n";
  }

  private void parse() throws Usage {
    List<String> urls = new ArrayList<>();
    boolean noMoreOptions = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (noMoreOptions || !a.startsWith("-") || a.equals("-")) {
        urls.add(a);
        continue;
      }
      if (a.equals("--")) {
        noMoreOptions = true;
        continue;
      }
      if (a.startsWith("--")) {
        String name = a.substring(2);
        String opt = longToShort(name);
        if (opt == null) {
          throw new Usage("curl: option " + a + ": is unknown\n" + tryHelp(), 2);
        }
        String arg = null;
        if (takesArg(opt)) {
          if (i + 1 >= args.size()) {
            throw new Usage("curl: option " + a + ": requires parameter\n" + tryHelp(), 2);
          }
          arg = args.get(++i);
        }
        apply(opt, arg, a);
        continue;
      }
      for (int j = 1; j < a.length(); j++) {
        String opt = String.valueOf(a.charAt(j));
        if ("sSvioOIXHdAmwfLk".indexOf(a.charAt(j)) < 0) {
          throw new Usage("curl: option -" + a.substring(j) + ": is unknown\n" + tryHelp(), 2);
        }
        if (takesArg(opt)) {
          String arg;
          if (j + 1 < a.length()) {
            arg = a.substring(j + 1);
          } else if (i + 1 < args.size()) {
            arg = args.get(++i);
          } else {
            throw new Usage("curl: option -" + opt + ": requires parameter\n" + tryHelp(), 2);
          }
          apply(opt, arg, "-" + opt);
          break;
        }
        apply(opt, null, "-" + opt);
      }
    }
    if (urls.isEmpty()) {
      throw new Usage("curl: no URL specified!\n" + tryHelp(), 2);
    }
    for (int k = 0; k < urls.size(); k++) {
      targets.add(new Target(urls.get(k), k < outputs.size() ? outputs.get(k) : null));
    }
  }

  private static String longToShort(String name) {
    return switch (name) {
      case "silent" -> "s";
      case "show-error" -> "S";
      case "verbose" -> "v";
      case "include" -> "i";
      case "output" -> "o";
      case "remote-name" -> "O";
      case "head" -> "I";
      case "request" -> "X";
      case "header" -> "H";
      case "data", "data-ascii" -> "d";
      case "data-raw" -> "data-raw";
      case "data-binary" -> "data-binary";
      case "user-agent" -> "A";
      case "max-time" -> "m";
      case "connect-timeout" -> "connect-timeout";
      case "write-out" -> "w";
      case "fail" -> "f";
      case "location" -> "L";
      case "insecure" -> "k";
      case "http1.1" -> "http1.1";
      default -> null;
    };
  }

  private static boolean takesArg(String opt) {
    return List.of("o", "X", "H", "d", "A", "m", "w", "data-raw", "data-binary", "connect-timeout").contains(opt);
  }

  private void apply(String opt, String arg, String spelled) throws Usage {
    switch (opt) {
      case "s" -> silent = true;
      case "S" -> showError = true;
      case "v" -> verbose = true;
      case "i" -> include = true;
      case "o" -> outputs.add(arg);
      case "O" -> outputs.add("");
      case "I" -> head = true;
      case "X" -> method = arg;
      case "H" -> headers.add(arg);
      case "A" -> userAgent = arg;
      case "d", "data-raw", "data-binary" -> {
        byte[] d;
        if (arg.startsWith("@") && !opt.equals("data-raw")) {
          try {
            d = Files.readAllBytes(resolvePath(arg.substring(1)));
          } catch (IOException e) {
            ctx.err("Warning: Couldn't read data from file \"" + arg.substring(1) + "\", this makes an empty POST.\n");
            d = new byte[0];
          }
          if (opt.equals("d")) {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            for (byte b : d) {
              if (b != '\r' && b != '\n') {
                s.write(b);
              }
            }
            d = s.toByteArray();
          }
        } else {
          d = arg.getBytes(StandardCharsets.UTF_8);
        }
        if (data == null) {
          data = new ByteArrayOutputStream();
        } else {
          data.write('&');
        }
        data.writeBytes(d);
      }
      case "m" -> maxTimeUs = seconds(arg, spelled);
      case "connect-timeout" -> connectTimeoutUs = seconds(arg, spelled);
      case "w" -> writeOut = arg;
      case "f" -> fail = true;
      case "L" -> location = true;
      case "k", "http1.1" -> { }
      default -> throw new IllegalStateException(opt);
    }
  }

  /** curl's str2udouble: a non-negative decimal number of seconds. */
  private static long seconds(String s, String spelled) throws Usage {
    if (!s.matches("\\d+(\\.\\d*)?|\\.\\d+")) {
      throw new Usage("curl: option " + spelled + ": expected a proper numerical parameter\n" + tryHelp(), 2);
    }
    return Math.round(Double.parseDouble(s) * 1_000_000);
  }

  private Path resolvePath(String name) {
    return Path.of(ctx.cwd()).resolve(name);
  }

  // ------------------------------------------------------------------ URLs

  private record Url(String host, int port, String path, String text) {
    String hostHeader() {
      return port == 80 ? host : host + ":" + port;
    }
  }

  /** Parses as curl's URL API does for http; the error's message and code on failure. */
  private static Url parseUrl(String s) throws Fail {
    String rest = s;
    int sep = s.indexOf("://");
    if (sep >= 0) {
      String scheme = s.substring(0, sep).toLowerCase(Locale.ROOT);
      if (scheme.equals("https")) {
        throw new Fail(35, "podnet: TLS is not emulated");
      }
      if (!scheme.equals("http")) {
        throw new Fail(1, "Protocol \"" + s.substring(0, sep) + "\" not supported");
      }
      rest = s.substring(sep + 3);
    }
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      rest = rest.substring(0, hash);
    }
    int slash = indexOfAny(rest, "/?");
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "/" : rest.substring(slash);
    if (path.startsWith("?")) {
      path = "/" + path;
    }
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      authority = authority.substring(at + 1);
    }
    String host = authority;
    int port = 80;
    int colon = authority.lastIndexOf(':');
    if (colon >= 0) {
      host = authority.substring(0, colon);
      String p = authority.substring(colon + 1);
      if (!p.isEmpty()) {
        if (!p.matches("\\d{1,5}") || Integer.parseInt(p) > 65535) {
          throw new Fail(3, "URL rejected: Port number was not a decimal number between 0 and 65535");
        }
        port = Integer.parseInt(p);
      }
    }
    if (host.isEmpty()) {
      throw new Fail(3, "URL rejected: No host part in the URL");
    }
    if (host.startsWith("[")) {
      throw new Fail(3, "podnet: IPv6 is not emulated");
    }
    String text = "http://" + host + (colon >= 0 && port != 80 ? ":" + port : "") + path;
    return new Url(host, port, path, text);
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  /** A transfer's failure: curl's exit code and error text. */
  private static final class Fail extends Exception {
    final int code;

    Fail(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  // ------------------------------------------------------------------ transfers

  private void nextUrl() {
    if (next >= targets.size()) {
      finishAll();
      return;
    }
    Target t = targets.get(next++);
    String m = method != null ? method : head ? "HEAD" : data != null ? "POST" : "GET";
    startTransfer(t.url(), t.output(), m, data != null ? data.toByteArray() : null, 0);
  }

  private void finishAll() {
    if (idle != null) {
      if (verbose) {
        // curl_easy_cleanup closes the cached connection without a word in 8.5
      }
      idle.tcp.close();
      idle = null;
    }
    ctx.exit(exitCode);
  }

  private void startTransfer(String urlText, String output, String m, byte[] body, int redirects) {
    Transfer t = new Transfer(urlText, output, m, body, redirects);
    current = t;
    t.begin();
  }

  /** A TCP connection in curl's connection cache. */
  private final class Conn implements TcpListener {
    final int id;
    final String host;
    final int port;
    final Ipv4Address ip;
    TcpConnection tcp;
    Transfer owner;
    boolean dead;

    Conn(int id, String host, int port, Ipv4Address ip) {
      this.id = id;
      this.host = host;
      this.port = port;
      this.ip = ip;
    }

    @Override
    public void onConnected(TcpConnection c) {
      if (owner != null) {
        ctx.guarded(() -> owner.connected());
      }
    }

    @Override
    public void onData(TcpConnection c, byte[] d) {
      if (owner != null) {
        ctx.guarded(() -> owner.received(d));
      }
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
      dead = true;
      if (owner != null) {
        ctx.guarded(() -> owner.peerClosed());
      } else {
        c.close();
      }
    }

    @Override
    public void onError(TcpConnection c, SocketError e) {
      dead = true;
      if (owner != null) {
        ctx.guarded(() -> owner.error(e));
      }
    }
  }

  private enum Phase { CONNECTING, HEADERS, BODY, DONE }

  /** One URL's transfer. */
  private final class Transfer {
    final String urlText;
    final String output;
    final String method;
    final byte[] body;
    final int redirects;
    Url url;
    Conn conn;
    Phase phase = Phase.CONNECTING;
    long start;
    long connectedAt = -1;
    long firstByteAt = -1;
    Timers.Timer connectTimer;
    Timers.Timer maxTimer;
    Timers.Timer meterTimer;
    final HttpWire.Buffer in = new HttpWire.Buffer();
    int code;
    String contentType;
    long headerBytes;
    long requestBytes;
    long size = -1;
    long received;
    boolean chunked;
    HttpWire.ChunkedDecoder chunks;
    boolean closeDelimited;
    boolean keep;
    String redirectTo;
    OutputStream file;
    boolean fileOpened;
    boolean meter;
    boolean meterHeaderShown;
    boolean tracedData;

    Transfer(String urlText, String output, String method, byte[] body, int redirects) {
      this.urlText = urlText;
      this.output = output;
      this.method = method;
      this.body = body;
      this.redirects = redirects;
    }

    void begin() {
      start = ctx.nowMicros();
      try {
        url = parseUrl(urlText);
      } catch (Fail f) {
        done(f.code, f.getMessage());
        return;
      }
      meter = !silent && output != null;
      if (meter) {
        showMeter();
        meterTimer = ctx.after(1_000_000, this::tickMeter);
      }
      if (maxTimeUs > 0) {
        maxTimer = ctx.after(maxTimeUs + POLL_LATENCY_US, this::maxTimeReached);
      }
      if (idle != null && !idle.dead && idle.host.equals(url.host()) && idle.port == url.port()) {
        conn = idle;
        idle = null;
        conn.owner = this;
        info("Re-using existing connection with host " + url.host());
        connected();
        return;
      }
      if (idle != null) {
        idle.tcp.close();
        idle = null;
      }
      Ipv4Address ip = ctx.resolve(url.host());
      if (ip == null) {
        done(6, "Could not resolve host: " + url.host());
        return;
      }
      info("  Trying " + ip + ":" + url.port() + "...");
      conn = new Conn(connectionIds++, url.host(), url.port(), ip);
      conn.owner = this;
      long ct = connectTimeoutUs > 0 ? connectTimeoutUs : DEFAULT_CONNECT_TIMEOUT_US;
      connectTimer = ctx.after(ct + POLL_LATENCY_US, this::connectTimedOut);
      conn.tcp = ctx.tcp().connect(ip, url.port(), conn);
    }

    long elapsedMs() {
      return (ctx.nowMicros() - start) / 1000;
    }

    String connectFailure(String why) {
      return "Failed to connect to " + url.host() + " port " + url.port() + " after " + elapsedMs() + " ms: " + why;
    }

    void connectTimedOut() {
      if (phase == Phase.CONNECTING) {
        conn.owner = null;
        conn.tcp.close();
        done(28, connectFailure("Timeout was reached"));
      }
    }

    void maxTimeReached() {
      if (phase == Phase.DONE) {
        return;
      }
      if (phase == Phase.CONNECTING) {
        connectTimedOut();
        return;
      }
      dropConnection();
      String what = size >= 0 && phase == Phase.BODY
          ? received + " out of " + size + " bytes received" : received + " bytes received";
      done(28, "Operation timed out after " + elapsedMs() + " milliseconds with " + what);
    }

    void dropConnection() {
      if (conn != null) {
        conn.owner = null;
        conn.tcp.close();
      }
    }

    void connected() {
      if (phase != Phase.CONNECTING) {
        return;
      }
      if (connectTimer != null) {
        connectTimer.cancel();
      }
      connectedAt = ctx.nowMicros();
      if (connectTimer != null) {
        info("Connected to " + url.host() + " (" + conn.ip + ") port " + url.port());
      }
      phase = Phase.HEADERS;
      byte[] req = request();
      requestBytes = req.length - (body == null ? 0 : body.length);
      if (verbose) {
        String text = new String(req, 0, (int) requestBytes, StandardCharsets.ISO_8859_1);
        StringBuilder sb = new StringBuilder();
        for (String l : text.split("(?<=\n)")) {
          sb.append("> ").append(l);
        }
        ctx.err(sb.toString());
        if (body != null && body.length > 0 && output != null) {
          ctx.err("} [" + body.length + " bytes data]\n");
        }
      }
      try {
        conn.tcp.send(req);
      } catch (TcpException e) {
        dropConnection();
        done(55, "Failed sending data to the peer");
      }
    }

    /** The request as curl 8.5 builds it (http.c): its default headers, the custom ones, the body's. */
    byte[] request() {
      StringBuilder sb = new StringBuilder();
      sb.append(method).append(' ').append(url.path()).append(" HTTP/1.1\r\n");
      String customHost = custom("Host");
      if (customHost == null) {
        sb.append("Host: ").append(url.hostHeader()).append("\r\n");
      } else if (!customHost.isEmpty()) {
        sb.append(customHost).append("\r\n");
      }
      if (custom("User-Agent") == null && !userAgent.isEmpty()) {
        sb.append("User-Agent: ").append(userAgent).append("\r\n");
      }
      if (custom("Accept") == null) {
        sb.append("Accept: */*\r\n");
      }
      for (String h : headers) {
        String hn = headerName(h);
        if (hn == null || hn.equalsIgnoreCase("Host")) {
          continue;
        }
        if (h.endsWith(";") && h.indexOf(':') < 0) {
          sb.append(h, 0, h.length() - 1).append(":\r\n"); // "Name;" sends an empty header
          continue;
        }
        String value = h.substring(h.indexOf(':') + 1).strip();
        if (value.isEmpty()) {
          continue; // "Name:" removes an internal header and adds nothing
        }
        sb.append(h).append("\r\n");
      }
      if (body != null) {
        if (custom("Content-Length") == null) {
          sb.append("Content-Length: ").append(body.length).append("\r\n");
        }
        if (custom("Content-Type") == null) {
          sb.append("Content-Type: application/x-www-form-urlencoded\r\n");
        }
      }
      sb.append("\r\n");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        out.writeBytes(body);
      }
      return out.toByteArray();
    }

    /** The custom header named {@code name} as given ("" when it removes the default), or null. */
    String custom(String name) {
      String found = null;
      for (String h : headers) {
        String hn = headerName(h);
        if (hn != null && hn.equalsIgnoreCase(name)) {
          String value = h.indexOf(':') >= 0 ? h.substring(h.indexOf(':') + 1).strip() : "";
          found = value.isEmpty() && !h.endsWith(";") ? "" : h;
        }
      }
      return found;
    }

    void received(byte[] d) {
      if (phase == Phase.DONE || phase == Phase.CONNECTING) {
        return;
      }
      if (firstByteAt < 0) {
        firstByteAt = ctx.nowMicros();
      }
      in.append(d);
      try {
        process(false);
      } catch (HttpWire.ProtocolException e) {
        dropConnection();
        done(56, e.getMessage());
      }
    }

    void process(boolean eof) throws HttpWire.ProtocolException {
      while (phase == Phase.HEADERS) {
        int n = in.headerBlockEnd();
        if (n < 0) {
          if (eof) {
            dropConnection();
            if (in.size() == 0 && headerBytes == 0) {
              done(52, "Empty reply from server");
            } else {
              done(56, "Recv failure: Connection reset by peer");
            }
          }
          return;
        }
        byte[] block = in.take(n);
        headerBytes += n;
        HttpWire.Head h = HttpWire.parseHead(block);
        String[] st = h.startLine().split(" ", 3);
        if (!h.startLine().startsWith("HTTP/1.") || st.length < 2 || !st[1].matches("\\d{3}")) {
          dropConnection();
          done(1, "Received HTTP/0.9 when not allowed");
          return;
        }
        code = Integer.parseInt(st[1]);
        if (verbose) {
          StringBuilder sb = new StringBuilder();
          for (String l : new String(block, StandardCharsets.ISO_8859_1).split("(?<=\n)")) {
            sb.append("< ").append(l);
          }
          ctx.err(sb.toString());
        }
        if (include || head && method.equals("HEAD")) {
          writeBody(block, 0, block.length);
        }
        if (code >= 100 && code < 200 && code != 101) {
          continue; // an interim response: the real one follows
        }
        contentType = h.get("Content-Type");
        boolean http10 = h.startLine().startsWith("HTTP/1.0");
        keep = http10 ? h.hasToken("Connection", "keep-alive") : !h.hasToken("Connection", "close");
        if (location && code >= 300 && code < 400 && h.get("Location") != null) {
          redirectTo = h.get("Location");
        }
        if (fail && code >= 400) {
          dropConnection();
          info("The requested URL returned error: " + code);
          info("Closing connection");
          done(22, "The requested URL returned error: " + code);
          return;
        }
        String te = h.get("Transfer-Encoding");
        String cl = h.get("Content-Length");
        if (method.equals("HEAD") || code == 204 || code == 304) {
          size = 0;
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
          chunked = true;
          chunks = new HttpWire.ChunkedDecoder();
        } else if (cl != null && cl.matches("\\d{1,18}")) {
          size = Long.parseLong(cl);
        } else {
          closeDelimited = true;
          keep = false;
        }
        phase = Phase.BODY;
      }
      if (phase != Phase.BODY) {
        return;
      }
      if (chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks.decode(in, out);
        byte[] b = out.toByteArray();
        deliver(b);
        if (chunks.done()) {
          complete();
          return;
        }
      } else if (size >= 0) {
        int n = (int) Math.min(in.size(), size - received);
        deliver(in.take(n));
        if (received == size) {
          complete();
          return;
        }
      } else {
        deliver(in.take(in.size()));
      }
      if (eof) {
        if (closeDelimited) {
          complete();
        } else {
          dropConnection();
          String what = size >= 0 ? (size - received) + " bytes remaining to read"
              : "chunked transfer";
          done(18, size >= 0 ? "transfer closed with " + what : "transfer closed with outstanding read data remaining");
        }
      }
    }

    void deliver(byte[] b) {
      if (b.length == 0) {
        return;
      }
      received += b.length;
      if (verbose && output != null && !tracedData) {
        // tool_cb_dbg.c: with the body not going to the terminal, a note of the first data seen
        tracedData = true;
        ctx.err("{ [" + b.length + " bytes data]\n");
      }
      if (!(head && method.equals("HEAD")) && redirectTo == null) { // a body curl follows past is not shown
        writeBody(b, 0, b.length);
      }
    }

    void writeBody(byte[] b, int off, int len) {
      if (output == null) {
        stdout(b, off, len);
        return;
      }
      try {
        openFile();
        if (file != null) {
          file.write(b, off, len);
        }
      } catch (IOException e) {
        dropConnection();
        done(23, "Failure writing output to destination");
      }
    }

    void openFile() throws IOException {
      if (fileOpened) {
        return;
      }
      fileOpened = true;
      String name = output;
      if (name.isEmpty()) {
        String p = url.path();
        int q = p.indexOf('?');
        p = q >= 0 ? p.substring(0, q) : p;
        name = p.substring(p.lastIndexOf('/') + 1);
        if (name.isEmpty()) {
          throw new IOException("Remote file name has no length!");
        }
      }
      try {
        file = Files.newOutputStream(resolvePath(name));
      } catch (NoSuchFileException e) {
        ctx.err("Warning: Failed to open the file " + name + ": No such file or directory\n");
        throw e;
      } catch (IOException e) {
        ctx.err("Warning: Failed to open the file " + name + ": Permission denied\n");
        throw e;
      }
    }

    void peerClosed() {
      try {
        if (phase == Phase.CONNECTING) {
          return;
        }
        process(true);
      } catch (HttpWire.ProtocolException e) {
        dropConnection();
        done(56, e.getMessage());
      }
    }

    void error(SocketError e) {
      if (phase == Phase.DONE) {
        return;
      }
      conn.owner = null;
      if (phase == Phase.CONNECTING) {
        if (connectTimer != null) {
          connectTimer.cancel();
        }
        if (conn.tcp.localPort() == 0) {
          info("Immediate connect fail for " + conn.ip + ": " + e.message());
        } else {
          info("connect to " + conn.ip + " port " + url.port() + " from " + conn.tcp.localAddress() + " port "
              + conn.tcp.localPort() + " failed: " + e.message());
        }
        done(7, connectFailure("Couldn't connect to server"));
        return;
      }
      if (phase == Phase.HEADERS && in.size() == 0 && headerBytes == 0 && e == SocketError.ECONNRESET) {
        done(56, "Recv failure: Connection reset by peer");
        return;
      }
      done(56, "Recv failure: " + e.message());
    }

    void complete() {
      if (output != null && !fileOpened) {
        try {
          openFile(); // curl creates the file even for an empty body
        } catch (IOException e) {
          dropConnection();
          done(23, "Failure writing output to destination");
          return;
        }
      }
      if (keep && !conn.dead) {
        conn.owner = null;
        idle = conn;
        info("Connection #" + conn.id + " to host " + url.host() + " left intact");
      } else {
        dropConnection();
        info("Closing connection");
      }
      done(0, null);
    }

    /** The transfer ends: message, -w, the next URL (or the redirect). */
    void done(int result, String error) {
      if (phase == Phase.DONE) {
        return;
      }
      phase = Phase.DONE;
      for (Timers.Timer tm : new Timers.Timer[] {connectTimer, maxTimer, meterTimer}) {
        if (tm != null) {
          tm.cancel();
        }
      }
      if (meter) {
        showMeter();
        ctx.err("\n");
      }
      if (file != null) {
        try {
          file.close();
        } catch (IOException e) {
          // reported as curl does not: the data were written
        }
      }
      if (result != 0 && verbose && result != 22) {
        ctx.err("* " + error + "\n");
        if (url != null) {
          ctx.err("* Closing connection\n");
        }
      }
      if (result == 0 && redirectTo != null) {
        if (redirects >= MAX_REDIRS) {
          result = 47;
          error = "Maximum (" + MAX_REDIRS + ") redirects followed";
        } else {
          String target = absolute(redirectTo);
          info("Issue another request to this URL: '" + target + "'");
          String m = method;
          byte[] b = body;
          if (code == 303 || (code == 301 || code == 302) && method.equals("POST")) {
            m = method.equals("HEAD") ? "HEAD" : "GET";
            b = null;
          }
          startTransfer(target, output, m, b, redirects + 1);
          return;
        }
      }
      if (writeOut != null) {
        flushStdout();
        writeOut(this, result, error);
      }
      if (result != 0) {
        flushStdout();
        if (!silent || showError) {
          ctx.err("curl: (" + result + ") " + error + "\n");
        }
      }
      exitCode = result;
      current = null;
      nextUrl();
    }

    String absolute(String loc) {
      if (loc.matches("(?i)^[a-z][a-z0-9+.-]*://.*")) {
        return loc;
      }
      String base = "http://" + url.hostHeader();
      if (loc.startsWith("//")) {
        return "http:" + loc;
      }
      if (loc.startsWith("/")) {
        return base + loc;
      }
      String p = url.path();
      int q = p.indexOf('?');
      p = q >= 0 ? p.substring(0, q) : p;
      return base + p.substring(0, p.lastIndexOf('/') + 1) + loc;
    }

    // ---- progress meter (progress.c) ----

    void tickMeter() {
      showMeter();
      meterTimer = ctx.after(1_000_000, this::tickMeter);
    }

    void showMeter() {
      if (!meterHeaderShown) {
        meterHeaderShown = true;
        ctx.err("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
            + "                                 Dload  Upload   Total   Spent    Left  Speed\n");
      }
      long us = ctx.nowMicros() - start;
      long speed = us < 1 ? received * 1_000_000L : received * 1_000_000L / us;
      boolean known = size >= 0 && phase != Phase.CONNECTING;
      long total = known ? size : 0;
      int pct = total > 0 ? (int) (total > 10000 ? received / (total / 100) : received * 100 / total) : 0;
      long estSecs = known && speed > 0 ? total / speed : 0;
      long spent = us / 1_000_000;
      ctx.err(String.format("\r%3d %s  %3d %s  %3d %s  %s  %s %s %s %s %s", pct, max5(total), pct, max5(received),
          0, max5(0), max5(speed), max5(0), time2str(estSecs), time2str(spent),
          time2str(estSecs > 0 ? estSecs - spent : 0), max5(speed)));
    }
  }

  static String max5(long bytes) {
    long k = 1024;
    long m = k * k;
    long g = m * k;
    if (bytes < 100000) {
      return String.format("%5d", bytes);
    } else if (bytes < 10000 * k) {
      return String.format("%4dk", bytes / k);
    } else if (bytes < 100 * m) {
      return String.format("%2d.%dM", bytes / m, (bytes % m) / (m / 10));
    } else if (bytes < 10000 * m) {
      return String.format("%4dM", bytes / m);
    } else if (bytes < 100 * g) {
      return String.format("%2d.%dG", bytes / g, (bytes % g) / (g / 10));
    }
    return String.format("%4dG", bytes / g);
  }

  static String time2str(long seconds) {
    if (seconds <= 0) {
      return "--:--:--";
    }
    long h = seconds / 3600;
    if (h <= 99) {
      return String.format("%2d:%02d:%02d", h, (seconds % 3600) / 60, seconds % 60);
    }
    long d = seconds / 86400;
    return d <= 999 ? String.format("%3dd %02dh", d, h % 24) : String.format("%7dd", d);
  }

  // ------------------------------------------------------------------ output

  private void stdout(byte[] b, int off, int len) {
    ByteBuffer in = ByteBuffer.wrap(b, off, len);
    pending = concat(pending, in);
    CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
    stdoutDecoder.decode(pending, out, false);
    out.flip();
    ctx.out(out.toString());
  }

  private ByteBuffer pending = ByteBuffer.allocate(0);

  private static ByteBuffer concat(ByteBuffer a, ByteBuffer b) {
    ByteBuffer r = ByteBuffer.allocate(a.remaining() + b.remaining());
    r.put(a).put(b).flip();
    return r;
  }

  private void flushStdout() {
    CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
    stdoutDecoder.decode(pending, out, true);
    stdoutDecoder.flush(out);
    stdoutDecoder.reset();
    pending = ByteBuffer.allocate(0);
    out.flip();
    ctx.out(out.toString());
  }

  private void info(String s) {
    if (verbose) {
      ctx.err("* " + s + "\n");
    }
  }

  private static String headerName(String h) {
    int c = h.indexOf(':');
    int s = h.indexOf(';');
    int end = c >= 0 ? c : s;
    return end > 0 ? h.substring(0, end).strip() : null;
  }

  /** -w: %{variable}s, %% and the backslash escapes curl's writeout knows. */
  private void writeOut(Transfer t, int result, String error) {
    StringBuilder sb = new StringBuilder();
    String w = writeOut;
    boolean toErr = false;
    StringBuilder err = new StringBuilder();
    for (int i = 0; i < w.length(); i++) {
      char c = w.charAt(i);
      StringBuilder dst = toErr ? err : sb;
      if (c == '%' && i + 1 < w.length() && w.charAt(i + 1) == '%') {
        dst.append('%');
        i++;
      } else if (c == '%' && i + 1 < w.length() && w.charAt(i + 1) == '{' && w.indexOf('}', i) > 0) {
        int end = w.indexOf('}', i);
        String var = w.substring(i + 2, end);
        i = end;
        if (var.equals("stderr")) {
          toErr = true;
          continue;
        }
        if (var.equals("stdout")) {
          toErr = false;
          continue;
        }
        String v = variable(t, var, result, error);
        if (v == null) {
          ctx.err("curl: unknown --write-out variable: '" + var + "'\n");
        } else {
          dst.append(v);
        }
      } else if (c == '\\' && i + 1 < w.length()) {
        char e = w.charAt(i + 1);
        switch (e) {
          case 'n' -> dst.append('\n');
          case 'r' -> dst.append('\r');
          case 't' -> dst.append('\t');
          case '\\' -> dst.append('\\');
          default -> dst.append(c).append(e);
        }
        i++;
      } else {
        dst.append(c);
      }
    }
    ctx.out(sb.toString());
    ctx.err(err.toString());
  }

  private String variable(Transfer t, String var, int result, String error) {
    boolean conn = t.conn != null && t.conn.tcp != null && t.connectedAt >= 0;
    return switch (var) {
      case "http_code", "response_code" -> String.format("%03d", t.code);
      case "size_download" -> Long.toString(t.received);
      case "size_header" -> Long.toString(t.headerBytes);
      case "size_request" -> Long.toString(t.requestBytes);
      case "size_upload" -> Long.toString(t.body == null || !conn ? 0 : t.body.length);
      case "remote_ip" -> t.conn != null ? t.conn.ip.toString() : "";
      case "remote_port" -> conn ? Integer.toString(t.url.port()) : "0";
      case "local_ip" -> conn ? t.conn.tcp.localAddress().toString() : "";
      case "local_port" -> conn ? Integer.toString(t.conn.tcp.localPort()) : "0";
      case "time_total" -> secs(ctx.nowMicros() - t.start);
      case "time_connect" -> secs(t.connectedAt < 0 ? 0 : t.connectedAt - t.start);
      case "time_starttransfer" -> secs(t.firstByteAt < 0 ? 0 : t.firstByteAt - t.start);
      case "url_effective" -> t.url != null ? t.url.text() : t.urlText;
      case "url" -> t.urlText;
      case "num_connects" -> Integer.toString(t.connectedAt >= 0 && t.connectTimer != null ? 1 : 0);
      case "num_redirects" -> Integer.toString(t.redirects);
      case "content_type" -> t.contentType == null ? "" : t.contentType;
      case "exitcode" -> Integer.toString(result);
      case "errormsg" -> error == null ? "" : error;
      case "method" -> t.method;
      case "scheme" -> "HTTP";
      case "http_version" -> t.code > 0 ? "1.1" : "0";
      default -> null;
    };
  }

  private static String secs(long us) {
    return String.format("%d.%06d", us / 1_000_000, us % 1_000_000);
  }
}
