// The storage version (etcd 3.6's schema version): the minor release whose on-disk
// layout the backend holds, kept in the meta bucket as etcd keeps it ("3.6.0").
import type { Backend } from '../backend/backend.js';

const STORAGE_VERSION_KEY = new TextEncoder().encode('storageVersion');

export function readStorageVersion(backend: Backend): string | undefined {
  const v = backend.get('meta', STORAGE_VERSION_KEY);
  return v === undefined ? undefined : new TextDecoder().decode(v);
}

export function writeStorageVersion(backend: Backend, version: string): void {
  backend.put('meta', STORAGE_VERSION_KEY, new TextEncoder().encode(version));
}
