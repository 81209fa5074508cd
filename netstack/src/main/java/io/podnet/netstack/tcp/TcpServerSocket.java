package io.podnet.netstack.tcp;

import io.podnet.proto.packet.Ipv4Address;

/** A listening socket from {@link TcpLayer#listen}. */
public final class TcpServerSocket {
  /** Takes a connection whose handshake completed and returns who listens to it. */
  @FunctionalInterface
  public interface Acceptor {
    TcpListener accept(TcpConnection connection);
  }

  private final TcpLayer layer;
  final Ipv4Address localAddress;
  final int localPort;
  final int backlog;
  final Acceptor acceptor;
  int synRecv;
  boolean open = true;

  TcpServerSocket(TcpLayer layer, Ipv4Address localAddress, int localPort, int backlog, Acceptor acceptor) {
    this.layer = layer;
    this.localAddress = localAddress;
    this.localPort = localPort;
    this.backlog = backlog;
    this.acceptor = acceptor;
  }

  public Ipv4Address localAddress() {
    return localAddress;
  }

  public int localPort() {
    return localPort;
  }

  public boolean isOpen() {
    return open;
  }

  /** Stops listening; handshakes in progress are dropped, accepted connections carry on. */
  public void close() {
    if (open) {
      open = false;
      layer.unlisten(this);
    }
  }
}
