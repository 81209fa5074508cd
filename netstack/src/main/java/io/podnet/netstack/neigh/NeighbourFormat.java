package io.podnet.netstack.neigh;

import io.podnet.netstack.neigh.NeighbourTable.Snapshot;
import io.podnet.netstack.neigh.NeighbourTable.State;
import io.podnet.proto.packet.Ipv4Address;
import java.util.List;
import java.util.function.Function;

/**
 * The neighbour table as {@code ip neigh} (iproute2 5.16+: every attribute followed by one space)
 * and net-tools' {@code arp} print it. {@code arp} reads /proc/net/arp, which leaves out NOARP
 * entries and marks complete ones with ATF_COM and permanent ones with ATF_PERM.
 */
public final class NeighbourFormat {
  private NeighbourFormat() {}

  /** {@code ip neigh show [dev DEV]}: one line per entry; {@code dev} null shows every device. */
  public static String ipNeigh(List<Snapshot> entries, String dev) {
    StringBuilder sb = new StringBuilder();
    for (Snapshot e : entries) {
      if (dev != null && !dev.equals(e.dev())) {
        continue;
      }
      sb.append(e.ip()).append(' ');
      if (dev == null) {
        sb.append("dev ").append(e.dev()).append(' ');
      }
      if (e.mac() != null) {
        sb.append("lladdr ").append(e.mac()).append(' ');
      }
      if (e.router()) {
        sb.append("router ");
      }
      if (e.managed()) {
        sb.append("managed ");
      }
      if (e.externLearned()) {
        sb.append("extern_learn ");
      }
      sb.append(e.state().name()).append(" \n");
    }
    return sb.toString();
  }

  /**
   * {@code arp -a}: {@code name (ip) at mac [ether] on dev}. {@code names} gives the host name of
   * an address (from /etc/hosts, or {@code _gateway} for the default gateway), or null for
   * {@code ?}; pass {@code a -> null} for {@code arp -an}.
   */
  public static String arpAll(List<Snapshot> entries, Function<Ipv4Address, String> names) {
    StringBuilder sb = new StringBuilder();
    for (Snapshot e : entries) {
      if (e.state() == State.NOARP) {
        continue;
      }
      String name = names.apply(e.ip());
      sb.append(name == null ? "?" : name).append(" (").append(e.ip()).append(") at ");
      if (e.mac() == null) {
        sb.append("<incomplete> ");
      } else {
        sb.append(e.mac()).append(" [ether] ");
      }
      if (e.state() == State.PERMANENT) {
        sb.append("PERM ");
      }
      sb.append("on ").append(e.dev()).append('\n');
    }
    return sb.toString();
  }

  /** {@code arp} (and {@code arp -n} with names returning null): the table format. */
  public static String arpTable(List<Snapshot> entries, Function<Ipv4Address, String> names) {
    StringBuilder sb = new StringBuilder();
    boolean title = false;
    for (Snapshot e : entries) {
      if (e.state() == State.NOARP) {
        continue;
      }
      if (!title) {
        sb.append("Address                  HWtype  HWaddress           Flags Mask            Iface\n");
        title = true;
      }
      String name = names.apply(e.ip());
      String shown = name == null ? e.ip().toString() : name;
      String flags = (e.mac() != null ? "C" : "") + (e.state() == State.PERMANENT ? "M" : "");
      if (e.mac() == null) {
        sb.append(String.format("%-25s%-8s%-20s%-6s%-16s%s%n", shown, "", "(incomplete)", flags, "", e.dev()));
      } else {
        sb.append(String.format("%-25s%-8s%-20s%-6s%-16s%s%n", shown, "ether", e.mac(), flags, "", e.dev()));
      }
    }
    return sb.toString();
  }
}
