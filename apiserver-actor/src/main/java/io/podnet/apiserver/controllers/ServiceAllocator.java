package io.podnet.apiserver.controllers;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeObject;
import io.podnet.apiserver.store.ObjectStore;
import io.podnet.apiserver.store.ResourceType;
import io.podnet.apiserver.store.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * kube-apiserver's Service REST strategy for create and update: defaulting (type, protocol,
 * targetPort, sessionAffinity, IP family, traffic policies), the ClusterIP allocator over the service
 * CIDR and the NodePort allocator over the node-port range, with their 422 Invalid messages.
 *
 * <p>Both allocators are the bitmap allocators' random scan with an offset (KEP-3070): a dynamic
 * allocation picks a random free value in the upper band [offset, max) first and falls back to the
 * lower band, which is kept for static allocations. The offset is min(max(16, size/16), 256) for
 * IPs and min(max(16, size/32), 128) for ports. What is allocated is read from the store, so
 * deleting a Service or changing its type releases its values.
 */
public final class ServiceAllocator implements Admission {
  public static final String DEFAULT_SERVICE_CIDR = "10.96.0.0/12";
  public static final int DEFAULT_NODE_PORT_BASE = 30000;
  public static final int DEFAULT_NODE_PORT_SIZE = 2768;

  private final String cidrText;
  private final long network;
  private final int prefix;
  private final int nodePortBase;
  private final int nodePortSize;
  private final RandomGenerator random;

  /**
   * @param serviceCidr  IPv4 CIDR, e.g. "10.96.0.0/12" (kube-apiserver --service-cluster-ip-range)
   * @param nodePortBase first node port (--service-node-port-range 30000-32767: 30000)
   * @param nodePortSize number of node ports (2768)
   * @param random       seeded for reproducible labs
   */
  public ServiceAllocator(String serviceCidr, int nodePortBase, int nodePortSize, RandomGenerator random) {
    this.random = Objects.requireNonNull(random, "random");
    int slash = serviceCidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("service CIDR must be ADDRESS/PREFIX: " + serviceCidr);
    }
    long addr = Ipv4.parse(serviceCidr.substring(0, slash));
    prefix = Integer.parseInt(serviceCidr.substring(slash + 1));
    if (prefix < 1 || prefix > 30) {
      throw new IllegalArgumentException("service CIDR prefix must be 1..30: " + serviceCidr);
    }
    long mask = (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    network = addr & mask;
    cidrText = Ipv4.format(network) + "/" + prefix;
    if (nodePortBase < 1 || nodePortSize < 1 || nodePortBase + nodePortSize - 1 > 65535) {
      throw new IllegalArgumentException("bad node port range " + nodePortBase + "+" + nodePortSize);
    }
    this.nodePortBase = nodePortBase;
    this.nodePortSize = nodePortSize;
  }

  public ServiceAllocator(RandomGenerator random) {
    this(DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_BASE, DEFAULT_NODE_PORT_SIZE, random);
  }

  public String serviceCidr() {
    return cidrText;
  }

  @Override
  public KubeObject admit(ObjectStore store, ResourceType type, KubeObject request, KubeObject old) {
    if (!type.equals(ApiResources.SERVICE)) {
      return request;
    }
    String name = request.metadata().name();
    Struct spec = defaults(request.spec(), old == null ? null : old.spec());
    if (old != null) {
      spec = patchAllocatedValues(spec, old.spec());
      spec = dropTypeDependentFields(spec, old.spec());
    }
    String svcType = Json.string(spec, "type");
    List<KubeObject> others = new ArrayList<>();
    for (KubeObject s : new Cluster(store, NONE).list(ApiResources.SERVICE)) {
      if (!(s.metadata().namespace().equals(request.metadata().namespace()) && s.metadata().name().equals(name))) {
        others.add(s);
      }
    }
    spec = clusterIp(spec, old == null ? null : old.spec(), svcType, name, others);
    spec = nodePorts(spec, svcType, name, others);
    KubeObject out = request.withSpec(spec);
    if (old == null) {
      // PrepareForCreate resets status: a new Service shows status.loadBalancer {}.
      out = out.withStatus(Json.obj("loadBalancer", Struct.getDefaultInstance()));
    }
    return out;
  }

  // ------------------------------------------------------------------ defaulting

