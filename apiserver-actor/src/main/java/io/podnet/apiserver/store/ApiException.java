package io.podnet.apiserver.store;

/** A request the store refused; {@link #status()} is what the API server answers. */
public final class ApiException extends RuntimeException {
  private final Status status;

  public ApiException(Status status) {
    super(status.code() + " " + status.reason() + ": " + status.message(), null, false, false);
    this.status = status;
  }

  public Status status() {
    return status;
  }
}
