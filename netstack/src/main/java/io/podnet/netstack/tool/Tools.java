package io.podnet.netstack.tool;

import java.util.Map;

/** The tools every emulated Linux host has, by program name. */
public final class Tools {
  private Tools() {}

  public static Map<String, ToolFactory> standard() {
    return Map.of(
        "ip", IpTool::new,
        "arp", ArpTool::new,
        "ping", PingTool::new,
        "arping", ArpingTool::new,
        "tcpdump", TcpdumpTool::new,
        "curl", CurlTool::new,
        "whoami", WhoamiTool::new,
        "hostname", HostnameTool::new);
  }
}
