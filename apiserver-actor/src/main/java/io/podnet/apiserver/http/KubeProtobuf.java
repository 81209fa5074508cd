package io.podnet.apiserver.http;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.WireFormat;
import io.podnet.apiserver.store.ApiException;
import io.podnet.apiserver.store.KubeTime;
import io.podnet.apiserver.store.Status;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Request bodies in {@code application/vnd.kubernetes.protobuf}, the encoding client-go's typed
 * clients send: kubectl 1.32's {@code create deployment} POSTs its Deployment this way (the
 * {@code apply}, {@code patch} and {@code edit} paths send JSON).
 *
 * <pre>
 *  0      4
 *  +------+-----------------------------------------------------------+
 *  | k8s\0| runtime.Unknown: 1 typeMeta {1 apiVersion, 2 kind},        |
 *  |      |                  2 raw (the object's message), 3 contentEncoding, 4 contentType |
 *  +------+-----------------------------------------------------------+
 * </pre>
 *
 * <p>The object is decoded into the JSON kube-apiserver would have received from the same object
 * in {@code application/json}, by the field numbers of k8s.io/api's generated.proto, for the kinds
 * and fields listed in {@link #SCHEMAS}: gogo-protobuf writes every non-pointer field, so empty
 * strings, zero numbers, false and empty messages are dropped as {@code omitempty} drops them;
 * pointer fields ({@code replicas}, {@code revisionHistoryLimit}, ...) are written only when set
 * and are kept whatever their value. The status of a created object is skipped, as the server
 * resets it. A kind or a field this decoder does not know is refused with 415
 * UnsupportedMediaType naming it, rather than dropped.
 */
final class KubeProtobuf {
  static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private KubeProtobuf() {}

  private enum Kind { STRING, INT32, INT64, BOOL, MESSAGE, STRING_MAP, TIME, INT_OR_STRING, SKIP }

  /** One field: its JSON name, how it is encoded, its message type, repeated, a Go pointer. */
  private record F(String json, Kind kind, String message, boolean repeated, boolean pointer) {}

  private static final Map<String, Map<Integer, F>> SCHEMAS = new HashMap<>();

  private static void message(String name, Object... fields) {
    Map<Integer, F> m = new HashMap<>();
    for (int i = 0; i < fields.length; i += 2) {
      m.put((Integer) fields[i], (F) fields[i + 1]);
    }
    SCHEMAS.put(name, m);
  }

  private static F s(String json) {
    return new F(json, Kind.STRING, null, false, false);
  }

  private static F sPtr(String json) {
    return new F(json, Kind.STRING, null, false, true);
  }

  private static F strings(String json) {
    return new F(json, Kind.STRING, null, true, false);
  }

  private static F i32(String json) {
    return new F(json, Kind.INT32, null, false, false);
  }

  private static F i32Ptr(String json) {
    return new F(json, Kind.INT32, null, false, true);
  }

  private static F i64(String json) {
    return new F(json, Kind.INT64, null, false, false);
  }

  private static F i64Ptr(String json) {
    return new F(json, Kind.INT64, null, false, true);
  }

  private static F bool(String json) {
    return new F(json, Kind.BOOL, null, false, false);
  }

  private static F boolPtr(String json) {
    return new F(json, Kind.BOOL, null, false, true);
  }

  private static F msg(String json, String type) {
    return new F(json, Kind.MESSAGE, type, false, false);
  }

  private static F msgs(String json, String type) {
    return new F(json, Kind.MESSAGE, type, true, false);
  }

  private static F map(String json) {
    return new F(json, Kind.STRING_MAP, null, false, false);
  }

  static {
    // k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
    message("ObjectMeta", 1, s("name"), 2, s("generateName"), 3, s("namespace"), 4, s("selfLink"), 5, s("uid"),
        6, s("resourceVersion"), 7, i64("generation"), 8, new F("creationTimestamp", Kind.TIME, null, false, false),
        9, new F("deletionTimestamp", Kind.TIME, null, false, true), 10, i64Ptr("deletionGracePeriodSeconds"),
        11, map("labels"), 12, map("annotations"), 13, msgs("ownerReferences", "OwnerReference"),
        14, strings("finalizers"), 17, new F("managedFields", Kind.SKIP, null, true, false));
    message("OwnerReference", 1, s("kind"), 3, s("name"), 4, s("uid"), 5, s("apiVersion"), 6, boolPtr("controller"),
        7, boolPtr("blockOwnerDeletion"));
    message("LabelSelector", 1, map("matchLabels"), 2, msgs("matchExpressions", "LabelSelectorRequirement"));
    message("LabelSelectorRequirement", 1, s("key"), 2, s("operator"), 3, strings("values"));
    // k8s.io/api/apps/v1/generated.proto
    message("Deployment", 1, msg("metadata", "ObjectMeta"), 2, msg("spec", "DeploymentSpec"),
        3, new F("status", Kind.SKIP, null, false, false));
    message("DeploymentSpec", 1, i32Ptr("replicas"), 2, msg("selector", "LabelSelector"),
        3, msg("template", "PodTemplateSpec"), 4, msg("strategy", "DeploymentStrategy"), 5, i32("minReadySeconds"),
        6, i32Ptr("revisionHistoryLimit"), 7, bool("paused"), 9, i32Ptr("progressDeadlineSeconds"));
    message("DeploymentStrategy", 1, s("type"), 2, msg("rollingUpdate", "RollingUpdateDeployment"));
    message("RollingUpdateDeployment", 1, new F("maxUnavailable", Kind.INT_OR_STRING, null, false, true),
        2, new F("maxSurge", Kind.INT_OR_STRING, null, false, true));
    // k8s.io/api/core/v1/generated.proto
    message("PodTemplateSpec", 1, msg("metadata", "ObjectMeta"), 2, msg("spec", "PodSpec"));
    message("PodSpec", 2, msgs("containers", "Container"), 3, s("restartPolicy"),
        4, i64Ptr("terminationGracePeriodSeconds"), 5, i64Ptr("activeDeadlineSeconds"), 6, s("dnsPolicy"),
        7, map("nodeSelector"), 8, s("serviceAccountName"), 9, s("serviceAccount"), 10, s("nodeName"),
        11, bool("hostNetwork"), 12, bool("hostPID"), 13, bool("hostIPC"), 14, msg("securityContext", "Empty"),
        15, msgs("imagePullSecrets", "LocalObjectReference"), 16, s("hostname"), 17, s("subdomain"),
        19, s("schedulerName"), 20, msgs("initContainers", "Container"), 21, boolPtr("automountServiceAccountToken"),
        24, s("priorityClassName"), 25, i32Ptr("priority"), 27, boolPtr("shareProcessNamespace"),
        29, sPtr("runtimeClassName"), 30, boolPtr("enableServiceLinks"), 31, sPtr("preemptionPolicy"),
        35, boolPtr("setHostnameAsFQDN"), 37, boolPtr("hostUsers"));
    message("Container", 1, s("name"), 2, s("image"), 3, strings("command"), 4, strings("args"), 5, s("workingDir"),
        6, msgs("ports", "ContainerPort"), 7, msgs("env", "EnvVar"), 8, msg("resources", "Empty"),
        13, s("terminationMessagePath"), 14, s("imagePullPolicy"), 15, msg("securityContext", "Empty"),
        16, bool("stdin"), 17, bool("stdinOnce"), 18, bool("tty"), 20, s("terminationMessagePolicy"));
    message("ContainerPort", 1, s("name"), 2, i32("hostPort"), 3, i32("containerPort"), 4, s("protocol"),
        5, s("hostIP"));
    message("EnvVar", 1, s("name"), 2, s("value"));
    message("LocalObjectReference", 1, s("name"));
    message("Namespace", 1, msg("metadata", "ObjectMeta"), 2, msg("spec", "NamespaceSpec"),
        3, new F("status", Kind.SKIP, null, false, false));
    message("NamespaceSpec", 1, strings("finalizers"));
    message("ConfigMap", 1, msg("metadata", "ObjectMeta"), 2, map("data"), 4, boolPtr("immutable"));
    message("Service", 1, msg("metadata", "ObjectMeta"), 2, msg("spec", "ServiceSpec"),
        3, new F("status", Kind.SKIP, null, false, false));
    message("ServiceSpec", 1, msgs("ports", "ServicePort"), 2, map("selector"), 3, s("clusterIP"), 4, s("type"),
        7, s("sessionAffinity"), 8, s("loadBalancerIP"), 10, s("externalName"), 11, s("externalTrafficPolicy"),
        12, i32("healthCheckNodePort"), 13, bool("publishNotReadyAddresses"));
    message("ServicePort", 1, s("name"), 2, s("protocol"), 3, i32("port"),
        4, new F("targetPort", Kind.INT_OR_STRING, null, false, false), 5, i32("nodePort"));
    // A message this decoder accepts only empty (e.g. a container's resources as kubectl sends them).
    message("Empty");
  }

  /** The kinds whose protobuf this decoder reads, by "apiVersion/kind". */
  private static final Map<String, String> KINDS = new java.util.TreeMap<>(Map.of("apps/v1/Deployment", "Deployment",
      "v1/Namespace", "Namespace", "v1/ConfigMap", "ConfigMap", "v1/Service", "Service"));

  static boolean isProtobuf(String mediaType) {
    return mediaType.equalsIgnoreCase(MEDIA_TYPE);
  }

  /**
   * The object in {@code body} as JSON, with apiVersion and kind from its envelope.
   *
   * @throws ApiException 400 BadRequest for a malformed body, 415 UnsupportedMediaType for a kind
   *     or field this decoder does not read
   */
  static Struct decode(byte[] body) {
    if (body.length < MAGIC.length || body[0] != MAGIC[0] || body[1] != MAGIC[1] || body[2] != MAGIC[2]
        || body[3] != MAGIC[3]) {
      throw bad("the body does not start with the protobuf envelope prefix \"k8s\\x00\"");
    }
    try {
      CodedInputStream in = CodedInputStream.newInstance(body, MAGIC.length, body.length - MAGIC.length);
      String apiVersion = "";
      String kind = "";
      byte[] raw = new byte[0];
      String encoding = "";
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        switch (tag) {
          case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> {
            CodedInputStream tm = CodedInputStream.newInstance(in.readByteArray());
            while (!tm.isAtEnd()) {
              int t = tm.readTag();
              switch (t) {
                case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> apiVersion = tm.readStringRequireUtf8();
                case (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> kind = tm.readStringRequireUtf8();
                default -> tm.skipField(t);
              }
            }
          }
          case (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> raw = in.readByteArray();
          case (3 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> encoding = in.readStringRequireUtf8();
          default -> in.skipField(tag);
        }
      }
      if (!encoding.isEmpty()) {
        throw unsupported("contentEncoding " + encoding);
      }
      String type = KINDS.get(apiVersion + "/" + kind);
      if (type == null) {
        throw unsupported("kind " + kind + " of " + apiVersion);
      }
      Struct.Builder out = object(CodedInputStream.newInstance(raw), type).toBuilder();
      out.putFields("apiVersion", Value.newBuilder().setStringValue(apiVersion).build());
      out.putFields("kind", Value.newBuilder().setStringValue(kind).build());
      return out.build();
    } catch (IOException e) {
      throw bad(e.getMessage());
    }
  }

  private static Struct object(CodedInputStream in, String type) throws IOException {
    Map<Integer, F> schema = SCHEMAS.get(type);
    Struct.Builder out = Struct.newBuilder();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int number = WireFormat.getTagFieldNumber(tag);
      F f = schema.get(number);
      if (f == null) {
        throw unsupported("field " + number + " of " + type);
      }
      Value v = value(in, tag, f, type);
      if (v == null) {
        continue;
      }
      if (f.repeated) {
        ListValue.Builder list = out.getFieldsOrDefault(f.json, Value.getDefaultInstance()).getListValue().toBuilder();
        out.putFields(f.json, Value.newBuilder().setListValue(list.addValues(v)).build());
      } else if (f.kind == Kind.STRING_MAP) {
        Struct.Builder m = out.getFieldsOrDefault(f.json, Value.getDefaultInstance()).getStructValue().toBuilder();
        m.putAllFields(v.getStructValue().getFieldsMap());
        out.putFields(f.json, Value.newBuilder().setStructValue(m).build());
      } else {
        out.putFields(f.json, v);
      }
    }
    return out.build();
  }

  /** The field's JSON value, or null when omitempty drops it. */
  private static Value value(CodedInputStream in, int tag, F f, String type) throws IOException {
    int wire = WireFormat.getTagWireType(tag);
    int expected = switch (f.kind) {
      case INT32, INT64, BOOL -> WireFormat.WIRETYPE_VARINT;
      case SKIP -> wire;
      default -> WireFormat.WIRETYPE_LENGTH_DELIMITED;
    };
    if (wire != expected) {
      throw bad("field " + f.json + " of " + type + " has wire type " + wire + ", expected " + expected);
    }
    boolean keep = f.pointer || f.repeated;
    switch (f.kind) {
      case STRING -> {
        String s = in.readStringRequireUtf8();
        return s.isEmpty() && !keep ? null : Value.newBuilder().setStringValue(s).build();
      }
      case INT32, INT64 -> {
        long n = f.kind == Kind.INT32 ? in.readInt32() : in.readInt64();
        return n == 0 && !keep ? null : Value.newBuilder().setNumberValue(n).build();
      }
      case BOOL -> {
        boolean b = in.readBool();
        return !b && !keep ? null : Value.newBuilder().setBoolValue(b).build();
      }
      case MESSAGE -> {
        Struct s = object(CodedInputStream.newInstance(in.readByteArray()), f.message);
        return s.getFieldsCount() == 0 && !f.repeated ? null : Value.newBuilder().setStructValue(s).build();
      }
      case STRING_MAP -> {
        CodedInputStream e = CodedInputStream.newInstance(in.readByteArray());
        String k = "";
        String v = "";
        while (!e.isAtEnd()) {
          int t = e.readTag();
          switch (t) {
            case (1 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> k = e.readStringRequireUtf8();
            case (2 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> v = e.readStringRequireUtf8();
            default -> throw bad("a map entry of " + f.json + " has field " + WireFormat.getTagFieldNumber(t));
          }
        }
        return Value.newBuilder().setStructValue(Struct.newBuilder()
            .putFields(k, Value.newBuilder().setStringValue(v).build())).build();
      }
      case TIME -> {
        CodedInputStream t = CodedInputStream.newInstance(in.readByteArray());
        long seconds = 0;
        while (!t.isAtEnd()) {
          int tt = t.readTag();
          if (tt == ((1 << 3) | WireFormat.WIRETYPE_VARINT)) {
            seconds = t.readInt64();
          } else {
            t.skipField(tt);
          }
        }
        return seconds == 0 ? null : Value.newBuilder().setStringValue(KubeTime.time(seconds * 1000)).build();
      }
      case INT_OR_STRING -> {
        CodedInputStream t = CodedInputStream.newInstance(in.readByteArray());
        long kind = 0;
        long intVal = 0;
        String strVal = "";
        while (!t.isAtEnd()) {
          int tt = t.readTag();
          switch (tt) {
            case (1 << 3) | WireFormat.WIRETYPE_VARINT -> kind = t.readInt64();
            case (2 << 3) | WireFormat.WIRETYPE_VARINT -> intVal = t.readInt32();
            case (3 << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED -> strVal = t.readStringRequireUtf8();
            default -> t.skipField(tt);
          }
        }
        if (!f.pointer && (kind == 1 ? strVal.isEmpty() : intVal == 0)) {
          return null; // the zero IntOrString: what an absent one decodes to
        }
        return kind == 1 ? Value.newBuilder().setStringValue(strVal).build()
            : Value.newBuilder().setNumberValue(intVal).build();
      }
      case SKIP -> {
        in.skipField(tag);
        return null;
      }
      default -> throw new IllegalStateException(f.kind.toString());
    }
  }

  private static ApiException bad(String why) {
    return new ApiException(Status.badRequest("the body of the request was in an unknown format - " + why));
  }

  private static ApiException unsupported(String what) {
    return new ApiException(new Status(415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - podnet reads " + MEDIA_TYPE + " only for "
            + String.join(", ", KINDS.keySet()) + " (not " + what + "); accepted media types include: "
            + "application/json, application/yaml", Status.Details.NONE));
  }
}
