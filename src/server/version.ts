export { ETCD_API_VERSION, ETCD_TS_VERSION } from '../config/version.js';

/** The cluster version a 3.4 member reports once its cluster is formed. */
export const ETCD_CLUSTER_VERSION = '3.4.0';
