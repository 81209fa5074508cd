package io.podnet.netstack.tcp;

/** A socket call refused at once, with the errno Linux would return (bind: EADDRINUSE, ...). */
public final class TcpException extends Exception {
  private final SocketError error;

  public TcpException(SocketError error) {
    super(error.message());
    this.error = error;
  }

  public SocketError error() {
    return error;
  }
}
