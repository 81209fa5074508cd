package io.podnet.deploy.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;

/** The control protocol from Java (the launcher's own requests); the shim is its bash twin. */
public final class ControlClient {
  private ControlClient() {}

  /** Runs {@code argv} on {@code host} of the lab in {@code dir}; returns the exit code. */
  public static int run(LabDir dir, String host, List<String> argv, PrintStream out, PrintStream err)
      throws IOException {
    String port = Files.readString(dir.portFile()).strip();
    String token = Files.readString(dir.tokenFile()).strip();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(port))) {
      OutputStream os = s.getOutputStream();
      StringBuilder req = new StringBuilder();
      req.append(RequestParser.MAGIC).append(' ').append(token).append('\n').append(host).append('\n')
          .append(System.getProperty("user.dir")).append('\n').append(argv.size()).append('\n');
      for (String a : argv) {
        req.append(a).append('\0');
      }
      os.write(req.toString().getBytes(StandardCharsets.UTF_8));
      os.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          continue;
        }
        String text = line.substring(1);
        switch (line.charAt(0)) {
          case 'o' -> out.println(text);
          case 'p' -> out.print(text);
          case 'e' -> err.println(text);
          case 'f' -> err.print(text);
          case 'x' -> {
            return Integer.parseInt(text.strip());
          }
          default -> { }
        }
      }
      err.println("podnet: the lab closed the connection");
      return 255;
    }
  }
}
