package io.podnet.deploy.demo;

import io.podnet.deploy.topology.LabSpec;
import io.podnet.deploy.topology.LabSpec.HostKind;
import io.podnet.deploy.topology.LabSpec.HostSpec;
import io.podnet.deploy.topology.LabSpec.InterfaceSpec;
import io.podnet.netstack.tools.tcpdump.Direction;
import io.podnet.netstack.tools.tcpdump.TcpdumpPrinter;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.FlowHash;
import io.podnet.proto.packet.GeneveOption;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.Packets;
import io.podnet.proto.packet.TcpHeader;
import io.podnet.proto.pcap.PcapWriter;
import io.podnet.proto.pcap.Sll2Header;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * podnet's first main job, until the lab itself runs: what the router of a lab would capture with
 * {@code tcpdump -i any -w FILE} while a pod on one side pings and connects to a pod on the other,
 * through a Geneve tunnel, a VXLAN tunnel and natively routed. Every frame is built by podnet's
 * codecs from the lab's topology (addresses, MACs, interface order), forwarded as the router would
 * (TTL down by one, checksum updated, MACs rewritten), written as a pcap (LINUX_SLL2, as tcpdump
 * writes captures on "any") and printed as tcpdump prints it. One frame arrives with a broken
 * IPv4 checksum and is not forwarded.
 */
public final class CaptureDemo {
  /** Cilium's default cluster-pool CIDR, 10.0.0.0/8 with a /24 per node. */
  static final int CLUSTER_POOL = Ipv4Address.parse("10.0.0.0").value();

  private final LabSpec lab;
  private final SplittableRandom random;
  private final List<Captured> frames = new ArrayList<>();

  /** One captured frame: lab time, the router's interface (name, index), direction, bytes. */
  public record Captured(long micros, String dev, int ifIndex, Direction dir, byte[] frame) {}

  /** The demo's result: the capture as tcpdump prints it. */
  public record Result(Path file, List<String> lines) {}

  private record Side(HostSpec host, InterfaceSpec iface, MacAddress mac, Ipv4Address ip, InterfaceSpec routerIface,
      int routerIndex, MacAddress routerMac, Ipv4Address pod) {}

  public CaptureDemo(LabSpec lab) {
    this.lab = lab;
    this.random = new SplittableRandom(lab.seed());
  }

  /** Builds the capture, writes it to {@code file} and returns its tcpdump lines. */
  public Result run(Path file) throws IOException {
    HostSpec router = lab.hosts().stream().filter(h -> h.kind() == HostKind.ROUTER).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("lab " + lab.name() + " has no router (kind: router)"));
    List<Side> sides = sides(router);
    if (sides.size() < 2) {
      throw new IllegalArgumentException("the demo needs a router joining two segments with a host on each; lab "
          + lab.name() + " has " + sides.size());
    }
    Side a = sides.get(0);
    Side b = sides.get(1);
    long t = 1_000_000;

    // 1. a resolves the router's address on its segment.
    byte[] req = ArpPacket.request(a.mac(), a.ip(), addressOf(a.routerIface())).toFrame();
    capture(t, a, Direction.BROADCAST, req);
    byte[] rep = ArpPacket.request(a.mac(), a.ip(), addressOf(a.routerIface())).answer(a.routerMac()).toFrame();
    capture(t + 35, a, Direction.OUT, rep);

    // 2. A ping from a pod on a to a pod on b, in Geneve (VNI = the source's security identity).
    int idA = 256 + random.nextInt(65_000);
    int idB = 256 + random.nextInt(65_000);
    int pingId = 1 + random.nextInt(100);
    byte[] data = Packets.linuxPingData(1_700_000_000L, 0);
    byte[] inner = Packets.icmpEcho(podMac(a), podMac(b), a.pod(), b.pod(), true, pingId, 1, data, 63, 0x1f2e);
    byte[] geneve = Encapsulation.geneve(inner, 0, inner.length, a.mac(), a.routerMac(), a.ip(), b.ip(), 64, 0x4000,
        FlowHash.geneveSourcePort(inner, 0, inner.length, hashSeed(a)), 6081, idA, List.<GeneveOption>of());
    forward(t + 1_000, a, b, geneve);
    byte[] innerReply = Packets.icmpEcho(podMac(b), podMac(a), b.pod(), a.pod(), false, pingId, 1, data, 63, 0x6a01);
    byte[] geneveReply = Encapsulation.geneve(innerReply, 0, innerReply.length, b.mac(), b.routerMac(), b.ip(), a.ip(),
        64, 0x4001, FlowHash.geneveSourcePort(innerReply, 0, innerReply.length, hashSeed(b)), 6081, idB, List.of());
    forward(t + 1_500, b, a, geneveReply);

    // 3. The same in VXLAN, on Cilium's port 8472 (tcpdump decodes 8472 as OTV, as it does on Linux).
    byte[] inner2 = Packets.icmpEcho(podMac(a), podMac(b), a.pod(), b.pod(), true, pingId, 2, data, 63, 0x1f2f);
    byte[] vxlan = Encapsulation.vxlan(inner2, 0, inner2.length, a.mac(), a.routerMac(), a.ip(), b.ip(), 64, 0x4002,
        FlowHash.vxlanSourcePort(inner2, 0, inner2.length, hashSeed(a)), 8472, idA);
    forward(t + 2_000, a, b, vxlan);