  private static Struct defaults(Struct spec, Struct oldSpec) {
    Struct.Builder b = spec.toBuilder();
    String type = Json.string(spec, "type");
    if (type.isEmpty()) {
      type = "ClusterIP";
      b.putFields("type", Json.of(type));
    }
    if (!spec.containsFields("sessionAffinity")) {
      b.putFields("sessionAffinity", Json.of("None"));
    }
    List<Value> ports = new ArrayList<>();
    for (Value pv : Json.array(spec, "ports")) {
      Struct p = pv.getStructValue();
      Struct.Builder pb = p.toBuilder();
      if (Json.string(p, "protocol").isEmpty()) {
        pb.putFields("protocol", Json.of("TCP"));
      }
      Value tp = p.getFieldsMap().get("targetPort");
      if (tp == null || (tp.hasNumberValue() && tp.getNumberValue() == 0) || (tp.hasStringValue() && tp.getStringValue().isEmpty())) {
        pb.putFields("targetPort", Json.of(Json.number(p, "port")));
      }
      ports.add(Json.of(pb.build()));
    }
    if (spec.containsFields("ports")) {
      b.putFields("ports", Json.list(ports));
    }
    if (!type.equals("ExternalName")) {
      if (!spec.containsFields("internalTrafficPolicy")) {
        b.putFields("internalTrafficPolicy", Json.of("Cluster"));
      }
      if (!spec.containsFields("ipFamilies")) {
        b.putFields("ipFamilies", Json.strings(List.of("IPv4")));
      }
      if (!spec.containsFields("ipFamilyPolicy")) {
        b.putFields("ipFamilyPolicy", Json.of("SingleStack"));
      }
    }
    if ((type.equals("NodePort") || type.equals("LoadBalancer")) && !spec.containsFields("externalTrafficPolicy")) {
      b.putFields("externalTrafficPolicy", Json.of("Cluster"));
    }
    if (type.equals("LoadBalancer") && !spec.containsFields("allocateLoadBalancerNodePorts")) {
      b.putFields("allocateLoadBalancerNodePorts", Json.of(true));
    }
    return b.build();
  }

  /** patchAllocatedValues: an update that leaves clusterIP or a nodePort empty keeps the allocated one. */
  private static Struct patchAllocatedValues(Struct spec, Struct oldSpec) {
    Struct.Builder b = spec.toBuilder();
    String type = Json.string(spec, "type");
    if (!type.equals("ExternalName") && Json.string(spec, "clusterIP").isEmpty()
        && !Json.string(oldSpec, "clusterIP").isEmpty()) {
      b.putFields("clusterIP", oldSpec.getFieldsOrThrow("clusterIP"));
      if (oldSpec.containsFields("clusterIPs")) {
        b.putFields("clusterIPs", oldSpec.getFieldsOrThrow("clusterIPs"));
      }
    }
    if (needsNodePorts(spec)) {
      List<Value> ports = new ArrayList<>();
      for (Value pv : Json.array(spec, "ports")) {
        Struct p = pv.getStructValue();
        if (Json.number(p, "nodePort") == 0) {
          for (Value ov : Json.array(oldSpec, "ports")) {
            Struct o = ov.getStructValue();
            if (Json.number(o, "port") == Json.number(p, "port")
                && Json.string(o, "protocol").equals(Json.string(p, "protocol")) && Json.number(o, "nodePort") != 0) {
              p = p.toBuilder().putFields("nodePort", o.getFieldsOrThrow("nodePort")).build();
              break;
            }
          }
        }
        ports.add(Json.of(p));
      }
      b.putFields("ports", Json.list(ports));
    }
    return b.build();
  }

