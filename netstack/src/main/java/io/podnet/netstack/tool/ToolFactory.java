package io.podnet.netstack.tool;

import java.util.List;

/** Makes a {@link Tool} for one run; {@code args} exclude the program name. */
@FunctionalInterface
public interface ToolFactory {
  Tool create(ToolContext ctx, List<String> args);
}
