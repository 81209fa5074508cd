package io.podnet.netstack.core;

import static io.podnet.netstack.core.HostCoreTest.MAC_A;
import static io.podnet.netstack.core.HostCoreTest.MAC_B;
import static io.podnet.netstack.core.HostCoreTest.SECOND;
import static io.podnet.netstack.core.HostCoreTest.a;
import static io.podnet.netstack.core.HostCoreTest.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.netstack.neigh.NeighbourTable;
import io.podnet.netstack.tool.CommandResult;
import io.podnet.netstack.tool.IpCommand;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Bytes;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.MacAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code ip address add|del} and {@code ip neigh add|replace|del} change on the wire. */
class IpAddrNeighBehaviourTest {
  private final TestNet net = new TestNet();

  private CommandResult ip(String host, String args) {
    return new IpCommand(net.host(host), 0).run(Arrays.asList(args.split(" +")));
  }

  private void ok(String host, String args) {
    assertEquals(new CommandResult("", "", 0), ip(host, args), "ip " + args);
  }

  private List<TestNet.Sent> arpsFrom(String host) {
    return net.sentBy(host, "eth1").stream().filter(s -> Bytes.u16(s.frame(), 12) == EtherType.ARP).toList();
  }

  /** ARP requests (opcode 1, at byte 20 of the frame) sent by {@code host}. */
  private List<TestNet.Sent> arpRequestsFrom(String host) {
    return arpsFrom(host).stream().filter(s -> Bytes.u16(s.frame(), 20) == 1).toList();
  }

  @Test
  void anAddedAddressAnswersArpAndPingUntilDeleted() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
    PingSocket ping = net.host("A").openPing(5);
    // before: nobody owns .77, A's three requests go unanswered
    ping.send(a("192.168.10.77"), 1, data(8));
    net.runFor(3 * SECOND);
    assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(0, net.sentBy("B", "eth1").size());
    ok("A", "neigh del 192.168.10.77 dev eth1");

    ok("B", "addr add 192.168.10.77/24 dev eth1");
    ping.send(a("192.168.10.77"), 2, data(8));
    net.runFor(SECOND / 10);
    PingSocket.EchoReply r = assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(a("192.168.10.77"), r.from());
    byte[] reply = arpsFrom("B").get(0).frame();
    assertEquals(ArpPacket.reply(MacAddress.parse(MAC_B), a("192.168.10.77"), MacAddress.parse(MAC_A),
        a("192.168.10.100")).toFrame(MacAddress.parse(MAC_A)).length, reply.length);
    assertTrue(Arrays.equals(ArpPacket.reply(MacAddress.parse(MAC_B), a("192.168.10.77"), MacAddress.parse(MAC_A),
        a("192.168.10.100")).toFrame(MacAddress.parse(MAC_A)), reply), "B answers ARP for the new address");