  /**
   * dropTypeDependentFields: a type change that makes a field meaningless clears it when the
   * client left it as it was (nodePorts, externalTrafficPolicy, allocateLoadBalancerNodePorts,
   * clusterIP for ExternalName).
   */
  private static Struct dropTypeDependentFields(Struct spec, Struct oldSpec) {
    String type = Json.string(spec, "type");
    String oldType = Json.string(oldSpec, "type");
    if (type.equals(oldType)) {
      return spec;
    }
    Struct.Builder b = spec.toBuilder();
    if (needsNodePorts(oldSpec) && !needsNodePorts(spec) && sameNodePorts(spec, oldSpec)) {
      List<Value> ports = new ArrayList<>();
      for (Value pv : Json.array(spec, "ports")) {
        ports.add(Json.of(pv.getStructValue().toBuilder().removeFields("nodePort").build()));
      }
      b.putFields("ports", Json.list(ports));
    }
    boolean external = type.equals("NodePort") || type.equals("LoadBalancer");
    if (!external && Json.string(spec, "externalTrafficPolicy").equals(Json.string(oldSpec, "externalTrafficPolicy"))) {
      b.removeFields("externalTrafficPolicy");
    }
    if (!type.equals("LoadBalancer") && spec.containsFields("allocateLoadBalancerNodePorts")
        && Objects.equals(spec.getFieldsMap().get("allocateLoadBalancerNodePorts"),
            oldSpec.getFieldsMap().get("allocateLoadBalancerNodePorts"))) {
      b.removeFields("allocateLoadBalancerNodePorts");
    }
    if (type.equals("ExternalName") && Json.string(spec, "clusterIP").equals(Json.string(oldSpec, "clusterIP"))) {
      b.removeFields("clusterIP");
      b.removeFields("clusterIPs");
      b.removeFields("ipFamilies");
      b.removeFields("ipFamilyPolicy");
      b.removeFields("internalTrafficPolicy");
    }
    return b.build();
  }

  private static boolean sameNodePorts(Struct spec, Struct oldSpec) {
    List<Long> a = new ArrayList<>();
    List<Long> o = new ArrayList<>();
    for (Value v : Json.array(spec, "ports")) {
      a.add(Json.number(v.getStructValue(), "nodePort"));
    }
    for (Value v : Json.array(oldSpec, "ports")) {
      o.add(Json.number(v.getStructValue(), "nodePort"));
    }
    return a.equals(o);
  }

  static boolean needsNodePorts(Struct spec) {
    String type = Json.string(spec, "type");
    if (type.equals("NodePort")) {
      return true;
    }
    if (type.equals("LoadBalancer")) {
      Value v = spec.getFieldsMap().get("allocateLoadBalancerNodePorts");
      return v == null || !v.hasBoolValue() || v.getBoolValue();
    }
    return false;
  }

  // ------------------------------------------------------------------ ClusterIP

