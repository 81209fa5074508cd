package io.podnet.node.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CobraTest {
  @Test
  void suggestionsByDistanceOrPrefixIgnoringCase() {
    assertEquals(0, Cobra.levenshtein("status", "status"));
    assertEquals(1, Cobra.levenshtein("stats", "status"));
    assertEquals(2, Cobra.levenshtein("upgarde", "upgrade"));
    assertEquals(3, Cobra.levenshtein("kitten", "sitting"));
    List<String> cmds = List.of("config", "connectivity", "status", "sysdump");
    assertEquals(List.of("config", "connectivity"), Cobra.suggestions("con", cmds));
    assertEquals(List.of("status"), Cobra.suggestions("STATU", cmds));
    assertEquals(List.of(), Cobra.suggestions("xyzzy", cmds));
  }

  @Test
  void flagErrorsAsPflagWordsThem() {
    assertEquals("unknown flag: --bogus", Cobra.unknownFlag("--bogus=3"));
    assertEquals("unknown shorthand flag: 'q' in -qx", Cobra.unknownFlag("-qx"));
  }
}
