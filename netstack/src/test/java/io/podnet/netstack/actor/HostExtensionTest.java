package io.podnet.netstack.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.podnet.netstack.link.IfAddress;
import io.podnet.netstack.link.LinkKind;
import io.podnet.netstack.ip.Ipv4Prefix;
import io.podnet.netstack.tool.Tool;
import io.podnet.netstack.tool.ToolFactory;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** An extension (a node's agents) adds a link at run time, a tool, a resolver, and gets messages. */
class HostExtensionTest {
  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(
      ConfigFactory.parseString("""
          pekko.actor.serialize-messages = on
          pekko.loglevel = WARNING
          """)).withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static HostActorTest.Result run(ActorRef<HostActor.Command> host, String... argv) {
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<ToolOutput> probe = testKit.createTestProbe();
    host.tell(new HostActor.RunTool("t" + System.identityHashCode(probe), List.of(argv), "/tmp", probe.getRef()));
    StringBuilder out = new StringBuilder();
    StringBuilder err = new StringBuilder();
    while (true) {
      ToolOutput o = probe.receiveMessage(java.time.Duration.ofSeconds(5));
      if (o instanceof ToolOutput.Stdout s) {
        out.append(s.text());
      } else if (o instanceof ToolOutput.Stderr s) {
        err.append(s.text());
      } else {
        return new HostActorTest.Result(out.toString(), err.toString(), ((ToolOutput.Exited) o).code());
      }
    }
  }

  /** On message "plug": adds eth9 with 10.9.0.1/24 and attaches it to the segment it was given. */
  static final class Plugger implements HostExtension {
    final ActorRef<SegmentActor.Command> segment;
    Context ctx;
    volatile ActorRef<String> inbox;

    Plugger(ActorRef<SegmentActor.Command> segment) {
      this.segment = segment;
    }

    @Override
    public void start(Context ctx) {
      this.ctx = ctx;
      this.inbox = ctx.adapter(String.class);
      ToolFactory hello = (tc, args) -> (Tool) () -> {
        tc.out("hello from " + tc.hostName() + " " + tc.resolve(args.get(0)) + "\n");
        tc.exit(0);
      };
      ctx.addTool("hello", hello);
      ctx.setResolver(n -> n.equals("webpod") ? Ipv4Address.parse("10.96.0.10") : null);
    }

    @Override
    public void onMessage(Object message) {
      if ("plug".equals(message)) {
        try {
          ctx.core().stack().addLink("eth9", LinkKind.VETH, MacAddress.parse("02:00:00:00:00:09"));
          ctx.core().stack().setUp("eth9", true);
          ctx.core().stack().addAddress("eth9", IfAddress.of(Ipv4Prefix.parse("10.9.0.1/24"), "eth9")
              .withBroadcast(Ipv4Address.parse("10.9.0.255")));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        ctx.attachLink("eth9", segment);
      }
    }
  }

  @Test
  void extensionAddsToolResolverAndALinkThatCarriesFrames() {
    ActorRef<SegmentActor.Command> seg = testKit.spawn(SegmentActor.create("veth-x"), "veth-x");
    Plugger plugger = new Plugger(seg);
    ActorRef<HostActor.Command> node = testKit.spawn(HostActor.create(new HostConfig("node", 1, false, List.of(),
        List.of(), Map.of()), Map.of(), HostActorTest.TOOLS, plugger), "node");
    ActorRef<HostActor.Command> pod = testKit.spawn(HostActor.create(new HostConfig("pod", 2, false,
        List.of(new HostConfig.LinkConfig("eth0", "veth", "veth-x", "02:00:00:00:00:01", 1500, List.of("10.9.0.2/24"),
            0)), List.of(), Map.of()), Map.of("eth0", seg), HostActorTest.TOOLS), "pod");
    assertEquals(new HostActorTest.Result("hello from node 10.96.0.10\n", "", 0),
        run(node, "hello", "webpod"));
    assertEquals("hello from node null\n", run(node, "hello", "nothing").out());
    // The adapter delivers on the host's thread; afterwards the new link reaches the pod.
    plugger.inbox.tell("plug");
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<Object> wait = testKit.createTestProbe();
    wait.awaitAssert(() -> {
      assertEquals(new HostActorTest.Result("reply from 10.9.0.2 ttl=64\n", "", 0),
          run(node, "probe", "10.9.0.2"));
      return null;
    });
  }
}
