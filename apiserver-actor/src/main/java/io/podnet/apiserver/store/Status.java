package io.podnet.apiserver.store;

import java.util.Objects;

/**
 * A failed request, mirroring metav1.Status as the API server returns it ({@code "status":
 * "Failure"}), with the reasons and messages Kubernetes uses.
 *
 * @param code    the HTTP status code
 * @param reason  the metav1.StatusReason, e.g. "Conflict"
 * @param message the human-readable message, exactly as Kubernetes words it
 * @param details name, group and kind of the object concerned
 */
public record Status(int code, String reason, String message, Details details) {

  /**
   * metav1.StatusDetails. Kubernetes fills {@code kind} with the plural resource ("leases") for
   * NotFound, AlreadyExists and Conflict, and with the kind ("Lease") for Invalid.
   */
  public record Details(String name, String group, String kind) {
    public static final Details NONE = new Details("", "", "");

    public Details {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(kind, "kind");
    }
  }

  public Status {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(details, "details");
  }

  /** Always "Failure": successes are not reported as a Status by this store. */
  public String status() {
    return "Failure";
  }

  private static Details resourceDetails(ResourceType type, String name) {
    return new Details(name, type.group(), type.resource());
  }

  public static Status notFound(ResourceType type, String name) {
    return new Status(
        404,
        "NotFound",
        type.qualifiedResource() + " \"" + name + "\" not found",
        resourceDetails(type, name));
  }

  public static Status alreadyExists(ResourceType type, String name) {
    return new Status(
        409,
        "AlreadyExists",
        type.qualifiedResource() + " \"" + name + "\" already exists",
        resourceDetails(type, name));
  }

  /** A write whose resourceVersion is not the stored one. */
  public static Status conflict(ResourceType type, String name) {
    return conflict(
        type,
        name,
        "the object has been modified; please apply your changes to the latest version and try again");
  }

  /** errors.NewConflict: "Operation cannot be fulfilled on RESOURCE \"NAME\": CAUSE". */
  public static Status conflict(ResourceType type, String name, String cause) {
    return new Status(
        409,
        "Conflict",
        "Operation cannot be fulfilled on " + type.qualifiedResource() + " \"" + name + "\": " + cause,
        resourceDetails(type, name));
  }

  /** errors.NewInvalid with one field error: "KIND \"NAME\" is invalid: FIELD: DETAIL". */
  public static Status invalid(ResourceType type, String name, String fieldError) {
    return new Status(
        422,
        "Invalid",
        type.qualifiedKind() + " \"" + name + "\" is invalid: " + fieldError,
        new Details(name, type.group(), type.kind()));
  }

  /** errors.NewResourceExpired: code 410, reason "Expired" (metav1.StatusReasonExpired). */
  public static Status expired(String message) {
    return new Status(410, "Expired", message, Details.NONE);
  }

  public static Status badRequest(String message) {
    return new Status(400, "BadRequest", message, Details.NONE);
  }

  /** What the watch cache answers for a resourceVersion newer than any it has seen. */
  public static Status tooLargeResourceVersion(long requested, long current) {
    return new Status(
        504,
        "Timeout",
        "Too large resource version: " + requested + ", current: " + current,
        Details.NONE);
  }
}
