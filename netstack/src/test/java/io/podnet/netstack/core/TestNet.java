package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny lab for core tests: hosts wired by hubs (every frame goes to every other port of the
 * segment; the hosts' own L2 filter does the rest), zero latency, one manual clock. Frames are
 * queued and delivered in order, never reentrantly.
 */
final class TestNet {
  record Port(String host, String dev) {}

  /** A transmitted frame: the array the core handed over, and a copy taken at that moment. */
  record Sent(long micros, String host, String dev, byte[] frame, byte[] asSent) {}

  final Map<String, HostCore> hosts = new HashMap<>();
  final Map<String, List<Port>> segments = new HashMap<>();
  final Map<Port, String> segmentOf = new HashMap<>();
  final ArrayDeque<Sent> inFlight = new ArrayDeque<>();
  final List<Sent> wire = new ArrayList<>();
  long now;
  int seed = 1;
  /** Deliver a fresh copy per receiver with {@link HostCore#receiveShared} instead of {@code receive}. */
  boolean owned;
  /** Deliver with {@link HostCore#receiveShared}: the sender's very array to every receiver, as host actors in one JVM do. */
  boolean shared;

  HostCore host(String name) {
    return hosts.computeIfAbsent(name, n -> {
      HostStack stack = HostStack.withLoopback();
      return new HostCore(stack, new TimerQueue(now), new SplittableRandom(seed++),
          (dev, frame) -> {
            Sent s = new Sent(now, n, dev, frame, frame.clone());
            wire.add(s);
            inFlight.add(s);
          });
    });
  }

  /** A NIC named {@code dev} on {@code host}, up, with {@code cidr}, plugged into {@code segment}. */
  TestNet nic(String host, String dev, String mac, String cidr, String segment) {
    HostCore h = host(host);
    h.stack().addLink(dev, LinkKind.ETHERNET, MacAddress.parse(mac));
    h.stack().setUp(dev, true);
    if (cidr != null) {
      Ipv4Prefix p = Ipv4Prefix.parse(cidr);
      try {
        h.stack().addAddress(dev, IfAddress.of(p, dev).withBroadcast(p.broadcast()));
      } catch (NetlinkException e) {
        throw new AssertionError(e);
      }
    }
    Port port = new Port(host, dev);
    segments.computeIfAbsent(segment, s -> new ArrayList<>()).add(port);
    segmentOf.put(port, segment);
    return this;
  }

  TestNet ip(String host, String args) {
    CommandResult r = new IpCommand(host(host).stack(), 0).run(Arrays.asList(args.split(" +")));
    assertEquals(new CommandResult("", "", 0), r, "ip " + args);
    return this;
  }

  /** Delivers frames and runs timers up to {@code untilMicros}. */
  void runUntil(long untilMicros) {
    while (true) {
      deliverAll();
      long next = Long.MAX_VALUE;
      for (HostCore h : hosts.values()) {
        next = Math.min(next, h.nextDeadline());
      }
      if (next > untilMicros) {
        break;
      }
      now = Math.max(now, next);
      for (HostCore h : hosts.values()) {
        h.advanceTo(now);
      }
    }
    now = Math.max(now, untilMicros);
    for (HostCore h : hosts.values()) {
      h.advanceTo(now);
    }
    deliverAll();
  }

  void runFor(long micros) {
    runUntil(now + micros);
  }

  /** Delivers what is on the wire now (and what that provokes) without moving the clock. */
  void deliverAll() {
    int guard = 0;
    while (!inFlight.isEmpty()) {
      if (++guard > 100_000) {
        throw new AssertionError("frame storm");
      }
      Sent s = inFlight.removeFirst();
      String seg = segmentOf.get(new Port(s.host(), s.dev()));
      if (seg == null) {
        continue; // an unplugged device
      }
      for (Port p : segments.get(seg)) {
        if (!p.equals(new Port(s.host(), s.dev()))) {
          if (shared) {
            hosts.get(p.host()).receiveShared(p.dev(), s.frame());
          } else if (owned) {
            hosts.get(p.host()).receiveShared(p.dev(), s.frame().clone());
          } else {
            hosts.get(p.host()).receive(p.dev(), s.frame(), 0, s.frame().length);
          }
        }
      }
    }
  }

  /** Frames sent by {@code host} on {@code dev} so far. */
  List<Sent> sentBy(String host, String dev) {
    return wire.stream().filter(s -> s.host().equals(host) && s.dev().equals(dev)).toList();
  }
}
