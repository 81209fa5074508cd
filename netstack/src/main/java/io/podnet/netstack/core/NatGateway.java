package io.podnet.netstack.core;

import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.EtherType;
import io.podnet.proto.packet.EthernetHeader;
import io.podnet.proto.packet.IcmpMessage;
import io.podnet.proto.packet.IpProtocol;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.PacketException;
import io.podnet.proto.packet.Packets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The far end of a NAT uplink, as VirtualBox's NAT engine looks from the VM: the gateway (e.g.
 * 10.0.2.2) and the DNS server (10.0.2.3) answer ARP and ping, each with the MAC VirtualBox gives
 * them (52:55 followed by the four octets of the address: 52:55:0a:00:02:02). Everything else
 * sent to the gateway would go to the internet, which a lab does not have: it is dropped and
 * counted. Plain code.
 */
public final class NatGateway {
  private final Map<Ipv4Address, MacAddress> addresses;
  private final Map<String, Long> drops = new TreeMap<>();
  private int ipId;

  public NatGateway(List<Ipv4Address> addresses) {
    Map<Ipv4Address, MacAddress> m = new java.util.LinkedHashMap<>();
    for (Ipv4Address a : addresses) {
      m.put(a, macFor(a));
    }
    this.addresses = Map.copyOf(m);
  }

  /** VirtualBox NAT's MAC for one of its addresses: 52:55 and the address's four octets. */
  public static MacAddress macFor(Ipv4Address a) {
    return new MacAddress(0x5255_0000_0000L | a.unsigned());
  }

  /** Handles a frame sent onto the uplink; answers go to {@code reply}. */
  public void receive(byte[] frame, int off, int len, Consumer<byte[]> reply) {
    try {
      EthernetHeader eth = EthernetHeader.decode(frame, off, len);
      int p = off + eth.length();
      if (eth.etherType() == EtherType.ARP) {
        ArpPacket arp = ArpPacket.decode(frame, p, off + len - p);
        MacAddress mac = addresses.get(arp.targetIp());
        if (arp.operation() == ArpPacket.OP_REQUEST && mac != null && !arp.isGratuitous()) {
          reply.accept(arp.answer(mac).toFrame());
        } else {
          drop("ARP not for the gateway");
        }
        return;
      }
      if (eth.etherType() != EtherType.IPV4) {
        drop("EtherType " + EtherType.name(eth.etherType()));
        return;
      }
      Ipv4Header ip = Ipv4Header.decode(frame, p, off + len - p);
      MacAddress mac = addresses.get(ip.destination());
      if (mac == null) {
        drop("no route to the internet");
        return;
      }
      if (ip.protocol() == IpProtocol.ICMP && !ip.isFragment()) {
        IcmpMessage icmp = IcmpMessage.decode(frame, p + ip.length(), ip.payloadLength());
        if (icmp.type() == IcmpMessage.ECHO_REQUEST && icmp.checksumValid()) {
          reply.accept(Packets.icmpEcho(mac, eth.source(), ip.destination(), ip.source(), false, icmp.identifier(),
              icmp.sequence(), icmp.body().toByteArray(), 64, ipId++ & 0xffff));
          return;
        }
      }
      drop("service not emulated");
    } catch (PacketException e) {
      drop(e.reason());
    }
  }

  private void drop(String reason) {
    drops.merge(reason, 1L, Long::sum);
  }

  /** Dropped frames by reason. */
  public Map<String, Long> drops() {
    return Map.copyOf(drops);
  }
}
