package io.podnet.node.cilium;

/** A failure {@code helm} reports; the message is the text after {@code Error: }. */
public final class HelmException extends Exception {
  public HelmException(String message) {
    super(message);
  }

  /** The line helm prints on stderr. */
  public String helmLine() {
    return "Error: " + getMessage();
  }
}
