package io.podnet.netstack.tool;

import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.tcp.SocketError;
import io.podnet.netstack.tcp.TcpConnection;
import io.podnet.netstack.tcp.TcpException;
import io.podnet.netstack.tcp.TcpListener;
import io.podnet.netstack.tcp.TcpServerSocket;
import io.podnet.proto.packet.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * traefik/whoami (the image the reference lab's webpods run), a Go net/http server, as a host
 * daemon: {@code whoami [-port N] [-name NAME] [-verbose]} (Go's flag syntax: one or two dashes,
 * {@code -port=80} or {@code -port 80}). Routes as in its app.go: {@code /} (the whoami text: an
 * optional {@code Name:}, {@code Hostname:}, one {@code IP:} per address in interface order, IPv4
 * then the IPv6 one Linux gives an up link ({@code ::1}, the EUI-64 link-local), {@code RemoteAddr:},
 * then the request as Go's Request.Write renders it; {@code ?wait=DURATION} delays the answer),
 * {@code /health} (GET answers with the current status code, POST with a JSON integer sets it),
 * {@code /api} (the same facts as JSON), {@code /bench} ({@code 1}), {@code /data?size=N&unit=kb}
 * (generated content, chunked), {@code /echo} (WebSocket: a plain request gets Go's 400).
 *
 * <p>The server side is Go's: HTTP/1.1 keep-alive until the client closes, {@code Connection:
 * close} and HTTP/1.0 honoured, the response headers in Go's order (the handler's sorted, then
 * {@code Date}, {@code Content-Length} for bodies up to 2048 bytes, else chunked, the sniffed
 * {@code Content-Type}), Go's 400/505 replies to malformed requests, ServeMux's 301 for unclean
 * paths. {@code Date} is the host's CLOCK_REALTIME. No idle timeout (ListenAndServe
 * sets none). The process has no signal handler, as a Go program: INT and TERM kill it (130/143).
 * Not emulated: TLS ({@code -cert}/{@code -key} refuse to start), WebSocket upgrades,
 * {@code ?env=true} (the process has no environment), {@code /data?attachment=true}'s range support.
 */
public final class WhoamiTool implements Tool {
  private static final int MAX_HEADER_BYTES = (1 << 20) + 4096;
  private static final int BUFFER = 2048;
  private static final String CONTENT_CHARSET = "-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  private static final String ERROR_HEADERS = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";

  private final ToolContext ctx;
  private final List<String> args;
  private String port = "80";
  private String name = "";
  private boolean verbose;
  private String cert = "";
  private String key = "";
  private String allowedOrigins = "*";
  private int healthStatus = 200;
  private TcpServerSocket server;
  private final Set<Conn> conns = new HashSet<>();

  public WhoamiTool(ToolContext ctx, List<String> args) {
    this.ctx = ctx;
    this.args = args;
  }

  // ------------------------------------------------------------------ flags and start

  @Override
  public void start() {
    String err = parseFlags();
    if (err != null) {
      if (!err.isEmpty()) {
        ctx.err(err + "\n");
      }
      ctx.err(usage());
      ctx.exit(err.isEmpty() ? 0 : 2);
      return;
    }
    if (!cert.isEmpty() && !key.isEmpty()) {
      ctx.err("podnet: whoami: TLS (-cert/-key) is not emulated\n");
      ctx.exit(1);
      return;
    }
    ctx.err(HttpWire.logDate(ctx.realtimeMicros()) + " Starting up on port " + port + "\n");
    int p;
    if (port.matches("\\d{1,5}")) {
      p = Integer.parseInt(port);
      if (p > 65535) {
        fatal("listen tcp: address " + port + ": invalid port");
        return;
      }
    } else if (port.equals("http")) {
      p = 80;
    } else {
      fatal("listen tcp: lookup tcp/" + port + ": unknown port");
      return;
    }
    if (p == 0) {
      fatal("listen tcp :0: podnet: an ephemeral listening port is not emulated");
      return;
    }
    try {
      server = ctx.tcp().listen(Ipv4Address.ANY, p, 4096, Conn::new);
    } catch (TcpException e) {
      fatal("listen tcp :" + port + ": bind: " + e.error().message().toLowerCase());
      return;
    }
    ctx.onExit(() -> {
      server.close();
      for (Conn c : List.copyOf(conns)) {
        c.conn.close();
      }
      conns.clear();
    });
  }

