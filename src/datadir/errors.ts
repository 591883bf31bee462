// Why an etcd data dir is not taken over (or handed back): always the file at fault,
// so an operator knows what to look at, and always before anything was written.

export class EtcdDataDirError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`etcd data dir: ${file}: ${reason}`);
    this.name = 'EtcdDataDirError';
  }
}
