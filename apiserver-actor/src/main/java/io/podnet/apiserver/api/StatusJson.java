package io.podnet.apiserver.api;

import com.google.protobuf.Struct;
import io.podnet.apiserver.store.Status;

/**
 * metav1.Status as kube-apiserver writes it: the body of every failed request, and of the few
 * successful ones that have no object to return.
 *
 * <p>The HTTP front's error bodies and the gateway's answers both come from here.
 */
public final class StatusJson {
  private StatusJson() {}

  /** A failure: kind Status, status "Failure", message, reason, code and the non-empty details. */
  public static Struct failure(Status s) {
    Struct.Builder b = Json.obj("kind", "Status", "apiVersion", "v1", "metadata", Struct.getDefaultInstance(),
        "status", "Failure", "message", s.message(), "reason", s.reason(), "code", s.code()).toBuilder();
    Status.Details d = s.details();
    if (!d.equals(Status.Details.NONE)) {
      Struct.Builder details = Struct.newBuilder();
      if (!d.name().isEmpty()) {
        details.putFields("name", Json.of(d.name()));
      }
      if (!d.group().isEmpty()) {
        details.putFields("group", Json.of(d.group()));
      }
      if (!d.kind().isEmpty()) {
        details.putFields("kind", Json.of(d.kind()));
      }
      b.putFields("details", Json.of(details.build()));
    }
    return b.build();
  }

  /** A success without an object: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}. */
  public static Struct success() {
    return Json.obj("kind", "Status", "apiVersion", "v1", "metadata", Struct.getDefaultInstance(),
        "status", "Success");
  }
}
