package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.LabelSelector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cilium operator's LB-IPAM: gives LoadBalancer Services an IP from a matching
 * CiliumLoadBalancerIPPool (status.loadBalancer.ingress and the condition
 * cilium.io/IPAMRequestSatisfied) and keeps each pool's status conditions as the operator does:
 * cilium.io/PoolConflict (False "resolved", or True "cidr_overlap" on the newer of two overlapping
 * pools), cilium.io/IPsTotal, cilium.io/IPsAvailable and cilium.io/IPsUsed (status Unknown, reason
 * "noreason", the count as message). Blocks are a cidr or a start[-stop] range; a CIDR's first and
 * last addresses are reserved only when spec.allowFirstLastIPs is "No". A disabled pool keeps its
 * allocations but gives no new ones. A Service that stops being a LoadBalancer (or is deleted)
 * releases its IP. IPv4 only.
 */
public final class LbIpam implements Reconciler {
  static final String SATISFIED = "cilium.io/IPAMRequestSatisfied";
  static final String TOTAL = "cilium.io/IPsTotal";
  static final String AVAILABLE = "cilium.io/IPsAvailable";
  static final String USED = "cilium.io/IPsUsed";
  static final String CONFLICT = "cilium.io/PoolConflict";
  /** Annotation listing the IPs a Service requests (comma-separated). */
  static final String IPS_ANNOTATION = "lbipam.cilium.io/ips";

  private record Range(long from, long to, boolean reserveEnds) {
    long size() {
      long n = to - from + 1;
      return reserveEnds ? n - 2 : n;
    }

    boolean contains(long ip) {
      return ip >= from && ip <= to && !(reserveEnds && (ip == from || ip == to));
    }

    boolean overlaps(Range o) {
      return from <= o.to && o.from <= to;
    }

    String text() {
      return Ipv4.format(from) + " - " + Ipv4.format(to);
    }
  }

  private static final class Pool {
    final KubeObject object;
    final List<Range> ranges = new ArrayList<>();
    String conflictMessage = "";
    boolean invalid;

    Pool(KubeObject object) {
      this.object = object;
    }

    String name() {
      return object.metadata().name();
    }

    boolean disabled() {
      Value v = object.spec().getFieldsMap().get("disabled");
      return v != null && v.hasBoolValue() && v.getBoolValue();
    }

    boolean contains(long ip) {
      for (Range r : ranges) {
        if (r.contains(ip)) {
          return true;
        }
      }
      return false;
    }

    boolean selects(KubeObject svc) {
      Map<String, String> labels = new HashMap<>(svc.metadata().labels());
      labels.put("io.kubernetes.service.namespace", svc.metadata().namespace());
      labels.put("io.kubernetes.service.name", svc.metadata().name());
      LabelSelector sel = Kube.labelSelector(Json.struct(object.spec(), "serviceSelector"));
      return sel.matches(labels);
    }
  }

  @Override
  public String name() {
    return "lb-ipam";
  }

