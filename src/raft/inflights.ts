// A bounded window of in-flight MsgApp (identified by their last index) to one
// follower: the leader stops sending when it is full and frees on acknowledgement.

export class Inflights {
  private readonly buffer: number[];
  private start = 0;
  count = 0;

  constructor(readonly size: number) {
    this.buffer = new Array<number>(size).fill(0);
  }

  add(last: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    this.buffer[(this.start + this.count) % this.size] = last;
    this.count++;
  }

  /** Frees every message whose last index is <= to. */
  freeLE(to: number): void {
    while (this.count > 0 && this.buffer[this.start]! <= to) {
      this.start = (this.start + 1) % this.size;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.buffer[this.start]!);
  }

  full(): boolean {
    return this.count === this.size;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}
