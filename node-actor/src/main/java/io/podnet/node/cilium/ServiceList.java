package io.podnet.node.cilium;

import io.podnet.proto.packet.Ipv4Address;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The agent's load-balancer frontends as its REST API serves them ({@code GET /service}, which
 * Cilium 1.18 answers from its StateDB {@code frontends} table) and as {@code cilium-dbg service
 * list} prints them, with the service IDs its BPF reconciler allocates.
 *
 * <p>What is listed follows the 1.18 Kubernetes reflector (pkg/loadbalancer/reflectors,
 * convertService): a ClusterIP frontend per port; with kube-proxy replacement, for a NodePort or
 * LoadBalancer Service one NodePort frontend per port on the unspecified address
 * ({@code 0.0.0.0:nodePort}, the reconciler expands it to the node's addresses in the BPF maps
 * only); a LoadBalancer frontend per ingress IP (a VIP) and port; an ExternalIPs frontend per
 * external IP and port. NodePort and LoadBalancer frontends come in two scopes, external and
 * internal ({@code /i}), when exactly one of the external and internal traffic policies is Local.
 * A Service's frontends are written sorted by address (L3n4Addr.Bytes: IP, port, protocol letter,
 * scope).
 *
 * <p>IDs ({@link Ids}) are allocated as the reconciler meets frontends: in the order they were
 * written, the next free ID from a cursor that only moves forward (wrapping at 65535), a NodePort
 * frontend's expansions each taking their own ID right after it. A frontend keeps its ID while it
 * exists; a freed ID is reused only after the cursor wraps.
 */
public final class ServiceList {
  private ServiceList() {}

  /** IANA protocol numbers of the L4 types Cilium load-balances. */
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int SCTP = 132;

  /**
   * A frontend address (Cilium's L3n4Addr).
   *
   * @param ip the address; {@link Ipv4Address#ANY} for a NodePort frontend
   * @param port the port
   * @param protocol TCP, UDP or SCTP
   * @param internal the internal scope (traffic from inside the cluster when the policies differ)
   */
  public record Address(Ipv4Address ip, int port, int protocol, boolean internal) implements Comparable<Address> {
    public Address {
      Objects.requireNonNull(ip, "ip");
      if (port < 0 || port > 0xFFFF) {
        throw new IllegalArgumentException("port " + port);
      }
      protocolName(protocol);
    }

    /** The same address and port on {@code other}. */
    public Address on(Ipv4Address other) {
      return new Address(other, port, protocol, internal);
    }

    /** L3n4Addr.Bytes order: the address, the port, the protocol's letter (S, T, U), the scope. */
    @Override
    public int compareTo(Address o) {
      int c = Integer.compareUnsigned(ip.value(), o.ip.value());
      if (c == 0) {
        c = Integer.compare(port, o.port);
      }
      if (c == 0) {
        c = Character.compare(protocolName(protocol).charAt(0), protocolName(o.protocol).charAt(0));
      }
      return c != 0 ? c : Boolean.compare(internal, o.internal);
    }

    /** {@code IP:PORT/PROTO}, with {@code /i} for the internal scope (StringWithProtocol). */
    @Override
    public String toString() {
      return ip + ":" + port + "/" + protocolName(protocol) + (internal ? "/i" : "");
    }
  }

  /** Cilium's L4Type name of an IANA protocol number. */
  public static String protocolName(int protocol) {
    return switch (protocol) {
      case TCP -> "TCP";
      case UDP -> "UDP";
      case SCTP -> "SCTP";
      default -> throw new IllegalArgumentException("protocol " + protocol);
    };
  }

  /** Frontend types as the table and the API name them (SVCType). */
  public static final String CLUSTER_IP = "ClusterIP";
  public static final String NODE_PORT = "NodePort";
  public static final String LOAD_BALANCER = "LoadBalancer";
  public static final String EXTERNAL_IPS = "ExternalIPs";

