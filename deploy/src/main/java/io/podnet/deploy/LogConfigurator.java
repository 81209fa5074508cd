package io.podnet.deploy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * podnet's logging, set up in code (found by logback through {@code META-INF/services}): the
 * launcher's own output is the lab's, so only warnings and errors are logged, to stderr, as
 * {@code podnet: LEVEL Logger: message}. Reading the same from a logback.xml costs logback's XML
 * configurator (a SAX parser and its model) about 130 ms of every lab's start-up.
 *
 * <p>A configuration given with {@code -Dlogback.configurationFile}, or a {@code logback-test.xml}
 * on the class path, still wins: then this defers to logback's own configurators.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "podnet: %level %logger{0}: %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || LogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
