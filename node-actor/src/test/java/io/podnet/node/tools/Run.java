package io.podnet.node.tools;

import io.podnet.netstack.HostStack;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolContext;
import io.podnet.netstack.tool.ToolFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** One tool run on a bare host core, its output collected as the host actor's sink would pass it. */
final class Run implements ToolContext.Sink {
  final StringBuilder out = new StringBuilder();
  final StringBuilder err = new StringBuilder();
  Integer exit;
  final ToolContext ctx;
  final Tool tool;

  Run(Map<String, ToolFactory> tools, String commandLine) {
    HostCore core = new HostCore(HostStack.withLoopback(), new TimerQueue(0), new SplittableRandom(1), (d, f) -> { });
    ctx = new ToolContext("k8s-ctr", core, null, Map.of(), "/root", this);
    List<String> argv = Arrays.asList(commandLine.trim().split(" +"));
    ToolFactory f = tools.get(argv.get(0));
    if (f == null) {
      throw new AssertionError("no tool " + argv.get(0));
    }
    tool = f.create(ctx, argv.subList(1, argv.size()));
    ctx.onExit(tool::close);
    ctx.guarded(tool::start);
  }

  /** Delivers a signal as the host actor does. */
  void signal(String s) {
    ctx.guarded(() -> tool.signal(ctx, s));
  }

  boolean running() {
    return exit == null;
  }

  @Override
  public void out(String text) {
    out.append(text);
  }

  @Override
  public void err(String text) {
    err.append(text);
  }

  @Override
  public void exited(int code) {
    if (exit != null) {
      throw new AssertionError("exited twice");
    }
    exit = code;
  }

  /** Lines containing {@code word}, as {@code | grep word}. */
  static String grep(String text, String word) {
    StringBuilder sb = new StringBuilder();
    for (String l : text.split("\n", -1)) {
      if (l.contains(word)) {
        sb.append(l).append('\n');
      }
    }
    return sb.toString();
  }

  /** Lines not containing {@code word}, as {@code | grep -v word}. */
  static String grepV(String text, String word) {
    StringBuilder sb = new StringBuilder();
    String[] ls = text.split("\n");
    for (String l : ls) {
      if (!l.contains(word)) {
        sb.append(l).append('\n');
      }
    }
    return sb.toString();
  }
}
