package io.podnet.proto.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.podnet.proto.pcap.PcapReader;
import io.podnet.proto.pcap.PcapWriter;
import io.podnet.proto.pcap.Sll2Header;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Robustness: a seeded generator builds valid frames of every kind the codecs speak, mutates and
 * truncates them, and pushes each through every decoder: a full dissection (Ethernet, ARP or
 * IPv4, ICMP/UDP/TCP, tunnel, inner frame, recursively), each decoder at its natural offset (and
 * at one random offset), {@link Encapsulation#decapsulate}, and {@link FlowHash#innerFrameHash};
 * then {@link PcapReader} over mutated capture files. Checked for every call:
 *
 * <ul>
 *   <li>nothing escapes but {@link PacketException} (FlowHash: nothing at all), whose message is
 *       "layer field at offset N: expected E, found F" with N its {@link PacketException#offset};
 *   <li>no read outside the region: the same bytes embedded in a larger array filled with a
 *       sentinel pattern decode to the same result, or fail with the same message (offsets shifted
 *       by the embedding), as the exact-size copy;
 *   <li>every decode ends: the whole run is under a preemptive timeout (a hang detector only).
 * </ul>
 *
 * Every case draws from its own {@link SplittableRandom}, derived from the seed and the case
 * number, so a failure names both and replays alone: {@code -Dpodnet.fuzz.seed=S
 * -Dpodnet.fuzz.case=N}. {@code -Dpodnet.fuzz.frames} and {@code -Dpodnet.fuzz.pcaps} change the
 * counts (defaults 1,000,000 and 100,000).
 */
class CodecFuzzTest {
  static final long SEED = Long.getLong("podnet.fuzz.seed", 0x706f_646e_6574_0002L);
  static final int FRAMES = Integer.getInteger("podnet.fuzz.frames", 1_000_000);
  static final int PCAPS = Integer.getInteger("podnet.fuzz.pcaps", 100_000);
  /** Replays one case (its number) instead of the whole run. */
  static final int ONLY_CASE = Integer.getInteger("podnet.fuzz.case", -1);
  static final int CORPUS_SIZE = 4_000;
  /** Tunnels inside tunnels the dissector follows, as a capture tool limits its recursion. */
  static final int MAX_DEPTH = 4;
  static final Duration HANG_BOUND = Duration.ofMinutes(5);

  // ---------------------------------------------------------------- the run

  @Test
  void mutatedFramesThroughEveryDecoder() {
    List<Sample> corpus = corpus(new SplittableRandom(SEED));
    Stats stats = new Stats();
    long t0 = System.nanoTime();
    assertTimeoutPreemptively(HANG_BOUND, () -> {
      IntStream cases = ONLY_CASE >= 0 ? IntStream.of(ONLY_CASE) : IntStream.range(0, FRAMES).parallel();
      cases.forEach(i -> frameCase(i, corpus, stats));
    }, () -> "a decode did not end within " + HANG_BOUND + " (seed 0x" + Long.toHexString(SEED) + ")");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("CodecFuzzTest frames: seed 0x" + Long.toHexString(SEED) + ", "
        + (ONLY_CASE >= 0 ? "case " + ONLY_CASE : FRAMES + " frames") + " in " + ms + " ms");
    System.out.println(stats.report());
    if (ONLY_CASE < 0 && FRAMES >= 100_000) {
      stats.assertCoverage();
    }
  }

  @Test
  void mutatedCapturesThroughPcapReader() {
    List<Sample> corpus = corpus(new SplittableRandom(SEED));
    AtomicLongArray counts = new AtomicLongArray(4); // records read, files rejected, files clean, boundary cuts
    long t0 = System.nanoTime();
    assertTimeoutPreemptively(HANG_BOUND, () -> {
      IntStream cases = ONLY_CASE >= 0 ? IntStream.of(ONLY_CASE) : IntStream.range(0, PCAPS).parallel();
      cases.forEach(i -> pcapCase(i, corpus, counts));
    }, () -> "a pcap read did not end within " + HANG_BOUND + " (seed 0x" + Long.toHexString(SEED) + ")");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("CodecFuzzTest pcaps: seed 0x" + Long.toHexString(SEED) + ", "
        + (ONLY_CASE >= 0 ? "case " + ONLY_CASE : PCAPS + " files") + " in " + ms
        + " ms; records read " + counts.get(0) + ", files rejected " + counts.get(1) + ", read to the end "
        + counts.get(2) + ", cut at a record boundary " + counts.get(3));
    if (ONLY_CASE < 0 && PCAPS >= 10_000) {
      assertTrue(counts.get(1) > PCAPS / 10, "too few rejected captures: " + counts);
      assertTrue(counts.get(2) > PCAPS / 10, "too few captures read to the end: " + counts);
      assertTrue(counts.get(3) > 0, "no capture cut at a record boundary: " + counts);
    }
  }

  /** The harness itself: a stray read is caught, a foreign exception is reported. */
  @Test
  void harnessCatchesOutOfBoundsReadsAndForeignExceptions() {
    Decoder overReader = (b, off, len, trail) -> Bytes.u8(b, off + len); // one byte too far
    byte[] frame = TestFrames.labPing();
    Sample s = new Sample("probe", frame, new Shape(List.of(), List.of(), List.of()));
    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> check(new Case(0, s, frame, "none", new SplittableRandom(1)), new Stats(), "over-reader", overReader,
            frame, 0, frame.length));
    assertTrue(e.getMessage().contains("ArrayIndexOutOfBoundsException"), e.getMessage());
    assertTrue(e.getMessage().contains("seed 0x" + Long.toHexString(SEED)), e.getMessage());

    Decoder peeker = (b, off, len, trail) -> off + len < b.length ? 1000 + Bytes.u8(b, off + len) : 0;
    AssertionError e2 = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
        () -> check(new Case(0, s, frame, "none", new SplittableRandom(1)), new Stats(), "peeker", peeker, frame, 0,
            frame.length - 1));
    assertTrue(e2.getMessage().contains("embedded"), e2.getMessage());
  }

  // ---------------------------------------------------------------- decoders under test

  /** A decoder at {@code [off, off+len)}; {@code trail} collects what a multi-step decoder found. */
  interface Decoder {
    Object decode(byte[] b, int off, int len, List<Object> trail);
  }

  static final Predicate<GeneveOption> KNOWN_OPTIONS = o -> o.optionClass() == GeneveOption.SERVICE_CHAINING_CLASS;

  enum Layer {
    ETHERNET((b, off, len, t) -> EthernetHeader.decode(b, off, len)),
    ARP((b, off, len, t) -> ArpPacket.decode(b, off, len)),
    IPV4((b, off, len, t) -> Ipv4Header.decode(b, off, len)),
    IPV4_QUOTED((b, off, len, t) -> Ipv4Header.decodeHeaderOnly(b, off, len)),
    ICMP((b, off, len, t) -> IcmpMessage.decode(b, off, len)),
    UDP((b, off, len, t) -> UdpHeader.decode(b, off, len)),
    TCP((b, off, len, t) -> TcpHeader.decode(b, off, len)),
    /** The options area alone, as TcpHeader hands it over: at most 40 bytes. */
    TCP_OPTIONS((b, off, len, t) -> TcpOption.parse(b, off, Math.min(len, 40))),
    VXLAN((b, off, len, t) -> VxlanHeader.decode(b, off, len)),
    GENEVE((b, off, len, t) -> GeneveHeader.decode(b, off, len)),
    /** An options area as the header hands it over: at most 252 bytes. */
    GENEVE_OPTIONS((b, off, len, t) -> GeneveHeader.decodeOptions(b, off, Math.min(len, 252))),
    GENEVE_OPTION((b, off, len, t) -> GeneveOption.decode(b, off, len)),
    SLL2((b, off, len, t) -> Sll2Header.decode(b, off, len));

    final Decoder decoder;

    Layer(Decoder decoder) {
      this.decoder = decoder;
    }
  }

  /** Decoders that take a whole Ethernet frame. */
  static final Map<String, Decoder> FRAME_DECODERS = new TreeMap<>(Map.of(
      "dissect", (b, off, len, trail) -> {
        dissect(b, off, len, 0, trail);
        return trail;
      },
      "decapsulate", (b, off, len, t) -> normalized(Encapsulation.decapsulate(b, off, len), off),
      "decapsulate VXLAN", (b, off, len, t) -> normalized(Encapsulation.decapsulate(b, off, len, TunnelKind.VXLAN), off),
      "decapsulate Geneve",
      (b, off, len, t) -> normalized(Encapsulation.decapsulate(b, off, len, TunnelKind.GENEVE), off)));

  /** Decoders that take an IPv4 datagram. */
  static final Map<String, Decoder> DATAGRAM_DECODERS = Map.of(
      "errorAllowedFor", (b, off, len, t) -> IcmpMessage.errorAllowedFor(b, off, len));

  /** Decapsulated points into the array; make it relative to the frame for comparison. */
  static Decapsulated normalized(Decapsulated d, int frameOff) {
    return new Decapsulated(d.kind(), d.outerSourceMac(), d.outerDestinationMac(), d.outerSourceIp(),
        d.outerDestinationIp(), d.outerTtl(), d.sourcePort(), d.destinationPort(), d.vni(), d.flags(), d.options(),
        d.innerOffset() - frameOff, d.innerLength());
  }

  /**
   * What a capture tool does with a frame: Ethernet, then ARP or IPv4, then ICMP (with its quote),
   * UDP or TCP (with options), checksums checked and summaries printed, and through a VXLAN or
   * Geneve tunnel into the inner frame, up to {@link #MAX_DEPTH} tunnels deep.
   */
  static void dissect(byte[] b, int off, int len, int depth, List<Object> trail) {
    int end = off + len;
    EthernetHeader eth = EthernetHeader.decode(b, off, len);
    trail.add(eth);
    int p = off + eth.length();
    if (eth.etherType() == EtherType.ARP) {
      ArpPacket arp = ArpPacket.decode(b, p, end - p);
      trail.add(arp);
      trail.add(arp.toString());
      trail.add(arp.isGratuitous());
      return;
    }
    if (eth.etherType() != EtherType.IPV4) {
      return;
    }
    Ipv4Header ip = Ipv4Header.decode(b, p, end - p);
    trail.add(ip);
    trail.add(ip.checksumValid());
    if (ip.fragmentOffset() != 0) {
      return; // a later fragment: no transport header
    }
    int t = p + ip.length();
    int tlen = ip.payloadLength();
    Ipv4Address src = ip.source();
    Ipv4Address dst = ip.destination();
    switch (ip.protocol()) {
      case IpProtocol.ICMP -> {
        IcmpMessage m = IcmpMessage.decode(b, t, tlen);
        trail.add(m);
        trail.add(m.checksumValid());
        trail.add(m.toString());
        if (m.isError()) {
          trail.add(m.quotedHeader());
          trail.add(m.quotedPayload());
        }
        trail.add(IcmpMessage.errorAllowedFor(b, p, ip.totalLength()));
      }
      case IpProtocol.TCP -> {
        TcpHeader h = TcpHeader.decode(b, t, tlen);
        trail.add(h);
        trail.add(h.parsedOptions());
        trail.add(h.toString());
        trail.add(h.hubbleFlags());
        trail.add(TcpHeader.checksumValid(src, dst, b, t, tlen));
      }
      case IpProtocol.UDP -> {
        UdpHeader u = UdpHeader.decode(b, t, tlen);
        trail.add(u);
        trail.add(u.checksumValid(src, dst, b, t));
        TunnelKind k = TunnelKind.forPort(u.destinationPort());
        if (k == null || depth >= MAX_DEPTH) {
          return;
        }
        int h = t + UdpHeader.LENGTH;
        int hlen = u.payloadLength();
        int inner;
        if (k == TunnelKind.VXLAN) {
          trail.add(VxlanHeader.decode(b, h, hlen));
          inner = h + VxlanHeader.LENGTH;
        } else {
          GeneveHeader g = GeneveHeader.decode(b, h, hlen);
          trail.add(g);
          trail.add(g.dropReason(KNOWN_OPTIONS));
          if (g.protocolType() != EtherType.TRANSPARENT_ETHERNET) {
            return;
          }
          inner = h + g.length();
        }
        trail.add(FlowHash.innerFrameHash(b, inner, t + u.length() - inner, 7));
        dissect(b, inner, t + u.length() - inner, depth + 1, trail);
      }
      default -> { }
    }
  }

  // ---------------------------------------------------------------- one case

  record Case(int index, Sample sample, byte[] frame, String mutations, SplittableRandom rng) {
    String describe() {
      return "seed 0x" + Long.toHexString(SEED) + ", case " + index + " (replay: -Dpodnet.fuzz.seed=" + SEED
          + " -Dpodnet.fuzz.case=" + index + "); sample " + sample.name() + " [" + Bytes.hex(sample.frame(), 0,
          sample.frame().length) + "]; mutations " + mutations + "; frame (" + frame.length + " bytes) ["
          + Bytes.hex(frame, 0, Math.min(frame.length, 2048)) + (frame.length > 2048 ? "..." : "") + "]";
    }
  }

  static SplittableRandom caseRandom(long salt, int i) {
    long z = SEED + salt + (i + 1) * 0x9e37_79b9_7f4a_7c15L;
    z = (z ^ (z >>> 33)) * 0xff51_afd7_ed55_8ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ce_b9fe_1a85_ec53L;
    return new SplittableRandom(z ^ (z >>> 33));
  }

  static void frameCase(int i, List<Sample> corpus, Stats stats) {
    SplittableRandom rng = caseRandom(0, i);
    Sample s = corpus.get(rng.nextInt(corpus.size()));
    StringBuilder log = new StringBuilder();
    byte[] f = Mutator.mutate(s, rng, log);
    Case c = new Case(i, s, f, log.toString(), rng);
    for (Map.Entry<String, Decoder> d : FRAME_DECODERS.entrySet()) {
      check(c, stats, d.getKey(), d.getValue(), f, 0, f.length);
    }
    flowHash(c, stats, f, 0, f.length);
    // Each layer's decoder where that layer sat in the valid frame (the mutation may have moved it).
    for (Shape.At at : s.shape().layers()) {
      if (at.offset() <= f.length) {
        check(c, stats, at.layer().name() + "@natural", at.layer().decoder, f, at.offset(), f.length - at.offset());
        if (at.layer() == Layer.ETHERNET && at.offset() > 0) {
          check(c, stats, "decapsulate@inner", FRAME_DECODERS.get("decapsulate"), f, at.offset(),
              f.length - at.offset());
          flowHash(c, stats, f, at.offset(), f.length - at.offset());
        }
        if (at.layer() == Layer.IPV4) {
          for (Map.Entry<String, Decoder> d : DATAGRAM_DECODERS.entrySet()) {
            check(c, stats, d.getKey(), d.getValue(), f, at.offset(), f.length - at.offset());
          }
        }
      }
    }
    // And a few decoders at a random place, facing whatever bytes are there.
    Layer[] all = Layer.values();
    for (int k = 0; k < 3; k++) {
      Layer l = all[rng.nextInt(all.length)];
      int off = rng.nextInt(f.length + 1);
      int len = rng.nextInt(f.length - off + 1);
      check(c, stats, l.name() + "@random", l.decoder, f, off, len);
    }
  }

  static void flowHash(Case c, Stats stats, byte[] f, int off, int len) {
    int a;
    int b;
    byte[] big = embed(f, off, len, c.rng());
    try {
      a = FlowHash.innerFrameHash(Arrays.copyOfRange(f, off, off + len), 0, len, 11);
      b = FlowHash.innerFrameHash(big, EMBED_AT, len, 11);
    } catch (Throwable e) {
      throw new AssertionError("FlowHash.innerFrameHash threw " + e + "; " + c.describe(), e);
    }
    if (a != b) {
      fail("FlowHash.innerFrameHash read outside its region: " + a + " exact, " + b + " embedded; " + c.describe());
    }
    stats.count("FlowHash", null);
  }

  /** Where the region starts inside the sentinel-filled array. */
  static final int EMBED_AT = 23;

  /** A sentinel-filled array with {@code [off, off+len)} of {@code f} copied to {@link #EMBED_AT}. */
  static byte[] embed(byte[] f, int off, int len, SplittableRandom rng) {
    byte[] big = new byte[EMBED_AT + len + 41];
    switch (rng.nextInt(4)) {
      case 0 -> Arrays.fill(big, (byte) 0xa5);
      case 1 -> Arrays.fill(big, (byte) 0xff);
      case 2 -> { } // zeros
      default -> {
        // The frame's own bytes, repeated: the most plausible continuation for an over-read.
        for (int i = 0; i < big.length && f.length > 0; i++) {
          big[i] = f[i % f.length];
        }
      }
    }
    System.arraycopy(f, off, big, EMBED_AT, len);
    return big;
  }

  /**
   * Runs the decoder on an exact-size copy of the region and on the region embedded in a
   * sentinel-filled array; both must give the same result or the same PacketException.
   */
  static void check(Case c, Stats stats, String name, Decoder d, byte[] f, int off, int len) {
    byte[] exact = Arrays.copyOfRange(f, off, off + len);
    byte[] big = embed(f, off, len, c.rng());
    Outcome a = run(c, name, d, exact, 0, len);
    Outcome b = run(c, name, d, big, EMBED_AT, len);
    if (!a.equals(b)) {
      fail(name + " at offset " + off + ", " + len + " bytes: exact-size copy gave " + a + " but embedded (at "
          + EMBED_AT + ") gave " + b + "; " + c.describe());
    }
    stats.count(name, a.reason());
  }

  /** A decode's result, or its failure with the offset made relative to the region's start. */
  record Outcome(Object value, List<Object> trail, String reason, int relativeOffset, String detail) {
    @Override
    public String toString() {
      return reason == null ? "result " + value + " " + trail
          : "PacketException " + reason + " at region offset " + relativeOffset + detail + " after " + trail;
    }
  }

  static Outcome run(Case c, String name, Decoder d, byte[] b, int off, int len) {
    List<Object> trail = new ArrayList<>();
    try {
      Object v = d.decode(b, off, len, trail);
      return new Outcome(v == trail ? null : v, trail, null, 0, null);
    } catch (PacketException e) {
      String prefix = e.layer() + " " + e.field() + " at offset " + e.offset() + ":";
      String m = e.getMessage();
      if (m == null || !m.startsWith(prefix) || !m.contains("expected ") || !m.contains(", found ")) {
        fail(name + ": message must say layer, field, offset, expected and found: " + m + "; " + c.describe());
      }
      if (e.offset() < off || e.offset() > off + len) {
        fail(name + ": offset " + e.offset() + " outside the region [" + off + ", " + (off + len) + "]: " + m + "; "
            + c.describe());
      }
      return new Outcome(null, trail, e.reason(), e.offset() - off, m.substring(prefix.length()));
    } catch (Throwable e) {
      throw new AssertionError(name + " threw " + e + " (only PacketException may escape); " + c.describe(), e);
    }
  }

  // ---------------------------------------------------------------- statistics

  static final class Stats {
    private final Map<String, LongAdder[]> byDecoder = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> reasons = new ConcurrentHashMap<>();

    void count(String decoder, String reason) {
      LongAdder[] n = byDecoder.get(decoder);
      if (n == null) {
        n = byDecoder.computeIfAbsent(decoder, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
      }
      n[reason == null ? 0 : 1].increment();
      if (reason != null) {
        LongAdder a = reasons.get(reason);
        if (a == null) {
          a = reasons.computeIfAbsent(reason, k -> new LongAdder());
        }
        a.increment();
      }
    }

    String report() {
      StringBuilder sb = new StringBuilder("decoder: decoded / rejected\n");
      new TreeMap<>(byDecoder).forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v[0].sum())
          .append(" / ").append(v[1].sum()).append('\n'));
      sb.append(reasons.size()).append(" distinct rejection reasons:\n");
      new TreeMap<>(reasons).forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v.sum()).append('\n'));
      return sb.toString();
    }

    /** The mutations must reach every decoder's both outcomes, or the run proves little. */
    void assertCoverage() {
      for (Map.Entry<String, LongAdder[]> e : byDecoder.entrySet()) {
        boolean neverFails = e.getKey().equals("FlowHash");
        assertTrue(e.getValue()[0].sum() > 0, e.getKey() + " never decoded anything");
        assertTrue(neverFails || e.getValue()[1].sum() > 0, e.getKey() + " never rejected anything");
      }
      for (String reason : List.of("Ethernet header", "ARP operation", "IPv4 IHL", "IPv4 total length",
          "IPv4 datagram", "IPv4 header checksum", "ICMP quoted IPv4 version/IHL", "UDP length", "UDP checksum",
          "TCP data offset", "TCP option length", "TCP SACK option length", "VXLAN flags", "Geneve version",
          "Geneve option length", "Geneve protocol type")) {
        assertTrue(reasons.containsKey(reason), "no frame was rejected for " + reason + ": " + reasons.keySet());
      }
      // Mutated tunnel frames must still get through to the inner frame often.
      long ok = byDecoder.get("decapsulate")[0].sum();
      assertTrue(ok > FRAMES / 100, "decapsulate rarely succeeds: " + ok);
    }
  }

  // ---------------------------------------------------------------- the corpus

  /** A valid frame, named for failure messages, with where its layers and fields lie. */
  record Sample(String name, byte[] frame, Shape shape) {}

  /**
   * Layer boundaries, length/offset/count fields and option areas of a valid frame, found by
   * walking it with the codecs (trusted on valid input; the unit tests prove them there).
   */
  record Shape(List<At> layers, List<Field> fields, List<Area> optionAreas) {
    record At(Layer layer, int offset) {}

    /**
     * {@code width} 1 or 2 bytes at {@code offset}, the bits of {@code mask}; for a length field,
     * {@code base} is where the length counts from (else -1).
     */
    record Field(String name, int offset, int width, int mask, int base) {}

    record Area(String name, int offset, int length) {}

    static Shape of(byte[] f) {
      Shape s = new Shape(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
      s.walk(f, 0, f.length, 0);
      return s;
    }

    private void field(String name, int offset, int width, int mask) {
      fields.add(new Field(name, offset, width, mask, -1));
    }

    private void walk(byte[] b, int off, int len, int depth) {
      int end = off + len;
      EthernetHeader eth = EthernetHeader.decode(b, off, len);
      layers.add(new At(Layer.ETHERNET, off));
      field("EtherType", off + 12, 2, 0xffff);
      if (eth.vlan() != null) {
        field("VLAN TCI", off + 14, 2, 0xffff);
        field("inner EtherType", off + 16, 2, 0xffff);
      }
      int p = off + eth.length();
      if (eth.etherType() == EtherType.ARP) {
        layers.add(new At(Layer.ARP, p));
        field("ARP htype", p, 2, 0xffff);
        field("ARP ptype", p + 2, 2, 0xffff);
        field("ARP hlen", p + 4, 1, 0xff);
        field("ARP plen", p + 5, 1, 0xff);
        field("ARP op", p + 6, 2, 0xffff);
        return;
      }
      if (eth.etherType() != EtherType.IPV4) {
        return;
      }
      Ipv4Header ip = Ipv4Header.decode(b, p, end - p);
      layers.add(new At(Layer.IPV4, p));
      ipv4Fields(b, p, ip);
      int t = p + ip.length();
      switch (ip.protocol()) {
        case IpProtocol.ICMP -> {
          layers.add(new At(Layer.ICMP, t));
          field("ICMP type", t, 1, 0xff);
          field("ICMP code", t + 1, 1, 0xff);
          IcmpMessage m = IcmpMessage.decode(b, t, ip.payloadLength());
          if (m.isError()) {
            layers.add(new At(Layer.IPV4_QUOTED, t + 8));
            ipv4Fields(b, t + 8, m.quotedHeader());
          }
        }
        case IpProtocol.TCP -> {
          TcpHeader h = TcpHeader.decode(b, t, ip.payloadLength());
          layers.add(new At(Layer.TCP, t));
          field("TCP data offset", t + 12, 1, 0xf0);
          if (h.length() > TcpHeader.MIN_LENGTH) {
            layers.add(new At(Layer.TCP_OPTIONS, t + 20));
            optionAreas.add(new Area("TCP options", t + 20, h.length() - 20));
            int q = t + 20;
            while (q < t + h.length()) {
              int kind = b[q] & 0xff;
              if (kind == 0) {
                break;
              }
              if (kind == 1) {
                q++;
                continue;
              }
              field("TCP option " + kind + " length", q + 1, 1, 0xff);
              q += b[q + 1] & 0xff;
            }
          }
        }
        case IpProtocol.UDP -> {
          UdpHeader u = UdpHeader.decode(b, t, ip.payloadLength());
          layers.add(new At(Layer.UDP, t));
          fields.add(new Field("UDP length", t + 4, 2, 0xffff, t));
          field("UDP destination port", t + 2, 2, 0xffff);
          TunnelKind k = TunnelKind.forPort(u.destinationPort());
          int h = t + 8;
          if (k == TunnelKind.VXLAN) {
            layers.add(new At(Layer.VXLAN, h));
            field("VXLAN flags", h, 1, 0xff);
            walk(b, h + 8, t + u.length() - h - 8, depth + 1);
          } else if (k == TunnelKind.GENEVE) {
            GeneveHeader g = GeneveHeader.decode(b, h, u.payloadLength());
            layers.add(new At(Layer.GENEVE, h));
            field("Geneve opt len", h, 1, 0x3f);
            field("Geneve version", h, 1, 0xc0);
            field("Geneve protocol type", h + 2, 2, 0xffff);
            if (!g.options().isEmpty()) {
              layers.add(new At(Layer.GENEVE_OPTIONS, h + 8));
              optionAreas.add(new Area("Geneve options", h + 8, g.optionsLength()));
              int q = h + 8;
              for (GeneveOption o : g.options()) {
                layers.add(new At(Layer.GENEVE_OPTION, q));
                field("Geneve option length", q + 3, 1, 0x1f);
                field("Geneve option type", q + 2, 1, 0xff);
                q += o.length();
              }
            }
            walk(b, h + g.length(), t + u.length() - h - g.length(), depth + 1);
          }
        }
        default -> { }
      }
    }

    private void ipv4Fields(byte[] b, int p, Ipv4Header ip) {
      field("IPv4 IHL", p, 1, 0x0f);
      field("IPv4 version", p, 1, 0xf0);
      fields.add(new Field("IPv4 total length", p + 2, 2, 0xffff, p));
      field("IPv4 fragment offset", p + 6, 2, 0x1fff);
      field("IPv4 MF", p + 6, 2, 0x2000);
      field("IPv4 protocol", p + 9, 1, 0xff);
      if (ip.length() > Ipv4Header.MIN_LENGTH) {
        optionAreas.add(new Area("IPv4 options", p + 20, ip.length() - 20));
        int q = p + 20;
        while (q < p + ip.length()) {
          int type = b[q] & 0xff;
          if (type == 0) {
            break;
          }
          if (type == 1) {
            q++;
            continue;
          }
          field("IPv4 option " + type + " length", q + 1, 1, 0xff);
          q += b[q + 1] & 0xff;
        }
      }
    }
  }

  static MacAddress mac(SplittableRandom r) {
    return new MacAddress(r.nextLong() & 0xfeff_ffff_ffffL); // unicast
  }

  static Ipv4Address ip(SplittableRandom r) {
    return new Ipv4Address(r.nextInt());
  }

  static byte[] data(SplittableRandom r, int max) {
    byte[] d = new byte[r.nextInt(max + 1)];
    r.nextBytes(d);
    return d;
  }

  static final byte[][] IPV4_OPTIONS = {
      {(byte) 0x94, 0x04, 0x00, 0x00},                                  // Router Alert
      {0x07, 0x07, 0x04, 0, 0, 0, 0, 0x00},                             // Record Route, 1 slot, EOL
      {0x01, 0x01, 0x01, 0x00},                                         // NOP NOP NOP EOL
      {0x44, 0x0c, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0},                 // Timestamp, 2 slots
      {(byte) 0x82, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00},             // Security, EOL
  };

  /** The valid frames mutation starts from: every kind the codecs speak. */
  static List<Sample> corpus(SplittableRandom r) {
    List<Sample> out = new ArrayList<>();
    while (out.size() < CORPUS_SIZE) {
      String[] name = new String[1];
      byte[] f = frame(r, 0, name);
      if (r.nextInt(8) == 0) {
        f = vlanTagged(f, r);
        name[0] = "802.1Q " + name[0];
      }
      out.add(new Sample(name[0], f, Shape.of(f)));
    }
    return out;
  }

  static byte[] vlanTagged(byte[] f, SplittableRandom r) {
    EthernetHeader e = EthernetHeader.decode(f, 0, f.length);
    EthernetHeader tagged = new EthernetHeader(e.destination(), e.source(),
        new EthernetHeader.VlanTag(r.nextInt(8), r.nextBoolean(), r.nextInt(4096)), e.etherType());
    return tagged.frame(f, EthernetHeader.LENGTH, f.length - EthernetHeader.LENGTH, false);
  }

  static byte[] frame(SplittableRandom r, int depth, String[] name) {
    MacAddress sm = mac(r);
    MacAddress dm = mac(r);
    Ipv4Address si = ip(r);
    Ipv4Address di = ip(r);
    int kind = r.nextInt(depth < 2 ? 13 : 9);
    switch (kind) {
      case 0 -> {
        name[0] = "ARP request";
        return ArpPacket.request(sm, si, di).toFrame();
      }
      case 1 -> {
        name[0] = "ARP reply";
        return ArpPacket.reply(sm, si, dm, di).toFrame();
      }
      case 2 -> {
        boolean req = r.nextBoolean();
        name[0] = "gratuitous ARP " + (req ? "request" : "reply");
        return (req ? ArpPacket.gratuitousRequest(sm, si) : ArpPacket.gratuitousReply(sm, si)).toFrame();
      }
      case 3 -> {
        boolean req = r.nextBoolean();
        name[0] = "ICMP echo " + (req ? "request" : "reply");
        return Packets.icmpEcho(sm, dm, si, di, req, r.nextInt(65536), r.nextInt(65536), data(r, 120),
            1 + r.nextInt(255), r.nextInt(65536));
      }
      case 4 -> {
        String[] quoted = new String[1];
        byte[] offending = frame(r, 2, quoted);
        while (EthernetHeader.decode(offending, 0, offending.length).etherType() != EtherType.IPV4) {
          offending = frame(r, 2, quoted);
        }
        int dgl = offending.length - EthernetHeader.LENGTH;
        IcmpMessage m = switch (r.nextInt(4)) {
          case 0 -> IcmpMessage.destinationUnreachable(IcmpMessage.CODE_PORT_UNREACHABLE, offending, 14, dgl);
          case 1 -> IcmpMessage.destinationUnreachable(IcmpMessage.CODE_HOST_UNREACHABLE, offending, 14, dgl);
          case 2 -> IcmpMessage.fragmentationNeeded(68 + r.nextInt(1500), offending, 14, dgl);
          default -> IcmpMessage.timeExceeded(IcmpMessage.CODE_TTL_EXCEEDED, offending, 14, dgl);
        };
        name[0] = "ICMP error " + m.type() + "/" + m.code() + " quoting " + quoted[0];
        return Packets.icmpError(sm, dm, si, m, 64, r.nextInt(65536));
      }
      case 5 -> {
        name[0] = "UDP";
        int dport = r.nextInt(4) == 0 ? 53 : r.nextInt(65536);
        if (TunnelKind.forPort(dport) != null) {
          dport = 53;
        }
        return Packets.udp(sm, dm, si, di, r.nextInt(65536), dport, data(r, 200), 64, r.nextInt(65536));
      }
      case 6 -> {
        name[0] = "TCP with options";
        List<TcpOption> opts = switch (r.nextInt(5)) {
          case 0 -> TcpHeader.linuxSynOptions(536 + r.nextInt(9000), r.nextLong() & 0xffff_ffffL,
              r.nextLong() & 0xffff_ffffL, r.nextInt(15));
          case 1 -> TcpHeader.linuxTimestampOptions(r.nextLong() & 0xffff_ffffL, r.nextLong() & 0xffff_ffffL);
          case 2 -> List.of(TcpOption.NOP, TcpOption.NOP, new TcpOption.Sack(List.of(
              new TcpOption.SackBlock(1000, 2000), new TcpOption.SackBlock(3000, 4000))));
          case 3 -> List.of(new TcpOption.Unknown(30, ByteString.copyFrom(data(r, 10))), TcpOption.EOL);
          default -> List.of();
        };
        TcpHeader.Builder h = TcpHeader.builder().sourcePort(r.nextInt(65536)).destinationPort(r.nextInt(65536))
            .sequenceNumber(r.nextLong() & 0xffff_ffffL).acknowledgmentNumber(r.nextLong() & 0xffff_ffffL)
            .flags(r.nextInt(0x200)).window(r.nextInt(65536)).options(opts);
        return Packets.tcp(sm, dm, si, di, h, data(r, 100), 64, r.nextInt(65536));
      }
      case 7 -> {
        // IPv4 with options, carrying an ICMP echo or a UDP datagram.
        byte[] opt = IPV4_OPTIONS[r.nextInt(IPV4_OPTIONS.length)];
        boolean icmp = r.nextBoolean();
        name[0] = "IPv4 with options (" + opt.length + " bytes) and " + (icmp ? "ICMP echo" : "UDP");
        byte[] payload;
        if (icmp) {
          payload = IcmpMessage.echoRequest(r.nextInt(65536), r.nextInt(65536), ByteString.copyFrom(data(r, 64)))
              .toBytes();
        } else {
          byte[] d = data(r, 64);
          payload = new byte[8 + d.length];
          System.arraycopy(d, 0, payload, 8, d.length);
          UdpHeader.writeWithChecksum(payload, 0, r.nextInt(65536), 53, d.length, si, di);
        }
        Ipv4Header h = Ipv4Header.builder().source(si).destination(di).protocol(icmp ? IpProtocol.ICMP : IpProtocol.UDP)
            .options(ByteString.copyFrom(opt)).payloadLength(payload.length).ttl(1 + r.nextInt(255))
            .identification(r.nextInt(65536)).build();
        return Packets.ipv4Frame(sm, dm, h, payload, 0, payload.length);
      }
      case 8 -> {
        name[0] = "non-IP (EtherType 0x86dd)";
        byte[] d = data(r, 80);
        return EthernetHeader.of(dm, sm, 0x86dd).frame(d, true);
      }
      default -> {
        // A tunnel around any frame (tunnels nest at most twice in the corpus).
        String[] innerName = new String[1];
        byte[] inner = frame(r, depth + 1, innerName);
        int ttl = 64;
        int id = r.nextInt(65536);
        int sport = r.nextInt(65536);
        int vni = r.nextInt(1 << 24);
        byte[] out;
        if (kind == 9 || kind == 10) {
          int port = kind == 9 ? TunnelKind.VXLAN_IANA_PORT : TunnelKind.VXLAN_LINUX_PORT;
          name[0] = "VXLAN/" + port + " around " + innerName[0];
          out = Encapsulation.vxlan(inner, 0, inner.length, sm, dm, si, di, ttl, id, sport, port, vni);
        } else {
          List<GeneveOption> opts = new ArrayList<>();
          if (kind == 12) {
            opts.add(new GeneveOption.ServiceChain(r.nextInt(1 << 24), r.nextInt(256)).toOption());
            int more = r.nextInt(3);
            for (int k = 0; k < more; k++) {
              int type = r.nextInt(256); // the high bit makes it critical
              opts.add(GeneveOption.of(r.nextInt(65536), type, ByteString.copyFrom(new byte[4 * r.nextInt(4)])));
            }
          }
          name[0] = "Geneve with " + opts.size() + " options around " + innerName[0];
          out = Encapsulation.geneve(inner, 0, inner.length, sm, dm, si, di, ttl, id, sport, TunnelKind.GENEVE_PORT,
              vni, opts);
        }
        if (r.nextInt(4) == 0) {
          Encapsulation.fillUdpChecksum(out);
          name[0] += " (UDP checksum)";
        }
        return out;
      }
    }
  }

  // ---------------------------------------------------------------- mutation

  static final class Mutator {
    private Mutator() {}

    static byte[] mutate(Sample s, SplittableRandom r, StringBuilder log) {
      byte[] f = s.frame().clone();
      int steps = 1 + r.nextInt(3);
      for (int k = 0; k < steps; k++) {
        f = step(s.shape(), f, r, log);
      }
      if (r.nextBoolean()) {
        fixOuterChecksums(f);
        log.append(" +checksums fixed");
      }
      return f;
    }

    private static byte[] step(Shape shape, byte[] f, SplittableRandom r, StringBuilder log) {
      switch (r.nextInt(10)) {
        case 0 -> {
          int n = 1 + r.nextInt(8);
          log.append(" flip ").append(n).append(" bits");
          for (int i = 0; i < n && f.length > 0; i++) {
            f[r.nextInt(f.length)] ^= (byte) (1 << r.nextInt(8));
          }
          return f;
        }
        case 1 -> {
          int n = 1 + r.nextInt(4);
          log.append(" ").append(n).append(" random bytes");
          for (int i = 0; i < n && f.length > 0; i++) {
            f[r.nextInt(f.length)] = (byte) r.nextInt(256);
          }
          return f;
        }
        case 2, 3, 4 -> {
          return edgeValue(shape, f, r, log);
        }
        case 5 -> {
          // Truncation at a layer boundary, or one byte either side of it.
          int at = shape.layers().isEmpty() ? 0 : shape.layers().get(r.nextInt(shape.layers().size())).offset();
          int cut = Math.max(0, Math.min(f.length, at + r.nextInt(3) - 1 + (r.nextInt(4) == 0 ? r.nextInt(24) : 0)));
          log.append(" truncate to ").append(cut);
          return Arrays.copyOf(f, cut);
        }
        case 6 -> {
          int n = r.nextInt(1000) == 0 ? 65_600 - f.length + r.nextInt(100) : 1 + r.nextInt(64);
          int fill = r.nextInt(3);
          log.append(" extend by ").append(n).append(fill == 0 ? " random" : fill == 1 ? " zero" : " 0xff")
              .append(" bytes");
          byte[] g = Arrays.copyOf(f, Math.max(f.length, f.length + n));
          for (int i = f.length; i < g.length; i++) {
            g[i] = fill == 0 ? (byte) r.nextInt(256) : fill == 1 ? 0 : (byte) 0xff;
          }
          return g;
        }
        case 7 -> {
          return repeatOptionBytes(shape, f, r, log);
        }
        case 8 -> {
          // Insert or delete bytes at a layer boundary: everything after it shifts.
          int at = shape.layers().isEmpty() ? 0 : shape.layers().get(r.nextInt(shape.layers().size())).offset();
          at = Math.min(at, f.length);
          int n = 1 + r.nextInt(8);
          if (r.nextBoolean()) {
            log.append(" insert ").append(n).append(" bytes at ").append(at);
            byte[] g = new byte[f.length + n];
            System.arraycopy(f, 0, g, 0, at);
            for (int i = at; i < at + n; i++) {
              g[i] = (byte) r.nextInt(256);
            }
            System.arraycopy(f, at, g, at + n, f.length - at);
            return g;
          }
          n = Math.min(n, f.length - at);
          log.append(" delete ").append(n).append(" bytes at ").append(at);
          byte[] g = new byte[f.length - n];
          System.arraycopy(f, 0, g, 0, at);
          System.arraycopy(f, at + n, g, at, f.length - at - n);
          return g;
        }
        default -> {
          int cut = r.nextInt(f.length + 1);
          log.append(" truncate to ").append(cut);
          return Arrays.copyOf(f, cut);
        }
      }
    }

    /** A length, offset or count field set to 0, 1, its maximum, or off by one. */
    private static byte[] edgeValue(Shape shape, byte[] f, SplittableRandom r, StringBuilder log) {
      if (shape.fields().isEmpty()) {
        return f;
      }
      Shape.Field fd = shape.fields().get(r.nextInt(shape.fields().size()));
      if (fd.offset() + fd.width() > f.length) {
        return f;
      }
      int raw = fd.width() == 1 ? Bytes.u8(f, fd.offset()) : Bytes.u16(f, fd.offset());
      int shift = Integer.numberOfTrailingZeros(fd.mask());
      int max = fd.mask() >>> shift;
      int cur = (raw & fd.mask()) >>> shift;
      int v = switch (r.nextInt(fd.base() >= 0 ? 9 : 7)) {
        case 0 -> 0;
        case 1 -> 1;
        case 2 -> max;
        case 3 -> max - 1;
        case 4 -> cur + 1;
        case 5 -> cur - 1;
        case 6 -> r.nextInt(max + 1);
        case 7 -> f.length - fd.base() + 1;  // what remains, off by one either way
        default -> f.length - fd.base() - 1;
      };
      v &= max;
      log.append(" ").append(fd.name()).append("@").append(fd.offset()).append(" ").append(cur).append("->").append(v);
      int nv = (raw & ~fd.mask()) | (v << shift);
      if (fd.width() == 1) {
        Bytes.put8(f, fd.offset(), nv);
      } else {
        Bytes.put16(f, fd.offset(), nv);
      }
      return f;
    }

    private static final int[] OPTION_BYTES = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0xff, 0x80};

    /** An option area (IPv4, TCP, Geneve) filled from some point with one repeated byte or option. */
    private static byte[] repeatOptionBytes(Shape shape, byte[] f, SplittableRandom r, StringBuilder log) {
      if (shape.optionAreas().isEmpty()) {
        return edgeValue(shape, f, r, log);
      }
      Shape.Area a = shape.optionAreas().get(r.nextInt(shape.optionAreas().size()));
      int from = a.offset() + r.nextInt(a.length());
      int to = Math.min(f.length, a.offset() + a.length());
      if (from >= to) {
        return f;
      }
      if (r.nextBoolean()) {
        int v = OPTION_BYTES[r.nextInt(OPTION_BYTES.length)];
        log.append(" ").append(a.name()).append(" from ").append(from).append(" filled with ").append(v);
        Arrays.fill(f, from, to, (byte) v);
      } else {
        // Repeat the area's first bytes (its first option, more or less) over the rest.
        int unit = 2 + r.nextInt(6);
        log.append(" ").append(a.name()).append(" first ").append(unit).append(" bytes repeated");
        for (int i = a.offset() + unit; i < to; i++) {
          f[i] = f[a.offset() + (i - a.offset()) % unit];
        }
      }
      return f;
    }

    /**
     * Recomputes the outermost IPv4 header checksum and (when non-zero) UDP checksum where the
     * mutated frame still lets them be found, so that mutations deeper in reach the decoders past
     * decapsulation's checksum checks.
     */
    static void fixOuterChecksums(byte[] f) {
      if (f.length < 14) {
        return;
      }
      int ip = 14;
      int type = Bytes.u16(f, 12);
      if (type == EtherType.VLAN && f.length >= 18) {
        type = Bytes.u16(f, 16);
        ip = 18;
      }
      if (type != EtherType.IPV4 || f.length < ip + 20) {
        return;
      }
      int hlen = (f[ip] & 0xf) * 4;
      if (hlen < 20 || ip + hlen > f.length) {
        return;
      }
      Bytes.put16(f, ip + 10, 0);
      Bytes.put16(f, ip + 10, Checksum.compute(f, ip, hlen));
      int u = ip + hlen;
      if ((f[ip + 9] & 0xff) != IpProtocol.UDP || u + 8 > f.length) {
        return;
      }
      int udpLen = Bytes.u16(f, u + 4);
      if (Bytes.u16(f, u + 6) == 0 || udpLen < 8 || u + udpLen > f.length) {
        return;
      }
      Bytes.put16(f, u + 6, 0);
      int c = Checksum.transport(Bytes.i32(f, ip + 12), Bytes.i32(f, ip + 16), IpProtocol.UDP, f, u, udpLen);
      Bytes.put16(f, u + 6, c == 0 ? 0xffff : c);
    }
  }

  // ---------------------------------------------------------------- pcap

  static void pcapCase(int i, List<Sample> corpus, AtomicLongArray counts) {
    SplittableRandom r = caseRandom(0x7063_6170L, i);
    boolean sll2 = r.nextBoolean();
    int n = r.nextInt(5);
    List<Integer> boundaries = new ArrayList<>();
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      PcapWriter w = sll2 ? PcapWriter.linuxSll2(bos) : PcapWriter.ethernet(bos);
      boundaries.add(bos.size());
      for (int k = 0; k < n; k++) {
        byte[] f = corpus.get(r.nextInt(corpus.size())).frame();
        long t = r.nextLong(0x1_0000_0000L * 1_000_000L);
        if (sll2) {
          w.writeSll2(t, 1 + r.nextInt(10), r.nextInt(5), f);
        } else {
          w.writeEthernet(t, f);
        }
        boundaries.add(bos.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] file = bos.toByteArray();
    StringBuilder log = new StringBuilder();
    int cut = -1;
    int records = n;
    switch (r.nextInt(8)) {
      case 0 -> {
        // Cut at a record boundary (a clean end) or one byte either side of it.
        int b = boundaries.get(r.nextInt(boundaries.size()));
        cut = Math.max(0, Math.min(file.length, b + r.nextInt(3) - 1));
        records = boundaries.indexOf(cut);
      }
      case 1 -> {
        cut = r.nextInt(file.length + 1);
        records = boundaries.indexOf(cut);
      }
      case 2, 3 -> {
        // A record's incl_len or orig_len (or a file header field) set to an edge value.
        int b = boundaries.get(r.nextInt(boundaries.size()));
        int at = b == 24 && r.nextInt(4) == 0 ? 16 + 4 * r.nextInt(2) : b + 8 + 4 * r.nextInt(2);
        if (at + 4 <= file.length) {
          int v = switch (r.nextInt(7)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> -1;
            case 3 -> Integer.MAX_VALUE;
            case 4 -> Integer.MIN_VALUE;
            case 5 -> PcapReader.MAX_RECORD_LENGTH + 1;
            default -> file.length - at + r.nextInt(3) - 1;
          };
          log.append(" le32@").append(at).append("=").append(v);
          for (int k = 0; k < 4; k++) {
            file[at + k] = (byte) (v >>> (8 * k));
          }
        }
      }
      case 4 -> {
        int flips = 1 + r.nextInt(8);
        log.append(" flip ").append(flips).append(" bits");
        for (int k = 0; k < flips; k++) {
          file[r.nextInt(file.length)] ^= (byte) (1 << r.nextInt(8));
        }
      }
      case 5 -> {
        int extra = 1 + r.nextInt(40);
        log.append(" extend by ").append(extra);
        byte[] g = Arrays.copyOf(file, file.length + extra);
        for (int k = file.length; k < g.length; k++) {
          g[k] = (byte) r.nextInt(256);
        }
        file = g;
      }
      case 6 -> {
        // The other byte order's magic, or a nanosecond magic, or junk.
        int v = switch (r.nextInt(3)) {
          case 0 -> Integer.reverseBytes(PcapWriter.MAGIC_MICROS);
          case 1 -> PcapWriter.MAGIC_NANOS;
          default -> r.nextInt();
        };
        log.append(" magic=").append(Integer.toHexString(v));
        for (int k = 0; k < 4; k++) {
          file[k] = (byte) (v >>> (8 * k));
        }
      }
      default -> { } // unmutated
    }
    if (cut >= 0) {
      log.append(" cut at ").append(cut);
      file = Arrays.copyOf(file, cut);
    }
    String describe = "seed 0x" + Long.toHexString(SEED) + ", pcap case " + i + " (replay: -Dpodnet.fuzz.seed=" + SEED
        + " -Dpodnet.fuzz.case=" + i + "); " + (sll2 ? "SLL2" : "Ethernet") + " capture of " + n + " records;"
        + log + "; file [" + Bytes.hex(file, 0, Math.min(file.length, 4096)) + "]";
    int read = 0;
    try (PcapReader in = new PcapReader(new ByteArrayInputStream(file))) {
      for (PcapReader.Record rec = in.next(); rec != null; rec = in.next()) {
        read++;
        counts.incrementAndGet(0);
        byte[] d = rec.data();
        try {
          if (in.linkType() == PcapWriter.LINKTYPE_LINUX_SLL2) {
            rec.sll2();
          } else if (in.linkType() == PcapWriter.LINKTYPE_ETHERNET) {
            dissect(d, 0, d.length, 0, new ArrayList<>());
          }
        } catch (PacketException e) {
          // a malformed record is a reason, not a failure
        }
      }
      counts.incrementAndGet(2);
    } catch (PacketException e) {
      counts.incrementAndGet(1);
      if (!e.getMessage().startsWith(PcapReader.LAYER + " ") || e.offset() < 0 || e.offset() > file.length) {
        fail("PcapReader: message must name layer pcap and an offset in the file: " + e.getMessage() + "; " + describe);
      }
      if (cut >= 0 && records >= 0) {
        fail("a capture cut at a record boundary must read cleanly: " + e.getMessage() + "; " + describe);
      }
      return;
    } catch (Throwable e) {
      throw new AssertionError("PcapReader threw " + e + " (only PacketException may escape); " + describe, e);
    }
    if (cut >= 0) {
      if (records >= 0) {
        counts.incrementAndGet(3);
        assertEquals(records, read, "records before the cut; " + describe);
      } else if (cut >= PcapWriter.FILE_HEADER_LENGTH) {
        fail("a capture cut inside a record must be rejected, but " + read + " records were read; " + describe);
      }
    }
  }
}
