package io.podnet.netstack.core;

import io.podnet.proto.packet.MacAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The forwarding table of an L2 segment, as a Linux bridge keeps it: source MACs are learned per
 * port and forgotten after the ageing time (300 s by default); frames to a known unicast MAC go to
 * its port, others (broadcast, multicast, unknown unicast) are flooded. Plain code: time is passed
 * in, in microseconds of the lab clock.
 */
public final class LearningSwitch {
  /** The port to flood to every port but the ingress. */
  public static final int FLOOD = -1;
  /** The frame goes nowhere (its destination was learned on the port it came from). */
  public static final int FILTER = -2;
  public static final long DEFAULT_AGEING_MICROS = 300_000_000L;

  /** An fdb entry, refreshed in place by every frame from its MAC (no allocation per frame). */
  private static final class Learned {
    int port;
    long seenMicros;

    Learned(int port, long seenMicros) {
      this.port = port;
      this.seenMicros = seenMicros;
    }
  }

  private final long ageingMicros;
  private final Map<MacAddress, Learned> fdb = new HashMap<>();

  public LearningSwitch(long ageingMicros) {
    this.ageingMicros = ageingMicros;
  }

  /**
   * Learns the source and decides where a frame from {@code ingress} goes: a port, {@link #FLOOD}
   * or {@link #FILTER}.
   */
  public int forward(MacAddress src, MacAddress dst, int ingress, long nowMicros) {
    if (!src.isMulticast()) {
      Learned s = fdb.get(src);
      if (s == null) {
        fdb.put(src, new Learned(ingress, nowMicros));
      } else {
        s.port = ingress;
        s.seenMicros = nowMicros;
      }
    }
    if (dst.isMulticast()) {
      return FLOOD;
    }
    Learned l = fdb.get(dst);
    if (l == null || nowMicros - l.seenMicros > ageingMicros) {
      if (l != null) {
        fdb.remove(dst);
      }
      return FLOOD;
    }
    return l.port == ingress ? FILTER : l.port;
  }

  /** Forgets everything learned on a port (it went away). */
  public void forgetPort(int port) {
    fdb.values().removeIf(l -> l.port == port);
  }

  /** Where {@code mac} was last seen, if not aged out; -1 if unknown. */
  public int portOf(MacAddress mac, long nowMicros) {
    Learned l = fdb.get(mac);
    return l == null || nowMicros - l.seenMicros > ageingMicros ? -1 : l.port;
  }

  public int size() {
    return fdb.size();
  }
}
