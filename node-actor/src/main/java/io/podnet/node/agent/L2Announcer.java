package io.podnet.node.agent;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.netstack.serialization.KryoMessage;
import io.podnet.netstack.actor.LabClock;
import io.podnet.node.api.KubeClient;
import io.podnet.node.api.KubeResource;
import io.podnet.node.api.Reflector;
import io.podnet.node.cilium.L2AnnounceTable;
import io.podnet.node.leader.LeaderElection;
import io.podnet.proto.api.ApiWatchEvent;
import io.podnet.proto.packet.Ipv4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Cilium's L2 announcer (pkg/l2announcer) for one node: it watches CiliumL2AnnouncementPolicies,
 * Services and the node's own CiliumNode (whose labels the policies' nodeSelector is matched
 * against, as Cilium's LocalCiliumNodeResource), and takes part in a leader election per selected
 * Service on the Lease {@code cilium-l2announce-<namespace>-<name>} in the agent's namespace
 * ({@link LeaderElection}, identity = the node's name, ReleaseOnCancel). While it holds a
 * Service's lease, the (IP, device) pairs the selecting policies give are in its
 * {@code l2-announce} table, which it hands to the agent ({@link Table}) for the datapath's L2
 * responder.
 *
 * <p>Selection, as in Cilium 1.18: a policy applies when its nodeSelector (nil: every node)
 * matches the node's labels. A Service is considered when it has an external IP or a load balancer
 * ingress IP and its loadBalancerClass is unset or {@code io.cilium/l2-announcer}; a policy
 * selects it when its serviceSelector (nil: all) matches the Service's labels plus
 * {@code io.kubernetes.service.namespace} and {@code io.kubernetes.service.name}, and the kind of
 * IP the policy announces (externalIPs, loadBalancerIPs) is one the Service has. Devices are the
 * agent's native devices matching any of the policy's interface regexes (Go's unanchored
 * MatchString), all of them when it has none. A Service no longer selected has its election
 * stopped (releasing its lease) and its entries removed. A policy whose selectors or regexes do not
 * parse is ignored (Cilium also records a condition in the policy's status: not modelled).
 *
 * <p>{@link Shutdown} is the agent's graceful stop: every election is cancelled, so that each lease
 * this node holds is released for the others to take at once, the table is emptied, and when the
 * elections have ended the announcer answers {@link Stopped} and stops. Stopped without it (the
 * node killed), the leases it held expire after their duration.
 */
public final class L2Announcer extends AbstractBehavior<L2Announcer.Command> {
  /** The Lease names' prefix (leasePrefix). */
  public static final String LEASE_PREFIX = "cilium-l2announce";
  /** The only loadBalancerClass besides none that the announcer serves (L2AnnounceLoadBalancerClass). */
  public static final String LOAD_BALANCER_CLASS = "io.cilium/l2-announcer";
  static final String SERVICE_NAMESPACE_LABEL = "io.kubernetes.service.namespace";
  static final String SERVICE_NAME_LABEL = "io.kubernetes.service.name";

  /** What the announcer accepts. */
  public sealed interface Command {}

  /** The agent stops: release every lease, then answer {@link Stopped} and stop. */
  public record Shutdown(ActorRef<Stopped> replyTo) implements Command, KryoMessage {
    public Shutdown {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The announcer of {@code node} released its leases and stopped. */
  public record Stopped(String node) implements KryoMessage {}

  /**
   * The {@code l2-announce} table, whole, each time it changes. Local: the announcer is a child of
   * the node's host actor and the agent it reports to runs on that host's thread.
   */
  public record Table(String announcer, List<L2AnnounceTable.Entry> entries)
      implements NoSerializationVerificationNeeded {
    public Table {
      entries = List.copyOf(entries);
    }
  }

  /**
   * Where the announcer of {@code node} registers with the Receptionist, so that whoever stops the
   * node's agent gracefully (a lab's reboot of the node) can reach it.
   */
  public static ServiceKey<Command> key(String node) {
    return ServiceKey.create(Command.class, "cilium-l2-announcer-" + node);
  }

  /**
   * @param node        this node's name (the elections' identity)
   * @param namespace   the agent's namespace, where the Leases are (CILIUM_K8S_NAMESPACE)
   * @param devices     the agent's native devices
   * @param configData  cilium-config's data (the lease timings)
   * @param wallClockAtStart epoch milliseconds when the lab started (Lease times)
   * @param table       where the table goes, tagged with this actor's name
   */
  public static Behavior<Command> create(String node, String namespace, List<String> devices,
      Map<String, String> configData, long wallClockAtStart, ActorRef<Table> table) {
    Timings t = Timings.of(configData);
    return Behaviors.setup(ctx -> new L2Announcer(ctx, node, namespace, List.copyOf(devices), t, wallClockAtStart,
        table));
  }

  // ================================================================== timings

  /** The lease timings, sanitised as leaseTimings() does: out-of-rule values replaced, with a warning. */
  record Timings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, List<String> warnings) {
    static final String LEASE_DURATION = "l2-announcements-lease-duration";
    static final String RENEW_DEADLINE = "l2-announcements-renew-deadline";
    static final String RETRY_PERIOD = "l2-announcements-retry-period";

    static Timings of(Map<String, String> data) {
      List<String> warnings = new ArrayList<>();
      Duration ld = duration(data, LEASE_DURATION, Duration.ofSeconds(15), warnings);
      Duration rd = duration(data, RENEW_DEADLINE, Duration.ofSeconds(5), warnings);
      Duration rp = duration(data, RETRY_PERIOD, Duration.ofSeconds(2), warnings);
      if (ld.compareTo(Duration.ofSeconds(1)) < 0) {
        warnings.add("--" + LEASE_DURATION + " must be greater than 1s, defaulting to 1s");
        ld = Duration.ofSeconds(1);
      }
      if (rd.toNanos() < 1) {
        warnings.add("--" + RENEW_DEADLINE + " must be greater than 1ns, defaulting to 1s");
        rd = Duration.ofSeconds(1);
      }
      if (rp.toNanos() < 1) {
        warnings.add("--" + RETRY_PERIOD + " must be greater than 1ns, defaulting to 200ms");
        rp = Duration.ofMillis(200);
      }
      if (ld.compareTo(rd) <= 0) {
        warnings.add("--" + LEASE_DURATION + " must be greater than --" + RENEW_DEADLINE
            + ", defaulting to a 2/1 ratio");
        rd = ld.dividedBy(2);
      }
      if (rd.toNanos() <= (long) (LeaderElection.JITTER_FACTOR * rp.toNanos())) {
        warnings.add("--" + RENEW_DEADLINE + " must be greater than --" + RETRY_PERIOD + " * 1.20, defaulting to --"
            + RETRY_PERIOD + " / 2");
        rp = rd.dividedBy(2);
      }
      return new Timings(ld, rd, rp, List.copyOf(warnings));
    }

    /** A Go duration of whole units ("15s", "500ms", "1m"); the default when missing or not parsable. */
    private static Duration duration(Map<String, String> data, String key, Duration dflt, List<String> warnings) {
      String s = data.get(key);
      if (s == null || s.isBlank()) {
        return dflt;
      }
      var m = Pattern.compile("(\\d+)(ns|us|ms|s|m|h)").matcher(s.trim());
      if (!m.matches()) {
        warnings.add(key + ": invalid duration \"" + s + "\", using " + dflt.toSeconds() + "s");
        return dflt;
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ns" -> Duration.ofNanos(n);
        case "us" -> Duration.ofNanos(n * 1000);
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
  }

  // ================================================================== selection (pure)

  /** A selector that does not parse (LabelSelectorAsSelector's error). */
  static final class SelectorException extends Exception {
    SelectorException(String message) {
      super(message);
    }
  }

  /**
   * metav1.LabelSelector semantics: every matchLabels pair and every matchExpressions requirement
   * (In, NotIn, Exists, DoesNotExist) holds; an empty selector matches everything; {@code null}
   * (no selector) matches everything, as the announcer treats a nil selector.
   */
  static boolean matches(Struct selector, Map<String, String> labels) throws SelectorException {
    if (selector == null) {
      return true;
    }
    boolean ok = true;
    for (Map.Entry<String, String> e : Json.strings(selector, "matchLabels").entrySet()) {
      ok &= e.getValue().equals(labels.get(e.getKey()));
    }
    for (Struct r : Json.structs(selector, "matchExpressions")) {
      String key = Json.str(r, "key");
      String op = Json.str(r, "operator");
      List<String> values = new ArrayList<>();
      for (Value v : Json.list(r, "values")) {
        values.add(v.getStringValue());
      }
      switch (op) {
        case "In", "NotIn" -> {
          if (values.isEmpty()) {
            throw new SelectorException("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set"
                + " can't be empty");
          }
          boolean in = labels.containsKey(key) && values.contains(labels.get(key));
          ok &= op.equals("In") == in;
        }
        case "Exists", "DoesNotExist" -> {
          if (!values.isEmpty()) {
            throw new SelectorException("values: Invalid value: " + values + ": values set must be empty for exists"
                + " and does not exist");
          }
          ok &= op.equals("Exists") == labels.containsKey(key);
        }
        default -> throw new SelectorException("\"" + op + "\" is not a valid label selector operator");
      }
    }
    return ok;
  }

  /** The devices a policy's interface regexes select, in device order; all of them for none. */
  static List<String> selectDevices(List<String> regexes, List<String> devices) throws SelectorException {
    if (regexes.isEmpty()) {
      return devices;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String r : regexes) {
      Pattern p;
      try {
        p = Pattern.compile(r);
      } catch (PatternSyntaxException e) {
        throw new SelectorException(goRegexpError(r, e));
      }
      for (String d : devices) {
        if (p.matcher(d).find()) {
          out.add(d);
        }
      }
    }
    return List.copyOf(out);
  }

  /**
   * Go's regexp.Compile error for {@code regex} (what Cilium puts in the bad-interface-regex
   * condition), for the mistakes Java and Go both reject; Java's description otherwise.
   */
  static String goRegexpError(String regex, PatternSyntaxException e) {
    String d = e.getDescription();
    String what;
    if (d.startsWith("Unclosed character class")) {
      what = "missing closing ]: `" + regex.substring(Math.max(0, regex.lastIndexOf('['))) + "`";
    } else if (d.startsWith("Unclosed group")) {
      what = "missing closing ): `" + regex + "`";
    } else if (d.startsWith("Unmatched closing ')'")) {
      what = "unexpected ): `" + regex + "`";
    } else if (d.startsWith("Dangling meta character")) {
      int i = Math.max(0, e.getIndex());
      what = "missing argument to repetition operator: `" + regex.charAt(Math.min(i, regex.length() - 1)) + "`";
    } else {
      what = d;
    }
    return "error parsing regexp: " + what;
  }

  static List<Ipv4Address> loadBalancerIps(Struct svc) {
    List<Ipv4Address> out = new ArrayList<>();
    for (Struct ing : Json.structs(svc, "status.loadBalancer.ingress")) {
      ipv4(Json.str(ing, "ip"), out);
    }
    return out;
  }

  static List<Ipv4Address> externalIps(Struct svc) {
    List<Ipv4Address> out = new ArrayList<>();
    for (Value v : Json.list(svc, "spec.externalIPs")) {
      ipv4(v.getStringValue(), out);
    }
    return out;
  }

  private static void ipv4(String s, List<Ipv4Address> out) {
    if (s.isEmpty()) {
      return;
    }
    try {
      out.add(Ipv4Address.parse(s));
    } catch (IllegalArgumentException ignored) {
      // IPv6: the L2 responder is IPv4 only
    }
  }

  /** The Service's labels and its namespace and name labels (svcAndMetaLabels). */
  static Map<String, String> serviceLabels(Struct svc) {
    Map<String, String> l = new HashMap<>(Json.strings(svc, "metadata.labels"));
    l.put(SERVICE_NAMESPACE_LABEL, Json.str(svc, "metadata.namespace"));
    l.put(SERVICE_NAME_LABEL, Json.str(svc, "metadata.name"));
    return l;
  }

  /** One policy as it applies to this node. */
  record Policy(String name, Struct serviceSelector, List<String> devices, boolean externalIps,
      boolean loadBalancerIps) {}

  // ================================================================== the actor

  private record Watched(String watch, KubeClient.Event event) implements Command, NoSerializationVerificationNeeded {}

  private record Elected(long id, LeaderElection.Event event) implements Command, NoSerializationVerificationNeeded {}

  private record ElectionGone(long id) implements Command, NoSerializationVerificationNeeded {}

  /** A Service some policy selects: its election and what it last said. */
  private static final class Selected {
    Struct svc;
    List<String> byPolicies = List.of();
    final long id;
    final ActorRef<LeaderElection.Command> election;
    final ActorRef<LeaderElection.Event> forwarder;
    boolean leading;

    Selected(Struct svc, long id, ActorRef<LeaderElection.Command> election,
        ActorRef<LeaderElection.Event> forwarder) {
      this.svc = svc;
      this.id = id;
      this.election = election;
      this.forwarder = forwarder;
    }
  }

  private final String node;
  private final String namespace;
  private final List<String> devices;
  private final Timings timings;
  private final long wallClockAtStart;
  private final ActorRef<Table> table;
  private final Map<String, Struct> policies = new TreeMap<>();
  private final Map<String, Struct> services = new TreeMap<>();
  private Map<String, String> nodeLabels;
  private final Map<String, Selected> selected = new TreeMap<>();
  /** Elections stopped and not yet ended, with their forwarders. */
  private final Map<Long, ActorRef<LeaderElection.Event>> ending = new HashMap<>();
  private final Set<String> warned = new java.util.HashSet<>();
  private List<L2AnnounceTable.Entry> reported = List.of();
  private long elections;
  private ActorRef<Stopped> shutdownReply;
  private final ActorRef<KubeClient.Command> statusClient;

  private L2Announcer(ActorContext<Command> ctx, String node, String namespace, List<String> devices, Timings timings,
      long wallClockAtStart, ActorRef<Table> table) {
    super(ctx);
    this.node = node;
    this.namespace = namespace;
    this.devices = devices;
    this.timings = timings;
    this.wallClockAtStart = wallClockAtStart;
    this.table = table;
    timings.warnings().forEach(w -> ctx.getLog().warn("{}: {}", node, w));
    ActorRef<KubeClient.Command> client = ctx.spawn(KubeClient.create(), "kube-client");
    this.statusClient = client;
    watch(client, "node", KubeClient.Request.watchOne(KubeResource.CILIUM_NODES, "", node, ""));
    watch(client, "policies", KubeClient.Request.watch(KubeResource.CILIUM_L2_ANNOUNCEMENT_POLICIES, "", "", "", ""));
    watch(client, "services", KubeClient.Request.watch(KubeResource.SERVICES, "", "", "", ""));
    ctx.getSystem().receptionist().tell(Receptionist.register(key(node), ctx.getSelf()));
  }

  private void watch(ActorRef<KubeClient.Command> client, String tag, KubeClient.Request r) {
    ActorRef<Command> self = getContext().getSelf();
    ActorRef<KubeClient.Event> relay = getContext().spawn(Behaviors.receive(KubeClient.Event.class)
        .onAnyMessage(e -> {
          self.tell(new Watched(tag, e));
          return Behaviors.same();
        }).build(), "watch-" + tag);
    getContext().spawn(Reflector.create(client, node + "/l2-announcer", r, relay), "reflector-" + tag);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Watched.class, this::onWatched)
        .onMessage(Elected.class, this::onElected)
        .onMessage(ElectionGone.class, this::onElectionGone)
        .onMessage(Shutdown.class, this::onShutdown)
        .build();
  }

  private Behavior<Command> onWatched(Watched w) {
    KubeClient.Event e = w.event();
    if (e.type() == ApiWatchEvent.Type.ERROR || shutdownReply != null) {
      return this;
    }
    boolean deleted = e.type() == ApiWatchEvent.Type.DELETED;
    Struct o = e.object();
    switch (w.watch()) {
      case "node" -> {
        if (!deleted) {
          nodeLabels = Json.strings(o, "metadata.labels");
        }
      }
      case "policies" -> {
        if (deleted) {
          policies.remove(Json.str(o, "metadata.name"));
        } else {
          policies.put(Json.str(o, "metadata.name"), o);
        }
      }
      case "services" -> {
        String key = Json.str(o, "metadata.namespace") + "/" + Json.str(o, "metadata.name");
        if (deleted) {
          services.remove(key);
        } else {
          services.put(key, o);
        }
      }
      default -> { }
    }
    reconcile();
    return this;
  }

  /** The policies that apply to this node, by name. */
  private Map<String, Policy> applicable() {
    Map<String, Policy> out = new TreeMap<>();
    for (Struct p : List.copyOf(policies.values())) { // updatePolicyStatus replaces entries
      String name = Json.str(p, "metadata.name");
      // upsertPolicy's checks in its order; each one sets its error condition or clears it, and a
      // check not reached (an earlier one failed, or the node is not selected) leaves its own
      Map<String, String> checked = new LinkedHashMap<>();
      String stage = BAD_NODE_SELECTOR;
      try {
        Struct nodeSelector = selector(p, "nodeSelector");
        boolean mine = matches(nodeSelector, nodeLabels);
        checked.put(BAD_NODE_SELECTOR, null);
        if (!mine) {
          continue;
        }
        stage = BAD_INTERFACE_REGEX;
        List<String> regexes = new ArrayList<>();
        for (Value v : Json.list(p, "spec.interfaces")) {
          regexes.add(v.getStringValue());
        }
        List<String> devs = selectDevices(regexes, devices);
        checked.put(BAD_INTERFACE_REGEX, null);
        stage = BAD_SERVICE_SELECTOR;
        Struct svcSelector = selector(p, "serviceSelector");
        matches(svcSelector, Map.of()); // parses it
        checked.put(BAD_SERVICE_SELECTOR, null);
        out.put(name, new Policy(name, svcSelector, devs, Json.bool(p, "spec.externalIPs"),
            Json.bool(p, "spec.loadBalancerIPs")));
      } catch (SelectorException ex) {
        checked.put(stage, ex.getMessage());
        if (warned.add(name + ": " + ex.getMessage())) {
          String why = stage.equals(BAD_INTERFACE_REGEX) ? "policy compile interface regex"
              : stage.equals(BAD_NODE_SELECTOR) ? "make node selector" : "make service selector";
          getContext().getLog().warn("{}: Error processing policy event: upsert policy {}: {}: {}", node, name, why,
              ex.getMessage());
        }
      } finally {
        updatePolicyStatus(p, checked);
      }
    }
    return out;
  }

  /** The policy status conditions the announcer sets (updatePolicyStatus). */
  static final String BAD_NODE_SELECTOR = "io.cilium/bad-node-selector";
  static final String BAD_INTERFACE_REGEX = "io.cilium/bad-interface-regex";
  static final String BAD_SERVICE_SELECTOR = "io.cilium/bad-service-selector";

  /**
   * The policy's conditions after the checks in {@code checked} (type to error message, null for
   * passed), or null when they need no write: an error sets its condition True with the message
   * (reason "error", the policy's generation), a passed check turns an existing condition False
   * with no message, and a passed check with no condition adds none. Unlike updatePolicyStatus,
   * which writes on every check, a condition already as it should be is not written again, so that
   * agents do not answer each other's status writes for ever.
   */
  static List<Struct> policyConditions(Struct policy, Map<String, String> checked, String now) {
    List<Struct> conds = new ArrayList<>(Json.structs(policy, "status.conditions"));
    boolean changed = false;
    for (Map.Entry<String, String> c : checked.entrySet()) {
      int idx = -1;
      for (int i = 0; i < conds.size(); i++) {
        if (Json.str(conds.get(i), "type").equals(c.getKey())) {
          idx = i;
        }
      }
      String err = c.getValue();
      if (idx < 0 && err == null) {
        continue;
      }
      String status = err == null ? "False" : "True";
      String message = err == null ? "" : err;
      if (idx >= 0 && Json.str(conds.get(idx), "status").equals(status)
          && Json.str(conds.get(idx), "message").equals(message)) {
        continue;
      }
      Struct cond = Json.parse("{\"type\":" + Json.q(c.getKey()) + ",\"status\":" + Json.q(status)
          + ",\"observedGeneration\":" + Json.str(policy, "metadata.generation").replaceFirst("^$", "0")
          + ",\"lastTransitionTime\":" + Json.q(now) + ",\"reason\":\"error\",\"message\":" + Json.q(message) + "}");
      if (idx < 0) {
        conds.add(cond);
      } else {
        conds.set(idx, cond);
      }
      changed = true;
    }
    return changed ? conds : null;
  }

  private void updatePolicyStatus(Struct policy, Map<String, String> checked) {
    String now = java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.ofEpochMilli(
        wallClockAtStart + LabClock.get(getContext().getSystem()).nowMicros() / 1000).truncatedTo(
            java.time.temporal.ChronoUnit.SECONDS));
    List<Struct> conds = policyConditions(policy, checked, now);
    if (conds == null) {
      return;
    }
    StringBuilder list = new StringBuilder();
    for (Struct c : conds) {
      list.append(list.length() == 0 ? "" : ",").append(Json.toJson(c));
    }
    String name = Json.str(policy, "metadata.name");
    // the status as this agent wants it, also for the next event (the write's echo changes nothing)
    policies.put(name, policy.toBuilder().putFields("status", com.google.protobuf.Value.newBuilder()
        .setStructValue(Json.parse("{\"conditions\":[" + list + "]}")).build()).build());
    statusClient.tell(new KubeClient.Call(KubeClient.Request.patchStatus(KubeResource.CILIUM_L2_ANNOUNCEMENT_POLICIES,
        "", name, io.podnet.proto.api.PatchType.MERGE, Json.parse("{\"status\":{\"conditions\":[" + list + "]}}")),
        getContext().getSystem().ignoreRef()));
  }

  /** spec.{@code field} of a policy; null when it has none (nil: everything matches). */
  private static Struct selector(Struct policy, String field) {
    Value v = Json.at(policy, "spec." + field);
    return v != null && v.hasStructValue() ? v.getStructValue() : null;
  }

  /** Which policies select each Service; elections started and stopped to match; the table. */
  private void reconcile() {
    if (nodeLabels == null) {
      return; // Cilium waits for its local node before anything else
    }
    Map<String, Policy> pols = applicable();
    Map<String, List<String>> wanted = new TreeMap<>();
    for (Map.Entry<String, Struct> e : services.entrySet()) {
      Struct svc = e.getValue();
      boolean hasExternal = !externalIps(svc).isEmpty();
      boolean hasLb = !loadBalancerIps(svc).isEmpty();
      String cls = Json.str(svc, "spec.loadBalancerClass");
      if ((!hasExternal && !hasLb) || (!cls.isEmpty() && !cls.equals(LOAD_BALANCER_CLASS))) {
        continue;
      }
      List<String> by = new ArrayList<>();
      for (Policy p : pols.values()) {
        try {
          if (matches(p.serviceSelector(), serviceLabels(svc))
              && ((p.externalIps() && hasExternal) || (p.loadBalancerIps() && hasLb))) {
            by.add(p.name());
          }
        } catch (SelectorException cannot) {
          // parsed in applicable()
        }
      }
      if (!by.isEmpty()) {
        wanted.put(e.getKey(), by);
      }
    }
    for (String key : List.copyOf(selected.keySet())) {
      if (!wanted.containsKey(key)) {
        stopElection(selected.remove(key));
      }
    }
    for (Map.Entry<String, List<String>> e : wanted.entrySet()) {
      Selected s = selected.get(e.getKey());
      if (s == null) {
        s = startElection(services.get(e.getKey()));
        selected.put(e.getKey(), s);
      }
      s.svc = services.get(e.getKey());
      s.byPolicies = e.getValue();
    }
    report(pols);
  }

  private Selected startElection(Struct svc) {
    long id = ++elections;
    String lease = LEASE_PREFIX + "-" + Json.str(svc, "metadata.namespace") + "-" + Json.str(svc, "metadata.name");
    ActorRef<Command> self = getContext().getSelf();
    ActorRef<LeaderElection.Event> forwarder = getContext().spawn(Behaviors.receive(LeaderElection.Event.class)
        .onAnyMessage(ev -> {
          self.tell(new Elected(id, ev));
          return Behaviors.same();
        }).build(), "election-events-" + id);
    LeaderElection.Config cfg = new LeaderElection.Config(namespace, lease, node, timings.leaseDuration(),
        timings.renewDeadline(), timings.retryPeriod(), true);
    ActorRef<LeaderElection.Command> election = getContext().spawn(
        LeaderElection.create(cfg, forwarder, wallClockAtStart), "election-" + id);
    getContext().watchWith(election, new ElectionGone(id));
    return new Selected(svc, id, election, forwarder);
  }

  private void stopElection(Selected s) {
    s.leading = false;
    ending.put(s.id, s.forwarder);
    s.election.tell(new LeaderElection.Stop());
  }

  private Behavior<Command> onElected(Elected m) {
    for (Selected s : selected.values()) {
      if (s.id == m.id()) {
        if (m.event() instanceof LeaderElection.StartedLeading) {
          s.leading = true;
        } else if (m.event() instanceof LeaderElection.StoppedLeading) {
          s.leading = false;
        }
        report(applicable());
      }
    }
    return this;
  }

  private Behavior<Command> onElectionGone(ElectionGone g) {
    ActorRef<LeaderElection.Event> fwd = ending.remove(g.id());
    if (fwd != null) {
      getContext().stop(fwd);
    }
    for (Selected s : List.copyOf(selected.values())) {
      if (s.id == g.id()) {
        // An election that ended on its own (it does not, short of failing): start over.
        selected.values().remove(s);
        getContext().stop(s.forwarder);
        reconcile();
      }
    }
    return maybeStopped();
  }

  private Behavior<Command> onShutdown(Shutdown s) {
    shutdownReply = s.replyTo();
    for (Selected sel : selected.values()) {
      stopElection(sel);
    }
    selected.clear();
    report(Map.of());
    return maybeStopped();
  }

  private Behavior<Command> maybeStopped() {
    if (shutdownReply != null && ending.isEmpty()) {
      shutdownReply.tell(new Stopped(node));
      return Behaviors.stopped();
    }
    return this;
  }

  /** desiredEntries of every Service this node leads, merged; sent when the table changed. */
  private void report(Map<String, Policy> pols) {
    Set<L2AnnounceTable.Entry> entries = new TreeSet<>();
    for (Selected s : selected.values()) {
      if (!s.leading) {
        continue;
      }
      for (String pn : s.byPolicies) {
        Policy p = pols.get(pn);
        if (p == null) {
          continue;
        }
        List<Ipv4Address> ips = new ArrayList<>();
        if (p.loadBalancerIps()) {
          ips.addAll(loadBalancerIps(s.svc));
        }
        if (p.externalIps()) {
          ips.addAll(externalIps(s.svc));
        }
        for (Ipv4Address ip : ips) {
          for (String d : p.devices()) {
            entries.add(new L2AnnounceTable.Entry(ip, d));
          }
        }
      }
    }
    List<L2AnnounceTable.Entry> now = List.copyOf(entries);
    if (!now.equals(reported)) {
      reported = now;
      table.tell(new Table(getContext().getSelf().path().name(), now));
    }
  }
}
