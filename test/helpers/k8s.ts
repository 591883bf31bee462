// Kubernetes objects as the apiserver stores them in etcd: protobuf in the "k8s\0"
// envelope (a runtime.Unknown), for tests that write such values and read them back.
import { createRequire } from 'node:module';
import type * as PB from 'protobufjs';

const require = createRequire(import.meta.url);
const protobuf: typeof PB = require('protobufjs');

// The few Kubernetes messages the test writes, with their public field numbers.
const root = protobuf.parse(`
syntax = "proto2";
package k8s;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message ObjectMeta {
  optional string name = 1; optional string namespace = 3; optional string uid = 5; optional string resourceVersion = 6;
  optional Time creationTimestamp = 8; map<string, string> labels = 11; map<string, string> annotations = 12; repeated string finalizers = 14;
}
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; }
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; }
message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; }
message ServicePort { optional string name = 1; optional string protocol = 2; optional int32 port = 3; optional IntOrString targetPort = 4; optional int32 nodePort = 5; optional string appProtocol = 6; }
message ServiceSpec {
  repeated ServicePort ports = 1; map<string, string> selector = 2; optional string clusterIP = 3; optional string type = 4; optional string sessionAffinity = 7;
  optional string ipFamilyPolicy = 17; repeated string clusterIPs = 18; repeated string ipFamilies = 19; optional string internalTrafficPolicy = 22;
}
message LoadBalancerStatus { repeated LoadBalancerIngress ingress = 1; }
message LoadBalancerIngress { optional string ip = 1; optional string hostname = 2; }
message ServiceStatus { optional LoadBalancerStatus loadBalancer = 1; }
message Service { optional ObjectMeta metadata = 1; optional ServiceSpec spec = 2; optional ServiceStatus status = 3; }
message ObjectReference { optional string kind = 1; optional string namespace = 2; optional string name = 3; optional string uid = 4; optional string apiVersion = 5; }
message LocalObjectReference { optional string name = 1; }
message ServiceAccount { optional ObjectMeta metadata = 1; repeated ObjectReference secrets = 2; repeated LocalObjectReference imagePullSecrets = 3; optional bool automountServiceAccountToken = 4; }
message ContainerPort { optional string name = 1; optional int32 hostPort = 2; optional int32 containerPort = 3; optional string protocol = 4; }
message EnvVar { optional string name = 1; optional string value = 2; }
message Container {
  optional string name = 1; optional string image = 2; repeated string command = 3; repeated string args = 4; optional string workingDir = 5;
  repeated ContainerPort ports = 6; repeated EnvVar env = 7; optional string terminationMessagePath = 13; optional string imagePullPolicy = 14; optional string terminationMessagePolicy = 20;
}
message PodSpec {
  repeated Container containers = 2; optional string restartPolicy = 3; optional int64 terminationGracePeriodSeconds = 4; optional string dnsPolicy = 6;
  map<string, string> nodeSelector = 7; optional string serviceAccountName = 8; optional string serviceAccount = 9; optional string nodeName = 10; optional bool hostNetwork = 11;
}
message PodStatus { optional string phase = 1; optional string hostIP = 5; optional string podIP = 6; optional Time startTime = 7; }
message Pod { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; optional PodStatus status = 3; }
message Inner { optional string text = 1; optional int64 count = 2; }
message Widget { optional ObjectMeta metadata = 1; optional Inner spec = 2; optional int32 replicas = 5; optional bytes blob = 6; }
`).root;

/** The apiserver's encoding of obj as a message of k8s.<typeName>. */
export function envelope(apiVersion: string, kind: string, typeName: string, obj: object): Buffer {
  const raw = root.lookupType(`k8s.${typeName}`).encode(obj).finish();
  const unknown = root.lookupType('k8s.Unknown').encode({ typeMeta: { apiVersion, kind }, raw, contentType: '' }).finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