    // a secondary: B's replies come from it; deleting it leaves B's primary working
    ok("B", "addr del 192.168.10.77/24 dev eth1");
    ping.send(a("192.168.10.77"), 3, data(8));
    net.runFor(SECOND / 10);
    assertNull(ping.poll(), "B drops an echo to an address it no longer has");
    ok("A", "neigh del 192.168.10.77 dev eth1");
    int arpsBefore = arpsFrom("B").size();
    ping.send(a("192.168.10.77"), 4, data(8));
    net.runFor(3 * SECOND);
    assertInstanceOf(PingSocket.Error.class, ping.poll());
    assertEquals(arpsBefore, arpsFrom("B").size(), "B answers no ARP for the deleted address");
    ping.send(a("192.168.10.101"), 5, data(8));
    net.runFor(SECOND / 10);
    assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
  }

  @Test
  void aPermanentEntryIsUsedWithoutArpAndNeverAges() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
    ok("A", "neigh add 192.168.10.101 lladdr " + MAC_B + " dev eth1");
    PingSocket ping = net.host("A").openPing(6);
    ping.send(a("192.168.10.101"), 1, data(8));
    net.runFor(SECOND / 10);
    assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(List.of(), arpRequestsFrom("A"), "no ARP request: the permanent entry answered at once");
    byte[] echo = net.sentBy("A", "eth1").get(0).frame();
    assertEquals(EtherType.IPV4, Bytes.u16(echo, 12), "the echo request is A's first frame");
    assertEquals(MacAddress.parse(MAC_B), EthernetHeader.decode(echo, 0, echo.length).destination());

    net.runFor(600 * SECOND);
    assertEquals(NeighbourTable.State.PERMANENT,
        net.host("A").neighbours().get("eth1", a("192.168.10.101")).orElseThrow().state());
    ping.send(a("192.168.10.101"), 2, data(8));
    net.runFor(SECOND / 10);
    assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(List.of(), arpRequestsFrom("A"), "still no ARP ten minutes later");
    assertEquals("192.168.10.101 dev eth1 lladdr 08:00:27:af:e6:df PERMANENT \n", ip("A", "neigh").stdout());
    // B's ARP traffic does not overwrite it
    assertEquals(MacAddress.parse(MAC_B), net.host("A").neighbours().get("eth1", a("192.168.10.101")).orElseThrow().mac());
  }

  @Test
  void aWrongPermanentEntryIsFollowedBlindly() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
    ok("A", "neigh add 192.168.10.101 lladdr 02:00:00:00:00:99 dev eth1");
    PingSocket ping = net.host("A").openPing(7);
    ping.send(a("192.168.10.101"), 1, data(8));
    net.runFor(5 * SECOND);
    assertNull(ping.poll());
    assertEquals(List.of(), arpRequestsFrom("A"));
    byte[] echo = net.sentBy("A", "eth1").get(0).frame();
    assertEquals(MacAddress.parse("02:00:00:00:00:99"), EthernetHeader.decode(echo, 0, echo.length).destination());
    // replace with the right address: the next echo goes through
    ok("A", "neigh replace 192.168.10.101 lladdr " + MAC_B + " dev eth1");
    ping.send(a("192.168.10.101"), 2, data(8));
    net.runFor(SECOND / 10);
    assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
  }

  @Test
  void anEntryAddedWhileResolvingReleasesTheQueuedPacket() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
    ok("B", "addr add 192.168.10.50/24 dev eth1");
    // B would answer; cut the wire from B so that A keeps waiting, then give A the answer by hand
    net.segmentOf.remove(new TestNet.Port("B", "eth1"));
    PingSocket ping = net.host("A").openPing(8);
    ping.send(a("192.168.10.50"), 1, data(8));
    net.runFor(SECOND / 2);
    assertEquals(1, net.host("A").neighbours().queued("eth1", a("192.168.10.50")));
    net.segmentOf.put(new TestNet.Port("B", "eth1"), "lan10");
    ok("A", "neigh replace 192.168.10.50 lladdr " + MAC_B + " dev eth1 nud reachable");
    assertEquals(0, net.host("A").neighbours().queued("eth1", a("192.168.10.50")));
    net.runFor(SECOND / 10);
    assertInstanceOf(PingSocket.EchoReply.class, ping.poll());
    assertEquals(NeighbourTable.State.REACHABLE,
        net.host("A").neighbours().get("eth1", a("192.168.10.50")).orElseThrow().state());
    // reachable ages to stale like a learnt entry (15..45 s)
    net.runFor(46 * SECOND);
    assertEquals(NeighbourTable.State.STALE,
        net.host("A").neighbours().get("eth1", a("192.168.10.50")).orElseThrow().state());
  }

  @Test
  void aManagedEntryIsKeptResolvedByTheKernelWithUnicastProbes() {
    net.nic("A", "eth1", MAC_A, "192.168.10.100/24", "lan10");
    net.nic("B", "eth1", MAC_B, "192.168.10.101/24", "lan10");
    ok("A", "neigh replace 192.168.10.101 dev eth1 managed extern_learn");
    net.runFor(SECOND / 10);
    assertEquals("192.168.10.101 dev eth1 lladdr 08:00:27:af:e6:df managed extern_learn REACHABLE \n",
        ip("A", "neigh").stdout());
    byte[] first = arpRequestsFrom("A").get(0).frame();
    assertEquals(MacAddress.BROADCAST, EthernetHeader.decode(first, 0, first.length).destination());
    // ten minutes without any traffic: never STALE, re-confirmed by unicast requests B answers
    for (int s = 0; s < 600; s++) {
      net.runFor(SECOND);
      NeighbourTable.State st = net.host("A").neighbours().get("eth1", a("192.168.10.101")).orElseThrow().state();
      assertTrue(st == NeighbourTable.State.REACHABLE || st == NeighbourTable.State.DELAY
          || st == NeighbourTable.State.PROBE, "second " + s + ": " + st);
    }
    List<TestNet.Sent> requests = arpRequestsFrom("A");
    assertTrue(requests.size() >= 10, "one probe per reachable period: " + requests.size());
    for (TestNet.Sent r : requests.subList(1, requests.size())) {
      assertEquals(MacAddress.parse(MAC_B), EthernetHeader.decode(r.frame(), 0, r.frame().length).destination());
    }
    // B goes away: the probes fail, the entry goes FAILED and the kernel keeps broadcasting for it
    net.segmentOf.remove(new TestNet.Port("B", "eth1"));
    net.runFor(60 * SECOND);
    List<TestNet.Sent> late = arpRequestsFrom("A").stream().filter(r -> r.micros() > net.now - 10 * SECOND).toList();
    assertTrue(late.stream().anyMatch(r -> EthernetHeader.decode(r.frame(), 0, r.frame().length).destination()
        .equals(MacAddress.BROADCAST)), "still resolving");
    String shown = ip("A", "neigh show nud all").stdout();
    assertTrue(shown.equals("192.168.10.101 dev eth1 managed extern_learn FAILED \n")
        || shown.equals("192.168.10.101 dev eth1 managed extern_learn INCOMPLETE \n"), shown);
  }
}
