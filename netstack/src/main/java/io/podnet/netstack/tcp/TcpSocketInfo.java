package io.podnet.netstack.tcp;

import io.podnet.proto.packet.Ipv4Address;

/**
 * One TCP socket as {@code ss -tan} shows it. For a listener {@code recvQ} is the accept queue (0:
 * accepts are immediate) and {@code sendQ} the backlog; for a connection they are the bytes
 * received but not read and the bytes written but not acknowledged. The peer of a listener is
 * {@code 0.0.0.0:0}.
 */
public record TcpSocketInfo(TcpState state, long recvQ, long sendQ, Ipv4Address localAddress, int localPort,
    Ipv4Address peerAddress, int peerPort) {

  /** {@code ss}'s state column. */
  public String stateName() {
    return state.ssName();
  }
}
