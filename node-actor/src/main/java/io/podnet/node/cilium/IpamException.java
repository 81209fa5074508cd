package io.podnet.node.cilium;

/** An IPAM request that cannot be met; the message is Cilium's error text. */
public final class IpamException extends Exception {
  public IpamException(String message) {
    super(message);
  }
}
