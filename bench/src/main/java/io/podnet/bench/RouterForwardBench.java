package io.podnet.bench;

import io.podnet.netstack.actor.HostConfig;
import io.podnet.netstack.actor.HostSetup;
import io.podnet.netstack.core.HostCore;
import io.podnet.netstack.core.TimerQueue;
import io.podnet.proto.packet.ArpPacket;
import io.podnet.proto.packet.Ipv4Address;
import io.podnet.proto.packet.MacAddress;
import io.podnet.proto.packet.Packets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The router core alone: frames forwarded per second on one thread (one core). Each operation is
 * one 98-byte ICMP echo arriving on eth1 for a host behind eth2: L2 filter, IPv4 checks (header
 * checksum), route lookup, TTL decrement with checksum update, neighbour lookup, MAC rewrite and
 * transmit to a sink.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouterForwardBench {
  private HostCore router;
  private byte[] frame;
  private byte[] buffer;
  private long forwarded;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    HostConfig cfg = new HostConfig("router", 1, true, List.of(
        new HostConfig.LinkConfig("eth1", "ethernet", "a", "08:00:27:0f:bd:dd", 1500, List.of("192.168.10.200/24"), 0),
        new HostConfig.LinkConfig("eth2", "ethernet", "b", "08:00:27:0f:bd:de", 1500, List.of("192.168.20.200/24"), 0)),
        List.of(), Map.of());
    router = new HostCore(HostSetup.build(cfg), new TimerQueue(0), new SplittableRandom(1), (dev, f) -> forwarded++);
    router.setForwarding(true);
    MacAddress far = MacAddress.parse("08:00:27:3a:be:fa");
    // The far host asks for the router: the router learns it, as it would on a real segment.
    byte[] arp = ArpPacket.request(far, Ipv4Address.parse("192.168.20.100"), Ipv4Address.parse("192.168.20.200"))
        .toFrame();
    router.receive("eth2", arp, 0, arp.length);
    frame = Packets.icmpEcho(MacAddress.parse("08:00:27:04:d1:9c"), MacAddress.parse("08:00:27:0f:bd:dd"),
        Ipv4Address.parse("192.168.10.100"), Ipv4Address.parse("192.168.20.100"), true, 7, 1, new byte[56], 64, 1);
    buffer = new byte[frame.length];
    forwarded = 0;
  }

  @Benchmark
  public void forward() {
    System.arraycopy(frame, 0, buffer, 0, frame.length);
    router.receive("eth1", buffer, 0, buffer.length);
  }

  @TearDown(Level.Trial)
  public void check() {
    if (forwarded == 0 || !router.drops().isEmpty()) {
      throw new IllegalStateException("the router did not forward: forwarded=" + forwarded + " drops="
          + router.drops());
    }
  }
}
