package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Cilium's StateDB table {@code l2-announce} (pkg/datapath/tables/l2announce.go): the (IP, network
 * interface) pairs this node answers ARP for, written by the L2 announcer for the services whose
 * lease it holds and reconciled into the datapath's L2 responder map. Its primary key is the IP's
 * bytes, '+', the interface name, so {@code db/show} lists entries in that order.
 */
public final class L2AnnounceTable {
  /** The table's name, as {@code db/show} takes it. */
  public static final String NAME = "l2-announce";

  private L2AnnounceTable() {}

  /** One row: {@code IP} and {@code NetworkInterface}, the table's columns (TableHeader). */
  public record Entry(Ipv4Address ip, String networkInterface) implements Comparable<Entry> {
    public Entry {
      Objects.requireNonNull(ip, "ip");
      Objects.requireNonNull(networkInterface, "networkInterface");
    }

    /** The primary key's order: the address as unsigned bytes, then the interface name. */
    @Override
    public int compareTo(Entry o) {
      int c = Integer.compareUnsigned(ip.value(), o.ip.value());
      return c != 0 ? c : networkInterface.compareTo(o.networkInterface);
    }
  }

  /**
   * {@code db/show l2-announce}: the header and one row per entry in key order, through the tab
   * writer StateDB's shell uses (minwidth 5, padding 3); with no entries, the header alone.
   */
  public static String show(Collection<Entry> entries) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(null);
    TabWriter w = new TabWriter(5, 3).line("IP\tNetworkInterface");
    for (Entry e : sorted) {
      w.line(e.ip() + "\t" + e.networkInterface());
    }
    return w.flush();
  }

  /** StateDB's error for a table it does not have ({@code getTable}). */
  public static String notFound(String table) {
    return "table \"" + table + "\" not found";
  }
}
