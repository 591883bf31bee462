// Bytes written by the real etcd 3.4.23 (a one-member cluster, --snapshot-count 5, twelve
// puts): entries from its WAL and the metadata of a .snap file. The raftpb codec must
// read them and write the same bytes back, and a log entry must be told apart the way
// etcd tells it apart (a bare v2 Request or an InternalRaftRequest).

/** Index 1: the cluster's bootstrap AddNode, its context the member as etcd's JSON. */
export const ENTRY_CONF_CHANGE =
  '080110011801225c0800100018c8a5a0dcd782a0bc66224c7b226964223a373338333739323431383832393131323030382c227065657255524c73223a5b22687474703a2f2f3132372e302e302e313a3432333830225d2c226e616d65223a226531227d';
/** Index 2: the leader's empty entry. */
export const ENTRY_EMPTY = '080010021802';
/** Index 3: publish, a bare etcdserverpb.Request PUT of the member's attributes. */
export const ENTRY_PUBLISH =
  '0800100218032285010881ca91be90c9a8e41212035055541a262f302f6d656d626572732f363637383830313537623838313263382f6174747269627574657322357b226e616d65223a226531222c22636c69656e7455524c73223a5b22687474703a2f2f3132372e302e302e313a3432333739225d7d2800320038004800500058006000680070007800800100';
/** Index 4: the leader sets the cluster version, a bare Request PUT of /0/version. */
export const ENTRY_VERSION = '08001002180422390884ca91be90c9a8e41212035055541a0a2f302f76657273696f6e2205332e342e302800320038004800500058006000680070007800800100';
/** Index 5: a put, an InternalRaftRequest (put, then header). */
export const ENTRY_PUT = '080010021805221722080a026b3112027631a2060a0885ca91be90c9a8e412';
/** The metadata field of raftpb.Snapshot at index 12, term 2, one voter. */
export const SNAPSHOT_METADATA = '12120a0c08c8a5a0dcd782a0bc662800100c1802';
export const MEMBER_ID = 7383792418829112008n;
