package io.podnet.apiserver.http;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A lab's TLS identity: a self-signed CA and a server certificate it signs for one IP address
 * (subjectAltName iPAddress), both ECDSA P-256 with ecdsa-with-SHA256, encoded by hand in DER
 * (RFC 5280) because the JDK has no public certificate builder.
 *
 * <p>CA: basicConstraints CA:TRUE (critical), keyUsage digitalSignature|keyCertSign|cRLSign
 * (critical), subjectKeyIdentifier. Server: basicConstraints CA:FALSE (critical), keyUsage
 * digitalSignature (critical), extKeyUsage serverAuth, subjectAltName IP, authorityKeyIdentifier.
 * This is what Go's crypto/x509 (kubectl) verifies against.
 */
public final class LabCertificates {
  static final String OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
  static final String OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
  static final String OID_COMMON_NAME = "2.5.4.3";
  static final String OID_ORGANIZATION = "2.5.4.10";
  static final String OID_SUBJECT_KEY_ID = "2.5.29.14";
  static final String OID_KEY_USAGE = "2.5.29.15";
  static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";
  static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
  static final String OID_AUTHORITY_KEY_ID = "2.5.29.35";
  static final String OID_EXT_KEY_USAGE = "2.5.29.37";
  static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  /** A wide fixed validity, so that no wall clock is read: certificates outlive any lab. */
  public static final Instant DEFAULT_NOT_BEFORE = Instant.parse("2000-01-01T00:00:00Z");
  public static final Instant DEFAULT_NOT_AFTER = Instant.parse("2099-12-31T23:59:59Z");

  private static final char[] KEYSTORE_PASSWORD = "podnet".toCharArray();

  private final X509Certificate ca;
  private final X509Certificate server;
  private final PrivateKey serverKey;

  private LabCertificates(X509Certificate ca, X509Certificate server, PrivateKey serverKey) {
    this.ca = ca;
    this.server = server;
    this.serverKey = serverKey;
  }

  /** A new CA named {@code "<labName>-ca"} and a server certificate for {@code serverIp}. */
  public static LabCertificates generate(String labName, InetAddress serverIp, SecureRandom random) {
    return generate(labName, serverIp, random, DEFAULT_NOT_BEFORE, DEFAULT_NOT_AFTER);
  }

  public static LabCertificates generate(
      String labName, InetAddress serverIp, SecureRandom random, Instant notBefore, Instant notAfter) {
    Objects.requireNonNull(labName, "labName");
    Objects.requireNonNull(serverIp, "serverIp");
    if (!notBefore.isBefore(notAfter)) {
      throw new IllegalArgumentException("notBefore must precede notAfter");
    }
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair caKeys = gen.generateKeyPair();
      KeyPair serverKeys = gen.generateKeyPair();
      byte[] caName = name(labName + "-ca", "podnet");
      byte[] caKeyId = keyId(caKeys.getPublic());
      byte[] caTbs =
          tbs(serial(random), caName, notBefore, notAfter, caName, caKeys.getPublic(),
              Der.concat(
                  extension(OID_BASIC_CONSTRAINTS, true, Der.sequence(Der.bool(true))),
                  // digitalSignature(0) | keyCertSign(5) | cRLSign(6) = 1000 0110, last bit unused
                  extension(OID_KEY_USAGE, true, Der.bitString(new byte[] {(byte) 0x86}, 1)),
                  extension(OID_SUBJECT_KEY_ID, false, Der.octetString(caKeyId))));
      byte[] serverTbs =
          tbs(serial(random), caName, notBefore, notAfter, name(labName + "-apiserver", "podnet"),
              serverKeys.getPublic(),
              Der.concat(
                  extension(OID_BASIC_CONSTRAINTS, true, Der.sequence()),
                  // digitalSignature(0) only: 1000 0000, seven unused bits
                  extension(OID_KEY_USAGE, true, Der.bitString(new byte[] {(byte) 0x80}, 7)),
                  extension(OID_EXT_KEY_USAGE, false, Der.sequence(Der.oid(OID_SERVER_AUTH))),
                  // GeneralName iPAddress [7] IMPLICIT OCTET STRING
                  extension(OID_SUBJECT_ALT_NAME, false,
                      Der.sequence(Der.implicitPrimitive(7, serverIp.getAddress()))),
                  // AuthorityKeyIdentifier keyIdentifier [0] IMPLICIT
                  extension(OID_AUTHORITY_KEY_ID, false,
                      Der.sequence(Der.implicitPrimitive(0, caKeyId))),
                  extension(OID_SUBJECT_KEY_ID, false, Der.octetString(keyId(serverKeys.getPublic())))));
      X509Certificate caCert = parse(sign(caTbs, caKeys.getPrivate(), random));
      X509Certificate serverCert = parse(sign(serverTbs, caKeys.getPrivate(), random));
      return new LabCertificates(caCert, serverCert, serverKeys.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot make EC P-256 certificates", e);
    }
  }