  @Override
  public boolean reconcile(Cluster cluster, long now) {
    int before = cluster.writes();
    List<Pool> pools = new ArrayList<>();
    for (KubeObject o : cluster.list(ApiResources.CILIUM_LB_IP_POOL)) {
      pools.add(parse(o));
    }
    pools.sort(Comparator.comparing((Pool p) -> p.object.metadata().creationTimestamp()).thenComparing(Pool::name));
    settleConflicts(pools);

    List<KubeObject> services = new ArrayList<>(cluster.list(ApiResources.SERVICE));
    services.sort(Comparator.comparing((KubeObject s) -> s.metadata().creationTimestamp())
        .thenComparing(s -> s.metadata().namespace()).thenComparing(s -> s.metadata().name()));
    Map<Long, String> taken = new HashMap<>();
    Map<KubeObject, List<String>> keep = new LinkedHashMap<>();
    // Existing, still valid allocations first: they are never taken away.
    for (KubeObject svc : services) {
      if (!responsible(svc)) {
        continue;
      }
      List<String> valid = new ArrayList<>();
      for (Value in : Json.array(svc.status(), "loadBalancer", "ingress")) {
        String ip = Json.string(in.getStructValue(), "ip");
        long addr;
        try {
          addr = Ipv4.parse(ip);
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (!taken.containsKey(addr) && matchingPool(pools, svc, addr, false) != null) {
          taken.put(addr, key(svc));
          valid.add(ip);
        }
      }
      keep.put(svc, valid);
    }
    for (KubeObject svc : services) {
      if (!responsible(svc)) {
        if (Kube.condition(svc.status(), SATISFIED) != null) {
          Struct status = Kube.with(svc.status(), Json.of(Struct.getDefaultInstance()), "loadBalancer");
          status = removeCondition(status, SATISFIED);
          cluster.updateStatus(ApiResources.SERVICE, svc.withStatus(status));
        }
        continue;
      }
      List<String> ips = keep.get(svc);
      Struct cond;
      if (ips.isEmpty()) {
        String reason = "no_pool";
        String message = "There are no enabled CiliumLoadBalancerIPPools that match this service";
        for (long want : requested(svc)) {
          if (!taken.containsKey(want) && matchingPool(pools, svc, want, true) != null) {
            taken.put(want, key(svc));
            ips.add(Ipv4.format(want));
            break;
          }
        }
        if (ips.isEmpty() && requested(svc).isEmpty()) {
          boolean anyPool = false;
          outer:
          for (Pool p : pools) {
            if (p.invalid || p.disabled() || !p.conflictMessage.isEmpty() || !p.selects(svc)) {
              continue;
            }
            anyPool = true;
            for (Range r : p.ranges) {
              for (long ip = r.from; ip <= r.to; ip++) {
                if (r.contains(ip) && !taken.containsKey(ip)) {
                  taken.put(ip, key(svc));
                  ips.add(Ipv4.format(ip));
                  break outer;
                }
              }
            }
          }
          if (anyPool && ips.isEmpty()) {
            reason = "out_of_ips";
            message = "No more IPs available";
          }
        }
        cond = ips.isEmpty()
            ? condition(SATISFIED, "False", reason, message, svc.metadata().generation(), now)
            : condition(SATISFIED, "True", "satisfied", "", svc.metadata().generation(), now);
      } else {
        cond = condition(SATISFIED, "True", "satisfied", "", svc.metadata().generation(), now);
      }
      List<Value> ingress = new ArrayList<>();
      for (String ip : ips) {
        ingress.add(Json.of(Json.obj("ip", ip)));
      }
      Struct lb = ingress.isEmpty() ? Struct.getDefaultInstance() : Json.obj("ingress", Json.list(ingress));
      Struct status = Kube.with(svc.status(), Json.of(lb), "loadBalancer");
      status = setIfChanged(status, cond);
      if (!status.equals(svc.status())) {
        cluster.updateStatus(ApiResources.SERVICE, svc.withStatus(status));
      }
    }
    for (Pool p : pools) {
      long total = 0;
      long used = 0;
      for (Range r : p.ranges) {
        total += r.size();
      }
      for (long ip : taken.keySet()) {
        if (p.contains(ip)) {
          used++;
        }
      }
      long gen = p.object.metadata().generation();
      Struct status = p.object.status();
      status = setIfChanged(status, p.conflictMessage.isEmpty()
          ? condition(CONFLICT, "False", "resolved", "", gen, now)
          : condition(CONFLICT, "True", "cidr_overlap", p.conflictMessage, gen, now));
      status = setIfChanged(status, condition(TOTAL, "Unknown", "noreason", Long.toString(total), gen, now));
      status = setIfChanged(status, condition(AVAILABLE, "Unknown", "noreason", Long.toString(total - used), gen, now));
      status = setIfChanged(status, condition(USED, "Unknown", "noreason", Long.toString(used), gen, now));
      if (!status.equals(p.object.status())) {
        cluster.updateStatus(ApiResources.CILIUM_LB_IP_POOL, p.object.withStatus(status));
      }
    }
    return cluster.writes() != before;
  }

  private static String key(KubeObject svc) {
    return svc.metadata().namespace() + "/" + svc.metadata().name();
  }

  /** Type LoadBalancer without a loadBalancerClass, or with one of Cilium's. */
  static boolean responsible(KubeObject svc) {
    if (!Json.string(svc.spec(), "type").equals("LoadBalancer")) {
      return false;
    }
    String cls = Json.string(svc.spec(), "loadBalancerClass");
    return cls.isEmpty() || cls.equals("io.cilium/l2-announcer") || cls.equals("io.cilium/bgp-control-plane");
  }

  private static List<Long> requested(KubeObject svc) {
    List<Long> out = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    String ann = svc.metadata().annotations().getOrDefault(IPS_ANNOTATION,
        svc.metadata().annotations().getOrDefault("io.cilium/lb-ipam-ips", ""));
    for (String s : ann.split(",")) {
      if (!s.isBlank()) {
        texts.add(s.trim());
      }
    }
    String lbIp = Json.string(svc.spec(), "loadBalancerIP");
    if (!lbIp.isEmpty()) {
      texts.add(lbIp);
    }
    for (String t : texts) {
      try {
        out.add(Ipv4.parse(t));
      } catch (IllegalArgumentException e) {
        // an IPv6 or malformed request: not served by this IPv4 allocator
      }
    }
    return out;
  }

  /** A pool that selects {@code svc} and holds {@code ip}; new allocations need an enabled pool. */
  private static Pool matchingPool(List<Pool> pools, KubeObject svc, long ip, boolean forNew) {
    for (Pool p : pools) {
      if (p.invalid || !p.conflictMessage.isEmpty() || (forNew && p.disabled())) {
        continue;
      }
      if (p.selects(svc) && p.contains(ip)) {
        return p;
      }
    }
    return null;
  }

  private static Pool parse(KubeObject o) {
    Pool p = new Pool(o);
    boolean reserve = Json.string(o.spec(), "allowFirstLastIPs").equals("No");
    for (Value bv : Json.array(o.spec(), "blocks")) {
      Struct b = bv.getStructValue();
      try {
        String cidr = Json.string(b, "cidr");
        if (!cidr.isEmpty()) {
          int slash = cidr.indexOf('/');
          long addr = Ipv4.parse(cidr.substring(0, slash));
          int len = Integer.parseInt(cidr.substring(slash + 1));
          long size = 1L << (32 - len);
          long from = addr & ~(size - 1) & 0xFFFFFFFFL;
          long to = from + size - 1;
          p.ranges.add(new Range(from, to, reserve && to - from >= 2));
        } else {
          long from = Ipv4.parse(Json.string(b, "start"));
          String stop = Json.string(b, "stop");
          long to = stop.isEmpty() ? from : Ipv4.parse(stop);
          if (to >= from) {
            p.ranges.add(new Range(from, to, false));
          }
        }
      } catch (RuntimeException e) {
        // IPv6 or malformed blocks are not served by this IPv4 allocator
      }
    }
    return p;
  }

  private static void settleConflicts(List<Pool> pools) {
    for (int i = 0; i < pools.size(); i++) {
      Pool p = pools.get(i);
      for (int a = 0; a < p.ranges.size() && p.conflictMessage.isEmpty(); a++) {
        for (int b = a + 1; b < p.ranges.size(); b++) {
          if (p.ranges.get(a).overlaps(p.ranges.get(b))) {
            p.conflictMessage = message(p.ranges.get(a), p.ranges.get(b), p.name());
            break;
          }
        }
      }
      for (int j = 0; j < i && p.conflictMessage.isEmpty(); j++) {
        Pool older = pools.get(j);
        if (!older.conflictMessage.isEmpty()) {
          continue;
        }
        for (Range r : p.ranges) {
          for (Range o : older.ranges) {
            if (p.conflictMessage.isEmpty() && r.overlaps(o)) {
              p.conflictMessage = message(r, o, older.name());
            }
          }
        }
      }
    }
  }

  private static String message(Range target, Range collision, String pool) {
    return "Pool conflicts since range '" + target.text() + "' overlaps range '" + collision.text()
        + "' from IP Pool '" + pool + "'";
  }

  static Struct condition(String type, String status, String reason, String message, long generation, long now) {
    Struct.Builder b = Json.obj("type", type, "status", status, "reason", reason, "message", message,
        "lastTransitionTime", Kube.time(now)).toBuilder();
    if (generation != 0) {
      b.putFields("observedGeneration", Json.of(generation));
    }
    return b.build();
  }

  /** setPoolCondition: leaves the condition alone when status, reason, message and generation agree. */
  private static Struct setIfChanged(Struct status, Struct cond) {
    Struct old = Kube.condition(status, Json.string(cond, "type"));
    if (old != null && Json.string(old, "status").equals(Json.string(cond, "status"))
        && Json.string(old, "reason").equals(Json.string(cond, "reason"))
        && Json.string(old, "message").equals(Json.string(cond, "message"))
        && Json.number(old, "observedGeneration") == Json.number(cond, "observedGeneration")) {
      return status;
    }
    return Kube.setCondition(status, cond);
  }

  private static Struct removeCondition(Struct status, String type) {
    List<Value> out = new ArrayList<>();
    for (Value c : Json.array(status, "conditions")) {
      if (!Json.string(c.getStructValue(), "type").equals(type)) {
        out.add(c);
      }
    }
    return out.isEmpty() ? status.toBuilder().removeFields("conditions").build()
        : status.toBuilder().putFields("conditions", Json.list(out)).build();
  }
}
