package io.podnet.netstack.tool;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 on the wire (RFC 9112) for the emulated client and server: a receive buffer, header
 * blocks, chunked transfer coding, and the small pieces of Go's net/http both sides need
 * (canonical header keys, status texts, the HTTP date).
 */
final class HttpWire {
  private HttpWire() {}

  /** A message the peer sent that HTTP/1.1 does not allow. */
  static final class ProtocolException extends Exception {
    ProtocolException(String message) {
      super(message, null, false, false);
    }
  }

  /** Bytes received and not yet consumed. */
  static final class Buffer {
    private byte[] data = new byte[256];
    private int start;
    private int end;

    void append(byte[] b, int off, int len) {
      if (end + len > data.length) {
        int live = end - start;
        byte[] n = live + len > data.length ? new byte[Math.max(data.length * 2, live + len)] : data;
        System.arraycopy(data, start, n, 0, live);
        data = n;
        start = 0;
        end = live;
      }
      System.arraycopy(b, off, data, end, len);
      end += len;
    }

    void append(byte[] b) {
      append(b, 0, b.length);
    }

    int size() {
      return end - start;
    }

    byte at(int i) {
      return data[start + i];
    }

    /** Removes and returns the first {@code n} bytes. */
    byte[] take(int n) {
      byte[] r = new byte[n];
      System.arraycopy(data, start, r, 0, n);
      start += n;
      if (start == end) {
        start = 0;
        end = 0;
      }
      return r;
    }

    /** The index just past the first {@code \n}, or -1. */
    int lineEnd() {
      for (int i = start; i < end; i++) {
        if (data[i] == '\n') {
          return i - start + 1;
        }
      }
      return -1;
    }

    /**
     * The length of the header block at the front (through its empty line, CRLF or bare LF as
     * RFC 9112 section 2.2 lets a recipient accept), or -1 while it is incomplete.
     */
    int headerBlockEnd() {
      int lineStart = start;
      for (int i = start; i < end; i++) {
        if (data[i] == '\n') {
          int len = i - lineStart;
          if (len == 0 || (len == 1 && data[lineStart] == '\r')) {
            return i - start + 1;
          }
          lineStart = i + 1;
        }
      }
      return -1;
    }
  }

  /** One header field as received: name and value with surrounding blanks removed. */
  record Field(String name, String value) {}

  /** A start line and its fields, from a header block. */
  record Head(String startLine, List<Field> fields, String raw) {
    /** The first value of {@code name} (case-insensitive), or null. */
    String get(String name) {
      for (Field f : fields) {
        if (f.name().equalsIgnoreCase(name)) {
          return f.value();
        }
      }
      return null;
    }

    boolean has(String name) {
      return get(name) != null;
    }

    /** True when a comma-separated field {@code name} has {@code token} (case-insensitive). */
    boolean hasToken(String name, String token) {
      for (Field f : fields) {
        if (f.name().equalsIgnoreCase(name)) {
          for (String t : f.value().split(",")) {
            if (t.trim().equalsIgnoreCase(token)) {
              return true;
            }
          }
        }
      }
      return false;
    }
  }

