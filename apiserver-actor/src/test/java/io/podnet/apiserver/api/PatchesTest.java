package io.podnet.apiserver.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.ApiException;
import org.junit.jupiter.api.Test;

class PatchesTest {
  static Struct j(String json) throws Exception {
    return Json.parseObject(json);
  }

  static String merge(String target, String patch) throws Exception {
    return Json.print(Patches.mergePatch(j(target), j(patch)));
  }

  static String smp(String kind, String target, String patch) throws Exception {
    return Json.print(Patches.strategicMergePatch(kind, j(target), j(patch)));
  }

  @Test
  void rfc7386Examples() throws Exception {
    assertEquals("{\"a\":\"z\",\"c\":{\"d\":\"e\"}}",
        merge("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"}}", "{\"a\":\"z\",\"c\":{\"f\":null}}"));
    assertEquals("{\"a\":[1]}", merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}"));
    assertEquals("{\"a\":{\"bb\":{}}}", merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}"));
    assertEquals("{\"a\":\"foo\"}", merge("{\"a\":\"foo\",\"b\":\"x\"}", "{\"b\":null}"));
  }

  @Test
  void containersMergeByNameAndPortsByContainerPort() throws Exception {
    String pod = "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x:1\",\"ports\":[{\"containerPort\":80}]},"
        + "{\"name\":\"b\",\"image\":\"y:1\"}]}}";
    assertEquals("{\"spec\":{\"containers\":[{\"image\":\"x:1\",\"name\":\"a\",\"ports\":[{\"containerPort\":80,"
        + "\"name\":\"http\"},{\"containerPort\":443}]},{\"image\":\"y:2\",\"name\":\"b\"}]}}",
        smp("Pod", pod, "{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y:2\"},{\"name\":\"a\",\"ports\":"
            + "[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":443}]}]}}"));
    // the same under a workload's pod template, with an element deleted
    String deploy = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}}}";
    assertEquals("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\"}]}}}}",
        smp("Deployment", deploy,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}}}"));
  }

  @Test
  void servicePortsMergeByPortAndSetElementOrderIsHonouredThenDropped() throws Exception {
    String svc = "{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\"},{\"port\":443,\"protocol\":\"TCP\"}]}}";
    assertEquals("{\"spec\":{\"ports\":[{\"port\":443,\"protocol\":\"TCP\"},{\"name\":\"web\",\"port\":80,"
        + "\"protocol\":\"TCP\"}]}}",
        smp("Service", svc, "{\"spec\":{\"$setElementOrder/ports\":[{\"port\":443},{\"port\":80}],"
            + "\"ports\":[{\"port\":80,\"name\":\"web\"}]}}"));
  }

  @Test
  void listsWithoutMergeKeyAreReplacedAndDirectivesWork() throws Exception {
    assertEquals("{\"spec\":{\"args\":[\"c\"]}}", smp("Pod", "{\"spec\":{\"args\":[\"a\",\"b\"]}}",
        "{\"spec\":{\"args\":[\"c\"]}}"));
    assertEquals("{\"spec\":{\"selector\":{\"x\":\"1\"}}}", smp("Service", "{\"spec\":{\"selector\":{\"app\":\"w\"}}}",
        "{\"spec\":{\"selector\":{\"$patch\":\"replace\",\"x\":\"1\"}}}"));
    assertEquals("{\"f\":[\"a\"]}", smp("Pod", "{\"f\":[\"a\",\"b\"]}", "{\"$deleteFromPrimitiveList/f\":[\"b\"]}"));
    assertEquals("{\"spec\":{\"type\":\"LoadBalancer\"}}", smp("Service", "{\"spec\":{\"type\":\"ClusterIP\"}}",
        "{\"spec\":{\"type\":\"LoadBalancer\"}}"));
    ApiException e = assertThrows(ApiException.class, () -> smp("Pod", "{\"spec\":{\"containers\":[]}}",
        "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}"));
    assertEquals(400, e.status().code());
    assertEquals("map: {\"image\":\"x\"} does not contain declared merge key: name", e.status().message());
  }
}
