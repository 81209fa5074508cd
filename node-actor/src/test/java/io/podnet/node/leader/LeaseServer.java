package io.podnet.node.leader;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.podnet.node.api.KubeClient;
import io.podnet.proto.api.ApiRequest;
import io.podnet.proto.api.ApiResponse;
import io.podnet.proto.api.Verb;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A stub API gateway that keeps one Lease and applies the API server's rules to it: GET (404 when
 * missing), CREATE (409 AlreadyExists when present), UPDATE (404 when missing, 409 Conflict when
 * metadata.resourceVersion is set and stale; every write a new resourceVersion). It speaks the
 * gateway's protobuf protocol and registers under the gateway's Receptionist key.
 *
 * <p>Faults are per elector (matched by the elector actor's name in the requester's reply_to):
 * {@link Fault#ERROR} answers 500, {@link Fault#DROP} never answers. The test reads and writes the
 * Lease directly (another client's writes) and sees every request.
 */
final class LeaseServer {

  enum Fault {
    ERROR,
    DROP
  }

  final String namespace;
  final String name;
  private Struct lease;
  private long resourceVersion = 100;
  private final List<ApiRequest> requests = new ArrayList<>();
  private final Map<String, Fault> faults = new HashMap<>();
  private final Map<String, LeaseRecord> beforeUpdate = new HashMap<>();

  LeaseServer(String namespace, String name) {
    this.namespace = namespace;
    this.name = name;
  }

  /** The gateway actor. */
  Behavior<ApiRequest> gateway() {
    return Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(KubeClient.GATEWAY_KEY, ctx.getSelf()));
      ActorRefResolver resolver = ActorRefResolver.get(ctx.getSystem());
      return Behaviors.receiveMessage(r -> {
        ApiResponse answer = handle(r);
        if (answer != null) {
          resolver.<Object>resolveActorRef(r.getReplyTo()).tell(answer);
        }
        return Behaviors.same();
      });
    });
  }

  synchronized void fault(String elector, Fault f) {
    if (f == null) {
      faults.remove(elector);
    } else {
      faults.put(elector, f);
    }
  }

  /** When {@code elector}'s next UPDATE arrives, another client writes {@code record} first. */
  synchronized void beforeUpdate(String elector, LeaseRecord record) {
    beforeUpdate.put(elector, record);
  }

  synchronized List<ApiRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests of one elector. */
  synchronized List<ApiRequest> requestsOf(String elector) {
    return requests.stream().filter(r -> from(r, elector)).toList();
  }

  synchronized Struct lease() {
    return lease;
  }

  synchronized LeaseRecord record() {
    return lease == null ? null : LeaseRecord.fromLease(lease);
  }

  synchronized String resourceVersion() {
    return lease == null ? "" : meta(lease).get("resourceVersion").getStringValue();
  }

  /** Another client's write: the Lease now holds {@code record}, at a new resourceVersion. */
  synchronized void put(LeaseRecord record) {
    Struct meta = Struct.newBuilder().putFields("name", str(name)).putFields("namespace", str(namespace)).build();
    store(Struct.newBuilder().putFields("apiVersion", str("coordination.k8s.io/v1")).putFields("kind", str("Lease"))
        .putFields("metadata", Value.newBuilder().setStructValue(meta).build())
        .putFields("spec", Value.newBuilder().setStructValue(record.toSpec()).build()).build());
  }

  static LeaseRecord held(String holder, int seconds, Instant renew, int transitions) {
    return new LeaseRecord(holder, seconds, renew, renew, transitions);
  }

  private static boolean from(ApiRequest r, String elector) {
    return r.getReplyTo().contains("/user/" + elector + "/kube-client/");
  }

  private synchronized ApiResponse handle(ApiRequest r) {
    requests.add(r);
    for (Map.Entry<String, Fault> f : faults.entrySet()) {
      if (from(r, f.getKey())) {
        return f.getValue() == Fault.DROP ? null
            : answer(r, 500, status(500, "InternalError", "Internal error occurred: injected"));
      }
    }
    if (!r.getGroup().equals("coordination.k8s.io") || !r.getResource().equals("leases")
        || !r.getNamespace().equals(namespace)) {
      return answer(r, 404, status(404, "NotFound", "the server could not find the requested resource"));
    }
    String notFound = "leases.coordination.k8s.io \"" + name + "\" not found";
    switch (r.getVerb()) {
      case GET -> {
        if (!r.getName().equals(name) || lease == null) {
          return answer(r, 404, status(404, "NotFound", notFound));
        }
        return answer(r, 200, lease);
      }
      case CREATE -> {
        Struct body = parse(r.getBody());
        if (!meta(body).get("name").getStringValue().equals(name)) {
          return answer(r, 403, status(403, "Forbidden", "only " + name + " here"));
        }
        if (lease != null) {
          return answer(r, 409, status(409, "AlreadyExists",
              "leases.coordination.k8s.io \"" + name + "\" already exists"));
        }
        store(body);
        return answer(r, 201, lease);
      }
      case UPDATE -> {
        for (String e : List.copyOf(beforeUpdate.keySet())) {
          if (from(r, e)) {
            put(beforeUpdate.remove(e));
          }
        }
        if (!r.getName().equals(name) || lease == null) {
          return answer(r, 404, status(404, "NotFound", notFound));
        }
        Struct body = parse(r.getBody());
        Value rv = meta(body).get("resourceVersion");
        if (rv != null && !rv.getStringValue().isEmpty() && !rv.getStringValue().equals(resourceVersion())) {
          return answer(r, 409, status(409, "Conflict", "Operation cannot be fulfilled on leases.coordination.k8s.io \""
              + name + "\": the object has been modified; please apply your changes to the latest version and try again"));
        }
        store(body);
        return answer(r, 200, lease);
      }
      default -> {
        return answer(r, 405, status(405, "MethodNotAllowed", "not in this stub: " + r.getVerb()));
      }
    }
  }

  private void store(Struct object) {
    resourceVersion++;
    Struct meta = meta(object).entrySet().stream().reduce(Struct.newBuilder(),
        (b, e) -> b.putFields(e.getKey(), e.getValue()), (a, b) -> a).putFields("resourceVersion",
        str(Long.toString(resourceVersion))).build();
    lease = object.toBuilder().putFields("metadata", Value.newBuilder().setStructValue(meta).build()).build();
  }

  private static Map<String, Value> meta(Struct o) {
    Value m = o.getFieldsMap().get("metadata");
    return m == null ? Map.of() : m.getStructValue().getFieldsMap();
  }

  private static ApiResponse answer(ApiRequest r, int code, Struct body) {
    try {
      return ApiResponse.newBuilder().setRequestId(r.getRequestId()).setCode(code)
          .setBody(JsonFormat.printer().omittingInsignificantWhitespace().print(body)).build();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  static Struct parse(String json) {
    try {
      Struct.Builder b = Struct.newBuilder();
      JsonFormat.parser().merge(json, b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(json, e);
    }
  }

  private static Struct status(int code, String reason, String message) {
    return Struct.newBuilder().putFields("kind", str("Status")).putFields("apiVersion", str("v1"))
        .putFields("metadata", Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())
        .putFields("status", str("Failure")).putFields("message", str(message)).putFields("reason", str(reason))
        .putFields("code", Value.newBuilder().setNumberValue(code).build()).build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
