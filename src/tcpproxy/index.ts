export { TcpProxy, type ProxyTarget, type TcpProxyOptions } from './proxy.js';
export { pick, type Endpoint, type PickState } from './pick.js';
export { discoverSrvEndpoints, srvServiceName, type SrvResolver } from './srv.js';
