package io.podnet.netstack.tcp;

/** TCP states (RFC 9293), with the names {@code ss} prints for them. */
public enum TcpState {
  LISTEN("LISTEN"),
  SYN_SENT("SYN-SENT"),
  SYN_RECV("SYN-RECV"),
  ESTABLISHED("ESTAB"),
  FIN_WAIT_1("FIN-WAIT-1"),
  FIN_WAIT_2("FIN-WAIT-2"),
  CLOSE_WAIT("CLOSE-WAIT"),
  CLOSING("CLOSING"),
  LAST_ACK("LAST-ACK"),
  TIME_WAIT("TIME-WAIT"),
  CLOSED("UNCONN");

  private final String ssName;

  TcpState(String ssName) {
    this.ssName = ssName;
  }

  /** The state as {@code ss} shows it ({@code ESTAB}, {@code SYN-SENT}, ...). */
  public String ssName() {
    return ssName;
  }

  /** States after the handshake, where sequence numbers of both sides are known. */
  boolean synchronizedState() {
    return this != LISTEN && this != SYN_SENT && this != SYN_RECV && this != CLOSED;
  }
}
