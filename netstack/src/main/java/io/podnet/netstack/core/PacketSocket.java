package io.podnet.netstack.core;

import io.podnet.netstack.link.Link;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An AF_PACKET socket bound to one device and one EtherType (arping's): sends whole frames as
 * given, and receives the frames of that type arriving on the device (those the device accepts:
 * to its MAC, broadcast, multicast) with the lab time they arrived. Outgoing frames are not
 * looped back to it.
 */
public final class PacketSocket {
  /** ETH_P_ALL: every EtherType. */
  public static final int ALL = 0x0003;

  /** A received frame. */
  public record Frame(byte[] bytes, PacketType type, long timeMicros) {}

  private final HostCore core;
  private final String dev;
  private final int etherType;
  private final ArrayDeque<Frame> queue = new ArrayDeque<>();
  private Consumer<Frame> listener;
  private boolean open = true;

  PacketSocket(HostCore core, String dev, int etherType) {
    this.core = core;
    this.dev = dev;
    this.etherType = etherType;
  }

  public String device() {
    return dev;
  }

  /** The bound device as it is now (its MAC, its addresses), or null if it went away. */
  public Link link() {
    return core.link(dev);
  }

  public void setListener(Consumer<Frame> l) {
    this.listener = l;
  }

  /** Sends {@code frame} out of the device as is. Returns 0, ENETDOWN, or ENODEV. */
  public int send(byte[] frame) {
    if (!open) {
      return HostCore.EINVAL;
    }
    byte[] copy = frame.clone();
    return core.enter(() -> {
      Link l = core.link(dev);
      if (l == null) {
        return HostCore.ENODEV;
      }
      if (!l.up()) {
        return HostCore.ENETDOWN;
      }
      core.xmitRaw(l, copy);
      return 0;
    });
  }

  public Frame poll() {
    return queue.pollFirst();
  }

  public List<Frame> drain() {
    List<Frame> out = new ArrayList<>(queue);
    queue.clear();
    return out;
  }

  public void close() {
    open = false;
    core.packetSockets.remove(this);
  }

  void offer(Link l, int type, byte[] frame, PacketType pktType, long now) {
    if (!l.name().equals(dev) || (etherType != ALL && etherType != type)) {
      return;
    }
    Frame f = new Frame(frame.clone(), pktType, now);
    if (listener != null) {
      listener.accept(f);
    } else {
      queue.addLast(f);
    }
  }
}
