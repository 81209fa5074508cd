package io.podnet.netstack.tool;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tools every emulated Linux host has, by the name a person types. */
public final class StandardTools {
  private StandardTools() {}

  public static Map<String, ToolFactory> linux() {
    Map<String, ToolFactory> m = new LinkedHashMap<>();
    m.put("ip", IpTool::new);
    m.put("arp", ArpTool::new);
    return m;
  }
}
