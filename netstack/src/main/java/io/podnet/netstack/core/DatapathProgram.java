package io.podnet.netstack.core;

import io.podnet.proto.packet.Ipv4Address;

/**
 * A program attached to a device's ingress or egress, the way a tc (clsact) BPF program is
 * attached on Linux: it sees each frame at its hook and returns what the kernel should do with it.
 *
 * <p>Ingress programs run after the capture taps (tcpdump sees the frame as it arrived) and before
 * the stack looks at it; egress programs run before the taps and the wire (tcpdump sees what the
 * program let out). On NOARP devices (cilium_host) and tunnel devices no neighbour resolution
 * happens before the egress program: the frame carries the device's own MAC as destination and
 * the program does its own L2.
 */
@FunctionalInterface
public interface DatapathProgram {

  /** Which hook a program is attached to (tc ingress / tc egress). */
  enum Hook {
    INGRESS, EGRESS
  }

  /**
   * What the program is given (the {@code __sk_buff}).
   *
   * @param dev the device the hook belongs to
   * @param hook ingress or egress
   * @param timeMicros the host's clock
   * @param frame the whole Ethernet frame; the program must not modify it (copy to rewrite)
   * @param tunnel the tunnel metadata: on a tunnel device's ingress, the outer source and the VNI
   *     the frame arrived with; null elsewhere ({@code bpf_skb_get_tunnel_key})
   */
  record Packet(String dev, Hook hook, long timeMicros, byte[] frame, TunnelKey tunnel) {}

  /**
   * {@code bpf_skb_set_tunnel_key}'s essentials: where a collect-metadata tunnel device sends the
   * frame, and with which VNI.
   */
  record TunnelKey(Ipv4Address remote, int vni) {
    public TunnelKey {
      if (remote == null || vni < 0 || vni > 0xffffff) {
        throw new IllegalArgumentException("tunnel key needs a remote and a 24-bit VNI: " + remote + " " + vni);
      }
    }
  }

  /** What happens to the frame. */
  sealed interface Verdict permits Pass, Drop, Redirect, RedirectNeigh, Transmit {}

  /** TC_ACT_OK: continue as the kernel would without the program. */
  record Pass() implements Verdict {}

  /** TC_ACT_SHOT: dropped, counted in {@link HostCore#drops()} under {@code reason}. */
  record Drop(String reason) implements Verdict {}

  /**
   * bpf_redirect: {@code frame} (possibly rewritten) continues on {@code dev}. With {@code ingress}
   * it is received there as if it had arrived on it ({@code BPF_F_INGRESS}, bpf_redirect_peer):
   * taps, that device's ingress program, the stack. Otherwise it is transmitted out of {@code dev}:
   * that device's egress program, taps, the wire (a tunnel device encapsulates with {@code tunnel}).
   */
  record Redirect(String dev, byte[] frame, boolean ingress, TunnelKey tunnel) implements Verdict {}

  /**
   * {@code bpf_redirect_neigh}: the IPv4 datagram in {@code frame} (its Ethernet header is
   * replaced) is transmitted out of {@code dev} to the next hop {@code nextHop}, whose MAC the
   * neighbour subsystem supplies (resolving it first, the datagram queued, when unknown): that
   * device's egress program, taps, the wire. The program has done its FIB lookup (and TTL) itself;
   * a datagram over the device's MTU is dropped, not fragmented.
   */
  record RedirectNeigh(String dev, byte[] frame, Ipv4Address nextHop) implements Verdict {
    public RedirectNeigh {
      if (dev == null || frame == null || nextHop == null) {
        throw new IllegalArgumentException("redirect_neigh needs a device, a frame and a next hop");
      }
    }
  }

  /** The frame goes out of {@code dev} as it is: taps, counters, the wire; no program runs. */
  record Transmit(String dev, byte[] frame) implements Verdict {}

  Pass PASS = new Pass();

  static Verdict drop(String reason) {
    return new Drop(reason);
  }

  static Verdict redirectEgress(String dev, byte[] frame) {
    return new Redirect(dev, frame, false, null);
  }

  static Verdict redirectIngress(String dev, byte[] frame) {
    return new Redirect(dev, frame, true, null);
  }

  static Verdict encapsulate(String tunnelDev, byte[] frame, TunnelKey key) {
    return new Redirect(tunnelDev, frame, false, key);
  }

  static Verdict redirectNeigh(String dev, byte[] frame, Ipv4Address nextHop) {
    return new RedirectNeigh(dev, frame, nextHop);
  }

  static Verdict transmit(String dev, byte[] frame) {
    return new Transmit(dev, frame);
  }

  Verdict run(Packet packet);
}
