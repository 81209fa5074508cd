package io.podnet.netstack;

import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.Link;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.link.LinkTable;
import io.podnet.netstack.route.Errno;
import io.podnet.netstack.route.NetlinkException;
import io.podnet.netstack.route.Protocol;
import io.podnet.netstack.route.Route;
import io.podnet.netstack.route.RouteGet;
import io.podnet.netstack.route.RouteRequest;
import io.podnet.netstack.route.RouteTable;
import io.podnet.netstack.route.RouteType;
import io.podnet.netstack.route.Scope;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A Linux host's IPv4 configuration: its devices, their addresses, and the local and main
 * routing tables, with the kernel's semantics (net/ipv4/devinet.c, fib_frontend.c,
 * fib_semantics.c, fib_trie.c, route.c). Plain, single-threaded, no time: an actor owns one.
 *
 * <p>Modelled: connected, local and broadcast routes appearing and going with addresses and link
 * state; route add / replace / change / delete with the kernel's checks and errors; longest
 * prefix match then metric over local+main (one merged trie while there are no policy rules);
 * {@code ip route get}'s source selection; address promotion (__inet_del_ifa): with
 * {@link #promoteSecondaries()} on, the default here, deleting a primary address makes the first
 * secondary of its subnet primary and moves the subnet's kernel routes to it as prefsrc; with it
 * off (the kernel's own default) the secondaries are deleted with their primary. Not modelled:
 * policy rules, multipath, tos, IPv6 routing, carrier loss (RTNH_F_LINKDOWN), per-device
 * promote_secondaries (the kernel promotes when all.promote_secondaries or the device's own is
 * set; here one switch stands for both).
 */
public final class HostStack {
  private final LinkTable links = new LinkTable();
  private boolean promoteSecondaries = true;
  private final RouteTable main = new RouteTable(RouteTable.MAIN);
  private final RouteTable local = new RouteTable(RouteTable.LOCAL);
  /**
   * The results of recent lookups (direct-mapped, {@link LookupCache#CACHE_SLOTS} slots), valid while neither
   * table changes: a lookup is a pure function of the two tables, so a hit returns exactly what
   * the walk would. Not the kernel's route cache (gone since 3.6): nothing a user sees depends on it.
   */
  private final LookupCache fibCache = new LookupCache();
  private final LookupCache localCache = new LookupCache();

  /** A host with only {@code lo} (ifindex 1), up, with 127.0.0.1/8 as systemd leaves it. */
  public static HostStack withLoopback() {
    HostStack h = new HostStack();
    Link lo = h.addLink("lo", LinkKind.LOOPBACK, MacAddress.ZERO);
    h.setUp(lo.name(), true);
    try {
      h.addAddress("lo", IfAddress.of(Ipv4Prefix.parse("127.0.0.1/8"), "lo"));
    } catch (NetlinkException e) {
      throw new IllegalStateException(e);
    }
    return h;
  }

  public LinkTable links() {
    return links;
  }

  /** A table by id: main or local. */
  public RouteTable table(int id) {
    return switch (id) {
      case RouteTable.MAIN -> main;
      case RouteTable.LOCAL -> local;
      default -> throw new IllegalArgumentException("no table " + id);
    };
  }

  // ---------------------------------------------------------------- links

  /** Creates a device, down, with its kind's defaults. */
  public Link addLink(String name, LinkKind kind, MacAddress mac) {
    return links.add(new Link(links.nextIndex(), name, kind, mac, kind.defaultMtu(), false, kind.defaultNoArp(),
        kind.defaultTxQueueLen(), "noop", null, List.of(), List.of()));
  }

  /** Replaces a device's static attributes (mtu, peer, altnames, noarp); not its state or addresses. */
  public void updateLink(Link changed) {
    Link cur = device(changed.index());
    links.update(changed.withUp(cur.up()).withAddresses(cur.addresses()));
  }

  /**
   * {@code ip link set DEV up|down}. Up: the kernel re-adds each address's routes (NETDEV_UP).
   * Down: every route through the device is flushed from every table, except host-scope ones
   * (local addresses stay reachable), as fib_sync_down_dev + fib_flush do.
   */
  public void setUp(String dev, boolean up) {
    Link l = device(dev);
    if (l.up() == up) {
      return;
    }
    links.update(l.withUp(up));
    if (up) {
      for (IfAddress a : l.addresses()) {
        fibAddIfaddr(l.index(), a);
      }
    } else {
      main.removeIf(r -> r.diesWithLinkDown(l.index()));
      local.removeIf(r -> r.diesWithLinkDown(l.index()));
    }
  }

  /**
   * {@code ip link del DEV}: the device goes down (its routes flushed), its addresses and their
   * local routes go with it, then the device itself.
   */
  public void deleteLink(String dev) {
    Link l = device(dev);
    setUp(dev, false);
    main.removeIf(r -> r.oif() == l.index());
    local.removeIf(r -> r.oif() == l.index());
    links.remove(l.index());
  }

  // ---------------------------------------------------------------- addresses

  /**
   * {@code ip addr add}: inserts as inet_insert_ifa does (an address in a primary's subnet becomes
   * secondary) and adds its FIB entries as fib_add_ifaddr does.
   *
   * @throws NetlinkException EEXIST for an address already there; EINVAL for a scope clash
   */
  public void addAddress(String dev, IfAddress a) throws NetlinkException {
    Link l = device(dev);
    IfAddress ifa = a.withSecondary(false);
    int lastPrimary = 0;
    for (int i = 0; i < l.addresses().size(); i++) {
      IfAddress e = l.addresses().get(i);
      if (!e.secondary() && ifa.scope() <= e.scope()) {
        lastPrimary = i + 1;
      }
      if (e.mask() == ifa.mask() && e.matches(ifa.local())) {
        if (e.local().equals(ifa.local())) {
          throw new NetlinkException(Errno.EEXIST);
        }
        if (e.scope() != ifa.scope()) {
          throw new NetlinkException(Errno.EINVAL, "ipv4: Invalid scope value");
        }
        ifa = ifa.withSecondary(true);
      }
    }
    List<IfAddress> list = new ArrayList<>(l.addresses());
    if (ifa.secondary()) {
      list.add(ifa);
    } else {
      list.add(lastPrimary, ifa);
    }
    links.update(l.withAddresses(list));
    fibAddIfaddr(l.index(), ifa);
  }

  /**
   * RTM_NEWADDR as inet_rtm_newaddr handles it: an address not on the device yet (same local
   * address and prefix length) is inserted as {@link #addAddress} does, whatever the mode (IPv4
   * creates even without NLM_F_CREATE); an existing one is refused for {@code ADD}, and for
   * {@code REPLACE} / {@code CHANGE} only its metric changes (fib_modify_prefix_metric moves its
   * prefix route): broadcast, label, scope and flags of an existing address stay as they were.
   *
   * @throws NetlinkException EEXIST ("ipv4: Address already assigned"); EINVAL for a scope clash
   */
  public void writeAddress(String dev, IfAddress a, WriteMode mode) throws NetlinkException {
    Link l = device(dev);
    IfAddress existing = null;
    for (IfAddress e : l.addresses()) {
      if (e.mask() == a.mask() && e.local().equals(a.local())) {
        existing = e;
        break;
      }
    }
    if (existing == null) {
      addAddress(dev, a);
      return;
    }
    if (mode == WriteMode.ADD || mode == WriteMode.APPEND) {
      throw new NetlinkException(Errno.EEXIST, "ipv4: Address already assigned");
    }
    if (existing.metric() == a.metric()) {
      return;
    }
    IfAddress updated = existing.withMetric(a.metric());
    int prefix = existing.local().value() & existing.mask();
    boolean hasPrefixRoute = l.up() && !existing.secondary() && !existing.noPrefixRoute() && (prefix >>> 24) != 0
        && !(prefix == existing.local().value() && existing.prefixLength() == 32);
    if (hasPrefixRoute) {
      magic(l.isLoopback() ? RouteType.LOCAL : RouteType.UNICAST, existing.subnet(), l, existing, a.metric());
      RouteTable t = l.isLoopback() ? local : main;
      for (Route r : t.leaf(existing.subnet())) {
        if (r.oif() == l.index() && r.metric() == existing.metric() && r.protocol() == Protocol.KERNEL
            && existing.local().equals(r.prefsrc())) {
          t.remove(r);
          break;
        }
      }
    }
    List<IfAddress> list = new ArrayList<>(l.addresses());
    list.set(list.indexOf(existing), updated);
    links.update(device(dev).withAddresses(list));
  }

  /**
   * Whether deleting a primary address promotes the first secondary of its subnet
   * (net.ipv4.conf.all.promote_secondaries); on by default, as on the lab's hosts.
   */
  public boolean promoteSecondaries() {
    return promoteSecondaries;
  }

  /** {@code sysctl -w net.ipv4.conf.all.promote_secondaries=0|1}: applies to the next deletions. */
  public void setPromoteSecondaries(boolean on) {
    this.promoteSecondaries = on;
  }

  /**
   * {@code ip addr del A/len dev D}, as __inet_del_ifa does. Deleting a primary with
   * {@link #promoteSecondaries()} off first deletes the secondaries of its subnet; with it on, the
   * first of them becomes primary (see {@link #promote}). Each removal takes its local, prefix and
   * broadcast entries, then every route whose preferred source was that address; removing a
   * device's last address flushes all its routes.
   *
   * @throws NetlinkException EADDRNOTAVAIL when no such address
   */
  public void deleteAddress(String dev, Ipv4Address addr, int prefixLength) throws NetlinkException {
    deleteAddress(dev, addr, prefixLength, null);
  }

  /**
   * RTM_DELADDR as inet_rtm_deladdr matches: the first address of the device, in list order,
   * whose local address is {@code addr} (any when null), whose prefix length is
   * {@code prefixLength} (any when negative: iproute2's wildcard deletion sends no IFA_ADDRESS)
   * and whose label is {@code label} (any when null); then as {@link #deleteAddress(String,
   * Ipv4Address, int)}.
   *
   * @throws NetlinkException EADDRNOTAVAIL ("ipv4: Address not found") when none matches
   */
  public IfAddress deleteAddress(String dev, Ipv4Address addr, int prefixLength, String label)
      throws NetlinkException {
    Link l = device(dev);
    IfAddress target = null;
    for (IfAddress e : l.addresses()) {
      if ((addr == null || e.local().equals(addr)) && (prefixLength < 0 || e.prefixLength() == prefixLength)
          && (label == null || e.label().equals(label))) {
        target = e;
        break;
      }
    }
    if (target == null) {
      throw new NetlinkException(Errno.EADDRNOTAVAIL, "ipv4: Address not found");
    }
    if (!target.secondary()) {
      for (IfAddress e : List.copyOf(l.addresses())) {
        if (e.secondary() && inSubnetOf(target, e)) {
          if (promoteSecondaries) {
            promote(l, target, e);
            return target;
          }
          removeOne(l.index(), e);
        }
      }
    }
    removeOne(l.index(), target);
    return target;
  }

  private static boolean inSubnetOf(IfAddress prim, IfAddress e) {
    return e.mask() == prim.mask() && prim.matches(e.local());
  }

  /**
   * __inet_del_ifa with promotion: the routes of the subnet's secondaries (all carrying the old
   * primary as prefsrc) go silently while the old primary is still listed; the old primary is
   * unlinked and its own entries go (fib_del_ifaddr, then fib_sync_down_addr as it is no longer
   * local); {@code promote} loses IFA_F_SECONDARY and moves after the last primary that stood
   * between them (no wider in scope than the deleted one), or into the deleted one's place; it
   * then gets its prefix, broadcast and local routes (NETDEV_UP), and the subnet's remaining
   * secondaries get theirs back with it as prefsrc.
   */
  private void promote(Link l, IfAddress old, IfAddress promote) {
    int ifindex = l.index();
    List<IfAddress> cur = l.addresses();
    int oldAt = cur.indexOf(old);
    int promoteAt = cur.indexOf(promote);
    int at = oldAt;
    for (int i = oldAt + 1; i < promoteAt; i++) {
      IfAddress e = cur.get(i);
      if (!e.secondary() && old.scope() <= e.scope()) {
        at = i; // after it, once the old primary is gone
      }
    }
    List<IfAddress> later = new ArrayList<>();
    for (int i = promoteAt; i < cur.size(); i++) {
      if (inSubnetOf(old, cur.get(i))) {
        fibDelIfaddr(l, cur.get(i), old);
        if (i > promoteAt) {
          later.add(cur.get(i));
        }
      }
    }
    List<IfAddress> rest = new ArrayList<>(cur);
    rest.remove(oldAt);
    Link without = l.withAddresses(rest);
    links.update(without);
    fibDelIfaddr(without, old, null);
    IfAddress promoted = promote.withSecondary(false);
    rest.remove(promoteAt - 1);
    rest.add(at, promoted);
    links.update(without.withAddresses(rest));
    fibAddIfaddr(ifindex, promoted);
    for (IfAddress e : later) {
      fibAddIfaddr(ifindex, e);
    }
  }

  private void removeOne(int ifindex, IfAddress ifa) {
    Link l = device(ifindex);
    List<IfAddress> rest = new ArrayList<>(l.addresses());
    rest.remove(ifa);
    Link without = l.withAddresses(rest);
    links.update(without);
    fibDelIfaddr(without, ifa, null);
    if (rest.isEmpty()) {
      // fib_disable_ip(dev, NETDEV_DOWN, force): every route through the device goes.
      main.removeIf(r -> r.oif() == ifindex);
      local.removeIf(r -> r.oif() == ifindex);
    }
  }

  private IfAddress primaryOf(Link l, IfAddress ifa) {
    if (!ifa.secondary()) {
      return ifa;
    }
    for (IfAddress e : l.addresses()) {
      if (!e.secondary() && e.mask() == ifa.mask() && e.matches(ifa.local())) {
        return e;
      }
    }
    return ifa;
  }

  /** fib_add_ifaddr. */
  private void fibAddIfaddr(int ifindex, IfAddress ifa) {
    Link l = device(ifindex);
    IfAddress prim = primaryOf(l, ifa);
    int addr = ifa.local().value();
    magic(RouteType.LOCAL, Ipv4Prefix.host(ifa.local()), l, prim, 0);
    if (!l.up()) {
      return;
    }
    if (ifa.broadcast() != null && !ifa.broadcast().equals(Ipv4Address.BROADCAST)) {
      magic(RouteType.BROADCAST, Ipv4Prefix.host(ifa.broadcast()), l, prim, 0);
    }
    int prefix = addr & ifa.mask();
    boolean zeronet = (prefix >>> 24) == 0;
    if (!zeronet && !ifa.secondary() && (prefix != addr || ifa.prefixLength() < 32)) {
      if (!ifa.noPrefixRoute()) {
        magic(l.isLoopback() ? RouteType.LOCAL : RouteType.UNICAST, ifa.subnet(), l, prim, ifa.metric());
      }
      if (ifa.prefixLength() < 31) {
        magic(RouteType.BROADCAST, Ipv4Prefix.host(new Ipv4Address(prefix | ~ifa.mask())), l, prim, 0);
      }
    }
  }

  /** fib_magic(RTM_NEWROUTE): unicast goes to main, everything else to local; NLM_F_APPEND. */
  private void magic(RouteType type, Ipv4Prefix dst, Link l, IfAddress prim, long metric) {
    RouteTable t = type == RouteType.UNICAST ? main : local;
    int scope = type == RouteType.LOCAL ? Scope.HOST : Scope.LINK;
    int nhScope = scope == Scope.HOST ? Scope.NOWHERE : Scope.HOST;
    Route r = new Route(dst, type, t.id(), null, l.index(), prim.local(), metric, 0, scope, Protocol.KERNEL, nhScope);
    if (!t.leaf(dst).contains(r)) {
      t.insert(r, true);
    }
  }

  /**
   * fib_del_ifaddr(ifa, iprim), then fib_sync_down_addr for an address gone and no longer local
   * anywhere. {@code l} is the device as it is now: without {@code ifa} for a deletion, still with
   * it (and its primary {@code iprim}) when a promotion moves its routes to a new prefsrc. An entry
   * stays while another address with the same preferred source still needs it; the addresses of
   * {@code iprim}'s subnet do not count, as they are all being re-added.
   */
  private void fibDelIfaddr(Link l, IfAddress ifa, IfAddress iprim) {
    IfAddress prim = ifa;
    int any = ifa.local().value() & ifa.mask();
    int brd = any | ~ifa.mask();
    boolean subnet = false;
    if (ifa.secondary()) {
      prim = primaryOf(l, ifa);
      if (prim.secondary()) {
        return; // "bug: prim == NULL"
      }
    } else if ((any >>> 24) != 0 && (any != ifa.local().value() || ifa.prefixLength() < 32)) {
      if (!ifa.noPrefixRoute()) {
        RouteType t = l.isLoopback() ? RouteType.LOCAL : RouteType.UNICAST;
        unmagic(t == RouteType.UNICAST ? main : local, t, ifa.subnet(), l, prim);
      }
      subnet = true;
    }
    boolean gone = true;
    boolean localOk = false;
    boolean brdOk = false;
    boolean brd1Ok = false;
    IfAddress prim1 = null;
    boolean samePrefsrc = false;
    for (IfAddress e : l.addresses()) {
      if (e.equals(ifa)) {
        gone = false;
        continue;
      }
      if (iprim != null && inSubnetOf(iprim, e)) {
        continue;
      }
      if (e.secondary()) {
        if (inSubnetOf(prim, e)) {
          prim1 = prim;
        } else {
          if (!samePrefsrc) {
            continue;
          }
          if (prim1 == null || !inSubnetOf(prim1, e)) {
            prim1 = primaryOf(l, e);
          }
          if (prim1.secondary() || !prim1.local().equals(prim.local())) {
            continue;
          }
        }
      } else {
        if (!prim.local().equals(e.local())) {
          continue;
        }
        prim1 = e;
        samePrefsrc |= !prim.equals(prim1);
      }
      localOk |= ifa.local().equals(e.local());
      brdOk |= ifa.broadcast() != null && ifa.broadcast().equals(e.broadcast());
      brd1Ok |= e.broadcast() != null && brd == e.broadcast().value();
      int any1 = e.local().value() & e.mask();
      if (prim1 == e && e.prefixLength() < 31 && (any1 >>> 24) != 0) {
        int brd1 = any1 | ~e.mask();
        brdOk |= ifa.broadcast() != null && (ifa.broadcast().value() == brd1 || ifa.broadcast().value() == any1);
        brd1Ok |= brd == brd1 || brd == any1;
      }
    }
    if (ifa.broadcast() != null && !brdOk) {
      unmagic(local, RouteType.BROADCAST, Ipv4Prefix.host(ifa.broadcast()), l, prim);
    }
    if (subnet && ifa.prefixLength() < 31 && !brd1Ok) {
      unmagic(local, RouteType.BROADCAST, Ipv4Prefix.host(new Ipv4Address(brd)), l, prim);
    }
    if (!localOk) {
      unmagic(local, RouteType.LOCAL, Ipv4Prefix.host(ifa.local()), l, prim);
      if (gone && !isLocalAddress(ifa.local())) {
        main.removeIf(r -> ifa.local().equals(r.prefsrc()));
        local.removeIf(r -> ifa.local().equals(r.prefsrc()));
      }
    }
  }

  private void unmagic(RouteTable t, RouteType type, Ipv4Prefix dst, Link l, IfAddress prim) {
    for (Route r : t.leaf(dst)) {
      if (r.type() == type && r.oif() == l.index() && prim.local().equals(r.prefsrc())
          && r.protocol() == Protocol.KERNEL) {
        t.remove(r);
        return;
      }
    }
  }

  /** inet_addr_type in the local table: whether {@code a} is one of this host's addresses. */
  public boolean isLocalAddress(Ipv4Address a) {
    long key = a.value() & 0xffffffffL;
    Object cached = localCache.get(key, local.version(), 0);
    if (cached != null) {
      return cached == Boolean.TRUE;
    }
    boolean found = walkIsLocal(a);
    localCache.put(key, found ? Boolean.TRUE : Boolean.FALSE);
    return found;
  }

  private boolean walkIsLocal(Ipv4Address a) {
    for (int len = 32; len >= 0; len--) {
      if (!local.hasLength(len)) {
        continue;
      }
      for (Route r : local.leafView(new Ipv4Prefix(new Ipv4Address(a.value() & Ipv4Prefix.maskOf(len)), len))) {
        return r.type() == RouteType.LOCAL;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- routes

  /** How {@code ip route} asks for a route to be written. */
  public enum WriteMode {
    /** {@code add}: NLM_F_CREATE | NLM_F_EXCL. */
    ADD,
    /** {@code replace}: NLM_F_CREATE | NLM_F_REPLACE. */
    REPLACE,
    /** {@code change}: NLM_F_REPLACE. */
    CHANGE,
    /** {@code append}: NLM_F_CREATE | NLM_F_APPEND. */
    APPEND
  }

  /**
   * RTM_NEWROUTE as fib_table_insert / fib_create_info handle it.
   *
   * @throws NetlinkException the kernel's refusal, with its extended-ack message when it has one
   */
  public Route writeRoute(RouteRequest req, WriteMode mode) throws NetlinkException {
    RouteTable t = tableFor(req.table());
    Route r = createInfo(req);
    List<Route> leaf = t.leaf(r.dst());
    Route same = null;
    for (Route e : leaf) {
      if (e.metric() == r.metric()) {
        same = e;
        break;
      }
    }
    if (same != null) {
      switch (mode) {
        case ADD -> throw new NetlinkException(Errno.EEXIST);
        case REPLACE, CHANGE -> {
          t.replace(same, r);
          return r;
        }
        case APPEND -> {
          for (Route e : leaf) {
            if (e.equals(r)) {
              throw new NetlinkException(Errno.EEXIST);
            }
          }
        }
        default -> throw new IllegalStateException();
      }
    }
    if (mode == WriteMode.CHANGE) {
      throw new NetlinkException(Errno.ENOENT);
    }
    t.insert(r, mode == WriteMode.APPEND);
    return r;
  }

  private RouteTable tableFor(int id) throws NetlinkException {
    if (id == RouteTable.MAIN || id == RouteTable.LOCAL) {
      return table(id);
    }
    throw new NetlinkException(Errno.EINVAL, "Only the main and local tables are modelled");
  }

  private static void checkKeyLength(Ipv4Prefix dst) throws NetlinkException {
    if (!dst.isCanonical()) {
      throw new NetlinkException(Errno.EINVAL, "Invalid prefix for given prefix length");
    }
  }

  /** fib_create_info: validates and resolves the nexthop. */
  private Route createInfo(RouteRequest req) throws NetlinkException {
    checkKeyLength(req.dst());
    RouteType type = req.type() == null ? RouteType.UNICAST : req.type();
    if (type.minScope() > req.scope()) {
      throw new NetlinkException(Errno.EINVAL, "Invalid scope");
    }
    if (type.error() != null) {
      if (req.gateway() != null || req.oif() != 0) {
        throw new NetlinkException(Errno.EINVAL,
            "Gateway, device and multipath can not be specified for this route type");
      }
      return new Route(req.dst(), type, req.table(), null, 0, req.prefsrc(), req.metric(), req.mtu(),
          req.scope(), req.protocol(), Scope.NOWHERE);
    }
    if (req.scope() > Scope.HOST) {
      throw new NetlinkException(Errno.EINVAL, "Invalid scope");
    }
    int oif = req.oif();
    int nhScope;
    if (req.scope() == Scope.HOST) {
      if (req.gateway() != null) {
        throw new NetlinkException(Errno.EINVAL, "Route with host scope can not have a gateway");
      }
      if (oif == 0 || links.byIndex(oif).isEmpty()) {
        throw new NetlinkException(Errno.ENODEV);
      }
      nhScope = Scope.NOWHERE;
    } else if (req.gateway() != null) {
      // fib_check_nh_v4_gw: the gateway must be reachable through a link- or host-scope route.
      int lookupScope = Math.max(req.scope() + 1, Scope.LINK);
      Hit res;
      try {
        res = fibLookup(req.gateway(), req.oif(), lookupScope);
      } catch (NetlinkException e) {
        throw new NetlinkException(Errno.EINVAL, "Nexthop has invalid gateway");
      }
      if (res.route.type() != RouteType.UNICAST && res.route.type() != RouteType.LOCAL) {
        throw new NetlinkException(Errno.EINVAL, "Nexthop has invalid gateway");
      }
      nhScope = res.route.scope();
      oif = res.route.oif();
      if (oif == 0) {
        throw new NetlinkException(Errno.EINVAL, "No egress device for nexthop gateway");
      }
      if (!device(oif).up()) {
        throw new NetlinkException(Errno.ENETDOWN);
      }
    } else {
      // fib_check_nh_nongw
      if (oif == 0 || links.byIndex(oif).isEmpty()) {
        throw new NetlinkException(Errno.ENODEV);
      }
      if (!device(oif).up()) {
        throw new NetlinkException(Errno.ENETDOWN, "Device for nexthop is not up");
      }
      nhScope = Scope.HOST;
    }
    if (req.prefsrc() != null
        && !(type == RouteType.LOCAL && req.dst().length() == 32 && req.dst().address().equals(req.prefsrc()))
        && !isLocalAddress(req.prefsrc())) {
      throw new NetlinkException(Errno.EINVAL, "Invalid prefsrc address");
    }
    return new Route(req.dst(), type, req.table(), req.gateway(), oif, req.prefsrc(), req.metric(), req.mtu(),
        req.scope(), req.protocol(), nhScope);
  }

  /**
   * RTM_DELROUTE as fib_table_delete matches: the first alias of the prefix whose given fields
   * all agree.
   *
   * @throws NetlinkException ESRCH when nothing matches
   */
  public Route deleteRoute(RouteRequest req) throws NetlinkException {
    checkKeyLength(req.dst());
    RouteTable t = tableFor(req.table());
    for (Route r : t.leaf(req.dst())) {
      if ((req.type() == null || r.type() == req.type())
          && (req.scope() == Scope.NOWHERE || r.scope() == req.scope())
          && (req.prefsrc() == null || req.prefsrc().equals(r.prefsrc()))
          && (req.protocol() == 0 || r.protocol() == req.protocol())
          && (req.metric() == 0 || r.metric() == req.metric())
          && (req.oif() == 0 || r.oif() == req.oif())
          && (req.gateway() == null || req.gateway().equals(r.gateway()))
          && (req.mtu() == 0 || r.mtu() == req.mtu())) {
        t.remove(r);
        return r;
      }
    }
    throw new NetlinkException(Errno.ESRCH);
  }

  /** A FIB lookup's result: the route and the table it is in. */
  public record Hit(Route route, int table) {}

  /**
   * fib_lookup without policy rules: longest prefix match over the merged local+main trie, then
   * alias order (metric); aliases narrower than {@code minScope} or not via {@code oif} (when
   * non-zero) are passed over; landing on an error route fails with its errno.
   *
   * @throws NetlinkException ENETUNREACH, or the error route's errno
   */
  public Hit fibLookup(Ipv4Address dst, int oif, int minScope) throws NetlinkException {
    if (oif < 0 || oif >= 1 << 23 || minScope < 0 || minScope > 255) {
      return walkFib(dst, oif, minScope);
    }
    long key = (dst.value() & 0xffffffffL) << 32 | (long) oif << 8 | minScope;
    Object cached = fibCache.get(key, local.version(), main.version());
    if (cached instanceof Hit h) {
      return h;
    }
    if (cached instanceof Errno e) {
      throw new NetlinkException(e);
    }
    try {
      Hit h = walkFib(dst, oif, minScope);
      fibCache.put(key, h);
      return h;
    } catch (NetlinkException e) {
      if (e.extack() == null) {
        fibCache.put(key, e.errno());
      }
      throw e;
    }
  }

  private Hit walkFib(Ipv4Address dst, int oif, int minScope) throws NetlinkException {
    for (int len = 32; len >= 0; len--) {
      if (!local.hasLength(len) && !main.hasLength(len)) {
        continue;
      }
      Ipv4Prefix key = new Ipv4Prefix(new Ipv4Address(dst.value() & Ipv4Prefix.maskOf(len)), len);
      Hit hit = firstOf(local, key, oif, minScope);
      if (hit == null) {
        hit = firstOf(main, key, oif, minScope);
      }
      if (hit != null) {
        return hit;
      }
    }
    throw new NetlinkException(Errno.ENETUNREACH);
  }

  /** The first alias of {@code key} in {@code t} that fits the scope and device, or null. */
  private static Hit firstOf(RouteTable t, Ipv4Prefix key, int oif, int minScope) throws NetlinkException {
    if (!t.hasLength(key.length())) {
      return null;
    }
    for (Route r : t.leafView(key)) {
      if (r.scope() < minScope) {
        continue;
      }
      if (r.type().error() != null) {
        throw new NetlinkException(r.type().error());
      }
      if (oif != 0 && r.oif() != oif) {
        continue;
      }
      return new Hit(r, t.id());
    }
    return null;
  }

  /**
   * {@code ip route get DST [oif DEV]}: an output route lookup (ip_route_output_key_hash) and the
   * source address the kernel would choose.
   */
  public RouteGet routeGet(Ipv4Address dst, int oif) throws NetlinkException {
    if (oif != 0) {
      Link out = links.byIndex(oif).orElseThrow(() -> new NetlinkException(Errno.ENODEV));
      if (!out.up()) {
        throw new NetlinkException(Errno.ENETUNREACH);
      }
    }
    Hit hit;
    try {
      hit = fibLookup(dst, oif, Scope.GLOBAL);
    } catch (NetlinkException e) {
      if (oif != 0 && e.errno() == Errno.ENETUNREACH) {
        // "Apparently, routing tables are wrong. Assume, that the destination is on link."
        return new RouteGet(dst, RouteType.UNICAST, null, oif, 0, selectAddress(oif, null, Scope.LINK), 0);
      }
      throw e;
    }
    Route r = hit.route();
    return switch (r.type()) {
      case LOCAL -> new RouteGet(dst, RouteType.LOCAL, null, loopbackIndex(), hit.table(),
          r.prefsrc() != null ? r.prefsrc() : dst, r.mtu());
      case BROADCAST -> new RouteGet(dst, RouteType.BROADCAST, null, r.oif(), hit.table(),
          r.prefsrc() != null ? r.prefsrc() : selectAddress(r.oif(), null, r.scope()), r.mtu());
      default -> new RouteGet(dst, RouteType.UNICAST, r.usesGateway() ? r.gateway() : null, r.oif(), hit.table(),
          r.prefsrc() != null ? r.prefsrc() : selectAddress(r.oif(), r.gateway(), r.scope()), r.mtu());
    };
  }

  private int loopbackIndex() {
    for (Link l : links.all()) {
      if (l.isLoopback()) {
        return l.index();
      }
    }
    return 1;
  }

  /**
   * inet_select_addr: a primary address of {@code ifindex} no wider than {@code scope}, preferring
   * one on {@code dst}'s subnet; failing that, the first primary non-link-scope address of any
   * device in ifindex order (lo first). Null when there is none.
   */
  public Ipv4Address selectAddress(int ifindex, Ipv4Address dst, int scope) {
    Ipv4Address addr = null;
    for (IfAddress a : links.byIndex(ifindex).map(Link::addresses).orElse(List.of())) {
      if (a.secondary() || a.scope() > scope) {
        continue;
      }
      if (dst == null || a.matches(dst)) {
        return a.local();
      }
      if (addr == null) {
        addr = a.local();
      }
    }
    if (addr != null) {
      return addr;
    }
    for (Link l : links.all()) {
      for (IfAddress a : l.addresses()) {
        if (!a.secondary() && a.scope() != Scope.LINK && a.scope() <= scope) {
          return a.local();
        }
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- helpers

  private Link device(String name) {
    return links.byName(name).orElseThrow(() -> new IllegalArgumentException("no device " + name));
  }

  private Link device(int index) {
    return links.byIndex(index).orElseThrow(() -> new IllegalArgumentException("no device index " + index));
  }

  /**
   * A small direct-mapped memo of lookups, emptied when the tables it was filled from change. Its
   * arrays come with the first lookup: a pod host that never routes pays nothing for it.
   */
  private static final class LookupCache {
    static final int CACHE_SLOTS = 128;
    private long[] keys;
    private Object[] values;
    private long v1 = -1;
    private long v2 = -1;

    /** The value cached for {@code key} under table versions {@code (a, b)}, or null. */
    Object get(long key, long a, long b) {
      if (values == null) {
        keys = new long[CACHE_SLOTS];
        values = new Object[CACHE_SLOTS];
      }
      if (a != v1 || b != v2) {
        java.util.Arrays.fill(values, null);
        v1 = a;
        v2 = b;
        return null;
      }
      int slot = slot(key);
      return values[slot] != null && keys[slot] == key ? values[slot] : null;
    }

    /** Caches a value; only after a {@link #get} for the same tables. */
    void put(long key, Object value) {
      int slot = slot(key);
      keys[slot] = key;
      values[slot] = value;
    }

    private static int slot(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 57) & (CACHE_SLOTS - 1);
    }
  }
}
