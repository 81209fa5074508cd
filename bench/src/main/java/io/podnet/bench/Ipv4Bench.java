package io.podnet.bench;

import io.podnet.proto.packet.Checksum;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.Ipv4Header;
import io.podnet.proto.packet.IpProtocol;
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

/** IPv4 header decode, checksum and a router's TTL rewrite: the per-hop work of forwarding. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Ipv4Bench {
  private byte[] datagram;
  private final byte[] out = new byte[20];

  @Setup
  public void setup() {
    Ipv4Header h = Ipv4Header.builder().protocol(IpProtocol.ICMP).dontFragment(true).identification(7)
        .source(Ipv4Address.parse("172.20.0.163")).destination(Ipv4Address.parse("172.20.2.54"))
        .payloadLength(64).build();
    datagram = new byte[84];
    h.encode(datagram, 0);
  }

  @Benchmark
  public Ipv4Header decode() {
    return Ipv4Header.decode(datagram, 0, datagram.length);
  }

  @Benchmark
  public int headerChecksum() {
    return Checksum.compute(datagram, 0, 20);
  }

  @Benchmark
  public byte[] decodeDecrementTtlEncode() {
    Ipv4Header h = Ipv4Header.decode(datagram, 0, datagram.length);
    h.withTtl(h.ttl() - 1).encode(out, 0);
    return out;
  }
}