  private static byte[] tbs(BigInteger serial, byte[] issuer, Instant notBefore, Instant notAfter,
      byte[] subject, PublicKey key, byte[] extensions) {
    return Der.sequence(
        Der.explicit(0, Der.integer(2)), // version v3
        Der.integer(serial),
        signatureAlgorithm(),
        issuer,
        Der.sequence(Der.time(notBefore), Der.time(notAfter)),
        subject,
        key.getEncoded(), // SubjectPublicKeyInfo, already DER
        Der.explicit(3, Der.sequence(extensions)));
  }

  /** AlgorithmIdentifier for ecdsa-with-SHA256: parameters absent (RFC 5758 3.2). */
  private static byte[] signatureAlgorithm() {
    return Der.sequence(Der.oid(OID_ECDSA_WITH_SHA256));
  }

  private static byte[] sign(byte[] tbs, PrivateKey key, SecureRandom random) throws GeneralSecurityException {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key, random);
    s.update(tbs);
    // The JDK's SHA256withECDSA output is the DER Ecdsa-Sig-Value X.509 carries.
    return Der.sequence(tbs, signatureAlgorithm(), Der.bitString(s.sign(), 0));
  }

  private static byte[] extension(String oid, boolean critical, byte[] value) {
    return critical
        ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
        : Der.sequence(Der.oid(oid), Der.octetString(value));
  }

  private static byte[] name(String commonName, String organization) {
    return Der.sequence(
        Der.set(Der.sequence(Der.oid(OID_ORGANIZATION), Der.utf8(organization))),
        Der.set(Der.sequence(Der.oid(OID_COMMON_NAME), Der.utf8(commonName))));
  }

  /** A positive 127-bit serial number (RFC 5280: positive, at most 20 octets). */
  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).setBit(0);
  }

  /** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value. */
  private static byte[] keyId(PublicKey key) throws GeneralSecurityException {
    byte[] spki = key.getEncoded();
    // For P-256 the SubjectPublicKeyInfo ends with BIT STRING {0 unused, 65-octet point}.
    byte[] point = java.util.Arrays.copyOfRange(spki, spki.length - 65, spki.length);
    if (point[0] != 0x04) {
      throw new GeneralSecurityException("not an uncompressed P-256 point");
    }
    return MessageDigest.getInstance("SHA-1").digest(point);
  }

  private static X509Certificate parse(byte[] der) throws GeneralSecurityException {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  public X509Certificate caCertificate() {
    return ca;
  }

  public X509Certificate serverCertificate() {
    return server;
  }

  /** The CA certificate in PEM, as kubeconfig's certificate-authority-data carries it (base64 of this). */
  public String caPem() {
    try {
      return pem(ca.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
  }

  /** A TLS server context presenting the server certificate and the CA. */
  public SSLContext serverContext() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("apiserver", serverKey, KEYSTORE_PASSWORD, new X509Certificate[] {server, ca});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, KEYSTORE_PASSWORD);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A TLS client context that trusts only this lab's CA. */
  public SSLContext clientContext() {
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("lab-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
