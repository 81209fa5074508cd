package io.podnet.node.leader;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * client-go's {@code resourcelock.LeaderElectionRecord} as a Lease's spec holds it: holder,
 * leaseDurationSeconds, acquireTime, renewTime, leaseTransitions. Absent fields read as "", 0 and
 * null (the zero time), as {@code LeaseSpecToLeaderElectionRecord} reads them.
 */
record LeaseRecord(String holder, int leaseDurationSeconds, Instant acquireTime, Instant renewTime,
    int transitions) {

  static final LeaseRecord EMPTY = new LeaseRecord("", 0, null, null, 0);

  /** metav1.MicroTime: six fractional digits, always printed, UTC. */
  static final DateTimeFormatter MICRO_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

  LeaseRecord {
    Objects.requireNonNull(holder, "holder");
  }

  /**
   * What client-go compares to decide that the record changed: the JSON of the
   * LeaderElectionRecord, whose times are metav1.Time and so marshal to whole seconds. A renewal
   * that moves renewTime within the same second, and nothing else, is not a change.
   */
  LeaseRecord raw() {
    return new LeaseRecord(holder, leaseDurationSeconds, seconds(acquireTime), seconds(renewTime), transitions);
  }

  LeaseRecord withTransitions(int t) {
    return new LeaseRecord(holder, leaseDurationSeconds, acquireTime, renewTime, t);
  }

  LeaseRecord withAcquireTime(Instant t) {
    return new LeaseRecord(holder, leaseDurationSeconds, t, renewTime, transitions);
  }

  /**
   * The LeaseSpec client-go writes ({@code LeaderElectionRecordToLeaseSpec}): every field set,
   * holderIdentity "" when released; a zero time is written as absent (MicroTime's null).
   */
  Struct toSpec() {
    Struct.Builder b = Struct.newBuilder()
        .putFields("holderIdentity", Value.newBuilder().setStringValue(holder).build())
        .putFields("leaseDurationSeconds", Value.newBuilder().setNumberValue(leaseDurationSeconds).build());
    if (acquireTime != null) {
      b.putFields("acquireTime", Value.newBuilder().setStringValue(microTime(acquireTime)).build());
    }
    if (renewTime != null) {
      b.putFields("renewTime", Value.newBuilder().setStringValue(microTime(renewTime)).build());
    }
    return b.putFields("leaseTransitions", Value.newBuilder().setNumberValue(transitions).build()).build();
  }

  /**
   * Reads a Lease's spec.
   *
   * @throws IllegalArgumentException naming the field when one has the wrong JSON type or format
   *                                  (client-go fails to decode such an object: its Get fails)
   */
  static LeaseRecord fromLease(Struct lease) {
    Value specValue = lease.getFieldsMap().get("spec");
    Struct spec = specValue != null && specValue.hasStructValue() ? specValue.getStructValue()
        : Struct.getDefaultInstance();
    return new LeaseRecord(string(spec, "holderIdentity"), integer(spec, "leaseDurationSeconds"),
        time(spec, "acquireTime"), time(spec, "renewTime"), integer(spec, "leaseTransitions"));
  }

  static String microTime(Instant t) {
    return MICRO_TIME.format(t.truncatedTo(ChronoUnit.MICROS));
  }

  private static Instant seconds(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS);
  }

  private static String string(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null || v.hasNullValue()) {
      return "";
    }
    if (!v.hasStringValue()) {
      throw new IllegalArgumentException("spec." + field + ": expected a string, found " + v.getKindCase());
    }
    return v.getStringValue();
  }

  private static int integer(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null || v.hasNullValue()) {
      return 0;
    }
    double d = v.hasNumberValue() ? v.getNumberValue() : Double.NaN;
    if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("spec." + field + ": expected an int32, found " + v.getKindCase());
    }
    return (int) d;
  }

  private static Instant time(Struct s, String field) {
    Value v = s.getFieldsMap().get(field);
    if (v == null || v.hasNullValue()) {
      return null;
    }
    if (!v.hasStringValue()) {
      throw new IllegalArgumentException("spec." + field + ": expected a string, found " + v.getKindCase());
    }
    try {
      return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(v.getStringValue(), Instant::from);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("spec." + field + ": not an RFC 3339 time: \"" + v.getStringValue() + "\"");
    }
  }
}
