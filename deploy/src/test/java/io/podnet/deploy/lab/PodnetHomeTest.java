package io.podnet.deploy.lab;

import io.podnet.deploy.Podnet;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Tests that run the {@code podnet} command in-process, with a podnet home of their own. */
abstract class PodnetHomeTest {
  @TempDir
  Path tmp;

  @BeforeEach
  void home() {
    System.setProperty("podnet.home", tmp.resolve("home").toString());
  }

  @AfterEach
  void clear() {
    System.clearProperty("podnet.home");
  }

  record Run(int code, String out, String err) {}

  /** {@code podnet ARGS...}, its exit code and what it printed. */
  static Run podnet(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Podnet.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }
}