    // 4. A TCP handshake, natively routed, with Linux's SYN options.
    int sport = FlowHash.LOCAL_PORT_MIN + random.nextInt(FlowHash.LOCAL_PORT_MAX - FlowHash.LOCAL_PORT_MIN);
    long isn = random.nextLong() & 0xffffffffL;
    long isn2 = random.nextLong() & 0xffffffffL;
    byte[] syn = Packets.tcp(a.mac(), a.routerMac(), a.pod(), b.pod(), TcpHeader.builder().sourcePort(sport)
        .destinationPort(80).sequenceNumber(isn).flags(TcpHeader.SYN).window(64240)
        .options(TcpHeader.linuxSynOptions(1460, 1_234_567, 0, 7)), new byte[0], 63, 0x5000);
    forward(t + 3_000, a, b, syn);
    byte[] synAck = Packets.tcp(b.mac(), b.routerMac(), b.pod(), a.pod(), TcpHeader.builder().sourcePort(80)
        .destinationPort(sport).sequenceNumber(isn2).acknowledgmentNumber((isn + 1) & 0xffffffffL)
        .flags(TcpHeader.SYN | TcpHeader.ACK).window(65160)
        .options(TcpHeader.linuxSynOptions(1460, 7_654_321, 1_234_567, 7)), new byte[0], 63, 0);
    forward(t + 3_100, b, a, synAck);

    // 5. A frame whose IPv4 header checksum is wrong: the router drops it.
    byte[] bad = Packets.icmpEcho(a.mac(), a.routerMac(), a.ip(), b.ip(), true, pingId, 3, data, 64, 0x4003);
    bad[14 + 10] ^= 0x5a;
    capture(t + 4_000, a, Direction.IN, bad);

    write(file);
    TcpdumpPrinter printer = new TcpdumpPrinter(false, false);
    List<String> lines = new ArrayList<>();
    for (Captured c : frames) {
      lines.add(printer.line(c.micros(), c.dev(), c.dir(), c.frame()));
    }
    return new Result(file, lines);
  }

  public List<Captured> frames() {
    return List.copyOf(frames);
  }

  /** The router receives {@code frame} from {@code from} and forwards it to {@code to}. */
  private void forward(long micros, Side from, Side to, byte[] frame) {
    capture(micros, from, Direction.IN, frame);
    byte[] out = frame.clone();
    Ipv4Header ip = Ipv4Header.decode(out, 14, out.length - 14);
    ip.withTtl(ip.ttl() - 1).encode(out, 14);
    to.routerMac().write(out, 6);
    to.mac().write(out, 0);
    capture(micros + 12, to, Direction.OUT, out);
  }

  private void capture(long micros, Side side, Direction dir, byte[] frame) {
    frames.add(new Captured(micros, side.routerIface().name(), side.routerIndex(), dir, frame));
  }

  private void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (OutputStream os = Files.newOutputStream(file)) {
      PcapWriter w = PcapWriter.linuxSll2(os);
      for (Captured c : frames) {
        int type = c.dir() == Direction.OUT ? Sll2Header.PACKET_OUTGOING
            : c.dir() == Direction.BROADCAST ? Sll2Header.PACKET_BROADCAST : Sll2Header.PACKET_HOST;
        w.writeSll2(c.micros(), c.ifIndex(), type, c.frame());
      }
    }
  }

  /** The hosts reachable on each of the router's segments, one per segment, in topology order. */
  private List<Side> sides(HostSpec router) {
    List<Side> out = new ArrayList<>();
    int index = 2; // lo is 1, then the interfaces in the order the topology lists them
    int node = 0;
    for (InterfaceSpec ri : router.interfaces()) {
      int ifIndex = index++;
      if (ri.segment() == null || ri.addresses().isEmpty()) {
        continue;
      }
      for (HostSpec h : lab.hosts()) {
        if (h == router) {
          continue;
        }
        InterfaceSpec hi = h.interfaces().stream().filter(i -> ri.segment().equals(i.segment()) && !i.addresses()
            .isEmpty()).findFirst().orElse(null);
        if (hi != null) {
          Ipv4Address pod = new Ipv4Address(CLUSTER_POOL | (node++ << 8) | (2 + random.nextInt(250)));
          out.add(new Side(h, hi, lab.macOf(h.name(), hi), addressOf(hi), ri, ifIndex, lab.macOf(router.name(), ri),
              pod));
          break;
        }
      }
    }
    return out;
  }

  private static Ipv4Address addressOf(InterfaceSpec i) {
    String a = i.addresses().get(0);
    return Ipv4Address.parse(a.substring(0, a.indexOf('/')));
  }

  /** Each kernel draws its flow-hash key at boot: per host, here from the lab's seed. */
  private int hashSeed(Side s) {
    return new SplittableRandom(lab.seed() ^ s.host().name().hashCode()).nextInt();
  }

  /** The MAC of the pod's eth0 (a veth): locally administered, from the pod's address. */
  private static MacAddress podMac(Side s) {
    return new MacAddress(0x0a_58_0000_0000L | s.pod().unsigned());
  }
}
