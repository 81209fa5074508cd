package io.podnet.node.cilium;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Builds test hosts with the {@code ip} tool, as an administrator would. */
final class Hosts {
  private Hosts() {}

  static CommandResult ip(HostStack h, String args) {
    return new IpCommand(h, 0).run(Arrays.asList(args.split(" +")));
  }

  static void ok(HostStack h, String args) {
    assertEquals(new CommandResult("", "", 0), ip(h, args), "ip " + args);
  }

  /** stdout with iproute2's trailing blanks removed from each line. */
  static String out(HostStack h, String args) {
    CommandResult r = ip(h, args);
    assertEquals("", r.stderr(), "ip " + args);
    StringBuilder sb = new StringBuilder();
    for (String l : r.stdout().split("\n")) {
      sb.append(l.stripTrailing()).append('\n');
    }
    return sb.toString();
  }

  /** Lines of {@code ip route} that mention a word, as {@code | grep WORD}. */
  static String grep(String text, String word) {
    List<String> keep = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (l.contains(word)) {
        keep.add(l);
      }
    }
    return String.join("\n", keep) + "\n";
  }

  static HostStack host() {
    return HostStack.withLoopback();
  }

  static void nic(HostStack h, String name, String mac) {
    h.addLink(name, LinkKind.ETHERNET, MacAddress.parse(mac));
    ok(h, "link set " + name + " up");
  }

  /** {@code ip addr add P brd + dev D [metric M]} (the address API; the tool only shows). */
  static void addr(HostStack h, String dev, String prefix, long metric) {
    Ipv4Prefix p = Ipv4Prefix.parse(prefix);
    try {
      h.addAddress(dev, IfAddress.of(p, dev).withMetric(metric).withBroadcast(p.broadcast()));
    } catch (NetlinkException e) {
      throw new AssertionError(e);
    }
  }

  /** The VirtualBox NAT uplink every reference VM has (systemd-networkd DHCP). */
  static void natUplink(HostStack h, String mac) {
    nic(h, "eth0", mac);
    addr(h, "eth0", "10.0.2.15/24", 100);
    ok(h, "route add default via 10.0.2.2 dev eth0 proto dhcp src 10.0.2.15 metric 100");
    ok(h, "route add 10.0.2.2 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100");
    ok(h, "route add 10.0.2.3 dev eth0 proto dhcp scope link src 10.0.2.15 metric 100");
  }
}