  /**
   * A frontend as the reflector writes it (FrontendParams, with the backends it selects).
   *
   * @param address its address
   * @param type ClusterIP, NodePort, LoadBalancer or ExternalIPs
   * @param backends the backends of its port, in any order (all active: ready endpoints)
   */
  public record Params(Address address, String type, List<ServiceTable.Backend> backends) {
    public Params {
      Objects.requireNonNull(address, "address");
      if (!List.of(CLUSTER_IP, NODE_PORT, LOAD_BALANCER, EXTERNAL_IPS).contains(type)) {
        throw new IllegalArgumentException("type " + type);
      }
      backends = List.copyOf(backends);
    }
  }

  /** One frontend as {@code GET /service} returns it: its ID, address, type and backends. */
  public record Entry(int id, Address address, String type, List<ServiceTable.Backend> backends) {
    public Entry {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(type, "type");
      backends = List.copyOf(backends);
    }
  }

  /**
   * A Service's frontends as the reflector writes them, sorted by address.
   *
   * @param clusterIp the ClusterIP, null when there is none (headless Services have no frontends
   *     at all: pass an empty {@code ports})
   * @param nodePorts whether the NodePort frontends are reflected (kube-proxy replacement, and the
   *     Service is of type NodePort or LoadBalancer)
   * @param lbIps the LoadBalancer VIPs (status.loadBalancer.ingress), empty unless of type LoadBalancer
   * @param externalIps spec.externalIPs
   * @param twoScopes exactly one of the external and internal traffic policies is Local
   * @param ports the Service's ports
   */
  public static List<Params> frontends(Ipv4Address clusterIp, boolean nodePorts, List<Ipv4Address> lbIps,
      List<Ipv4Address> externalIps, boolean twoScopes, List<Port> ports) {
    List<Params> out = new ArrayList<>();
    List<Boolean> scopes = twoScopes ? List.of(false, true) : List.of(false);
    if (clusterIp != null) {
      for (Port p : ports) {
        out.add(new Params(new Address(clusterIp, p.port(), p.protocol(), false), CLUSTER_IP, p.backends()));
      }
    }
    if (nodePorts) {
      for (boolean internal : scopes) {
        for (Port p : ports) {
          if (p.nodePort() != 0) {
            out.add(new Params(new Address(Ipv4Address.ANY, p.nodePort(), p.protocol(), internal), NODE_PORT,
                p.backends()));
          }
        }
      }
    }
    for (Ipv4Address ip : lbIps) {
      for (boolean internal : scopes) {
        for (Port p : ports) {
          out.add(new Params(new Address(ip, p.port(), p.protocol(), internal), LOAD_BALANCER, p.backends()));
        }
      }
    }
    for (Ipv4Address ip : externalIps) {
      for (Port p : ports) {
        out.add(new Params(new Address(ip, p.port(), p.protocol(), false), EXTERNAL_IPS, p.backends()));
      }
    }
    // A stable sort: equal addresses (a misconfigured Service) keep the reflector's order.
    out.sort(Comparator.comparing(Params::address));
    return out;
  }

  /**
   * A Service port.
   *
   * @param port the port
   * @param protocol TCP, UDP or SCTP
   * @param nodePort its node port, 0 if none
   * @param backends the ready endpoints of the port
   */
  public record Port(int port, int protocol, int nodePort, List<ServiceTable.Backend> backends) {
    public Port {
      protocolName(protocol);
      backends = List.copyOf(backends);
    }
  }

  /**
   * The BPF reconciler's service ID allocator (its serviceIDAlloc and the NodePort expansion):
   * IDs 1 to 65534, one per frontend address in the BPF maps.
   */
  public static final class Ids {
    static final int FIRST = 1;
    /** Exclusive upper bound (maxSetOfServiceID). */
    static final int MAX = 0xFFFF;

    private final Map<Address, Integer> byAddress = new HashMap<>();
    private final Map<Integer, Address> byId = new HashMap<>();
    private int next = FIRST;

