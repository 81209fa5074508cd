package io.podnet.bench;

import io.podnet.proto.packet.Decapsulated;
import io.podnet.proto.packet.Encapsulation;
import io.podnet.proto.packet.GeneveOption;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.Packets;
import io.podnet.proto.packet.TunnelKind;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A node's per-packet tunnel work: encapsulating a pod's ICMP echo (the inner frame: Ethernet 14
 * + IPv4 20 + ICMP 8 + 56 data bytes = 98 bytes) into a Geneve frame without options (outer
 * Ethernet 14 + IPv4 20 + UDP 8 + Geneve 8 = 50 more: 148 bytes), and decapsulating that frame
 * back to the outer fields and the inner frame's position. The VXLAN variant (UDP 8472) has the
 * same sizes. Run with {@code -prof gc} for bytes allocated per operation: encapsulation should
 * allocate only its output array, decapsulation only its {@link Decapsulated} record.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GeneveBench {
  static final int FRAME_LENGTH = 148;

  private final MacAddress nodeMac = MacAddress.parse("08:00:27:af:e6:df");
  private final MacAddress routerMac = MacAddress.parse("08:00:27:04:d1:9c");
  private final Ipv4Address node = Ipv4Address.parse("192.168.10.100");
  private final Ipv4Address peer = Ipv4Address.parse("192.168.20.100");
  private final List<GeneveOption> noOptions = List.of();
  private byte[] inner;
  private byte[] geneveFrame;
  private byte[] vxlanFrame;

  @Setup
  public void setup() {
    inner = Packets.icmpEcho(MacAddress.parse("1a:2b:3c:4d:5e:6f"), MacAddress.parse("9a:8b:7c:6d:5e:4f"),
        Ipv4Address.parse("172.20.0.163"), Ipv4Address.parse("172.20.2.54"), true, 37, 1,
        Packets.linuxPingData(1_700_000_000L, 123_456), 64, 0x3d1e);
    geneveFrame = encapsulateGeneve();
    vxlanFrame = encapsulateVxlan();
    if (inner.length != 98 || geneveFrame.length != FRAME_LENGTH || vxlanFrame.length != FRAME_LENGTH) {
      throw new IllegalStateException("expected a 98-byte inner frame and 148-byte tunnel frames: " + inner.length
          + ", " + geneveFrame.length + ", " + vxlanFrame.length);
    }
    Decapsulated d = decapsulateGeneve();
    if (d.kind() != TunnelKind.GENEVE || d.vni() != 0x71ad || d.innerLength() != inner.length) {
      throw new IllegalStateException("Geneve frame does not decapsulate to its inner frame: " + d);
    }
    if (decapsulateVxlan().kind() != TunnelKind.VXLAN) {
      throw new IllegalStateException("VXLAN frame does not decapsulate as VXLAN");
    }
  }

  @Benchmark
  public byte[] encapsulateGeneve() {
    return Encapsulation.geneve(inner, 0, inner.length, nodeMac, routerMac, node, peer, 64, 0x3c5e, 31322,
        TunnelKind.GENEVE_PORT, 0x71ad, noOptions);
  }

  @Benchmark
  public Decapsulated decapsulateGeneve() {
    return Encapsulation.decapsulate(geneveFrame, 0, geneveFrame.length);
  }

  @Benchmark
  public byte[] encapsulateVxlan() {
    return Encapsulation.vxlan(inner, 0, inner.length, nodeMac, routerMac, node, peer, 64, 0x3c5e, 31322,
        TunnelKind.VXLAN_LINUX_PORT, 0x71ad);
  }

  @Benchmark
  public Decapsulated decapsulateVxlan() {
    return Encapsulation.decapsulate(vxlanFrame, 0, vxlanFrame.length);
  }
}
