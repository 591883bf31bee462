// The identity a client request runs under, carried through the async work it
// starts, so that proposals made on its behalf name it in their header — as
// etcd's gRPC context carries the token down to the Raft request.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuthInfo } from './store.js';

const requestAuth = new AsyncLocalStorage<AuthInfo | undefined>();

export function runAs<T>(ai: AuthInfo | undefined, fn: () => T): T {
  return requestAuth.run(ai, fn);
}

export function currentAuthInfo(): AuthInfo | undefined {
  return requestAuth.getStore();
}
