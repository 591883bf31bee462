// What the offline commands (etcdutl-ts's, and etcdctl's snapshot restore) write to: stdout for results, stderr for errors and the
// progress lines etcd's tools log (zap's production JSON, epoch-seconds timestamps).
export interface UtilIO {
  out(s: string | Uint8Array): void;
  err(s: string): void;
}

export type ZapLog = (msg: string, fields?: Record<string, unknown>, caller?: string) => void;

export function zapLogger(io: UtilIO): ZapLog {
  return (msg, fields = {}, caller) => io.err(JSON.stringify({ level: 'info', ts: Date.now() / 1000, ...(caller ? { caller } : {}), msg, ...fields }) + '\n');
}
