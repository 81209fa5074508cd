package io.podnet.apiserver.http;

import com.typesafe.config.ConfigFactory;
import java.net.InetAddress;
import java.security.SecureRandom;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Tests of the HTTPS front: one quiet actor system and one set of lab certificates per test class
 * (the certificates name the lab {@code reference}, as a kubeconfig for the reference lab would).
 */
abstract class HttpsTestSystem {
  static ActorSystem<Void> system;
  static LabCertificates certs;

  @BeforeAll
  static void startSystem() {
    system = ActorSystem.create(Behaviors.empty(), "https-test",
        ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    certs = LabCertificates.generate("reference", InetAddress.getLoopbackAddress(), new SecureRandom());
  }

  @AfterAll
  static void stopSystem() {
    system.terminate();
  }
}
