package io.podnet.netstack.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** curl against traefik/whoami on the NetToolsLab: a on lan-a, b behind the router r on lan-b. */
class CurlWhoamiTest {
  private static final Duration LIMIT = Duration.ofSeconds(5);
  private static final Pattern REMOTE = Pattern.compile("RemoteAddr: 192\\.168\\.10\\.100:(\\d+)\n");
  private static final String DATE = "Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT";

  /** What whoami on b answers to curl's GET from a, with the client's ephemeral port. */
  private static String whoamiOfB(String path, String host, int port, String extra) {
    return "Hostname: b\n"
        + "IP: 127.0.0.1\n"
        + "IP: ::1\n"
        + "IP: 192.168.20.100\n"
        + "IP: fe80::a00:27ff:fe3a:befa\n"
        + "RemoteAddr: 192.168.10.100:" + port + "\n"
        + "GET " + path + " HTTP/1.1\r\n"
        + "Host: " + host + "\r\n"
        + "User-Agent: curl/8.5.0\r\n"
        + extra
        + "Accept: */*\r\n"
        + "\r\n";
  }

  private static int clientPort(String out) {
    Matcher m = REMOTE.matcher(out);
    assertTrue(m.find(), out);
    int port = Integer.parseInt(m.group(1));
    assertTrue(port >= 32768 && port <= 60999 && port % 2 == 0, "an even ephemeral port: " + port);
    return port;
  }

