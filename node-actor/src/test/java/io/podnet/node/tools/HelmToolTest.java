package io.podnet.node.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.node.cilium.HelmSetParser;
import io.podnet.node.cilium.HelmValues;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** {@code helm upgrade} on k8s-ctr: helm 3's release printout, its errors, its Ctrl-C. */
class HelmToolTest {
  final FakeAgent agent;

  HelmToolTest() throws Exception {
    agent = new FakeAgent();
    agent.nowMicros = Instant.parse("2025-08-08T15:04:12.345Z").toEpochMilli() * 1000;
  }

  Run run(String line) {
    return new Run(NodeTools.standard(agent), line);
  }

  @Test
  void upgradeRunsUntilTheAgentReportsThenPrintsTheRelease() throws Exception {
    Run r = run(CiliumToolsTest.HELM_GENEVE);
    assertTrue(r.running());
    assertEquals("", r.out.toString());
    assertEquals("kube-system", agent.pending.namespace());
    assertEquals("1.18.0", agent.pending.version());
    agent.completeUpgrade();
    assertEquals("", r.err.toString());
    assertEquals("""
        Release "cilium" has been upgraded. Happy Helming!
        NAME: cilium
        LAST DEPLOYED: Fri Aug  8 15:04:12 2025
        NAMESPACE: kube-system
        STATUS: deployed
        REVISION: 2
        TEST SUITE: None
        NOTES:
        You have successfully installed Cilium with Hubble.

        Your release version is 1.18.0.

        For any further help, visit https://docs.cilium.io/en/v1.18/gettinghelp
        """, r.out.toString());
    assertEquals(0, r.exit);
    assertEquals("geneve", agent.configData().get("tunnel-protocol"));
  }

  @Test
  void notesFollowTheReleaseValues() throws Exception {
    Run r = run("helm upgrade cilium cilium/cilium -n kube-system --version 1.18.1 --reuse-values "
        + "--set hubble.relay.enabled=true --set hubble.ui.enabled=true");
    agent.completeUpgrade();
    assertTrue(r.out.toString().endsWith("REVISION: 2\nTEST SUITE: None\nNOTES:\n"
        + "You have successfully installed Cilium with Hubble Relay and Hubble UI.\n\n"
        + "Your release version is 1.18.1.\n\n"
        + "For any further help, visit https://docs.cilium.io/en/v1.18/gettinghelp\n"), r.out.toString());
  }

  @Test
  void ciliumNotesBranches() throws Exception {
    assertEquals("You have successfully installed Cilium.\n\nYour release version is 1.17.6.\n\n"
        + "For any further help, visit https://docs.cilium.io/en/v1.17/gettinghelp",
        HelmTool.ciliumNotes("cilium", "1.17.6", HelmSetParser.parse("hubble.enabled=false")).strip());
    assertTrue(HelmTool.ciliumNotes("cilium", "1.18.0", HelmSetParser.parse("hubble.enabled=true,hubble.relay.enabled=true"))
        .startsWith("\n        You have successfully installed Cilium with Hubble Relay.\n\n"));
    // preflight only when the agent and the operator are off (both default on)
    String preflight = HelmTool.ciliumNotes("cilium", "1.18.0",
        HelmSetParser.parse("preflight.enabled=true,agent=false,operator.enabled=false"));
    assertTrue(preflight.startsWith("\n    You have successfully ran the preflight check.\n    Now make sure"), preflight);
    assertTrue(HelmTool.ciliumNotes("cilium", "1.18.0", HelmSetParser.parse("preflight.enabled=true,hubble.enabled=true"))
        .contains("with Hubble."));
    assertTrue(HelmTool.ciliumNotes("cilium", "1.18.0", HelmValues.empty()).contains("installed Cilium.\n"));
  }

  @Test
  void badSetValuesFailBeforeAnythingIsSent() {
    Run r = run("helm upgrade cilium cilium/cilium --reuse-values --set routingMode");
    assertEquals("Error: failed parsing --set data: key \"routingMode\" has no value\n", r.err.toString());
    assertEquals(1, r.exit);
    assertEquals("", r.out.toString());
    assertEquals(0, agent.upgrades);
    Run list = run("helm upgrade cilium cilium/cilium --set a[x]=1");
    assertEquals("Error: failed parsing --set data: error parsing index: strconv.Atoi: parsing \"x\": invalid syntax\n",
        list.err.toString());
    Run args = run("helm upgrade cilium");
    assertEquals("Error: \"helm upgrade\" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]\n",
        args.err.toString());
    assertEquals(1, args.exit);
    assertEquals("Error: unknown flag: --bogus\n", run("helm upgrade cilium cilium/cilium --bogus").err.toString());
    assertEquals(0, agent.upgrades);
  }

  @Test
  void aRenderFailureIsAnUpgradeFailure() throws Exception {
    Run r = run("helm upgrade cilium cilium/cilium --reuse-values --set kubeProxyReplacement=partial");
    agent.completeUpgrade();
    assertEquals("Error: UPGRADE FAILED: execution error at (cilium/templates/cilium-configmap.yaml): "
        + "kubeProxyReplacement must be explicitly set to a valid value (true or false) to continue.\n",
        r.err.toString());
    assertEquals("", r.out.toString());
    assertEquals(1, r.exit);
    assertEquals("native", agent.configData().get("routing-mode"));
  }

  @Test
  void ctrlCCancelsTheUpgrade() throws Exception {
    Run r = run(CiliumToolsTest.HELM_GENEVE);
    r.signal("INT");
    assertEquals("Release cilium has been cancelled.\n", r.out.toString());
    assertEquals("Error: UPGRADE FAILED: context canceled\n", r.err.toString());
    assertEquals(1, r.exit);
    // the agent's late answer reaches no one
    agent.completeUpgrade();
    assertEquals("Release cilium has been cancelled.\n", r.out.toString());
  }

  @Test
  void otherHelmCommands() {
    Run r = run("helm upgarde cilium cilium/cilium");
    assertEquals("Error: unknown command \"upgarde\" for \"helm\"\n\nDid you mean this?\n\tupgrade\n\n"
        + "Run 'helm --help' for usage.\n", r.err.toString());
    assertEquals(1, r.exit);
    Run list = run("helm list -A");
    assertEquals(1, list.exit);
    assertTrue(list.err.toString().startsWith("podnet: helm list: not emulated"));
    assertNull(agent.pending);
    assertFalse(list.running());
  }
}
