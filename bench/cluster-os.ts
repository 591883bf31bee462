// BENCH_OS=1: kernel-side counts per request, summed over the member processes
// and all their threads: read and write syscalls (/proc/<pid>/io) and context
// switches (/proc/<pid>/task/*/status). Two servers with the same CPU profile
// shape often differ first in how many times they enter the kernel per request.
import { readFileSync, readdirSync } from 'node:fs';

export interface OsCounts {
  syscr: number;
  syscw: number;
  voluntary: number;
  involuntary: number;
  /** CPU in user and kernel mode, microseconds (from /proc/<pid>/stat, 100 ticks a second). */
  userUs: number;
  sysUs: number;
}

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function processCounts(pid: number): OsCounts {
  const out: OsCounts = { syscr: 0, syscw: 0, voluntary: 0, involuntary: 0, userUs: 0, sysUs: 0 };
  try {
    // Fields after the command name, which may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.userUs = Number(rest[11]) * 10_000;
    out.sysUs = Number(rest[12]) * 10_000;
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    out.syscr = field(io, 'syscr');
    out.syscw = field(io, 'syscw');
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const st = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      out.voluntary += field(st, 'voluntary_ctxt_switches');
      out.involuntary += field(st, 'nonvoluntary_ctxt_switches');
    }
  } catch {
    // A member that exited counts as zero; the line then shows it.
  }
  return out;
}

export function osCounts(pids: number[]): OsCounts {
  const sum: OsCounts = { syscr: 0, syscw: 0, voluntary: 0, involuntary: 0, userUs: 0, sysUs: 0 };
  for (const pid of pids) {
    const c = processCounts(pid);
    sum.syscr += c.syscr;
    sum.syscw += c.syscw;
    sum.voluntary += c.voluntary;
    sum.involuntary += c.involuntary;
    sum.userUs += c.userUs;
    sum.sysUs += c.sysUs;
  }
  return sum;
}

export function osLine(side: string, before: OsCounts, after: OsCounts, requests: number): string {
  const per = (k: keyof OsCounts) => ((after[k] - before[k]) / Math.max(1, requests)).toFixed(2);
  return (
    `${side.padEnd(8)} kernel per request (3 members): read syscalls ${per('syscr')}, write syscalls ${per('syscw')}, ` +
    `context switches ${per('voluntary')} voluntary + ${per('involuntary')} preempted, ` +
    `cpu µs ${per('userUs')} user + ${per('sysUs')} kernel`
  );
}
