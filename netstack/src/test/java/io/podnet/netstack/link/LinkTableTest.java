package io.podnet.netstack.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.podnet.proto.packet.MacAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Look-ups by name (remembered between changes) see every add, update and remove at once. */
class LinkTableTest {
  static Link link(LinkTable t, String name) {
    return new Link(t.nextIndex(), name, LinkKind.VETH, MacAddress.parse("02:00:00:00:00:" + (10 + t.nextIndex())),
        1500, false, false, 1000, "noqueue", null, List.of(), List.of());
  }

  static String nameOf(Optional<Link> l) {
    return l.map(Link::name).orElse("-");
  }

  @Test
  void byNameFollowsAddUpdateAndRemove() {
    LinkTable t = new LinkTable();
    Link a = t.add(link(t, "lxc1"));
    assertEquals("-", nameOf(t.byName("lxc2")), "asked before it exists");
    Link b = t.add(link(t, "lxc2"));
    assertEquals("lxc1", nameOf(t.byName("lxc1")));
    assertEquals("lxc2", nameOf(t.byName("lxc2")), "the earlier miss is not remembered past the add");
    // An alternative name, then the link's MTU changes: still found, with the new MTU.
    t.update(a.withAltNames(List.of("enp0s9")));
    assertEquals("lxc1", nameOf(t.byName("enp0s9")));
    t.update(t.byName("lxc1").orElseThrow().withMtu(1450));
    assertEquals(1450, t.byName("enp0s9").orElseThrow().mtu());
    t.remove(b.index());
    assertEquals("-", nameOf(t.byName("lxc2")));
    assertThrows(IllegalArgumentException.class, () -> t.add(link(t, "lxc1")), "the name is still in use");
    // The removed name is free again; the new device gets a new index.
    Link c = t.add(link(t, "lxc2"));
    assertEquals(c.index(), t.byName("lxc2").orElseThrow().index());
    assertEquals(3, c.index());
  }

  @Test
  void theFirstLinkInIndexOrderWinsBetweenANameAndAnAltName() {
    LinkTable t = new LinkTable();
    Link a = t.add(link(t, "eth0"));
    t.add(link(t, "eth1"));
    assertEquals("eth1", nameOf(t.byName("eth1")));
    t.update(a.withAltNames(List.of("eth1")));
    assertEquals("eth0", nameOf(t.byName("eth1")));
  }

  @Test
  void manyDistinctMissesStayCorrect() {
    LinkTable t = new LinkTable();
    t.add(link(t, "lo"));
    for (int i = 0; i < 3000; i++) {
      assertEquals("-", nameOf(t.byName("x" + i)));
    }
    assertEquals("lo", nameOf(t.byName("lo")));
  }
}