  private static NetToolsLab labWithWhoami() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run server = lab.start("b", "whoami");
    assertNull(server.code());
    assertTrue(server.err().matches("\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} Starting up on port 80\n"),
        server.err());
    return lab;
  }

  @Test
  void bodyThroughTheRouterAndByName() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-s", "192.168.20.100");
    assertEquals(0, r.code());
    assertEquals("", r.err());
    assertEquals(whoamiOfB("/", "192.168.20.100", clientPort(r.out()), ""), r.out());

    r = lab.run(LIMIT, "a", "curl", "http://w0:80/some/where?x=1");
    assertEquals(0, r.code());
    assertEquals(whoamiOfB("/some/where?x=1", "w0", clientPort(r.out()), ""), r.out());
  }

  @Test
  void verboseLinesAsCurlPrintsThem() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-v", "http://192.168.20.100/");
    assertEquals(0, r.code());
    int port = clientPort(r.out());
    String body = whoamiOfB("/", "192.168.20.100", port, "");
    assertEquals(body, r.out());
    String err = r.err().replaceFirst(DATE, "Date: X");
    assertEquals("*   Trying 192.168.20.100:80...\n"
        + "* Connected to 192.168.20.100 (192.168.20.100) port 80\n"
        + "> GET / HTTP/1.1\r\n"
        + "> Host: 192.168.20.100\r\n"
        + "> User-Agent: curl/8.5.0\r\n"
        + "> Accept: */*\r\n"
        + "> \r\n"
        + "< HTTP/1.1 200 OK\r\n"
        + "< Date: X\r\n"
        + "< Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n"
        + "< Content-Type: text/plain; charset=utf-8\r\n"
        + "< \r\n"
        + "* Connection #0 to host 192.168.20.100 left intact\n", err);
  }

  @Test
  void outputFileWithProgressMeterAndRemoteName(@TempDir Path dir) throws Exception {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.runIn(LIMIT, dir.toString(), "a", "curl", "-o", "out.txt", "192.168.20.100");
    assertEquals(0, r.code());
    assertEquals("", r.out());
    String body = Files.readString(dir.resolve("out.txt"));
    int len = body.length();
    assertEquals(whoamiOfB("/", "192.168.20.100", clientPort(body), ""), body);
    // 0 us elapsed on the lab clock: curl's trspeed() counts that as one microsecond... as bytes x 10^6
    String speed = CurlTool.max5(len * 1_000_000L);
    assertEquals("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        + "                                 Dload  Upload   Total   Spent    Left  Speed\n"
        + "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0"
        + String.format("\r100   %d  100   %d    0     0  %s      0 --:--:-- --:--:-- --:--:-- %s\n", len, len,
            speed, speed), r.err());

    r = lab.runIn(LIMIT, dir.toString(), "a", "curl", "-sO", "192.168.20.100/bench");
    assertEquals(0, r.code());
    assertEquals("", r.err());
    assertEquals("1", Files.readString(dir.resolve("bench")));

    r = lab.runIn(LIMIT, dir.toString(), "a", "curl", "-s", "-o", "no/such/dir/x", "192.168.20.100");
    assertEquals(23, r.code());
    r = lab.runIn(LIMIT, dir.toString(), "a", "curl", "-o", "no/such/dir/x", "-s", "-S", "192.168.20.100");
    assertEquals("Warning: Failed to open the file no/such/dir/x: No such file or directory\n"
        + "curl: (23) Failure writing output to destination\n", r.err());
  }

  @Test
  void headPostAndCustomHeaders() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-sI", "192.168.20.100");
    assertEquals(0, r.code());
    assertTrue(r.out().matches("HTTP/1\\.1 200 OK\r\n" + DATE + "\r\nContent-Length: \\d+\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n\r\n"), r.out());

    r = lab.run(LIMIT, "a", "curl", "-s", "-X", "PUT", "-H", "X-Trace: abc", "-d", "a=b", "-d", "c=d",
        "192.168.20.100/form");
    assertEquals(0, r.code());
    int port = clientPort(r.out());
    assertEquals("Hostname: b\nIP: 127.0.0.1\nIP: ::1\nIP: 192.168.20.100\nIP: fe80::a00:27ff:fe3a:befa\n"
        + "RemoteAddr: 192.168.10.100:" + port + "\n"
        + "PUT /form HTTP/1.1\r\n"
        + "Host: 192.168.20.100\r\n"
        + "User-Agent: curl/8.5.0\r\n"
        + "Content-Length: 7\r\n"
        + "Accept: */*\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\n"
        + "X-Trace: abc\r\n"
        + "\r\n"
        + "a=b&c=d", r.out());

    // no User-Agent from curl: Go's Request.Write puts in its own
    r = lab.run(LIMIT, "a", "curl", "-s", "-H", "User-Agent:", "-H", "Connection: close", "192.168.20.100");
    assertTrue(r.out().contains("GET / HTTP/1.1\r\nHost: 192.168.20.100\r\nUser-Agent: Go-http-client/1.1\r\n"
        + "Connection: close\r\nAccept: */*\r\n\r\n"), r.out());
  }

  @Test
  void failOnAnErrorStatusFromTheHealthRoute() {
    NetToolsLab lab = new NetToolsLab(true);
    NetToolsLab.Run server = lab.start("b", "whoami", "--name", "web");
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-s", "-w", "%{http_code}\\n", "192.168.20.100/health");
    assertEquals("200\n", r.out());
    r = lab.run(LIMIT, "a", "curl", "-s", "-d", "404", "192.168.20.100/health");
    assertEquals(0, r.code());
    assertEquals("", r.out());
    // The server's output travels to its own collector, not with the reply: wait for it.
    NetToolsLab.testKit.createTestProbe().awaitAssert(() -> {
      assertEquals("Update health check status code [404]\n", server.out());
      return null;
    });

    r = lab.run(LIMIT, "a", "curl", "-f", "192.168.20.100/health");
    assertEquals(22, r.code());
    assertEquals("", r.out());
    assertEquals("curl: (22) The requested URL returned error: 404\n", r.err());
    r = lab.run(LIMIT, "a", "curl", "-sf", "192.168.20.100/health");
    assertEquals(22, r.code());
    assertEquals("", r.err());
    r = lab.run(LIMIT, "a", "curl", "-s", "-w", "%{http_code} %{size_download}", "192.168.20.100/health");
    assertEquals(0, r.code());
    assertEquals("404 0", r.out());

    r = lab.run(LIMIT, "a", "curl", "-s", "-d", "nope", "192.168.20.100/health");
    assertEquals("invalid character 'n' looking for beginning of value\n", r.out());
    // the name line comes first
    r = lab.run(LIMIT, "a", "curl", "-s", "192.168.20.100");
    assertTrue(r.out().startsWith("Name: web\nHostname: b\n"), r.out());
    assertNull(server.code());
  }

  @Test
  void connectionRefusedNoRouteAndUnknownName() {
    NetToolsLab lab = new NetToolsLab(false);
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "192.168.10.101");
    assertEquals(7, r.code());
    assertEquals("curl: (7) Failed to connect to 192.168.10.101 port 80 after 0 ms: Couldn't connect to server\n",
        r.err());
    r = lab.run(LIMIT, "a", "curl", "-v", "k8s-w1:8080");
    assertEquals(7, r.code());
    assertTrue(r.err().startsWith("*   Trying 192.168.10.101:8080...\n"
        + "* connect to 192.168.10.101 port 8080 from 192.168.10.100 port "), r.err());
    assertTrue(r.err().endsWith(" failed: Connection refused\n"
        + "* Failed to connect to k8s-w1 port 8080 after 0 ms: Couldn't connect to server\n"
        + "* Closing connection\n"
        + "curl: (7) Failed to connect to k8s-w1 port 8080 after 0 ms: Couldn't connect to server\n"), r.err());

    // b has no default route: connect() fails at once
    r = lab.run(LIMIT, "b", "curl", "192.168.10.100");
    assertEquals(7, r.code());
    assertEquals("curl: (7) Failed to connect to 192.168.10.100 port 80 after 0 ms: Couldn't connect to server\n",
        r.err());

    r = lab.run(LIMIT, "a", "curl", "nosuchhost");
    assertEquals(6, r.code());
    assertEquals("curl: (6) Could not resolve host: nosuchhost\n", r.err());
    r = lab.run(LIMIT, "a", "curl", "-s", "nosuchhost");
    assertEquals(6, r.code());
    assertEquals("", r.err());
    r = lab.run(LIMIT, "a", "curl", "-sS", "nosuchhost");
    assertEquals("curl: (6) Could not resolve host: nosuchhost\n", r.err());

    r = lab.run(LIMIT, "a", "curl", "https://192.168.10.101/");
    assertEquals(35, r.code());
    assertEquals("curl: (35) podnet: TLS is not emulated\n", r.err());
    r = lab.run(LIMIT, "a", "curl");
    assertEquals(2, r.code());
    assertEquals("curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for more information\n",
        r.err());
  }

  @Test
  void connectTimeoutAsTheTranscriptShowsIt() {
    NetToolsLab lab = new NetToolsLab(false);
    // nobody has 192.168.10.77: ARP goes unanswered, the SYN waits in the neighbour queue
    NetToolsLab.Run r = lab.start("a", "curl", "--connect-timeout", "1", "192.168.10.77");
    lab.advance(Duration.ofMillis(1000));
    assertNull(r.code());
    lab.advance(Duration.ofMillis(100));
    assertEquals(28, r.code());
    assertEquals("curl: (28) Failed to connect to 192.168.10.77 port 80 after 1001 ms: Timeout was reached\n",
        r.err());
    // SYNs that reach b but whose SYN-ACKs have no way back: the same timeout, fractional here
    r = lab.run(LIMIT, "a", "curl", "--connect-timeout", "0.5", "192.168.20.100");
    assertEquals(28, r.code());
    assertEquals("curl: (28) Failed to connect to 192.168.20.100 port 80 after 501 ms: Timeout was reached\n",
        r.err());
    // Ctrl-C: exit 130, no message
    r = lab.start("a", "curl", "192.168.10.77");
    lab.advance(Duration.ofMillis(500));
    r.signal("INT");
    lab.settle();
    assertEquals(130, r.code());
    assertEquals("", r.err());
  }

  @Test
  void maxTimeWhileTheServerWaits() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-m", "1", "192.168.20.100/?wait=5s");
    assertEquals(28, r.code());
    assertEquals("curl: (28) Operation timed out after 1001 milliseconds with 0 bytes received\n", r.err());
    // within the limit the answer comes after the wait
    r = lab.start("a", "curl", "-s", "192.168.20.100/?wait=300ms");
    lab.advance(Duration.ofMillis(200));
    assertNull(r.code());
    lab.advance(Duration.ofMillis(200));
    assertEquals(0, r.code());
    assertTrue(r.out().startsWith("Hostname: b\n"));
  }

  @Test
  void keepAliveReuseWithTwoUrls() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-sv", "192.168.20.100/one", "192.168.20.100/two");
    assertEquals(0, r.code());
    int port = clientPort(r.out());
    assertEquals(whoamiOfB("/one", "192.168.20.100", port, "") + whoamiOfB("/two", "192.168.20.100", port, ""),
        r.out());
    String err = r.err();
    assertTrue(err.contains("* Connection #0 to host 192.168.20.100 left intact\n"
        + "* Re-using existing connection with host 192.168.20.100\n"
        + "> GET /two HTTP/1.1\r\n"), err);
    assertEquals(1, err.split("Trying", -1).length - 1, err);

    // Connection: close from the client: the server says so and closes, curl opens a new connection
    r = lab.run(LIMIT, "a", "curl", "-v", "-H", "Connection: close", "192.168.20.100/one", "192.168.20.100/two");
    assertEquals(0, r.code());
    assertTrue(r.err().contains("< Connection: close\r\n"), r.err());
    assertTrue(r.err().contains("* Closing connection\n*   Trying 192.168.20.100:80...\n"), r.err());
    assertTrue(r.err().contains("* Connected to 192.168.20.100 (192.168.20.100) port 80\n"));
    assertEquals(2, r.err().split("Trying", -1).length - 1);
  }

  @Test
  void followsServeMuxRedirectsAndReadsChunkedBodies() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "a", "curl", "-s", "-w", "%{http_code} %{url_effective}\\n",
        "192.168.20.100//a/../b");
    assertEquals("<a href=\"/b\">Moved Permanently</a>.\n\n301 http://192.168.20.100//a/../b\n", r.out());
    r = lab.run(LIMIT, "a", "curl", "-sL", "-w", "%{http_code} %{url_effective}\\n", "192.168.20.100//a/../b");
    int port = clientPort(r.out());
    assertEquals(whoamiOfB("/b", "192.168.20.100", port, "") + "200 http://192.168.20.100/b\n", r.out());

    // /data is written through io.Copy: chunked, 512 bytes first
    r = lab.run(LIMIT, "a", "curl", "-sv", "192.168.20.100/data?size=3000");
    assertEquals(0, r.code());
    assertEquals(3000, r.out().length());
    assertTrue(r.out().startsWith("|ABCDEFGHIJKLMNOPQRSTUVWXYZ-ABC"), r.out());
    assertTrue(r.out().endsWith("|"));
    assertTrue(r.err().contains("< Transfer-Encoding: chunked\r\n"), r.err());

    r = lab.run(LIMIT, "a", "curl", "-s", "-w", "%{http_code}", "192.168.20.100/echo");
    assertEquals("Bad Request\n400", r.out());
  }

  @Test
  void whoamiRefusesWhatGoRefuses() {
    NetToolsLab lab = labWithWhoami();
    NetToolsLab.Run r = lab.run(LIMIT, "b", "whoami");
    assertEquals(1, r.code());
    assertTrue(r.err().endsWith(" listen tcp :80: bind: address already in use\n"), r.err());
    r = lab.run(LIMIT, "b", "whoami", "-bogus");
    assertEquals(2, r.code());
    assertTrue(r.err().startsWith("flag provided but not defined: -bogus\nUsage of whoami:\n"), r.err());
    // a second server on another port, found by port
    NetToolsLab.Run s = lab.start("b", "whoami", "--port=8080", "-name", "alt");
    r = lab.run(LIMIT, "a", "curl", "-s", "192.168.20.100:8080");
    assertTrue(r.out().startsWith("Name: alt\n"), r.out());
    assertTrue(r.out().contains("Host: 192.168.20.100:8080\r\n"), r.out());
    s.signal("TERM");
    lab.settle();
    assertEquals(143, s.code());
    r = lab.run(LIMIT, "a", "curl", "-s", "192.168.20.100:8080");
    assertEquals(7, r.code());
  }

  @Test
  void httpDateAndHelpers() {
    assertEquals("Thu, 01 Jan 1970 00:00:01 GMT", HttpWire.httpDate(1_500_000));
    assertEquals("Fri, 02 Jan 1970 00:00:00 GMT", HttpWire.httpDate(86_400_000_000L));
    assertEquals("/b/", WhoamiTool.cleanPath("//a/../b/"));
    assertEquals("/", WhoamiTool.cleanPath("/.."));
    assertEquals(5_000_000_000L, WhoamiTool.goDuration("5s"));
    assertEquals(60_000_000_000L, WhoamiTool.goDuration("1m"));
    assertEquals(1_500_000_000L, WhoamiTool.goDuration("1.5s"));
    assertEquals(0, WhoamiTool.goDuration("5"));
    assertEquals("X-Forwarded-For", HttpWire.canonicalKey("x-forwarded-FOR"));
    assertEquals("  279", CurlTool.max5(279));
    assertEquals(" 266M", CurlTool.max5(279_000_000L));
    assertEquals(" 0:00:01", CurlTool.time2str(1));
    assertEquals("--:--:--", CurlTool.time2str(0));
  }
}
