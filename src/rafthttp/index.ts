export { RaftTransport, LeaseForwardError, fetchCluster, type TransportHooks, type TransportOptions, type RaftReceiver, type PeerInfo, type RemoteCluster } from './transport.js';
export { receiveSnapshotBody, buildSnapshotFile, snapshotDbPath, isSnapshotDbName, boltConsistentIndex, type ReceivedSnapshot, type SnapshotFile } from './snapshot-stream.js';
export { encodeFrames, FrameReader } from './frame.js';
export { resolvePeerTls, type PeerTls, type PeerTlsConfig } from './tls.js';
export { PATH_HASHKV, serveHashKV, fetchPeerHashKV, PeerHashKVError, type PeerHashKV } from './hashkv.js';
