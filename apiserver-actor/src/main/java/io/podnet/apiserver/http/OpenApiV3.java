package io.podnet.apiserver.http;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.api.ApiResource;
import io.podnet.apiserver.api.ApiResources;
import io.podnet.apiserver.api.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAPI v3 documents kubectl reads before it writes: /openapi/v3 (one entry per group version
 * with a content hash) and /openapi/v3/{api/v1|apis/G/V}. They describe the write operations of
 * every resource, each tagged with {@code x-kubernetes-group-version-kind} and declaring the
 * {@code fieldValidation} query parameter, which is how kubectl decides that validation happens on
 * the server (so it needs no client-side schema).
 *
 * <p>The server checks fields itself ({@link io.podnet.apiserver.api.FieldValidation}, against the
 * typed schemas of podnet's proto module). Gap: no component schemas are published here, so
 * {@code kubectl explain} has nothing to show.
 */
final class OpenApiV3 {
  private final Map<String, String> docs = new LinkedHashMap<>();
  private final Map<String, String> hashes = new LinkedHashMap<>();

  OpenApiV3(ApiResources resources) {
    for (String gv : resources.groupVersions()) {
      String doc = Json.print(document(gv, resources.resources(gv)));
      String key = gv.contains("/") ? "apis/" + gv : "api/" + gv;
      docs.put(key, doc);
      hashes.put(key, sha512(doc));
    }
  }

  /** The root listing: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=..."}}}. */
  Struct root() {
    Struct.Builder paths = Struct.newBuilder();
    for (Map.Entry<String, String> e : hashes.entrySet()) {
      paths.putFields(e.getKey(), Json.of(Json.obj("serverRelativeURL", "/openapi/v3/" + e.getKey() + "?hash="
          + e.getValue())));
    }
    return Json.obj("paths", paths.build());
  }

  /** The document of "api/v1" or "apis/G/V", or null. */
  String document(String key) {
    return docs.get(key);
  }

  private static Struct document(String gv, List<ApiResource> resources) {
    String prefix = gv.contains("/") ? "/apis/" + gv : "/api/" + gv;
    Struct.Builder paths = Struct.newBuilder();
    for (ApiResource r : resources) {
      Struct gvk = Json.obj("group", r.type().group(), "version", r.type().version(), "kind", r.type().kind());
      String base = r.type().namespaced() ? prefix + "/namespaces/{namespace}/" + r.resource() : prefix + "/" + r.resource();
      paths.putFields(base, Json.of(Json.obj("post", operation("create", r, gvk))));
      paths.putFields(base + "/{name}", Json.of(Json.obj(
          "put", operation("replace", r, gvk),
          "patch", operation("patch", r, gvk))));
    }
    return Json.obj("openapi", "3.0.0",
        "info", Json.obj("title", "Kubernetes", "version", ApiHttpServer.GIT_VERSION),
        "paths", paths.build());
  }

  private static Struct operation(String verb, ApiResource r, Struct gvk) {
    List<Value> params = List.of(
        query("dryRun"), query("fieldManager"), query("fieldValidation"));
    return Json.obj("operationId", verb + r.type().kind(),
        "x-kubernetes-action", verb.equals("create") ? "post" : verb.equals("replace") ? "put" : "patch",
        "x-kubernetes-group-version-kind", gvk,
        "parameters", Json.list(params),
        "responses", Json.obj("200", Json.obj("description", "OK")));
  }

  private static Value query(String name) {
    return Json.of(Json.obj("name", name, "in", "query", "schema", Json.obj("type", "string", "uniqueItems", true)));
  }

  private static String sha512(String s) {
    try {
      return HexFormat.of().withUpperCase().formatHex(
          MessageDigest.getInstance("SHA-512").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
