package io.podnet.netstack.actor;

import io.podnet.netstack.serialization.KryoMessage;

/** What a tool running on a host sends back to whoever started it; {@link Exited} comes last. */
public sealed interface ToolOutput extends KryoMessage {
  String id();

  record Stdout(String id, String text) implements ToolOutput {}

  record Stderr(String id, String text) implements ToolOutput {}

  record Exited(String id, int code) implements ToolOutput {}
}