  /** Parses a complete header block (as {@link Buffer#headerBlockEnd} delimited it). */
  static Head parseHead(byte[] block) throws ProtocolException {
    String raw = new String(block, StandardCharsets.ISO_8859_1);
    String[] lines = raw.split("\n", -1);
    String first = stripCr(lines[0]);
    List<Field> fields = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String l = stripCr(lines[i]);
      if (l.isEmpty()) {
        break;
      }
      if (l.charAt(0) == ' ' || l.charAt(0) == '\t') {
        throw new ProtocolException("malformed MIME header: obsolete line folding");
      }
      int colon = l.indexOf(':');
      if (colon <= 0) {
        throw new ProtocolException("malformed MIME header line: " + l);
      }
      String name = l.substring(0, colon);
      if (!isToken(name)) {
        throw new ProtocolException("malformed MIME header line: " + l);
      }
      fields.add(new Field(name, l.substring(colon + 1).strip()));
    }
    return new Head(first, fields, raw);
  }

  static String stripCr(String s) {
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  /** RFC 9110 token characters. */
  static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Go's textproto.CanonicalMIMEHeaderKey: the first letter and every letter after a hyphen upper
   * case, the rest lower case; a key with a byte outside the token set is returned unchanged.
   */
  static String canonicalKey(String k) {
    if (!isToken(k)) {
      return k;
    }
    StringBuilder sb = new StringBuilder(k.length());
    boolean upper = true;
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      sb.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return sb.toString();
  }

  /**
   * The chunked transfer coding, decoded incrementally (RFC 9112 section 7.1): chunk sizes in hex
   * with optional extensions, the CRLF after each chunk's data, the last chunk and the trailer
   * section.
   */
  static final class ChunkedDecoder {
    private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

    private State state = State.SIZE;
    private long remaining;

    boolean done() {
      return state == State.DONE;
    }

    /** Decodes what {@code in} holds; decoded data goes to {@code out}; the rest stays in {@code in}. */
    void decode(Buffer in, ByteArrayOutputStream out) throws ProtocolException {
      while (state != State.DONE) {
        switch (state) {
          case SIZE -> {
            int n = in.lineEnd();
            if (n < 0) {
              if (in.size() > 4096) {
                throw new ProtocolException("chunk size line too long");
              }
              return;
            }
            String line = stripCr(new String(in.take(n), StandardCharsets.ISO_8859_1).substring(0, n - 1));
            int semi = line.indexOf(';');
            String hex = (semi >= 0 ? line.substring(0, semi) : line).strip();
            if (hex.isEmpty() || hex.length() > 15 || !hex.matches("[0-9a-fA-F]+")) {
              throw new ProtocolException("invalid chunk size");
            }
            remaining = Long.parseLong(hex, 16);
            state = remaining == 0 ? State.TRAILER : State.DATA;
          }
          case DATA -> {
            if (in.size() == 0) {
              return;
            }
            int n = (int) Math.min(remaining, in.size());
            out.writeBytes(in.take(n));
            remaining -= n;
            if (remaining == 0) {
              state = State.DATA_END;
            }
          }
          case DATA_END -> {
            int n = in.lineEnd();
            if (n < 0) {
              if (in.size() >= 2) {
                throw new ProtocolException("missing CRLF after chunk data");
              }
              return;
            }
            String l = new String(in.take(n), StandardCharsets.ISO_8859_1);
            if (!l.equals("\r\n") && !l.equals("\n")) {
              throw new ProtocolException("missing CRLF after chunk data");
            }
            state = State.SIZE;
          }
          case TRAILER -> {
            int n = in.lineEnd();
            if (n < 0) {
              return;
            }
            String l = stripCr(new String(in.take(n), StandardCharsets.ISO_8859_1).substring(0, n - 1));
            if (l.isEmpty()) {
              state = State.DONE;
            }
          }
          default -> throw new IllegalStateException(state.toString());
        }
      }
    }
  }

  /** One chunk (RFC 9112 section 7.1) holding {@code data}, or the last chunk when it is empty. */
  static byte[] chunk(byte[] data, int off, int len) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(len + 12);
    b.writeBytes((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    b.write(data, off, len);
    b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    return b.toByteArray();
  }

  /** Go's http.StatusText (empty for codes it does not know). */
  static String statusText(int code) {
    return switch (code) {
      case 100 -> "Continue";
      case 101 -> "Switching Protocols";
      case 102 -> "Processing";
      case 103 -> "Early Hints";
      case 200 -> "OK";
      case 201 -> "Created";
      case 202 -> "Accepted";
      case 203 -> "Non-Authoritative Information";
      case 204 -> "No Content";
      case 205 -> "Reset Content";
      case 206 -> "Partial Content";
      case 300 -> "Multiple Choices";
      case 301 -> "Moved Permanently";
      case 302 -> "Found";
      case 303 -> "See Other";
      case 304 -> "Not Modified";
      case 307 -> "Temporary Redirect";
      case 308 -> "Permanent Redirect";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 410 -> "Gone";
      case 418 -> "I'm a teapot";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 504 -> "Gateway Timeout";
      case 505 -> "HTTP Version Not Supported";
      default -> "";
    };
  }

  /** Go's bodyAllowedForStatus: no body for 1xx, 204 and 304. */
  static boolean bodyAllowed(int code) {
    return !(code >= 100 && code <= 199 || code == 204 || code == 304);
  }

  /**
   * A lab time as Go's http.TimeFormat ({@code Mon, 02 Jan 2006 15:04:05 GMT}). The lab's
   * wall clock starts at the Unix epoch, the same day tcpdump's time-of-day stamps count from.
   */
  static String httpDate(long labMicros) {
    return java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT)
        .format(java.time.Instant.EPOCH.plusNanos(labMicros * 1000).atOffset(java.time.ZoneOffset.UTC));
  }

  /** A lab time in Go's log prefix format ({@code 2006/01/02 15:04:05}), UTC. */
  static String logDate(long labMicros) {
    return java.time.format.DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss", Locale.ROOT)
        .format(java.time.Instant.EPOCH.plusNanos(labMicros * 1000).atOffset(java.time.ZoneOffset.UTC));
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
