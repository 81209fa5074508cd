package io.podnet.apiserver.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A kubeconfig (clientcmd v1) for one lab: cluster, token user, context, current-context. */
public final class Kubeconfig {
  private Kubeconfig() {}

  /**
   * The kubeconfig YAML: cluster {@code labName} at {@code server} trusting {@code caPem}
   * (certificate-authority-data), user {@code labName-admin} with the bearer token, context
   * {@code labName} selected.
   */
  public static String render(String labName, String server, String caPem, String token) {
    String ca = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII));
    String user = labName + "-admin";
    return "apiVersion: v1\n"
        + "kind: Config\n"
        + "clusters:\n"
        + "- name: " + quote(labName) + "\n"
        + "  cluster:\n"
        + "    server: " + quote(server) + "\n"
        + "    certificate-authority-data: " + ca + "\n"
        + "users:\n"
        + "- name: " + quote(user) + "\n"
        + "  user:\n"
        + "    token: " + quote(token) + "\n"
        + "contexts:\n"
        + "- name: " + quote(labName) + "\n"
        + "  context:\n"
        + "    cluster: " + quote(labName) + "\n"
        + "    user: " + quote(user) + "\n"
        + "    namespace: default\n"
        + "current-context: " + quote(labName) + "\n"
        + "preferences: {}\n";
  }

  /** A YAML double-quoted scalar. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\x%02x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
