package io.podnet.node.cilium;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code helm upgrade RELEASE CHART [flags]} as far as the lab uses it: {@code --namespace/-n},
 * {@code --version}, {@code --reuse-values}, {@code --reset-values}, {@code --set} (repeatable,
 * also {@code --set=...}), {@code --install/-i}, {@code --wait}. Arguments are the words after
 * {@code helm upgrade}.
 *
 * @param release the release name
 * @param chart the chart reference as given ({@code cilium/cilium})
 * @param namespace the namespace ({@code default} when not given, as helm)
 * @param version the chart version constraint, or null
 * @param reuseValues whether the last release's user values are the base
 * @param sets the {@code --set} values, merged in order
 */
public record HelmUpgrade(String release, String chart, String namespace, String version, boolean reuseValues,
    HelmValues sets) {

  /**
   * Parses {@code helm upgrade}'s arguments.
   *
   * @throws HelmException as helm (cobra) reports bad usage, or a bad {@code --set}
   */
  public static HelmUpgrade parse(List<String> args) throws HelmException {
    List<String> positional = new ArrayList<>();
    String namespace = "default";
    String version = null;
    boolean reuse = false;
    Map<String, Object> sets = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String flag = a;
      String inline = null;
      if (a.startsWith("--") && a.indexOf('=') > 0) {
        flag = a.substring(0, a.indexOf('='));
        inline = a.substring(a.indexOf('=') + 1);
      }
      switch (flag) {
        case "--namespace", "-n" -> namespace = value(args, flag, inline, i++ );
        case "--version" -> version = value(args, flag, inline, i++);
        case "--set" -> HelmSetParser.parseInto(value(args, flag, inline, i++), sets);
        case "--reuse-values" -> reuse = true;
        case "--reset-values" -> reuse = false;
        case "--install", "-i", "--wait", "--atomic" -> { }
        default -> {
          if (a.startsWith("-") && a.length() > 1) {
            throw new HelmException(a.startsWith("--")
                ? "unknown flag: " + flag
                : "unknown shorthand flag: '" + a.charAt(1) + "' in " + a);
          }
          positional.add(a);
        }
      }
      if (inline != null && (flag.equals("--namespace") || flag.equals("--version") || flag.equals("--set"))) {
        i--; // the value was inline, nothing consumed
      }
    }
    if (positional.size() != 2) {
      throw new HelmException("\"helm upgrade\" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]");
    }
    return new HelmUpgrade(positional.get(0), positional.get(1), namespace, version, reuse, HelmValues.of(sets));
  }

  private static String value(List<String> args, String flag, String inline, int i) throws HelmException {
    if (inline != null) {
      return inline;
    }
    if (i + 1 >= args.size()) {
      throw new HelmException("flag needs an argument: " + flag);
    }
    return args.get(i + 1);
  }

  /**
   * The user-supplied values of the new release: with {@code --reuse-values} the previous
   * release's user values overlaid with the {@code --set}s; otherwise the {@code --set}s alone
   * (the chart defaults are merged at render time).
   */
  public HelmValues userValues(HelmValues previous) {
    return reuseValues ? previous.overlay(sets) : HelmValues.empty().overlay(sets);
  }
}
