package io.podnet.deploy.transcript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class TranscriptTest {
  @Test
  void commandsCommentsAndBlanks() throws Exception {
    List<Transcript.Step> s = Transcript.parse("t.lab", """
        # Part 1
        k8s-ctr# ip -c route

        router# tcpdump -i any icmp -nn &
        """);
    assertEquals(List.of(new Transcript.Comment(1, "# Part 1"), new Transcript.Command(2, "k8s-ctr", "ip -c route"),
        new Transcript.Blank(3), new Transcript.Command(4, "router", "tcpdump -i any icmp -nn &")), s);
    assertTrue(((Transcript.Command) s.get(3)).background());
    assertFalse(new Transcript.Command(1, "h", "a && b").background());
  }

  @Test
  void backslashContinuationIsOneCommand() throws Exception {
    List<Transcript.Step> s = Transcript.parse("t.lab", """
        k8s-ctr# helm upgrade cilium cilium/cilium --reuse-values \\
           --set l2announcements.enabled=true
        k8s-ctr# echo done
        """);
    assertEquals(new Transcript.Command(1, "k8s-ctr",
        "helm upgrade cilium cilium/cilium --reuse-values \\\n   --set l2announcements.enabled=true"), s.get(0));
    assertEquals(2, s.size());
  }

  @Test
  void heredocBodyBelongsToTheCommand() throws Exception {
    List<Transcript.Step> s = Transcript.parse("t.lab", """
        k8s-ctr# cat << EOF | kubectl apply -f -
        kind: CiliumLoadBalancerIPPool
        # not a comment: part of the heredoc
        EOF
        k8s-ctr# cat <<'END'
        x
        END
        """);
    assertEquals(new Transcript.Command(1, "k8s-ctr",
        "cat << EOF | kubectl apply -f -\nkind: CiliumLoadBalancerIPPool\n# not a comment: part of the heredoc\nEOF"),
        s.get(0));
    assertEquals(new Transcript.Command(5, "k8s-ctr", "cat <<'END'\nx\nEND"), s.get(1));
  }

  @Test
  void malformedLinesNameTheSourceAndLine() {
    Transcript.ParseException e = assertThrows(Transcript.ParseException.class,
        () -> Transcript.parse("walkthrough.lab", "router# ip route\nthis is not a command\n"));
    assertEquals("walkthrough.lab:2: expected 'HOST# COMMAND', a '# comment' or a blank line, found: this is not a command",
        e.getMessage());
    e = assertThrows(Transcript.ParseException.class, () -> Transcript.parse("w.lab", "h# cat <<EOF\nbody\n"));
    assertEquals("w.lab:1: heredoc 'EOF' is not closed", e.getMessage());
    e = assertThrows(Transcript.ParseException.class, () -> Transcript.parse("w.lab", "h# echo \\\n"));
    assertEquals("w.lab:1: command ends with '\\' but the transcript ends", e.getMessage());
  }
}
