package io.podnet.apiserver.lease;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.podnet.apiserver.store.KubeTime;
import java.time.Instant;

/**
 * coordination.k8s.io/v1 LeaseSpec, the fields leader election uses. Every field is optional in
 * the API (a pointer in Go): {@code null} means absent. Times are MicroTime.
 */
public record LeaseSpec(
    String holderIdentity,
    Integer leaseDurationSeconds,
    Instant acquireTime,
    Instant renewTime,
    Integer leaseTransitions) {

  public static final LeaseSpec EMPTY = new LeaseSpec(null, null, null, null, null);

  /** The holder, "" when absent or released. */
  public String holder() {
    return holderIdentity == null ? "" : holderIdentity;
  }

  public int transitions() {
    return leaseTransitions == null ? 0 : leaseTransitions;
  }

  /** The spec as the Struct the store keeps, with Kubernetes' JSON field names. */
  public Struct toStruct() {
    Struct.Builder b = Struct.newBuilder();
    if (holderIdentity != null) {
      b.putFields("holderIdentity", Value.newBuilder().setStringValue(holderIdentity).build());
    }
    if (leaseDurationSeconds != null) {
      b.putFields("leaseDurationSeconds", Value.newBuilder().setNumberValue(leaseDurationSeconds).build());
    }
    if (acquireTime != null) {
      b.putFields("acquireTime", Value.newBuilder().setStringValue(KubeTime.microTime(acquireTime)).build());
    }
    if (renewTime != null) {
      b.putFields("renewTime", Value.newBuilder().setStringValue(KubeTime.microTime(renewTime)).build());
    }
    if (leaseTransitions != null) {
      b.putFields("leaseTransitions", Value.newBuilder().setNumberValue(leaseTransitions).build());
    }
    return b.build();
  }

  /**
   * Reads a stored spec.
   *
   * @throws IllegalArgumentException naming the field when one has the wrong JSON type or format
   */
  public static LeaseSpec fromStruct(Struct s) {
    return new LeaseSpec(
        string(s, "holderIdentity"),
        integer(s, "leaseDurationSeconds"),
        time(s, "acquireTime"),
        time(s, "renewTime"),
        integer(s, "leaseTransitions"));
  }

  private static String string(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null || v.hasNullValue()) {
      return null;
    }
    if (!v.hasStringValue()) {
      throw new IllegalArgumentException("spec." + field + ": expected a string, found " + v.getKindCase());
    }
    return v.getStringValue();
  }

  private static Integer integer(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null || v.hasNullValue()) {
      return null;
    }
    double d = v.hasNumberValue() ? v.getNumberValue() : Double.NaN;
    if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("spec." + field + ": expected an int32, found " + v);
    }
    return (int) d;
  }

  private static Instant time(Struct s, String field) {
    String t = string(s, field);
    if (t == null) {
      return null;
    }
    try {
      return KubeTime.parse(t);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("spec." + field + ": " + e.getMessage(), e);
    }
  }
}
