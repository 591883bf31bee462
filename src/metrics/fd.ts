// The process's file descriptors, as etcd's os_fd_used and os_fd_limit report them
// (Linux: /proc/self/fd and the soft "Max open files" limit).
import { readdirSync, readFileSync } from 'node:fs';

export function fdUsed(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export function fdLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
