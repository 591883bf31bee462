// Schemas of the objects Kubernetes keeps under /registry/: apimachinery's
// ObjectMeta and a handful of core/v1 kinds, by their protobuf field numbers.
// Field numbers and wire types are those of the generated protos (k8s.io v0.26):
//   kubernetes/apimachinery pkg/apis/meta/v1/generated.proto (ObjectMeta, OwnerReference,
//     ManagedFieldsEntry, FieldsV1, Time), pkg/util/intstr/generated.proto (IntOrString),
//     pkg/runtime/generated.proto (Unknown, TypeMeta: see envelope.ts);
//   kubernetes/api core/v1/generated.proto (the core/v1 kinds below).
// Names are the JSON names kubectl prints.
import type { Field, FieldType, Schema } from './wire.js';

const f = (name: string, type: FieldType, repeated = false): Field => ({ name, type, repeated });
const str = (name: string) => f(name, 'string');
const strs = (name: string) => f(name, 'string', true);
const int = (name: string) => f(name, 'int');
const bool = (name: string) => f(name, 'bool');
const msg = (name: string, schema: Schema, repeated = false) => f(name, { msg: schema }, repeated);
const strMap = (name: string) => f(name, { map: 'string' });

// meta/v1
const OwnerReference: Schema = { 1: str('kind'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: bool('controller'), 7: bool('blockOwnerDeletion') };
const ManagedFieldsEntry: Schema = {
  1: str('manager'),
  2: str('operation'),
  3: str('apiVersion'),
  4: f('time', 'time'),
  6: str('fieldsType'),
  7: f('fieldsV1', 'jsonRaw'),
  8: str('subresource'),
};
export const ObjectMeta: Schema = {
  1: str('name'),
  2: str('generateName'),
  3: str('namespace'),
  4: str('selfLink'),
  5: str('uid'),
  6: str('resourceVersion'),
  7: int('generation'),
  8: f('creationTimestamp', 'time'),
  9: f('deletionTimestamp', 'time'),
  10: int('deletionGracePeriodSeconds'),
  11: strMap('labels'),
  12: strMap('annotations'),
  13: msg('ownerReferences', OwnerReference, true),
  14: strs('finalizers'),
  17: msg('managedFields', ManagedFieldsEntry, true),
};
const metadata = msg('metadata', ObjectMeta);

// core/v1
const ObjectReference: Schema = { 1: str('kind'), 2: str('namespace'), 3: str('name'), 4: str('uid'), 5: str('apiVersion'), 6: str('resourceVersion'), 7: str('fieldPath') };
const LocalObjectReference: Schema = { 1: str('name') };

const NamespaceCondition: Schema = { 1: str('type'), 2: str('status'), 4: f('lastTransitionTime', 'time'), 5: str('reason'), 6: str('message') };
const Namespace: Schema = {
  1: metadata,
  2: msg('spec', { 1: strs('finalizers') }),
  3: msg('status', { 1: str('phase'), 2: msg('conditions', NamespaceCondition, true) }),
};

const ConfigMap: Schema = { 1: metadata, 2: strMap('data'), 3: f('binaryData', { map: 'bytes' }), 4: bool('immutable') };
const Secret: Schema = { 1: metadata, 2: f('data', { map: 'bytes' }), 3: str('type'), 4: strMap('stringData'), 5: bool('immutable') };
const ServiceAccount: Schema = {
  1: metadata,
  2: msg('secrets', ObjectReference, true),
  3: msg('imagePullSecrets', LocalObjectReference, true),
  4: bool('automountServiceAccountToken'),
};

const ServicePort: Schema = { 1: str('name'), 2: str('protocol'), 3: int('port'), 4: f('targetPort', 'intOrString'), 5: int('nodePort'), 6: str('appProtocol') };
const ServiceSpec: Schema = {
  1: msg('ports', ServicePort, true),
  2: strMap('selector'),
  3: str('clusterIP'),
  4: str('type'),
  5: strs('externalIPs'),
  7: str('sessionAffinity'),
  10: str('externalName'),
  17: str('ipFamilyPolicy'),
  18: strs('clusterIPs'),
  19: strs('ipFamilies'),
  22: str('internalTrafficPolicy'),
};
// The apiserver always writes status.loadBalancer, empty or not.
const LoadBalancerIngress: Schema = { 1: str('ip'), 2: str('hostname') };
const ServiceStatus: Schema = { 1: msg('loadBalancer', { 1: msg('ingress', LoadBalancerIngress, true) }) };
const Service: Schema = { 1: metadata, 2: msg('spec', ServiceSpec), 3: msg('status', ServiceStatus) };

const ContainerPort: Schema = { 1: str('name'), 2: int('hostPort'), 3: int('containerPort'), 4: str('protocol'), 5: str('hostIP') };
const EnvVar: Schema = { 1: str('name'), 2: str('value') };
const Container: Schema = {
  1: str('name'),
  2: str('image'),
  3: strs('command'),
  4: strs('args'),
  5: str('workingDir'),
  6: msg('ports', ContainerPort, true),
  7: msg('env', EnvVar, true),
  13: str('terminationMessagePath'),
  14: str('imagePullPolicy'),
  20: str('terminationMessagePolicy'),
};
const PodSpec: Schema = {
  2: msg('containers', Container, true),
  3: str('restartPolicy'),
  4: int('terminationGracePeriodSeconds'),
  6: str('dnsPolicy'),
  7: strMap('nodeSelector'),
  8: str('serviceAccountName'),
  9: str('serviceAccount'),
  10: str('nodeName'),
  11: bool('hostNetwork'),
};
const PodStatus: Schema = { 1: str('phase'), 3: str('message'), 4: str('reason'), 5: str('hostIP'), 6: str('podIP'), 7: f('startTime', 'time') };
const Pod: Schema = { 1: metadata, 2: msg('spec', PodSpec), 3: msg('status', PodStatus) };

/** Schemas by "apiVersion/kind". */
export const KINDS: Record<string, Schema> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/Pod': Pod,
};

/** Any other kind: field 1 is ObjectMeta in (almost) every Kubernetes object. */
export const UNKNOWN_KIND: Schema = { 1: metadata };
