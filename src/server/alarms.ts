// The cluster's raised alarms, as etcd's v3alarm store keeps them: one set of member
// IDs per alarm type, persisted in the backend's 'alarm' bucket (the key is the
// encoded AlarmMember, the value empty) so every member restores the same alarms.
// Changes arrive only through applied log entries, so all members agree.
import type { Backend } from '../backend/backend.js';
import { codec } from '../pb/codec.js';
import { AlarmType, type AlarmMember } from '../pb/maintenance.js';

export { AlarmType, AlarmAction, type AlarmMember, type AlarmRequest } from '../pb/maintenance.js';

const memberCodec = codec<AlarmMember>('etcdserverpb.AlarmMember');
const EMPTY = new Uint8Array(0);

export class AlarmStore {
  private readonly types = new Map<AlarmType, Map<bigint, AlarmMember>>();

  constructor(private readonly backend: Backend) {
    for (const [k] of backend.range('alarm', EMPTY)) this.add(memberCodec.decode(k));
  }

  /** The newly raised alarm, or the one already raised for that member and type. */
  activate(memberID: bigint, alarm: AlarmType): AlarmMember {
    const existing = this.set(alarm).get(memberID);
    if (existing) return existing;
    const m = { memberID, alarm };
    this.add(m);
    this.backend.put('alarm', memberCodec.encode(m), EMPTY);
    return m;
  }

  /** The alarm taken down, or undefined when that member had none of that type. */
  deactivate(memberID: bigint, alarm: AlarmType): AlarmMember | undefined {
    const set = this.set(alarm);
    const m = set.get(memberID);
    if (!m) return undefined;
    set.delete(memberID);
    this.backend.delete('alarm', memberCodec.encode(m));
    return m;
  }

  /** Alarms of one type; NONE lists every raised alarm. */
  get(alarm: AlarmType): AlarmMember[] {
    if (alarm !== AlarmType.NONE) return [...this.set(alarm).values()];
    return [...this.types.values()].flatMap((s) => [...s.values()]);
  }

  has(alarm: AlarmType): boolean {
    return this.set(alarm).size > 0;
  }

  private add(m: AlarmMember): void {
    this.set(m.alarm).set(m.memberID, m);
  }

  private set(alarm: AlarmType): Map<bigint, AlarmMember> {
    let s = this.types.get(alarm);
    if (!s) {
      s = new Map();
      this.types.set(alarm, s);
    }
    return s;
  }
}

/** Go's proto String() of an AlarmMember, as etcd puts it in a status's errors (proto3 leaves zero fields out). */
export function alarmString(m: AlarmMember): string {
  const id = m.memberID !== 0n ? `memberID:${m.memberID} ` : '';
  const alarm = m.alarm !== AlarmType.NONE ? `alarm:${AlarmType[m.alarm] ?? m.alarm} ` : '';
  return id + alarm;
}
