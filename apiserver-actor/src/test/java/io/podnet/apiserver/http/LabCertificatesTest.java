package io.podnet.apiserver.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabCertificatesTest {

  @Test
  void derLengthsShortAndLongForm() {
    assertArrayEquals(new byte[] {0x04, 0x00}, Der.octetString(new byte[0]));
    byte[] l127 = Der.octetString(new byte[127]);
    assertEquals(0x7F, l127[1]);
    byte[] l128 = Der.octetString(new byte[128]);
    assertArrayEquals(new byte[] {0x04, (byte) 0x81, (byte) 0x80}, java.util.Arrays.copyOf(l128, 3));
    byte[] l300 = Der.octetString(new byte[300]);
    assertArrayEquals(new byte[] {0x04, (byte) 0x82, 0x01, 0x2C}, java.util.Arrays.copyOf(l300, 4));
  }

  @Test
  void derScalars() {
    // 1.2.840.10045.4.3.2 ecdsa-with-SHA256: 2A 86 48 CE 3D 04 03 02
    assertArrayEquals(new byte[] {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02},
        Der.oid("1.2.840.10045.4.3.2"));
    assertArrayEquals(new byte[] {0x02, 0x01, 0x02}, Der.integer(2));
    // 128 needs a leading zero to stay positive
    assertArrayEquals(new byte[] {0x02, 0x02, 0x00, (byte) 0x80}, Der.integer(BigInteger.valueOf(128)));
    assertArrayEquals(new byte[] {0x01, 0x01, (byte) 0xFF}, Der.bool(true));
    assertArrayEquals(new byte[] {0x03, 0x02, 0x07, (byte) 0x80}, Der.bitString(new byte[] {(byte) 0x80}, 7));
    assertThrows(IllegalArgumentException.class, () -> Der.bitString(new byte[0], 1));
    // UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 4.1.2.5)
    assertEquals("000101000000Z", new String(Der.time(Instant.parse("2000-01-01T00:00:00Z")), 2, 13,
        java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(0x17, Der.time(Instant.parse("2049-12-31T23:59:59Z"))[0]);
    assertEquals(0x18, Der.time(Instant.parse("2050-01-01T00:00:00Z"))[0]);
  }

  @Test
  void caAndServerCertificateVerifyAndCarryTheExtensionsGoChecks() throws Exception {
    LabCertificates c = LabCertificates.generate("lab1", InetAddress.getByName("127.0.0.1"), new SecureRandom());
    X509Certificate ca = c.caCertificate();
    X509Certificate server = c.serverCertificate();
    ca.verify(ca.getPublicKey());
    server.verify(ca.getPublicKey());
    assertEquals(3, ca.getVersion());
    assertEquals(3, server.getVersion());
    assertEquals("SHA256withECDSA", server.getSigAlgName());
    assertEquals(ca.getSubjectX500Principal(), server.getIssuerX500Principal());
    assertEquals("CN=lab1-ca,O=podnet", ca.getSubjectX500Principal().getName());
    assertEquals(Integer.MAX_VALUE, ca.getBasicConstraints());
    assertEquals(-1, server.getBasicConstraints());
    assertTrue(ca.getKeyUsage()[5], "keyCertSign");
    assertTrue(server.getKeyUsage()[0], "digitalSignature");
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage());
    assertEquals(List.of(List.of(7, "127.0.0.1")), server.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
    assertTrue(ca.getCriticalExtensionOIDs().containsAll(List.of("2.5.29.19", "2.5.29.15")));
    assertTrue(server.getSerialNumber().signum() > 0);
    server.checkValidity(Date.from(Instant.parse("2026-11-25T00:00:00Z")));
    assertTrue(c.caPem().startsWith("-----BEGIN CERTIFICATE-----\n"));
    assertTrue(c.caPem().endsWith("\n-----END CERTIFICATE-----\n"));
  }

  @Test
  void validityMustBeOrdered() {
    Instant t = Instant.parse("2030-01-01T00:00:00Z");
    assertThrows(IllegalArgumentException.class, () -> LabCertificates.generate("x", InetAddress.getLoopbackAddress(),
        new SecureRandom(), t, t));
  }
}