  private void fatal(String msg) {
    ctx.err(HttpWire.logDate(ctx.realtimeMicros()) + " " + msg + "\n");
    ctx.exit(1);
  }

  /** Go's flag.Parse with ExitOnError: null when fine, "" for -h, else the error line. */
  private String parseFlags() {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.length() < 2 || a.charAt(0) != '-') {
        return null; // the first non-flag ends the flags
      }
      String n = a.substring(a.startsWith("--") ? 2 : 1);
      if (a.equals("--")) {
        return null;
      }
      if (n.isEmpty() || n.charAt(0) == '-' || n.charAt(0) == '=') {
        return "bad flag syntax: " + a;
      }
      String value = null;
      int eq = n.indexOf('=');
      if (eq >= 0) {
        value = n.substring(eq + 1);
        n = n.substring(0, eq);
      }
      if (n.equals("h") || n.equals("help")) {
        return "";
      }
      if (n.equals("verbose")) {
        if (value == null) {
          verbose = true;
        } else {
          Boolean b = goBool(value);
          if (b == null) {
            return "invalid boolean value \"" + value + "\" for -" + n + ": parse error";
          }
          verbose = b;
        }
        continue;
      }
      if (!List.of("cert", "key", "cacert", "port", "name", "allowed-origins").contains(n)) {
        return "flag provided but not defined: -" + n;
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          return "flag needs an argument: -" + n;
        }
        value = args.get(++i);
      }
      switch (n) {
        case "cert" -> cert = value;
        case "key" -> key = value;
        case "port" -> port = value;
        case "name" -> name = value;
        case "allowed-origins" -> allowedOrigins = value;
        default -> { } // cacert: only used with TLS
      }
    }
    return null;
  }

  private static Boolean goBool(String s) {
    return switch (s) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> null;
    };
  }

  static String usage() {
    return "Usage of whoami:\n"
        + "  -allowed-origins string\n    \tgive me a list of allowed clients (default \"*\")\n"
        + "  -cacert string\n    \tgive me a CA chain, enforces mutual TLS\n"
        + "  -cert string\n    \tgive me a certificate\n"
        + "  -key string\n    \tgive me a key\n"
        + "  -name string\n    \tgive me a name\n"
        + "  -port string\n    \tgive me a port number (default \"80\")\n"
        + "  -verbose\n    \tEnable verbose logging\n";
  }

  // ------------------------------------------------------------------ requests

  /** A parsed request, as Go's http.ReadRequest leaves it. */
  private record Request(String method, String requestUri, String path, String rawQuery, int protoMinor, String host,
      List<HttpWire.Field> header, boolean close, boolean chunked, byte[] body, String remoteAddr) {

    boolean has(String k) {
      return get(k) != null;
    }

    String get(String k) {
      for (HttpWire.Field f : header) {
        if (f.name().equalsIgnoreCase(k)) {
          return f.value();
        }
      }
      return null;
    }
  }

  /** A response as the handler leaves it: status, its header map, its body. */
  private static final class Response {
    int code = 200;
    final TreeMap<String, List<String>> header = new TreeMap<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean stream; // io.Copy from a reader: headers flushed after 512 bytes, then chunked
    boolean panic;

    void set(String k, String v) {
      header.put(k, new ArrayList<>(List.of(v)));
    }

    void print(String s) {
      body.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** One accepted connection, served as Go's conn.serve does: one request at a time. */
  private final class Conn implements TcpListener {
    final TcpConnection conn;
    final HttpWire.Buffer in = new HttpWire.Buffer();
    boolean busy;
    boolean peerClosed;
    boolean closed;
    boolean sentContinue;

    Conn(TcpConnection c) {
      this.conn = c;
      conns.add(this);
    }

    TcpListener listener() {
      return this;
    }

    @Override
    public void onData(TcpConnection c, byte[] data) {
      ctx.guarded(() -> {
        in.append(data);
        pump();
      });
    }

    @Override
    public void onPeerClosed(TcpConnection c) {
      ctx.guarded(() -> {
        peerClosed = true;
        pump();
      });
    }

    @Override
    public void onError(TcpConnection c, SocketError e) {
      closed = true;
      conns.remove(this);
    }

    void close() {
      if (!closed) {
        closed = true;
        conns.remove(this);
        conn.close();
      }
    }

    void write(byte[] b) {
      if (closed) {
        return;
      }
      try {
        conn.send(b);
      } catch (TcpException e) {
        close();
      }
    }

    void pump() {
      while (!busy && !closed) {
        int n = in.headerBlockEnd();
        if (n < 0) {
          if (in.size() > MAX_HEADER_BYTES) {
            reject("431 Request Header Fields Too Large");
          } else if (peerClosed) {
            close(); // EOF, possibly in the middle of a request: nothing to answer
          }
          return;
        }
        Request r;
        try {
          r = readRequest(n);
        } catch (BadRequest e) {
          in.take(n);
          reject(e.getMessage());
          return;
        }
        if (r == null) {
          if (peerClosed) {
            close();
          }
          return; // the body is not all here yet
        }
        busy = true;
        serve(r);
      }
    }

    /** A request Go refuses before the handler: status line and body are the same text. */
    void reject(String publicErr) {
      write(HttpWire.ascii("HTTP/1.1 " + publicErr + ERROR_HEADERS + publicErr));
      close();
    }

    /** Parses the request at the front of the buffer; null while its body is incomplete. */
    Request readRequest(int headLen) throws BadRequest {
      byte[] block = new byte[headLen];
      for (int i = 0; i < headLen; i++) {
        block[i] = in.at(i);
      }
      HttpWire.Head head;
      try {
        head = HttpWire.parseHead(block);
      } catch (HttpWire.ProtocolException e) {
        throw new BadRequest("400 Bad Request");
      }
      String line = head.startLine();
      int sp1 = line.indexOf(' ');
      int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
      if (sp1 < 0 || sp2 < 0) {
        throw new BadRequest("400 Bad Request");
      }
      String method = line.substring(0, sp1);
      String uri = line.substring(sp1 + 1, sp2);
      String proto = line.substring(sp2 + 1);
      if (!HttpWire.isToken(method) || uri.isEmpty()) {
        throw new BadRequest("400 Bad Request");
      }
      int minor;
      if (proto.equals("HTTP/1.1")) {
        minor = 1;
      } else if (proto.equals("HTTP/1.0")) {
        minor = 0;
      } else if (proto.matches("HTTP/\\d{1,3}\\.\\d{1,3}")) {
        if (!proto.startsWith("HTTP/1.")) {
          throw new BadRequest("505 HTTP Version Not Supported: unsupported protocol version");
        }
        minor = Integer.parseInt(proto.substring(7));
      } else {
        throw new BadRequest("400 Bad Request");
      }
      String path = uri;
      String host = null;
      if (uri.startsWith("http://") || uri.startsWith("https://")) {
        String rest = uri.substring(uri.indexOf("//") + 2);
        int slash = rest.indexOf('/');
        host = slash < 0 ? rest : rest.substring(0, slash);
        path = slash < 0 ? "/" : rest.substring(slash);
      } else if (!uri.startsWith("/") && !uri.equals("*") && !method.equals("CONNECT")) {
        throw new BadRequest("400 Bad Request");
      }
      String rawQuery = "";
      int q = path.indexOf('?');
      if (q >= 0) {
        rawQuery = path.substring(q + 1);
        path = path.substring(0, q);
      }
      List<HttpWire.Field> fields = new ArrayList<>();
      List<String> hosts = new ArrayList<>();
      for (HttpWire.Field f : head.fields()) {
        if (f.name().equalsIgnoreCase("Host")) {
          hosts.add(f.value());
        } else {
          fields.add(new HttpWire.Field(HttpWire.canonicalKey(f.name()), f.value()));
        }
      }
      if (minor >= 1 && hosts.isEmpty() && host == null) {
        throw new BadRequest("400 Bad Request: missing required Host header");
      }
      if (hosts.size() > 1) {
        throw new BadRequest("400 Bad Request: too many Host headers");
      }
      if (host == null) {
        host = hosts.isEmpty() ? "" : hosts.get(0);
      }
      boolean close = head.hasToken("Connection", "close") || minor == 0 && !head.hasToken("Connection", "keep-alive");
      if (head.hasToken("Connection", "close")) {
        fields.removeIf(f -> f.name().equals("Connection")); // shouldClose(..., removeCloseHeader=true)
      }
      String te = head.get("Transfer-Encoding");
      boolean chunked = false;
      if (te != null && minor >= 1) {
        if (!te.equalsIgnoreCase("chunked")) {
          throw new BadRequest("501 Not Implemented");
        }
        if (head.has("Content-Length")) {
          throw new BadRequest("400 Bad Request");
        }
        chunked = true;
      }
      long length = 0;
      String cl = head.get("Content-Length");
      if (!chunked && cl != null) {
        if (!cl.matches("\\d{1,18}")) {
          throw new BadRequest("400 Bad Request");
        }
        length = Long.parseLong(cl);
      }
      String remote = conn.remoteAddress() + ":" + conn.remotePort();
      byte[] body;
      if (chunked) {
        HttpWire.Buffer copy = new HttpWire.Buffer();
        for (int i = headLen; i < in.size(); i++) {
          copy.append(new byte[] {in.at(i)});
        }
        HttpWire.ChunkedDecoder d = new HttpWire.ChunkedDecoder();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
          d.decode(copy, out);
        } catch (HttpWire.ProtocolException e) {
          throw new BadRequest("400 Bad Request");
        }
        if (!d.done()) {
          expectContinue(head, minor);
          return null;
        }
        in.take(in.size() - copy.size());
        body = out.toByteArray();
      } else {
        if (in.size() - headLen < length) {
          expectContinue(head, minor);
          return null;
        }
        in.take(headLen);
        body = in.take((int) length);
      }
      sentContinue = false;
      return new Request(method, uri.startsWith("http") ? path + (q >= 0 ? "?" + rawQuery : "") : uri, path,
          rawQuery, minor, host, fields, close, chunked, body, remote);
    }

    /** Go's expectContinueReader: "100 Continue" once the handler starts reading the body. */
    void expectContinue(HttpWire.Head head, int minor) {
      if (!sentContinue && minor >= 1 && head.hasToken("Expect", "100-continue")) {
        sentContinue = true;
        write(HttpWire.ascii("HTTP/1.1 100 Continue\r\n\r\n"));
      }
    }

    void serve(Request r) {
      String clean = cleanPath(r.path());
      if (!r.method().equals("CONNECT") && !clean.equals(r.path()) && !r.requestUri().equals("*")) {
        Response w = new Response();
        String url = clean + (r.rawQuery().isEmpty() ? "" : "?" + r.rawQuery());
        w.code = 301;
        w.set("Location", url);
        if (r.method().equals("GET") || r.method().equals("HEAD")) {
          w.set("Content-Type", "text/html; charset=utf-8");
          w.print("<a href=\"" + htmlEscape(url) + "\">Moved Permanently</a>.\n\n");
        }
        finish(r, w);
        return;
      }
      Response w = new Response();
      switch (r.path()) {
        case "/health" -> health(r, w);
        case "/bench" -> {
          w.set("Connection", "keep-alive");
          w.set("Content-Type", "text/plain");
          w.print("1");
        }
        case "/api" -> {
          w.set("Access-Control-Allow-Origin", allowedOrigins);
          w.set("Access-Control-Allow-Methods", "*");
          api(r, w);
        }
        case "/data" -> data(r, w);
        case "/echo" -> {
          ctx.err(HttpWire.logDate(ctx.realtimeMicros())
              + " websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'connection' header\n");
          w.set("Sec-Websocket-Version", "13");
          httpError(w, "Bad Request", 400);
        }
        default -> {
          long waitNs = goDuration(query(r.rawQuery(), "wait"));
          if (waitNs > 0) {
            ctx.after((waitNs + 999) / 1000, () -> {
              whoami(r, w);
              finish(r, w);
            });
            return;
          }
          whoami(r, w);
        }
      }
      finish(r, w);
    }

    /** Writes the response as Go's chunkWriter.writeHeader frames it, then the next request. */
    void finish(Request r, Response w) {
      if (closed) {
        return;
      }
      if (w.panic) {
        ctx.err(HttpWire.logDate(ctx.realtimeMicros()) + " http: panic serving " + r.remoteAddr()
            + ": invalid WriteHeader code " + w.code + "\n");
        close();
        return;
      }
      if (verbose) {
        ctx.err(HttpWire.logDate(ctx.realtimeMicros()) + " " + r.remoteAddr() + " - - ["
            + java.time.format.DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", java.util.Locale.ROOT).format(
                java.time.Instant.EPOCH.plusNanos(ctx.realtimeMicros() * 1000).atOffset(java.time.ZoneOffset.UTC))
            + "] \"" + r.method() + " " + r.path() + " HTTP/1." + r.protoMinor() + "\" - -\n");
      }
      int code = w.code;
      if (code >= 100 && code <= 199 && code != 101) {
        // an informational header, then the real response when the handler returns
        StringBuilder info = new StringBuilder("HTTP/1.1 " + statusLine(code) + "\r\n");
        w.header.forEach((k, vs) -> vs.forEach(v -> info.append(k).append(": ").append(v).append("\r\n")));
        write(HttpWire.ascii(info.append("\r\n").toString()));
        code = 200;
      }
      boolean head = r.method().equals("HEAD");
      byte[] body = w.body.toByteArray();
      boolean closeAfter = r.close();
      String contentLength = null;
      boolean chunking = false;
      boolean allowed = HttpWire.bodyAllowed(code);
      if (!w.stream && body.length <= BUFFER && allowed && !w.header.containsKey("Content-Length")
          && (!head || body.length > 0)) {
        contentLength = Integer.toString(body.length);
      } else if (w.header.containsKey("Content-Length")) {
        contentLength = null;
      } else if (head || !allowed) {
        // nothing
      } else if (r.protoMinor() >= 1) {
        chunking = true;
      } else {
        closeAfter = true;
      }
      String contentType = null;
      if (!w.header.containsKey("Content-Type") && allowed && body.length > 0) {
        contentType = sniff(body);
      }
      String connection = null;
      if (closeAfter && r.protoMinor() >= 1) {
        w.header.remove("Connection");
        connection = "close";
      } else if (!closeAfter && r.protoMinor() == 0 && contentLength != null) {
        connection = "keep-alive";
      }
      StringBuilder h = new StringBuilder("HTTP/1." + (r.protoMinor() >= 1 ? 1 : 0) + " " + statusLine(code) + "\r\n");
      w.header.forEach((k, vs) -> vs.forEach(v -> h.append(k).append(": ").append(v).append("\r\n")));
      h.append("Date: ").append(HttpWire.httpDate(ctx.realtimeMicros())).append("\r\n");
      if (contentLength != null) {
        h.append("Content-Length: ").append(contentLength).append("\r\n");
      }
      if (contentType != null) {
        h.append("Content-Type: ").append(contentType).append("\r\n");
      }
      if (connection != null) {
        h.append("Connection: ").append(connection).append("\r\n");
      }
      if (chunking) {
        h.append("Transfer-Encoding: chunked\r\n");
      }
      h.append("\r\n");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(HttpWire.ascii(h.toString()));
      if (!head && allowed) {
        if (chunking) {
          int first = w.stream ? Math.min(512, body.length) : Math.min(BUFFER, body.length);
          int off = 0;
          int size = first;
          while (off < body.length) {
            out.writeBytes(HttpWire.chunk(body, off, size));
            off += size;
            size = Math.min(w.stream ? 32 * 1024 : BUFFER, body.length - off);
          }
          out.writeBytes(HttpWire.ascii("0\r\n\r\n"));
        } else {
          out.writeBytes(body);
        }
      }
      write(out.toByteArray());
      busy = false;
      if (closeAfter) {
        close();
        return;
      }
      pump();
    }
  }

  private static final class BadRequest extends Exception {
    BadRequest(String publicErr) {
      super(publicErr, null, false, false);
    }
  }

  private static String statusLine(int code) {
    String t = HttpWire.statusText(code);
    return code + " " + (t.isEmpty() ? "status code " + code : t);
  }

  // ------------------------------------------------------------------ handlers

  private void whoami(Request r, Response w) {
    if (!name.isEmpty()) {
      w.print("Name: " + name + "\n");
    }
    w.print("Hostname: " + ctx.hostName() + "\n");
    for (String ip : ips()) {
      w.print("IP: " + ip + "\n");
    }
    w.print("RemoteAddr: " + r.remoteAddr() + "\n");
    w.body.writeBytes(requestWrite(r));
  }

  /** Go's Request.Write of a server-side request: the wire form, always as HTTP/1.1. */
  private static byte[] requestWrite(Request r) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.method()).append(' ').append(r.requestUri()).append(" HTTP/1.1\r\n");
    sb.append("Host: ").append(r.host()).append("\r\n");
    String ua = r.has("User-Agent") ? r.get("User-Agent") : "Go-http-client/1.1";
    if (!ua.isEmpty()) {
      sb.append("User-Agent: ").append(ua).append("\r\n");
    }
    if (r.close() && !hasCloseToken(r)) {
      sb.append("Connection: close\r\n");
    }
    long length = r.chunked() ? -1 : r.body().length;
    if (r.chunked()) {
      sb.append("Transfer-Encoding: chunked\r\n");
    } else if (length > 0 || List.of("POST", "PUT", "PATCH").contains(r.method())) {
      sb.append("Content-Length: ").append(length).append("\r\n");
    }
    TreeMap<String, List<String>> sorted = new TreeMap<>();
    for (HttpWire.Field f : r.header()) {
      if (!List.of("User-Agent", "Content-Length", "Transfer-Encoding", "Trailer").contains(f.name())) {
        sorted.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f.value());
      }
    }
    sorted.forEach((k, vs) -> vs.forEach(v -> sb.append(k).append(": ").append(v).append("\r\n")));
    sb.append("\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (r.chunked()) {
      if (r.body().length > 0) {
        out.writeBytes(HttpWire.chunk(r.body(), 0, r.body().length));
      }
      out.writeBytes(HttpWire.ascii("0\r\n\r\n"));
    } else {
      out.writeBytes(r.body());
    }
    return out.toByteArray();
  }

  private static boolean hasCloseToken(Request r) {
    String c = r.get("Connection");
    return c != null && c.toLowerCase().contains("close");
  }

  /** getIPs(): every address of every interface, IPv4 first, then the link's IPv6 one. */
  private List<String> ips() {
    List<String> ips = new ArrayList<>();
    for (Link l : ctx.core().stack().links().all()) {
      for (IfAddress a : l.addresses()) {
        ips.add(a.local().toString());
      }
      if (l.up()) {
        ips.add(l.isLoopback() ? "::1" : IpCommand.linkLocal(l.mac()));
      }
    }
    return ips;
  }

  private void health(Request r, Response w) {
    if (!r.method().equals("POST")) {
      if (healthStatus < 100 || healthStatus > 999) {
        w.code = healthStatus;
        w.panic = true;
        return;
      }
      w.code = healthStatus;
      return;
    }
    String s = new String(r.body(), StandardCharsets.UTF_8).stripLeading();
    String err;
    if (s.isEmpty()) {
      err = "EOF";
    } else {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("^-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?")
          .matcher(s);
      if (m.find()) {
        String num = m.group();
        if (m.group(2) == null && m.group(3) == null) {
          try {
            healthStatus = Math.toIntExact(Long.parseLong(num));
            ctx.out("Update health check status code [" + healthStatus + "]\n");
            return;
          } catch (NumberFormatException | ArithmeticException overflow) {
            err = "json: cannot unmarshal number " + num + " into Go value of type int";
          }
        } else {
          err = "json: cannot unmarshal number " + num + " into Go value of type int";
        }
      } else if (s.startsWith("\"")) {
        err = "json: cannot unmarshal string into Go value of type int";
      } else if (s.startsWith("true") || s.startsWith("false")) {
        err = "json: cannot unmarshal bool into Go value of type int";
      } else if (s.startsWith("null")) {
        ctx.out("Update health check status code [" + healthStatus + "]\n"); // null leaves the int alone
        return;
      } else if (s.startsWith("[")) {
        err = "json: cannot unmarshal array into Go value of type int";
      } else if (s.startsWith("{")) {
        err = "json: cannot unmarshal object into Go value of type int";
      } else {
        err = "invalid character '" + s.charAt(0) + "' looking for beginning of value";
      }
    }
    httpError(w, err, 400);
  }

  /** http.Error. */
  private static void httpError(Response w, String msg, int code) {
    w.header.remove("Content-Length");
    w.set("Content-Type", "text/plain; charset=utf-8");
    w.set("X-Content-Type-Options", "nosniff");
    w.code = code;
    w.print(msg + "\n");
  }

  private void api(Request r, Response w) {
    w.set("Content-Type", "application/json");
    StringBuilder j = new StringBuilder("{");
    j.append("\"hostname\":").append(json(ctx.hostName()));
    j.append(",\"ip\":[");
    List<String> ips = ips();
    for (int i = 0; i < ips.size(); i++) {
      j.append(i == 0 ? "" : ",").append(json(ips.get(i)));
    }
    j.append("]");
    TreeMap<String, List<String>> h = new TreeMap<>();
    for (HttpWire.Field f : r.header()) {
      h.computeIfAbsent(f.name(), k -> new ArrayList<>()).add(f.value());
    }
    if (!h.isEmpty()) {
      j.append(",\"headers\":{");
      boolean first = true;
      for (Map.Entry<String, List<String>> e : h.entrySet()) {
        j.append(first ? "" : ",").append(json(e.getKey())).append(":[");
        for (int i = 0; i < e.getValue().size(); i++) {
          j.append(i == 0 ? "" : ",").append(json(e.getValue().get(i)));
        }
        j.append("]");
        first = false;
      }
      j.append("}");
    }
    j.append(",\"url\":").append(json(r.requestUri()));
    if (!r.host().isEmpty()) {
      j.append(",\"host\":").append(json(r.host()));
    }
    j.append(",\"method\":").append(json(r.method()));
    if (!name.isEmpty()) {
      j.append(",\"name\":").append(json(name));
    }
    j.append(",\"remoteAddr\":").append(json(r.remoteAddr()));
    j.append("}\n");
    w.print(j.toString());
  }

  /** encoding/json's string encoding with HTML escaping. */
  static String json(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '<', '>', '&', '\u2028', '\u2029' -> sb.append(String.format("\\u%04x", (int) c));
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private void data(Request r, Response w) {
    long size;
    try {
      size = Long.parseLong(query(r.rawQuery(), "size"));
    } catch (NumberFormatException e) {
      size = 1;
    }
    size = Math.max(0, size);
    switch (query(r.rawQuery(), "unit").toLowerCase()) {
      case "kb" -> size <<= 10;
      case "mb" -> size <<= 20;
      case "gb" -> size <<= 30;
      case "tb" -> size <<= 40;
      default -> { }
    }
    if (size > 64L << 20) {
      // A lab host is not a bulk data source: the response is built in memory.
      httpError(w, "podnet: whoami /data is limited to 64 MiB here", 500);
      return;
    }
    w.stream = true;
    // contentReader, read first through a 512-byte LimitReader, then 32 KiB at a time
    long length = size - 1;
    long cur = 0;
    int read = 512;
    while (cur < length) {
      byte[] p = new byte[read];
      int n = 0;
      if (cur == 0) {
        p[n++] = '|';
        cur++;
      }
      while (n < p.length && cur <= length) {
        p[n++] = (byte) CONTENT_CHARSET.charAt((int) (cur % CONTENT_CHARSET.length()));
        cur++;
      }
      if (cur >= length) {
        p[n - 1] = '|';
      }
      w.body.write(p, 0, n);
      read = 32 * 1024;
    }
  }

  // ------------------------------------------------------------------ Go helpers

  /** url.Values.Get of the raw query (pairs with ';' are dropped, as Go 1.17+ does). */
  static String query(String raw, String key) {
    for (String pair : raw.split("&")) {
      if (pair.isEmpty() || pair.contains(";")) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(key)) {
          return URLDecoder.decode(v, StandardCharsets.UTF_8);
        }
      } catch (IllegalArgumentException badEscape) {
        // url.ParseQuery skips it
      }
    }
    return "";
  }

  /** time.ParseDuration in nanoseconds; 0 when it does not parse (whoami then does not wait). */
  static long goDuration(String s) {
    if (s.isEmpty() || s.equals("0")) {
      return 0;
    }
    java.util.regex.Matcher all = java.util.regex.Pattern.compile("[-+]?((\\d*\\.?\\d*)(ns|us|µs|μs|ms|s|m|h))+")
        .matcher(s);
    if (!all.matches()) {
      return 0;
    }
    boolean neg = s.startsWith("-");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d*\\.?\\d*)(ns|us|µs|μs|ms|s|m|h)").matcher(s);
    double total = 0;
    while (m.find()) {
      String num = m.group(1);
      if (num.isEmpty() || num.equals(".")) {
        return 0;
      }
      double unit = switch (m.group(2)) {
        case "ns" -> 1;
        case "us", "µs", "μs" -> 1e3;
        case "ms" -> 1e6;
        case "s" -> 1e9;
        case "m" -> 60e9;
        default -> 3600e9;
      };
      total += Double.parseDouble(num) * unit;
    }
    return neg ? 0 : (long) total;
  }

  /** path.Clean as ServeMux's cleanPath applies it (a trailing slash is kept). */
  static String cleanPath(String p) {
    if (p.isEmpty()) {
      return "/";
    }
    if (p.charAt(0) != '/') {
      p = "/" + p;
    }
    List<String> out = new ArrayList<>();
    for (String seg : p.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        continue;
      }
      out.add(seg);
    }
    String np = "/" + String.join("/", out);
    if (p.endsWith("/") && !np.equals("/")) {
      np += "/";
    }
    return np;
  }

  private static String htmlEscape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;")
        .replace("'", "&#39;");
  }

  /** http.DetectContentType, for the bodies this server makes: HTML markers, binary bytes, else UTF-8 text. */
  static String sniff(byte[] b) {
    int n = Math.min(b.length, 512);
    int i = 0;
    while (i < n && (b[i] == '\t' || b[i] == '\n' || b[i] == '\f' || b[i] == '\r' || b[i] == ' ')) {
      i++;
    }
    String lead = new String(b, i, Math.min(n - i, 14), StandardCharsets.ISO_8859_1).toUpperCase();
    for (String tag : List.of("<!DOCTYPE HTML", "<HTML", "<HEAD", "<SCRIPT", "<IFRAME", "<H1", "<DIV", "<FONT",
        "<TABLE", "<A", "<STYLE", "<TITLE", "<B", "<BODY", "<BR", "<P", "<!--")) {
      if (lead.startsWith(tag) && lead.length() > tag.length()
          && (lead.charAt(tag.length()) == ' ' || lead.charAt(tag.length()) == '>')) {
        return "text/html; charset=utf-8";
      }
    }
    for (int k = 0; k < n; k++) {
      int c = b[k] & 0xff;
      if (c <= 0x08 || c == 0x0b || c >= 0x0e && c <= 0x1a || c >= 0x1c && c <= 0x1f) {
        return "application/octet-stream";
      }
    }
    return "text/plain; charset=utf-8";
  }
}
