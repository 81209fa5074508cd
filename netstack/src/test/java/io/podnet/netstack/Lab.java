package io.podnet.netstack;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.Arrays;
import java.util.List;

/** The reference lab's hosts, built from the transcript's data (tests only). */
public final class Lab {
  private Lab() {}

  public static CommandResult ip(HostStack h, String args) {
    List<String> argv = args.isEmpty() ? List.of() : Arrays.asList(args.split(" +"));
    return new IpCommand(h, 0).run(argv);
  }

  /** Runs a command that must succeed silently. */
  public static void ok(HostStack h, String args) {
    CommandResult r = ip(h, args);
    assertEquals(new CommandResult("", "", 0), r, "ip " + args);
  }

  /** Output with iproute2's trailing blanks removed from each line, as the transcript shows it. */
  public static String stripped(String out) {
    StringBuilder sb = new StringBuilder();
    for (String line : out.split("\n", -1)) {
      sb.append(line.stripTrailing()).append('\n');
    }
    return sb.substring(0, sb.length() - 1);
  }

  static void nic(HostStack h, String name, String mac, String altname) {
    var l = h.addLink(name, LinkKind.ETHERNET, MacAddress.parse(mac));
    h.updateLink(l.withAltNames(List.of(altname)));
    h.setUp(name, true);
  }

  static void addr(HostStack h, String dev, String prefix, boolean brd, long metric) {
    Ipv4Prefix p = Ipv4Prefix.parse(prefix);
    IfAddress a = IfAddress.of(p, dev).withMetric(metric);
    if (brd) {
      a = a.withBroadcast(p.broadcast());
    }
    try {
      h.addAddress(dev, a);
    } catch (NetlinkException e) {
      throw new AssertionError(e);
    }
  }

  /** eth0: the VirtualBox NAT uplink every VM has, configured by DHCP (systemd-networkd). */
  static void natUplink(HostStack h, String mac) {
    nic(h, "eth0", mac, "enp0s3");
    addr(h, "eth0", "10.0.2.15/24", true, 100);
    ok(h, "route add default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100");
    ok(h, "route add 10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100");
    ok(h, "route add 10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100");
  }

  /** cilium_net / cilium_host veth pair with the router IP on cilium_host (ifindex 4 and 5). */
  static void ciliumHost(HostStack h, String hostMac, String netMac, String routerIp) {
    h.updateLink(h.addLink("cilium_net", LinkKind.VETH, MacAddress.parse(netMac)).withPeer("cilium_host"));
    var host = h.addLink("cilium_host", LinkKind.VETH, MacAddress.parse(hostMac));
    h.updateLink(host.withPeer("cilium_net").withNoArp(true));
    h.setUp("cilium_net", true);
    h.setUp("cilium_host", true);
    addr(h, "cilium_host", routerIp + "/32", false, 0);
    ok(h, "route add " + routerIp + " dev cilium_host proto kernel scope link");
  }

  public static HostStack router() {
    HostStack h = HostStack.withLoopback();
    natUplink(h, "08:00:27:6b:69:c9");
    nic(h, "eth1", "08:00:27:ac:72:9f", "enp0s8");
    nic(h, "eth2", "08:00:27:1d:3e:50", "enp0s9");
    addr(h, "eth1", "192.168.10.200/24", true, 0);
    addr(h, "eth2", "192.168.20.200/24", true, 0);
    for (String n : List.of("loop1", "loop2")) {
      h.addLink(n, LinkKind.DUMMY, MacAddress.parse(n.equals("loop1") ? "e2:1a:4f:00:11:01" : "e2:1a:4f:00:11:02"));
      h.setUp(n, true);
    }
    addr(h, "loop1", "10.10.1.200/24", true, 0);
    addr(h, "loop2", "10.10.2.200/24", true, 0);
    return h;
  }

  public static HostStack k8sW0() {
    HostStack h = HostStack.withLoopback();
    natUplink(h, "08:00:27:71:8e:2a");
    nic(h, "eth1", "08:00:27:3a:be:fa", "enp0s9");
    addr(h, "eth1", "192.168.20.100/24", true, 0);
    ciliumHost(h, "fa:b0:9f:c2:1b:84", "6e:3c:1a:09:54:e1", "172.20.2.204");
    ok(h, "route add 10.10.0.0/16 via 192.168.20.200 dev eth1 proto static");
    ok(h, "route add 172.20.0.0/16 via 192.168.20.200 dev eth1 proto static");
    ok(h, "route add 192.168.10.0/24 via 192.168.20.200 dev eth1 proto static");
    ok(h, "route add 172.20.0.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450");
    ok(h, "route add 172.20.1.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204 mtu 1450");
    ok(h, "route add 172.20.2.0/24 via 172.20.2.204 dev cilium_host proto kernel src 172.20.2.204");
    return h;
  }

  /** k8s-ctr in overlay mode (cilium_host 172.20.0.74), plus a route to 192.168.20.0/24 via the router. */
  public static HostStack k8sCtr() {
    HostStack h = HostStack.withLoopback();
    natUplink(h, "08:00:27:e0:5f:d1");
    nic(h, "eth1", "08:00:27:04:d1:9c", "enp0s9");
    addr(h, "eth1", "192.168.10.100/24", true, 0);
    ciliumHost(h, "aa:71:74:33:f7:d6", "9a:2b:01:c4:77:10", "172.20.0.74");
    ok(h, "route add 172.20.0.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74");
    ok(h, "route add 172.20.1.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74 mtu 1450");
    ok(h, "route add 172.20.2.0/24 via 172.20.0.74 dev cilium_host proto kernel src 172.20.0.74 mtu 1450");
    ok(h, "route add 192.168.20.0/24 via 192.168.10.200 dev eth1");
    return h;
  }

  static Ipv4Address a(String s) {
    return Ipv4Address.parse(s);
  }
}
