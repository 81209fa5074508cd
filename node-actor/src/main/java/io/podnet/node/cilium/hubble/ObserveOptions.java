package io.podnet.node.cilium.hubble;

import io.podnet.proto.packet.IpProtocol;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code hubble observe}'s options for the flows it selects and how it prints them: -f/--follow,
 * --last N (20 when neither is given), --pod [NS/]NAME, --from-pod, --to-pod, --namespace,
 * --protocol tcp|udp|icmp, --type drop|trace|trace-sock, -o compact. Pod filters match by name
 * prefix; a pod given without namespace is looked up in --namespace, else {@code default}. Filters
 * of different kinds must all match; --pod matches source or destination.
 */
public record ObserveOptions(boolean follow, int last, List<String> pods, List<String> fromPods, List<String> toPods,
    String namespace, List<Integer> protocols, List<Flow.Kind> types, String output) {

  /** hubble's default number of flows without --follow. */
  public static final int DEFAULT_LAST = 20;

  /** A usage error, worded as hubble's cobra/pflag errors. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  public static ObserveOptions parse(List<String> args) throws UsageException {
    boolean follow = false;
    int last = -1;
    List<String> pods = new ArrayList<>();
    List<String> from = new ArrayList<>();
    List<String> to = new ArrayList<>();
    String ns = null;
    List<Integer> protos = new ArrayList<>();
    List<Flow.Kind> types = new ArrayList<>();
    String output = "compact";
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String flag = a;
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        flag = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      switch (flag) {
        case "-f", "--follow" -> follow = true;
        case "--last", "--pod", "--from-pod", "--to-pod", "--namespace", "-n", "--protocol", "--type", "-t", "-o",
            "--output" -> {
          if (value == null) {
            if (i + 1 >= args.size()) {
              throw new UsageException("flag needs an argument: " + flag);
            }
            value = args.get(++i);
          }
          switch (flag) {
            case "--last" -> {
              try {
                last = Integer.parseInt(value);
              } catch (NumberFormatException e) {
                throw new UsageException("invalid argument \"" + value + "\" for \"--last\" flag: strconv.ParseUint: "
                    + "parsing \"" + value + "\": invalid syntax");
              }
            }
            case "--pod" -> pods.add(value);
            case "--from-pod" -> from.add(value);
            case "--to-pod" -> to.add(value);
            case "--namespace", "-n" -> ns = value;
            case "--protocol" -> protos.add(switch (value.toLowerCase()) {
              case "tcp" -> IpProtocol.TCP;
              case "udp" -> IpProtocol.UDP;
              case "icmp", "icmpv4" -> IpProtocol.ICMP;
              default -> throw new UsageException("invalid protocol filter: " + value);
            });
            case "--type", "-t" -> types.add(switch (value) {
              case "drop" -> Flow.Kind.DROP;
              case "trace" -> Flow.Kind.TRACE;
              case "trace-sock" -> Flow.Kind.TRACE_SOCK;
              default -> throw new UsageException("invalid --type filter argument: " + value);
            });
            default -> {
              if (!value.equals("compact")) {
                throw new UsageException("invalid output format: " + value + " (only compact is emulated)");
              }
              output = value;
            }
          }
        }
        default -> throw new UsageException("unknown flag: " + a);
      }
    }
    if (last < 0) {
      last = follow ? 0 : DEFAULT_LAST;
    }
    return new ObserveOptions(follow, last, pods, from, to, ns, protos, types, output);
  }

  private String qualify(String pod) {
    return pod.contains("/") ? pod : (namespace != null ? namespace : "default") + "/" + pod;
  }

  private boolean podMatches(String want, String actual) {
    return actual != null && actual.startsWith(qualify(want));
  }

  private boolean anyPod(List<String> wants, String actual) {
    for (String w : wants) {
      if (podMatches(w, actual)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a flow passes the filters. */
  public boolean matches(Flow f) {
    if (!pods.isEmpty() && !anyPod(pods, f.sourcePod()) && !anyPod(pods, f.destinationPod())) {
      return false;
    }
    if (!fromPods.isEmpty() && !anyPod(fromPods, f.sourcePod())) {
      return false;
    }
    if (!toPods.isEmpty() && !anyPod(toPods, f.destinationPod())) {
      return false;
    }
    if (namespace != null && pods.isEmpty() && fromPods.isEmpty() && toPods.isEmpty()
        && !namespace.equals(Flow.namespaceOf(f.sourcePod())) && !namespace.equals(Flow.namespaceOf(f.destinationPod()))) {
      return false;
    }
    if (!protocols.isEmpty() && !protocols.contains(f.protocol())) {
      return false;
    }
    return types.isEmpty() || types.contains(f.kind());
  }

  /** What a non-following observe prints from the buffered flows: the last N that match. */
  public List<Flow> select(List<Flow> buffered) {
    List<Flow> m = buffered.stream().filter(this::matches).toList();
    return m.subList(Math.max(0, m.size() - last), m.size());
  }
}
