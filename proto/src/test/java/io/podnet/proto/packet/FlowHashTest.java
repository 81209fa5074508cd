package io.podnet.proto.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Expected values come from the kernel's include/linux/jhash.h and udp_flow_src_port formula
 * compiled with gcc on x86-64 (a C transcription, run once; the numbers are pasted here).
 */
class FlowHashTest {
  @Test
  void jhash3wordsMatchesKernel() {
    assertEquals(0x1b68e557, FlowHash.jhash3words(0, 0, 0, 0));
    assertEquals(0xf9893739, FlowHash.jhash3words(0xac140236, 0xac1400a3, 0, 0x12345678));
    assertEquals(0xba720bed, FlowHash.jhash3words(0xc0a81464, 0xc0a80a64, 0x8e940050, 0xdeadbeef));
  }

  @Test
  void jhashMatchesKernelAtEveryTailLength() {
    int[] expected = {0xdeadd123, 0x3d43e2a0, 0xe4bbe197, 0xb833f97a, 0x3357e2af, 0xb3438d32, 0x6e3fcab4,
        0x38209f29, 0x5403514c, 0xd0bb61b0, 0x2a882c55, 0x2ff0add7, 0xd5d35e55, 0x9c6d65ef, 0x789fd8ba,
        0x37940aa1, 0x83c1e349, 0x953f2644, 0xef68d707, 0xf2de59fd, 0x29fce7f1, 0x6098d4b5, 0xa9455c46,
        0x2107a2c1, 0x51d740cd, 0x8c7dd1e0, 0x2c23f108, 0xe9b87a51, 0x6cea7aa2, 0xf43263ba};
    byte[] data = new byte[29 + 3];
    for (int i = 0; i < 29; i++) {
      data[3 + i] = (byte) (i * 7 + 1);
    }
    for (int n = 0; n <= 29; n++) {
      assertEquals(expected[n], FlowHash.jhash(data, 3, n, 0x1234), "length " + n);
    }
  }

  @Test
  void sourcePortFormulaMatchesKernel() {
    assertEquals(58303, FlowHash.udpFlowSourcePort(0x9e3779b9, 0, 0));
    assertEquals(58303, FlowHash.udpFlowSourcePort(0x9e3779b9, FlowHash.LOCAL_PORT_MIN, FlowHash.LOCAL_PORT_MAX));
    assertEquals(59277, FlowHash.udpFlowSourcePort(0x9e3779b9, 1, 65535));
    assertEquals(32768, FlowHash.udpFlowSourcePort(0xffffffff, 0, 0));
    assertEquals(65534, FlowHash.udpFlowSourcePort(0xffff0000, 1, 65535));
    assertEquals(32768, FlowHash.udpFlowSourcePort(1, 0, 0));
  }

  @Test
  void portsStayInRange() {
    int h = 0x12345;
    for (int i = 0; i < 100_000; i++) {
      h = h * 1103515245 + 12345;
      int p = FlowHash.udpFlowSourcePort(h, 0, 0);
      assertTrue(p >= 32768 && p < 60999, "port " + p);
      int g = FlowHash.udpFlowSourcePort(h, FlowHash.GENEVE_PORT_MIN, FlowHash.GENEVE_PORT_MAX);
      assertTrue(g >= 1 && g < 65535, "port " + g);
    }
  }

  @Test
  void flowHashIsOldKernelFlowHash3Words() {
    int a = Ipv4Address.parse("172.20.0.163").value();
    int b = Ipv4Address.parse("172.20.2.54").value();
    // canonical order: the larger address is "dst"
    assertEquals(FlowHash.jhash3words(b, a, 0, 7), FlowHash.flowHash(a, b, 0, 0, 7));
    assertEquals(FlowHash.flowHash(a, b, 0, 0, 7), FlowHash.flowHash(b, a, 0, 0, 7));
    assertEquals(FlowHash.jhash3words(b, a, 36548 << 16 | 80, 7), FlowHash.flowHash(a, b, 36548, 80, 7));
    assertEquals(FlowHash.flowHash(a, b, 36548, 80, 7), FlowHash.flowHash(b, a, 80, 36548, 7));
    // equal addresses: the smaller port first
    assertEquals(FlowHash.jhash3words(a, a, 80 << 16 | 36548, 7), FlowHash.flowHash(a, a, 36548, 80, 7));
    assertNotEquals(FlowHash.flowHash(a, b, 36548, 80, 7), FlowHash.flowHash(a, b, 36549, 80, 7));
    assertNotEquals(FlowHash.flowHash(a, b, 0, 0, 7), FlowHash.flowHash(a, b, 0, 0, 8));
  }

  @Test
  void innerFrameHashDissectsIpv4() {
    byte[] ping = TestFrames.labPing();
    int a = Ipv4Address.parse("172.20.0.163").value();
    int b = Ipv4Address.parse("172.20.2.54").value();
    // ICMP: no ports
    assertEquals(FlowHash.flowHash(a, b, 0, 0, 99), FlowHash.innerFrameHash(ping, 0, ping.length, 99));
    // TCP: ports from the L4 header
    byte[] tcp = ping.clone();
    tcp[14 + 9] = (byte) IpProtocol.TCP;
    Bytes.put16(tcp, 34, 36548);
    Bytes.put16(tcp, 36, 80);
    assertEquals(FlowHash.flowHash(a, b, 36548, 80, 99), FlowHash.innerFrameHash(tcp, 0, tcp.length, 99));
    // A fragment: no ports
    Bytes.put16(tcp, 14 + 6, 0x2000);
    assertEquals(FlowHash.flowHash(a, b, 0, 0, 99), FlowHash.innerFrameHash(tcp, 0, tcp.length, 99));
    // The reply direction gets the same hash, hence the same port
    byte[] reply = TestFrames.icmpEcho(MacAddress.parse("9a:8b:7c:6d:5e:4f"), MacAddress.parse("1a:2b:3c:4d:5e:6f"),
        new Ipv4Address(b), new Ipv4Address(a), TestFrames.ICMP_ECHO_REPLY, 1, 37, 1);
    assertEquals(FlowHash.geneveSourcePort(ping, 0, ping.length, 5), FlowHash.geneveSourcePort(reply, 0, 98, 5));
    assertEquals(FlowHash.udpFlowSourcePort(FlowHash.flowHash(a, b, 0, 0, 5), 0, 0),
        FlowHash.vxlanSourcePort(ping, 0, ping.length, 5));
  }

  @Test
  void nonIpFramesUseTheMacFallback() {
    byte[] arp = CodecAssertions.bytes(
        0x08, 0x00, 0x27, 0x04, 0xd1, 0x9c, // destination
        0x08, 0x00, 0x27, 0x0f, 0xbd, 0xdd, // source
        0x08, 0x06,                         // EtherType ARP
        0x00, 0x01);                        // (the rest does not matter)
    // gcc: jhash(macs, 12, 0x0806) = 0x3727978e
    assertEquals(0x3727978e, FlowHash.innerFrameHash(arp, 0, arp.length, 1234));
  }

  @Test
  void shortOrOddFramesNeverThrow() {
    byte[] ping = TestFrames.labPing();
    for (int n = 0; n <= ping.length; n++) {
      FlowHash.innerFrameHash(ping, 0, n, 1);
    }
    byte[] badIhl = ping.clone();
    badIhl[14] = 0x4f; // IHL 15: 60 bytes, runs past a short frame
    badIhl[14 + 9] = (byte) IpProtocol.UDP;
    for (int n = 0; n <= 80; n++) {
      FlowHash.innerFrameHash(badIhl, 0, n, 1);
    }
  }
}
