package io.podnet.apiserver.store;

import com.google.protobuf.Struct;
import java.util.Objects;

/**
 * An API object: type meta, object meta, and spec and status as protobuf {@link Struct}s so that
 * they print as Kubernetes JSON through protobuf's JsonFormat. An empty Struct means the field is
 * absent.
 *
 * @param extra the object's other top-level fields, for kinds that keep their content outside
 *     spec and status: ConfigMap {@code data}, Endpoints {@code subsets}, EndpointSlice
 *     {@code addressType}/{@code endpoints}/{@code ports}, CiliumIdentity {@code security-labels}.
 *     Never holds apiVersion, kind, metadata, spec or status.
 */
public record KubeObject(
    String apiVersion, String kind, ObjectMeta metadata, Struct spec, Struct status, Struct extra) {

  public KubeObject {
    Objects.requireNonNull(apiVersion, "apiVersion");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(extra, "extra");
    for (String k : RESERVED) {
      if (extra.containsFields(k)) {
        throw new IllegalArgumentException("extra must not hold " + k);
      }
    }
  }

  private static final String[] RESERVED = {"apiVersion", "kind", "metadata", "spec", "status"};

  /** An object without top-level fields beyond spec and status. */
  public KubeObject(String apiVersion, String kind, ObjectMeta metadata, Struct spec, Struct status) {
    this(apiVersion, kind, metadata, spec, status, Struct.getDefaultInstance());
  }

  /** A new object of {@code type} as a client would send it. */
  public static KubeObject of(ResourceType type, ObjectMeta metadata, Struct spec) {
    return new KubeObject(
        type.apiVersion(), type.kind(), metadata, spec, Struct.getDefaultInstance());
  }

  public KubeObject withMetadata(ObjectMeta m) {
    return new KubeObject(apiVersion, kind, m, spec, status, extra);
  }

  public KubeObject withSpec(Struct s) {
    return new KubeObject(apiVersion, kind, metadata, s, status, extra);
  }

  public KubeObject withStatus(Struct s) {
    return new KubeObject(apiVersion, kind, metadata, spec, s, extra);
  }

  public KubeObject withExtra(Struct e) {
    return new KubeObject(apiVersion, kind, metadata, spec, status, e);
  }

  /** The resourceVersion as a number; the store writes only decimal values. */
  public long resourceVersionNumber() {
    return Long.parseLong(metadata.resourceVersion());
  }
}
