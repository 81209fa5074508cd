package io.podnet.node.cilium;

import java.util.List;

/**
 * The routes an agent wants on its node, and the nodes it could not route to directly.
 *
 * @param routes the desired routes, link routes first
 * @param failures per node, the error autoDirectNodeRoutes logged for it
 */
public record RoutePlan(List<DesiredRoute> routes, List<DirectRouteFailure> failures) {
  public RoutePlan {
    routes = List.copyOf(routes);
    failures = List.copyOf(failures);
  }

  /**
   * A node whose InternalIP is not directly reachable.
   *
   * @param node the node's name
   * @param error Cilium's error text
   */
  public record DirectRouteFailure(String node, String error) {
    /** The agent's warning, as logged (slog text format, without the time, source and module fields). */
    public String logLine() {
      return "level=warn msg=\"Unable to install direct node route\" error=\""
          + error.replace("\"", "\\\"") + "\"";
    }
  }
}