  private Struct clusterIp(Struct spec, Struct oldSpec, String type, String name, List<KubeObject> others) {
    if (type.equals("ExternalName")) {
      return spec;
    }
    String ip = Json.string(spec, "clusterIP");
    List<Value> ips = Json.array(spec, "clusterIPs");
    if (ip.isEmpty() && !ips.isEmpty()) {
      ip = ips.get(0).getStringValue();
    }
    if (oldSpec != null) {
      String was = Json.string(oldSpec, "clusterIP");
      if (!was.isEmpty() && !was.equals(ip)) {
        throw new ApiException(Status.invalid(ApiResources.SERVICE, name,
            "spec.clusterIPs[0]: Invalid value: []string{\"" + ip + "\"}: may not change once set"));
      }
      if (!was.isEmpty()) {
        return spec.toBuilder().putFields("clusterIP", Json.of(ip))
            .putFields("clusterIPs", Json.strings(List.of(ip))).build();
      }
    }
    if (ip.equals("None")) {
      return spec.toBuilder().putFields("clusterIPs", Json.strings(List.of("None"))).build();
    }
    Set<Long> used = new HashSet<>();
    for (KubeObject s : others) {
      String other = Json.string(s.spec(), "clusterIP");
      if (!other.isEmpty() && !other.equals("None")) {
        try {
          used.add(Ipv4.parse(other));
        } catch (IllegalArgumentException e) {
          // not an IPv4 address: not ours
        }
      }
    }
    if (ip.isEmpty()) {
      ip = Ipv4.format(allocateIp(used, name));
    } else {
      long want;
      try {
        want = Ipv4.parse(ip);
      } catch (IllegalArgumentException e) {
        throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.clusterIPs[0]: Invalid value: \""
            + ip + "\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
      }
      long index = want - network - 1;
      if (index < 0 || index >= ipRangeSize()) {
        throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.clusterIPs: Invalid value: []string{\""
            + ip + "\"}: failed to allocate IP " + ip + ": the provided IP (" + ip
            + ") is not in the valid range. The range of valid IPs is " + cidrText));
      }
      if (used.contains(want)) {
        throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.clusterIPs: Invalid value: []string{\""
            + ip + "\"}: failed to allocate IP " + ip + ": provided IP is already allocated"));
      }
    }
    return spec.toBuilder().putFields("clusterIP", Json.of(ip)).putFields("clusterIPs", Json.strings(List.of(ip)))
        .build();
  }

  /** Usable addresses: the CIDR without its network and broadcast addresses. */
  private long ipRangeSize() {
    return (1L << (32 - prefix)) - 2;
  }

  private long allocateIp(Set<Long> used, String name) {
    long size = ipRangeSize();
    long cidrSize = 1L << (32 - prefix);
    long offset = cidrSize <= 16 ? 0 : Math.min(Math.max(16, cidrSize / 16), 256);
    long at = randomScan(size, offset, i -> used.contains(network + 1 + i));
    if (at < 0) {
      throw new ApiException(new Status(500, "InternalError", "Internal error occurred: failed to allocate a "
          + "serviceIP: range is full", Status.Details.NONE));
    }
    return network + 1 + at;
  }

  private interface Taken {
    boolean test(long index);
  }

  /** randomScanStrategyWithOffset.AllocateBit: -1 when full. */
  private long randomScan(long max, long offset, Taken taken) {
    long upper = max - offset;
    if (upper > 0) {
      long start = random.nextLong(upper);
      for (long i = 0; i < upper; i++) {
        long at = offset + ((start + i) % upper);
        if (!taken.test(at)) {
          return at;
        }
      }
    }
    if (offset > 0) {
      long start = random.nextLong(offset);
      for (long i = 0; i < offset; i++) {
        long at = (start + i) % offset;
        if (!taken.test(at)) {
          return at;
        }
      }
    }
    return -1;
  }

  // ------------------------------------------------------------------ NodePort

  private Struct nodePorts(Struct spec, String type, String name, List<KubeObject> others) {
    List<Value> ports = Json.array(spec, "ports");
    boolean needs = needsNodePorts(spec);
    Set<Long> used = new HashSet<>();
    for (KubeObject s : others) {
      for (Value pv : Json.array(s.spec(), "ports")) {
        long np = Json.number(pv.getStructValue(), "nodePort");
        if (np != 0) {
          used.add(np);
        }
      }
    }
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < ports.size(); i++) {
      Struct p = ports.get(i).getStructValue();
      long np = Json.number(p, "nodePort");
      if (np != 0) {
        if (!needs && !type.equals("LoadBalancer")) {
          throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.ports[" + i
              + "].nodePort: Forbidden: may not be used when `type` is '" + type + "'"));
        }
        if (np < nodePortBase || np >= nodePortBase + nodePortSize) {
          throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.ports[" + i + "].nodePort: Invalid "
              + "value: " + np + ": provided port is not in the valid range. The range of valid ports is "
              + nodePortBase + "-" + (nodePortBase + nodePortSize - 1)));
        }
        if (used.contains(np)) {
          throw new ApiException(Status.invalid(ApiResources.SERVICE, name, "spec.ports[" + i + "].nodePort: Invalid "
              + "value: " + np + ": provided port is already allocated"));
        }
      }
    }
    // Static ones of this request are taken before dynamic ones are picked.
    for (Value pv : ports) {
      long np = Json.number(pv.getStructValue(), "nodePort");
      if (np != 0) {
        used.add(np);
      }
    }
    for (Value pv : ports) {
      Struct p = pv.getStructValue();
      if (needs && Json.number(p, "nodePort") == 0) {
        long size = nodePortSize;
        long offset = size <= 16 ? 0 : Math.min(Math.max(16, size / 32), 128);
        long at = randomScan(size, offset, idx -> used.contains(nodePortBase + idx));
        if (at < 0) {
          throw new ApiException(new Status(500, "InternalError",
              "Internal error occurred: failed to allocate a nodePort: range is full", Status.Details.NONE));
        }
        used.add(nodePortBase + at);
        p = p.toBuilder().putFields("nodePort", Json.of(nodePortBase + at)).build();
      }
      out.add(Json.of(p));
    }
    if (ports.isEmpty()) {
      return spec;
    }
    return spec.toBuilder().putFields("ports", Json.list(out)).build();
  }
}
