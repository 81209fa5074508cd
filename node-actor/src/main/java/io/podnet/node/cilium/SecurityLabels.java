package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The security-relevant label set of a pod, as the agent computes it: the pod's labels plus
 * {@code io.kubernetes.pod.namespace}, {@code io.cilium.k8s.policy.serviceaccount},
 * {@code io.cilium.k8s.policy.cluster} and the namespace's labels as
 * {@code io.cilium.k8s.namespace.labels.<key>}, all with source {@code k8s}, filtered by the
 * default label prefixes of pkg/labelsfilter, sorted by key. Two pods with equal label sets share
 * an identity.
 *
 * @param labels {@code source:key=value} strings, sorted by key
 */
public record SecurityLabels(List<String> labels) {
  public SecurityLabels {
    labels = List.copyOf(labels);
  }

  public static final String POD_NAMESPACE = "io.kubernetes.pod.namespace";
  public static final String NAMESPACE_LABELS = "io.cilium.k8s.namespace.labels.";
  public static final String SERVICE_ACCOUNT = "io.cilium.k8s.policy.serviceaccount";
  public static final String CLUSTER = "io.cilium.k8s.policy.cluster";

  /** A prefix of pkg/labelsfilter's default list: a regexp anchored at the key's start. */
  private record Prefix(boolean ignore, Pattern expr) {
    static Prefix of(String s) {
      boolean ignore = s.startsWith("!");
      return new Prefix(ignore, Pattern.compile(ignore ? s.substring(1) : s));
    }

    /** The matched length when the regexp's leftmost match starts at 0, else -1. */
    int match(String key) {
      Matcher m = expr.matcher(key);
      return m.find() && m.start() == 0 ? m.end() : -1;
    }
  }

  /** defaultLabelPrefixCfg, minus the reserved: pattern (k8s-source labels only here). */
  private static final List<Prefix> DEFAULT_PREFIXES = List.of(
      Prefix.of(Pattern.quote(POD_NAMESPACE)),
      Prefix.of(Pattern.quote("io.cilium.k8s.namespace.labels")),
      Prefix.of(Pattern.quote("app.kubernetes.io")),
      Prefix.of(Pattern.quote(CLUSTER)),
      Prefix.of("!io\\.kubernetes"),
      Prefix.of("!kubernetes\\.io"),
      Prefix.of("!" + Pattern.quote("statefulset.kubernetes.io/pod-name")),
      Prefix.of("!" + Pattern.quote("apps.kubernetes.io/pod-index")),
      Prefix.of("!" + Pattern.quote("batch.kubernetes.io/job-completion-index")),
      Prefix.of("!.*beta\\.kubernetes\\.io"),
      Prefix.of("!k8s\\.io"),
      Prefix.of("!pod-template-generation"),
      Prefix.of("!pod-template-hash"),
      Prefix.of("!controller-revision-hash"),
      Prefix.of("!annotation.*"),
      Prefix.of("!etcd_node"));

  /**
   * Whether a label key counts for the identity: kept unless an ignore prefix matches, or an
   * include prefix matches a longer part of it than the shortest ignore (filterLabels).
   */
  public static boolean isIdentityLabel(String key) {
    int included = 0;
    int ignored = 0;
    for (Prefix p : DEFAULT_PREFIXES) {
      int len = p.match(key);
      if (len < 0) {
        continue;
      }
      if (p.ignore()) {
        if (ignored == 0 || len < ignored) {
          ignored = len;
        }
      } else if (len > included) {
        included = len;
      }
    }
    return ignored == 0 || included > ignored;
  }

  /** The label set of a pod. */
  public static SecurityLabels forPod(String namespace, Map<String, String> podLabels,
      Map<String, String> namespaceLabels, String serviceAccount, String clusterName) {
    Map<String, String> all = new TreeMap<>(podLabels);
    all.put(POD_NAMESPACE, namespace);
    all.put(SERVICE_ACCOUNT, serviceAccount);
    all.put(CLUSTER, clusterName);
    for (Map.Entry<String, String> e : namespaceLabels.entrySet()) {
      all.put(NAMESPACE_LABELS + e.getKey(), e.getValue());
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : all.entrySet()) {
      if (isIdentityLabel(e.getKey())) {
        out.add("k8s:" + e.getKey() + "=" + e.getValue());
      }
    }
    return new SecurityLabels(out);
  }

  /** The labels of a namespace's default: {@code kubernetes.io/metadata.name=<ns>}. */
  public static Map<String, String> defaultNamespaceLabels(String namespace) {
    return Map.of("kubernetes.io/metadata.name", namespace);
  }

  /** As Cilium's Labels.String() prints a sorted set: comma-separated. */
  @Override
  public String toString() {
    return String.join(",", labels);
  }
}
