package io.podnet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class LogConfiguratorTest {
  @Test
  void logsWarningsAndErrorsToStderrInPodnetsFormatAndNothingBelow() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's provider does
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      LogConfigurator c = new LogConfigurator();
      c.setContext(context);
      assertEquals(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, c.configure(context));
      Logger log = context.getLogger("org.apache.pekko.actor.ActorSystem");
      log.info("not shown");
      log.debug("not shown either");
      log.warn("k8s-w0: watch ended");
      log.error("boom");
    } finally {
      System.setErr(err);
      context.stop();
    }
    assertEquals("podnet: WARN ActorSystem: k8s-w0: watch ended\npodnet: ERROR ActorSystem: boom\n",
        captured.toString(StandardCharsets.UTF_8));
  }

  @Test
  void defersToAConfigurationFileGivenOnTheCommandLine() {
    String before = System.getProperty("logback.configurationFile");
    System.setProperty("logback.configurationFile", "/nonexistent/logback.xml");
    LoggerContext context = new LoggerContext();
    try {
      LogConfigurator c = new LogConfigurator();
      c.setContext(context);
      assertEquals(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY, c.configure(context));
      assertEquals(false, context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext());
    } finally {
      if (before == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", before);
      }
      context.stop();
    }
  }

  @Test
  void logbackFindsItThroughTheServiceLoader() {
    assertTrue(ServiceLoader.load(Configurator.class).stream().anyMatch(p -> p.type() == LogConfigurator.class));
  }
}
