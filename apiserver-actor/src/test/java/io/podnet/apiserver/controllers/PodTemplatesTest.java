package io.podnet.apiserver.controllers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.Struct;
import io.podnet.apiserver.api.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The pod-template-hash: FNV-1a 32 and SafeEncodeString exactly as Go computes them (the expected
 * values were computed independently, in Python), over podnet's canonical form of the template.
 */
class PodTemplatesTest {

  static int fnv(String s) {
    return PodTemplates.fnv32a(PodTemplates.FNV32_OFFSET, s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void fnv32aMatchesTheReferenceVectors() {
    assertEquals(0x811c9dc5, fnv(""));
    assertEquals(0xe40c292c, fnv("a"));
    assertEquals(0xbf9cf968, fnv("foobar"));
  }

  static Struct template(String json) throws Exception {
    return Json.parseObject(json);
  }

  static final String WEBPOD = """
      {"metadata": {"creationTimestamp": null, "labels": {"app": "webpod"}},
       "spec": {"containers": [{"name": "webpod", "image": "traefik/whoami", "resources": {},
                                "ports": [{"containerPort": 80}]}]}}""";

  @Test
  void theHashIsFnvOfTheCanonicalTemplateRenderedWithTheSafeAlphabet() throws Exception {
    assertEquals("{\"metadata\":{\"labels\":{\"app\":\"webpod\"}},\"spec\":{\"containers\":[{\"image\":\"traefik/whoami\","
        + "\"name\":\"webpod\",\"ports\":[{\"containerPort\":80}]}]}}", PodTemplates.canonical(template(WEBPOD)));
    // FNV-1a 32 of that text is 3383720915; SafeEncodeString("3383720915").
    assertEquals("77d7c64f59", PodTemplates.computeHash(template(WEBPOD), null));
  }

  @Test
  void theCollisionCountIsHashedAsEightLittleEndianBytes() throws Exception {
    assertEquals("6fb596794c", PodTemplates.computeHash(template(WEBPOD), 0L));
    assertEquals("57f8db54c8", PodTemplates.computeHash(template(WEBPOD), 1L));
    assertEquals("85675b9f7c", PodTemplates.computeHash(template(WEBPOD), 2L));
  }

  @Test
  void theSameTemplateHashesAlikeWhateverTheClientSentAndAnyChangeMakesANewHash() throws Exception {
    String minimal = """
        {"spec": {"containers": [{"ports": [{"containerPort": 80}], "image": "traefik/whoami", "name": "webpod"}]},
         "metadata": {"labels": {"app": "webpod"}}}""";
    assertEquals(PodTemplates.computeHash(template(WEBPOD), null), PodTemplates.computeHash(template(minimal), null));
    // kubectl rollout restart sets an annotation on the template: a new hash, so a new ReplicaSet.
    Struct restarted = Json.parseObject("""
        {"metadata": {"labels": {"app": "webpod"},
                      "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-08-09T12:35:25Z"}},
         "spec": {"containers": [{"name": "webpod", "image": "traefik/whoami", "ports": [{"containerPort": 80}]}]}}""");
    assertEquals("654c8c55f7", PodTemplates.computeHash(restarted, null));
    // An empty list is not an absent one (Go's nil slice and empty slice differ).
    assertNotEquals(PodTemplates.computeHash(template(minimal), null), PodTemplates.computeHash(
        template(minimal.replace("\"name\": \"webpod\"", "\"name\": \"webpod\", \"args\": []")), null));
  }
}
