package io.podnet.netstack.tcp;

/**
 * What a TCP connection tells its owner (a tool such as curl or an HTTP server), called on the
 * host's single core thread, from {@link TcpLayer#receive} or a timer. The owner may call back
 * into the connection ({@link TcpConnection#send}, {@link TcpConnection#close}, ...) from any of
 * these. After {@link TcpConnection#close()} or {@link TcpConnection#abort()} nothing more is
 * reported.
 */
public interface TcpListener {
  /** The handshake completed (the socket is ESTABLISHED). */
  default void onConnected(TcpConnection c) {}

  /** In-order bytes from the peer; {@code data} belongs to the listener. */
  default void onData(TcpConnection c, byte[] data) {}

  /** The peer sent FIN: end of its stream (read() returns 0). */
  default void onPeerClosed(TcpConnection c) {}

  /** The peer reset the connection; by default reported as {@link SocketError#ECONNRESET}. */
  default void onReset(TcpConnection c) {
    onError(c, SocketError.ECONNRESET);
  }

  /**
   * The connection failed: ECONNREFUSED (RST to our SYN), ETIMEDOUT (retransmissions gave up),
   * EHOSTUNREACH / ENETUNREACH (no route, or an ICMP error during the handshake), EPIPE (RST in
   * CLOSE-WAIT). The socket is closed.
   */
  default void onError(TcpConnection c, SocketError error) {}
}