    /**
     * Reconciles the frontends, in the order they were written: each keeps its ID or takes the
     * next free one, a NodePort frontend's expansions onto {@code nodePortAddrs} (the node's
     * NodePort addresses, in order) each right after it; addresses no longer present free their
     * IDs. Returns the listed frontends with their IDs (expansions are not listed), in the given
     * order. A frontend for which no ID is left is listed with ID 0, as an unreconciled one.
     */
    public List<Entry> reconcile(List<Params> frontends, List<Ipv4Address> nodePortAddrs) {
      List<Ipv4Address> addrs = new ArrayList<>(nodePortAddrs);
      addrs.sort(null);
      Set<Address> present = new HashSet<>();
      for (Params f : frontends) {
        present.add(f.address());
        if (f.type().equals(NODE_PORT)) {
          for (Ipv4Address a : addrs) {
            present.add(f.address().on(a));
          }
        }
      }
      // Deletions first (the batch reconciler makes room before it updates).
      for (Address a : List.copyOf(byAddress.keySet())) {
        if (!present.contains(a)) {
          byId.remove(byAddress.remove(a));
        }
      }
      List<Entry> out = new ArrayList<>();
      for (Params f : frontends) {
        out.add(new Entry(acquire(f.address()), f.address(), f.type(), f.backends()));
        if (f.type().equals(NODE_PORT)) {
          for (Ipv4Address a : addrs) {
            acquire(f.address().on(a));
          }
        }
      }
      return out;
    }

    /**
     * The agent restarted: its allocations are restored from the BPF maps, the cursor set past
     * the highest restored ID (ResetAndRestore).
     */
    public void restarted() {
      next = FIRST;
      for (int id : byId.keySet()) {
        next = Math.max(next, id + 1);
      }
    }

    /** The ID of {@code a}, 0 if it has none. */
    public int idOf(Address a) {
      return byAddress.getOrDefault(a, 0);
    }

    private int acquire(Address a) {
      Integer have = byAddress.get(a);
      if (have != null) {
        return have;
      }
      int start = next;
      boolean rolledOver = false;
      while (true) {
        if (next == start && rolledOver) {
          return 0;
        }
        if (next == MAX) {
          next = FIRST;
          rolledOver = true;
        }
        if (!byId.containsKey(next)) {
          int id = next++;
          byId.put(id, a);
          byAddress.put(a, id);
          return id;
        }
        next++;
      }
    }
  }

  /**
   * {@code cilium-dbg service list}: the header, then the frontends by ID, each with its first
   * backend ({@code 1 => IP:PORT/PROTO (active)}) and the others on continuation lines, through
   * the tab writer the command uses (minwidth 5, padding 3, every cell tab-terminated, so the
   * Backend column is padded too). Backends are in the frontends table's order (their address,
   * then port). With {@code preferred} ({@code --clustermesh-affinity}) each backend is marked
   * {@code (preferred)}, as the agent's API marks every backend.
   */
  public static String list(Collection<Entry> entries, boolean preferred) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingInt(Entry::id));
    TabWriter w = new TabWriter(5, 3).line("ID\tFrontend\tService Type\tBackend\t");
    for (Entry e : sorted) {
      List<ServiceTable.Backend> bes = new ArrayList<>(e.backends());
      bes.sort(Comparator.comparing(ServiceTable.Backend::ip).thenComparingInt(ServiceTable.Backend::port));
      String proto = protocolName(e.address().protocol());
      if (bes.isEmpty()) {
        w.line(e.id() + "\t" + e.address() + "\t" + e.type() + "\t\t");
        continue;
      }
      for (int i = 0; i < bes.size(); i++) {
        ServiceTable.Backend b = bes.get(i);
        String be = (i + 1) + " => " + b.ip() + ":" + b.port() + "/" + proto + " (active)"
            + (preferred ? " (preferred)" : "");
        w.line(i == 0 ? e.id() + "\t" + e.address() + "\t" + e.type() + "\t" + be + "\t" : "\t\t\t" + be + "\t");
      }
    }
    return w.flush();
  }
}
