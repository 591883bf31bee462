// etcd's client-visible errors: the gRPC status code and the exact message etcd
// sends, because clients (etcdctl, clientv3, Kubernetes) match on both.

export enum GrpcCode {
  OK = 0,
  Canceled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

export class EtcdError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

const e = (code: GrpcCode, message: string) => new EtcdError(code, message);
const C = GrpcCode;

/** Shared, immutable instances: compare with `===` or by message. */
export const Errors = {
  EmptyKey: e(C.InvalidArgument, 'etcdserver: key is not provided'),
  KeyNotFound: e(C.InvalidArgument, 'etcdserver: key not found'),
  ValueProvided: e(C.InvalidArgument, 'etcdserver: value is provided'),
  LeaseProvided: e(C.InvalidArgument, 'etcdserver: lease is provided'),
  TooManyOps: e(C.InvalidArgument, 'etcdserver: too many operations in txn request'),
  DuplicateKey: e(C.InvalidArgument, 'etcdserver: duplicate key given in txn request'),
  Compacted: e(C.OutOfRange, 'etcdserver: mvcc: required revision has been compacted'),
  FutureRev: e(C.OutOfRange, 'etcdserver: mvcc: required revision is a future revision'),
  NoSpace: e(C.ResourceExhausted, 'etcdserver: mvcc: database space exceeded'),
  InvalidSortOption: e(C.InvalidArgument, 'etcdserver: invalid sort option'),

  LeaseNotFound: e(C.NotFound, 'etcdserver: requested lease not found'),
  LeaseExist: e(C.FailedPrecondition, 'etcdserver: lease already exists'),
  LeaseTTLTooLarge: e(C.OutOfRange, 'etcdserver: too large lease TTL'),

  MemberExist: e(C.FailedPrecondition, 'etcdserver: member ID already exist'),
  PeerURLExist: e(C.FailedPrecondition, 'etcdserver: Peer URLs already exists'),
  MemberNotEnoughStarted: e(C.FailedPrecondition, 'etcdserver: re-configuration failed due to not enough started members'),
  MemberBadURLs: e(C.InvalidArgument, 'etcdserver: given member URLs are invalid'),
  MemberNotFound: e(C.NotFound, 'etcdserver: member not found'),
  MemberNotLearner: e(C.FailedPrecondition, 'etcdserver: can only promote a learner member'),
  LearnerNotReady: e(C.FailedPrecondition, 'etcdserver: can only promote a learner member which is in sync with leader'),
  TooManyLearners: e(C.FailedPrecondition, 'etcdserver: too many learner members in cluster'),

  RequestTooLarge: e(C.InvalidArgument, 'etcdserver: request is too large'),
  TooManyRequests: e(C.ResourceExhausted, 'etcdserver: too many requests'),

  RootUserNotExist: e(C.FailedPrecondition, 'etcdserver: root user does not exist'),
  RootRoleNotExist: e(C.FailedPrecondition, 'etcdserver: root user does not have root role'),
  UserAlreadyExist: e(C.FailedPrecondition, 'etcdserver: user name already exists'),
  UserEmpty: e(C.InvalidArgument, 'etcdserver: user name is empty'),
  UserNotFound: e(C.FailedPrecondition, 'etcdserver: user name not found'),
  RoleAlreadyExist: e(C.FailedPrecondition, 'etcdserver: role name already exists'),
  RoleNotFound: e(C.FailedPrecondition, 'etcdserver: role name not found'),
  RoleEmpty: e(C.InvalidArgument, 'etcdserver: role name is empty'),
  AuthFailed: e(C.InvalidArgument, 'etcdserver: authentication failed, invalid user ID or password'),
  PermissionDenied: e(C.PermissionDenied, 'etcdserver: permission denied'),
  RoleNotGranted: e(C.FailedPrecondition, 'etcdserver: role is not granted to the user'),
  PermissionNotGranted: e(C.FailedPrecondition, 'etcdserver: permission is not granted to the role'),
  AuthNotEnabled: e(C.FailedPrecondition, 'etcdserver: authentication is not enabled'),
  InvalidAuthToken: e(C.Unauthenticated, 'etcdserver: invalid auth token'),
  InvalidAuthMgmt: e(C.InvalidArgument, 'etcdserver: invalid auth management'),
  AuthOldRevision: e(C.InvalidArgument, 'etcdserver: revision of auth store is old'),
  /** The auth store's own error, which etcd's gRPC layer passes on unconverted. */
  NoPasswordUser: e(C.Unknown, 'auth: authentication failed, password was given for no password user'),

  NoLeader: e(C.Unavailable, 'etcdserver: no leader'),
  NotLeader: e(C.FailedPrecondition, 'etcdserver: not leader'),
  LeaderChanged: e(C.Unavailable, 'etcdserver: leader changed'),
  NotCapable: e(C.Unavailable, 'etcdserver: not capable'),
  Stopped: e(C.Unavailable, 'etcdserver: server stopped'),
  Timeout: e(C.Unavailable, 'etcdserver: request timed out'),
  TimeoutDueToLeaderFail: e(C.Unavailable, 'etcdserver: request timed out, possibly due to previous leader failure'),
  TimeoutDueToConnectionLost: e(C.Unavailable, 'etcdserver: request timed out, possibly due to connection lost'),
  TimeoutLeaderTransfer: e(C.DeadlineExceeded, 'etcdserver: request timed out, leader transfer took too long'),
  Unhealthy: e(C.Unavailable, 'etcdserver: unhealthy cluster'),
  Corrupt: e(C.DataLoss, 'etcdserver: corrupt cluster'),
  NotSupportedForLearner: e(C.Unavailable, 'etcdserver: rpc not supported for learner'),
  BadLeaderTransferee: e(C.FailedPrecondition, 'etcdserver: bad leader transferee'),

  // etcd 3.5's Maintenance.Downgrade.
  WrongDowngradeVersionFormat: e(C.InvalidArgument, 'etcdserver: wrong downgrade target version format'),
  InvalidDowngradeTargetVersion: e(C.InvalidArgument, 'etcdserver: invalid downgrade target version'),
  ClusterVersionUnavailable: e(C.FailedPrecondition, 'etcdserver: cluster version not found during downgrade'),
  DowngradeInProcess: e(C.FailedPrecondition, 'etcdserver: cluster has a downgrade job in progress'),
  NoInflightDowngrade: e(C.FailedPrecondition, 'etcdserver: no inflight downgrade job'),
} as const;

/** Maps any thrown value to an EtcdError; unknown failures become Unknown with their message. */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new EtcdError(GrpcCode.Unknown, message);
}
