package io.podnet.node.cilium;

/** The agent refused its configuration at start-up (it exits with this message). */
public final class AgentConfigException extends Exception {
  public AgentConfigException(String message) {
    super(message);
  }
}
