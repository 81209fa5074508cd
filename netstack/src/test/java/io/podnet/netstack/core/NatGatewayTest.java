package io.podnet.netstack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.Packets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NatGatewayTest {
  static final Ipv4Address GW = Ipv4Address.parse("10.0.2.2");
  static final Ipv4Address DNS = Ipv4Address.parse("10.0.2.3");
  static final Ipv4Address VM = Ipv4Address.parse("10.0.2.15");
  static final MacAddress VM_MAC = MacAddress.parse("08:00:27:11:22:33");

  final NatGateway nat = new NatGateway(List.of(GW, DNS));
  final List<byte[]> out = new ArrayList<>();

  void send(byte[] f) {
    nat.receive(f, 0, f.length, out::add);
  }

  @Test
  void macsAreVirtualBoxs() {
    assertEquals("52:55:0a:00:02:02", NatGateway.macFor(GW).toString());
    assertEquals("52:55:0a:00:02:03", NatGateway.macFor(DNS).toString());
  }

  @Test
  void answersArpForItsAddresses() {
    send(ArpPacket.request(VM_MAC, VM, GW).toFrame());
    assertEquals(1, out.size());
    byte[] f = out.get(0);
    assertEquals(60, f.length);
    EthernetHeader eth = EthernetHeader.decode(f, 0, f.length);
    assertEquals(VM_MAC, eth.destination());
    ArpPacket reply = ArpPacket.decode(f, 14, f.length - 14);
    assertEquals(ArpPacket.OP_REPLY, reply.operation());
    assertEquals(GW, reply.senderIp());
    assertEquals(NatGateway.macFor(GW), reply.senderMac());
    send(ArpPacket.request(VM_MAC, VM, Ipv4Address.parse("10.0.2.99")).toFrame());
    assertEquals(1, out.size());
  }

  @Test
  void answersPingAndDropsEverythingElse() {
    send(Packets.icmpEcho(VM_MAC, NatGateway.macFor(GW), VM, GW, true, 7, 1, new byte[56], 64, 1));
    assertEquals(1, out.size());
    byte[] f = out.get(0);
    Ipv4Header ip = Ipv4Header.decode(f, 14, f.length - 14);
    assertEquals(GW, ip.source());
    assertTrue(ip.checksumValid());
    IcmpMessage icmp = IcmpMessage.decode(f, 34, ip.payloadLength());
    assertEquals(IcmpMessage.ECHO_REPLY, icmp.type());
    assertEquals(7, icmp.identifier());
    assertTrue(icmp.checksumValid());

    // A pod packet leaked to the default route: it would go to the internet, and is dropped.
    send(Packets.icmpEcho(VM_MAC, NatGateway.macFor(GW), Ipv4Address.parse("172.20.0.163"),
        Ipv4Address.parse("172.20.2.54"), true, 7, 1, new byte[56], 63, 2));
    send(new byte[] {1, 2, 3});
    assertEquals(1, out.size());
    assertEquals(Map.of("no route to the internet", 1L, "Ethernet header", 1L), nat.drops());
  }
}
