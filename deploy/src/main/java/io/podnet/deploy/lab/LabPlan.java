package io.podnet.deploy.lab;

import io.podnet.deploy.topology.LabSpec;
import io.podnet.deploy.topology.LabSpec.HostSpec;
import io.podnet.deploy.topology.LabSpec.InterfaceKind;
import io.podnet.deploy.topology.LabSpec.InterfaceSpec;
import io.podnet.deploy.topology.LabSpec.NatSpec;
import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostSetup;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a lab is made of, worked out from its topology before anything starts: every segment
 * (shared ones, and one private NAT segment per NAT uplink) and every host's kernel configuration,
 * each host's configuration already applied once to a scratch kernel so that a bad route is
 * reported, with its path in the topology, before the lab starts.
 */
public record LabPlan(LabSpec spec, List<SegmentPlan> segments, List<HostPlan> hosts) {
  /** A segment; {@code natGateways} non-empty for a NAT uplink's private segment. */
  public record SegmentPlan(String name, List<String> natGateways) {}

  public record HostPlan(HostSpec spec, HostConfig config) {}

  /** The topology cannot be built; every problem names its place in the topology. */
  public static final class PlanException extends Exception {
    private final List<String> problems;

    PlanException(String lab, List<String> problems) {
      super("lab " + lab + ": " + (problems.size() == 1 ? problems.get(0)
          : problems.size() + " problems:\n  " + String.join("\n  ", problems)));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  public static LabPlan of(LabSpec spec) throws PlanException {
    Map<String, SegmentPlan> segments = new LinkedHashMap<>();
    for (LabSpec.SegmentSpec s : spec.segments()) {
      segments.put(s.name(), new SegmentPlan(s.name(), List.of()));
    }
    List<HostPlan> hosts = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (HostSpec h : spec.hosts()) {
      List<HostConfig.LinkConfig> links = new ArrayList<>();
      List<String> routes = new ArrayList<>();
      for (InterfaceSpec i : h.interfaces()) {
        String segment = i.segment();
        long metric = 0;
        NatSpec nat = i.nat();
        if (nat != null) {
          segment = natSegment(h.name(), i.name());
          segments.put(segment, new SegmentPlan(segment, List.of(nat.gateway(), nat.dns())));
          metric = nat.metric();
          // What a DHCP client (systemd-networkd) installs from the NAT engine's lease.
          String via = " dev " + i.name() + " proto dhcp";
          String src = " src " + nat.address() + " metric " + nat.metric();
          routes.add("default via " + nat.gateway() + via + src);
          routes.add(nat.gateway() + via + " scope link" + src);
          if (!nat.dns().equals(nat.gateway())) {
            routes.add(nat.dns() + via + " scope link" + src);
          }
        }
        links.add(new HostConfig.LinkConfig(i.name(), i.kind() == InterfaceKind.DUMMY ? "dummy" : "ethernet", segment,
            spec.macOf(h.name(), i).toString(), i.mtu(), i.addresses(), metric));
      }
      routes.addAll(h.routes());
      HostConfig config = new HostConfig(h.name(), spec.seed() ^ ((long) h.name().hashCode() << 16), h.forwarding(),
          links, routes, h.etcHosts());
      try {
        HostSetup.build(config);
      } catch (HostSetup.SetupException e) {
        problems.addAll(e.problems());
      }
      hosts.add(new HostPlan(h, config));
    }
    if (!problems.isEmpty()) {
      throw new PlanException(spec.name(), problems);
    }
    return new LabPlan(spec, List.copyOf(segments.values()), hosts);
  }

  static String natSegment(String host, String iface) {
    return "nat-" + host + "-" + iface;
  }
}
