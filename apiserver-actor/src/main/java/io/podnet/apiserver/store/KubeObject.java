package io.podnet.apiserver.store;

import com.google.protobuf.Struct;
import java.util.Objects;

/**
 * An API object: type meta, object meta, and spec and status as protobuf {@link Struct}s so that
 * they print as Kubernetes JSON through protobuf's JsonFormat. An empty Struct means the field is
 * absent.
 */
public record KubeObject(String apiVersion, String kind, ObjectMeta metadata, Struct spec, Struct status) {

  public KubeObject {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(status, "status");
  }

  /** A new object of {@code type} as a client would send it. */
  public static KubeObject of(ResourceType type, ObjectMeta metadata, Struct spec) {
    return new KubeObject(
        type.apiVersion(), type.kind(), metadata, spec, Struct.getDefaultInstance());
  }

  public KubeObject withMetadata(ObjectMeta m) {
    return new KubeObject(apiVersion, kind, m, spec, status);
  }

  public KubeObject withSpec(Struct s) {
    return new KubeObject(apiVersion, kind, metadata, s, status);
  }

  public KubeObject withStatus(Struct s) {
    return new KubeObject(apiVersion, kind, metadata, spec, s);
  }

  /** The resourceVersion as a number; the store writes only decimal values. */
  public long resourceVersionNumber() {
    return Long.parseLong(metadata.resourceVersion());
  }
}
