package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.node.cilium.hubble.FlowRing;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The reference lab's datapath as wired HostCores (test data only): k8s-ctr and k8s-w1 on
 * 192.168.10.0/24, k8s-w0 on 192.168.20.0/24 behind a router; one pod per node on a veth (the pod
 * is a plain HostCore whose eth0 faces the node's lxc). Frames are delivered in order, never
 * reentrantly, with zero latency, on one manual clock.
 */
final class DatapathLab {
  record Port(String host, String dev) {}

  record Sent(long micros, String host, String dev, byte[] frame) {}

  record Pod(String name, String node, String ip, int identity, String mac, String lxc) {}

  final Map<String, HostCore> hosts = new LinkedHashMap<>();
  final Map<String, List<Port>> segments = new HashMap<>();
  final Map<Port, String> segmentOf = new HashMap<>();
  final ArrayDeque<Sent> inFlight = new ArrayDeque<>();
  final List<Sent> wire = new ArrayList<>();
  final Map<String, CiliumDatapath> datapaths = new LinkedHashMap<>();
  final Map<String, FlowRing> rings = new LinkedHashMap<>();
  final List<CiliumNodeInfo> nodes = ReferenceLab.part2Nodes();
  final List<Pod> pods = List.of(
      new Pod("curl-pod", "k8s-ctr", "172.20.0.163", 29101, "ee:00:00:00:00:01", "lxc0001"),
      new Pod("webpod-697b545f57-smclf", "k8s-w1", "172.20.1.73", 11761, "ee:00:00:00:01:01", "lxc0101"),
      new Pod("webpod-697b545f57-9c7vb", "k8s-w0", "172.20.2.54", 11761, "ee:00:00:00:02:01", "lxc0201"));
  long now;
  int seed = 7;

  DatapathLab(long startMicros) {
    this.now = startMicros;
  }

  HostCore host(String name) {
    return hosts.computeIfAbsent(name, n -> new HostCore(HostStack.withLoopback(), new TimerQueue(now),
        new SplittableRandom(seed++), (dev, frame) -> {
          Sent s = new Sent(now, n, dev, frame);
          wire.add(s);
          inFlight.add(s);
        }));
  }

  DatapathLab nic(String host, String dev, LinkKind kind, String mac, String cidr, String segment) {
    HostCore h = host(host);
    h.stack().addLink(dev, kind, MacAddress.parse(mac));
    h.stack().setUp(dev, true);
    if (cidr != null) {
      Ipv4Prefix p = Ipv4Prefix.parse(cidr);
      try {
        h.stack().addAddress(dev, p.length() == 32 ? IfAddress.of(p, dev)
            : IfAddress.of(p, dev).withBroadcast(p.broadcast()));
      } catch (NetlinkException e) {
        throw new AssertionError(e);
      }
    }
    Port port = new Port(host, dev);
    segments.computeIfAbsent(segment, s -> new ArrayList<>()).add(port);
    segmentOf.put(port, segment);
    return this;
  }

  DatapathLab ip(String host, String args) {
    CommandResult r = new IpCommand(host(host).stack(), 0).run(Arrays.asList(args.split(" +")));
    assertEquals(new CommandResult("", "", 0), r, host + ": ip " + args);
    return this;
  }

  /** Hosts, router, pods; the agents configured with {@code config} and their programs installed. */
  DatapathLab build(AgentConfig config) {
    nic("k8s-ctr", "eth1", LinkKind.ETHERNET, "08:00:27:04:d1:9c", "192.168.10.100/24", "lan10");
    nic("k8s-w1", "eth1", LinkKind.ETHERNET, "08:00:27:af:e6:df", "192.168.10.101/24", "lan10");
    nic("k8s-w0", "eth1", LinkKind.ETHERNET, "08:00:27:3a:be:fa", "192.168.20.100/24", "lan20");
    nic("router", "eth1", LinkKind.ETHERNET, "08:00:27:ac:72:9f", "192.168.10.200/24", "lan10");
    nic("router", "eth2", LinkKind.ETHERNET, "08:00:27:1d:3e:50", "192.168.20.200/24", "lan20");
    host("router").setForwarding(true);
    ip("k8s-ctr", "route add default via 192.168.10.200 dev eth1");
    ip("k8s-w1", "route add default via 192.168.10.200 dev eth1");
    ReferenceLab.w0StaticRoutes(host("k8s-w0").stack());
    List<EndpointInfo> eps = new ArrayList<>();
    for (Pod p : pods) {
      eps.add(new EndpointInfo("default", p.name(), Ipv4Address.parse(p.ip()), p.identity(), p.node()));
    }
    for (CiliumNodeInfo n : nodes) {
      HostCore h = host(n.name());
      h.setForwarding(true);
      SplittableRandom r = new SplittableRandom(n.name().hashCode());
      NodeDatapath nd = new NodeDatapath(h.stack(), r);
      nd.ensureDevices(n.routerIp(), config);
      nd.reconcile(n.name(), nodes, config);
      FlowRing ring = new FlowRing(FlowRing.DEFAULT_CAPACITY);
      CiliumDatapath dp = new CiliumDatapath(n.name(), h, config, n, List.of("eth1"), r, ring);
      List<Ipv4Address> addrs = new ArrayList<>();
      h.stack().links().all().forEach(l -> l.addresses().forEach(a -> addrs.add(a.local())));
      dp.setIpCache(IpCache.build(n.name(), addrs, nodes, eps, config));
      dp.setEndpoints(eps);
      dp.install();
      datapaths.put(n.name(), dp);
      rings.put(n.name(), ring);
    }
    for (Pod p : pods) {
      CiliumNodeInfo n = nodes.stream().filter(x -> x.name().equals(p.node())).findFirst().orElseThrow();
      String seg = "veth-" + p.name();
      nic(p.node(), p.lxc(), LinkKind.VETH, "fe:" + p.mac().substring(3), null, seg);
      nic(p.name(), "eth0", LinkKind.VETH, p.mac(), p.ip() + "/32", seg);
      ip(p.name(), "route add " + n.routerIp() + " dev eth0 scope link");
      ip(p.name(), "route add default via " + n.routerIp() + " dev eth0");
      EndpointInfo info = eps.stream().filter(e -> e.name().equals(p.name())).findFirst().orElseThrow();
      datapaths.get(p.node()).addLocalEndpoint(new CiliumDatapath.LocalEndpoint(info, p.lxc(),
          MacAddress.parse(p.mac())));
    }
    return this;
  }

  Pod pod(String prefix) {
    return pods.stream().filter(p -> p.name().startsWith(prefix) || p.node().equals(prefix)).findFirst().orElseThrow();
  }

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

  void deliverAll() {
    int guard = 0;
    while (!inFlight.isEmpty()) {
      if (++guard > 100_000) {
        throw new AssertionError("frame storm");
      }
      Sent s = inFlight.removeFirst();
      String seg = segmentOf.get(new Port(s.host(), s.dev()));
      if (seg == null) {
        continue;
      }
      for (Port p : segments.get(seg)) {
        if (!p.equals(new Port(s.host(), s.dev()))) {
          hosts.get(p.host()).receive(p.dev(), s.frame(), 0, s.frame().length);
        }
      }
    }
  }

  List<Sent> sentBy(String host, String dev) {
    return wire.stream().filter(s -> s.host().equals(host) && s.dev().equals(dev)).toList();
  }
}
