package io.podnet.apiserver.http;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The few ASN.1 DER encodings (ITU-T X.690) an X.509 v3 certificate needs. Every method returns one
 * complete TLV: identifier octet, definite-length octets (short form below 128, long form above),
 * contents.
 */
final class Der {
  static final int BOOLEAN = 0x01;
  static final int INTEGER = 0x02;
  static final int BIT_STRING = 0x03;
  static final int OCTET_STRING = 0x04;
  static final int OID = 0x06;
  static final int UTF8_STRING = 0x0C;
  static final int UTC_TIME = 0x17;
  static final int GENERALIZED_TIME = 0x18;
  static final int SEQUENCE = 0x30;
  static final int SET = 0x31;

  private static final DateTimeFormatter UTC_TIME_FORMAT =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter GENERALIZED_TIME_FORMAT =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
  /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
  private static final Instant GENERALIZED_FROM = Instant.parse("2050-01-01T00:00:00Z");

  private Der() {}

  /** A TLV with identifier {@code tag} around {@code contents}. */
  static byte[] tlv(int tag, byte[] contents) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
    out.write(tag);
    int n = contents.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = (32 - Integer.numberOfLeadingZeros(n) + 7) / 8;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(contents);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] sequence(byte[]... items) {
    return tlv(SEQUENCE, concat(items));
  }

  static byte[] set(byte[]... items) {
    return tlv(SET, concat(items));
  }

  /** Two's complement, minimal octets (BigInteger.toByteArray is exactly that). */
  static byte[] integer(BigInteger v) {
    return tlv(INTEGER, v.toByteArray());
  }

  static byte[] integer(long v) {
    return integer(BigInteger.valueOf(v));
  }

  static byte[] bool(boolean v) {
    return tlv(BOOLEAN, new byte[] {(byte) (v ? 0xFF : 0x00)});
  }

  static byte[] octetString(byte[] v) {
    return tlv(OCTET_STRING, v);
  }

  /** A BIT STRING whose last {@code unusedBits} bits are padding. */
  static byte[] bitString(byte[] v, int unusedBits) {
    if (unusedBits < 0 || unusedBits > 7 || (v.length == 0 && unusedBits != 0)) {
      throw new IllegalArgumentException("unused bits " + unusedBits + " for " + v.length + " octets");
    }
    byte[] c = new byte[v.length + 1];
    c[0] = (byte) unusedBits;
    System.arraycopy(v, 0, c, 1, v.length);
    return tlv(BIT_STRING, c);
  }

  static byte[] utf8(String s) {
    return tlv(UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
  }

  /** An OBJECT IDENTIFIER from dotted text: first two arcs packed as 40*a+b, base-128 arcs. */
  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.");
    if (arcs.length < 2) {
      throw new IllegalArgumentException("OID needs two arcs: " + dotted);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeArc(out, 40L * Long.parseLong(arcs[0]) + Long.parseLong(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      writeArc(out, Long.parseLong(arcs[i]));
    }
    return tlv(OID, out.toByteArray());
  }

  private static void writeArc(ByteArrayOutputStream out, long arc) {
    if (arc < 0) {
      throw new IllegalArgumentException("negative OID arc");
    }
    int groups = Math.max(1, (64 - Long.numberOfLeadingZeros(arc) + 6) / 7);
    for (int g = groups - 1; g >= 0; g--) {
      int b = (int) ((arc >>> (7 * g)) & 0x7F);
      out.write(g == 0 ? b : b | 0x80);
    }
  }

  /** RFC 5280 Time, at whole seconds. */
  static byte[] time(Instant t) {
    return t.isBefore(GENERALIZED_FROM)
        ? tlv(UTC_TIME, UTC_TIME_FORMAT.format(t).getBytes(StandardCharsets.US_ASCII))
        : tlv(GENERALIZED_TIME, GENERALIZED_TIME_FORMAT.format(t).getBytes(StandardCharsets.US_ASCII));
  }

  /** Context-specific constructed tag [n] EXPLICIT around one TLV. */
  static byte[] explicit(int n, byte[] inner) {
    return tlv(0xA0 | n, inner);
  }

  /** Context-specific primitive tag [n] IMPLICIT with raw contents. */
  static byte[] implicitPrimitive(int n, byte[] contents) {
    return tlv(0x80 | n, contents);
  }
}
