// HPACK's dynamic table (RFC 7541 §2.3.2, §4): newest entry first, evicted
// oldest first to stay within its maximum size. A ring of parallel arrays so
// lookups and insertions allocate nothing once the ring has grown.
import { ENTRY_OVERHEAD } from './hpack-static.js';

export class DynamicTable {
  names: string[] = new Array(16);
  values: string[] = new Array(16);
  /** Per entry: whether the field passed validation when it was inserted (see fields.ts). */
  valid: Uint8Array = new Uint8Array(16);
  private mask = 15;
  /** Ring slot of the oldest entry. */
  private tail = 0;
  count = 0;
  size = 0;
  /** Insertions so far: entry k (0-based, oldest first) has sequence inserted - count + k. */
  inserted = 0;

  constructor(public maxSize: number) {}

  /** Ring slot of dynamic index `i` (1 = newest); the caller checks 1 <= i <= count. */
  slot(i: number): number {
    return (this.tail + this.count - i) & this.mask;
  }

  add(name: string, value: string, valid: number): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added.
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - size);
    if (this.count > this.mask) this.grow();
    const at = (this.tail + this.count) & this.mask;
    this.names[at] = name;
    this.values[at] = value;
    this.valid[at] = valid;
    this.count++;
    this.size += size;
    this.inserted++;
  }

  setMaxSize(max: number): void {
    this.maxSize = max;
    this.evictTo(max);
  }

  /** Hook for tables that index their entries (the encoder's). */
  protected onEvict(_name: string, _value: string, _seq: number): void {}

  private evictTo(limit: number): void {
    while (this.size > limit && this.count > 0) {
      const at = this.tail;
      const name = this.names[at]!;
      const value = this.values[at]!;
      this.size -= name.length + value.length + ENTRY_OVERHEAD;
      this.onEvict(name, value, this.inserted - this.count);
      this.names[at] = '';
      this.values[at] = '';
      this.tail = (this.tail + 1) & this.mask;
      this.count--;
    }
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const names = new Array<string>(cap);
    const values = new Array<string>(cap);
    const valid = new Uint8Array(cap);
    for (let k = 0; k < this.count; k++) {
      const from = (this.tail + k) & this.mask;
      names[k] = this.names[from]!;
      values[k] = this.values[from]!;
      valid[k] = this.valid[from]!;
    }
    this.names = names;
    this.values = values;
    this.valid = valid;
    this.tail = 0;
    this.mask = cap - 1;
  }
}
