export { ETCD_API_VERSION, ETCD_TS_VERSION } from '../config/version.js';
