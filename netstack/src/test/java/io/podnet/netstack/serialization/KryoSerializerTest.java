package io.podnet.netstack.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KryoSerializerTest {
  public record Ping(String text, List<Integer> numbers, Map<String, Integer> counts, Set<String> tags,
      ActorRef<Pong> replyTo) implements KryoMessage {}

  public record Pong(int n) implements KryoMessage {}

  /** Implements the marker but is registered by nobody. */
  public record Stranger(String s) implements KryoMessage {}

  public static final class TestRegistrar implements KryoRegistrar {
    @Override
    public void register(Kryo kryo) {
      kryo.register(Ping.class, 1900);
      kryo.register(Pong.class, 1901);
    }
  }

  static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    Config config = ConfigFactory.parseString("""
        pekko.actor.serialize-messages = on
        pekko.loglevel = WARNING
        podnet.kryo.registrars.test = "io.podnet.netstack.serialization.KryoSerializerTest$TestRegistrar"
        """).withFallback(ConfigFactory.load());
    testKit = ActorTestKit.create(config);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void registeredRecordsWithRefsAndImmutableCollectionsRoundTrip() {
    TestProbe<Pong> replies = testKit.createTestProbe();
    Ping ping = new Ping("hi", List.of(1, 2, 3), Map.of("a", 1), Set.of("x"), replies.getRef());
    Serialization ser = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    assertEquals(KryoSerializer.IDENTIFIER, ser.findSerializerFor(ping).identifier());
    byte[] bytes = ser.serialize(ping).get();
    Ping back = (Ping) ser.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    assertEquals(ping, back);
    back.replyTo().tell(new Pong(7));
    assertEquals(new Pong(7), replies.receiveMessage());
  }

  @Test
  void messagesBetweenActorsAreSerializedWhenVerificationIsOn() {
    TestProbe<Ping> probe = testKit.createTestProbe();
    TestProbe<Pong> replies = testKit.createTestProbe();
    probe.getRef().tell(new Ping("x", List.of(), Map.of(), Set.of(), replies.getRef()));
    assertNotNull(probe.receiveMessage());
  }

  @Test
  void unregisteredClassesAreRefused() {
    Serialization ser = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var result = ser.serialize(new Stranger("x"));
    assertTrue(result.isFailure());
    assertTrue(result.failed().get().getMessage().contains("Stranger"), result.failed().get().getMessage());
  }

  @Test
  void javaSerializationIsOff() {
    assertEquals(false, testKit.system().settings().config().getBoolean("pekko.actor.allow-java-serialization"));
    Serialization ser = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    assertThrows(Exception.class, () -> ser.serialize(new java.util.Date()).get());
  }
}
