package io.podnet.netstack.actor;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.List;

/** Builds a host's kernel state from its {@link HostConfig}, reporting every problem. */
public final class HostSetup {
  private HostSetup() {}

  /** The configuration cannot be applied; each problem names the link or route. */
  public static final class SetupException extends Exception {
    private final List<String> problems;

    SetupException(List<String> problems) {
      super(String.join("\n", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  public static HostStack build(HostConfig c) throws SetupException {
    List<String> problems = new ArrayList<>();
    HostStack stack = HostStack.withLoopback();
    for (HostConfig.LinkConfig l : c.links()) {
      String where = "hosts." + c.name() + ".interfaces." + l.name();
      LinkKind kind = switch (l.kind() == null ? "" : l.kind()) {
        case "dummy" -> LinkKind.DUMMY;
        case "veth" -> LinkKind.VETH;
        default -> LinkKind.ETHERNET;
      };
      try {
        stack.addLink(l.name(), kind, MacAddress.parse(l.mac()));
        if (l.mtu() > 0 && l.mtu() != kind.defaultMtu()) {
          stack.updateLink(stack.links().byName(l.name()).orElseThrow().withMtu(l.mtu()));
        }
        stack.setUp(l.name(), true);
        for (String a : l.addresses()) {
          IfAddress addr = IfAddress.of(Ipv4Prefix.parse(a), l.name());
          if (l.addressMetric() > 0) {
            addr = addr.withMetric(l.addressMetric());
          }
          stack.addAddress(l.name(), addr);
        }
      } catch (NetlinkException | RuntimeException e) {
        problems.add(where + ": " + e.getMessage());
      }
    }
    IpCommand ip = new IpCommand(stack, 0);
    for (int i = 0; i < c.routes().size(); i++) {
      String r = c.routes().get(i);
      List<String> argv = new ArrayList<>(List.of("route", "add"));
      argv.addAll(List.of(r.trim().split("\\s+")));
      CommandResult res = ip.run(argv);
      if (res.exitCode() != 0) {
        problems.add("hosts." + c.name() + ".routes[" + i + "]: ip route add " + r + ": " + res.stderr().strip());
      }
    }
    if (!problems.isEmpty()) {
      throw new SetupException(problems);
    }
    return stack;
  }
}
