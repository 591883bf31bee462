// Which of a peer's URLs to use (rafthttp's urlPicker): the same one until it fails,
// then the next. Every sender to one peer shares its picker.
export class UrlPicker {
  private index = 0;

  constructor(private urls: string[]) {
    if (urls.length === 0) throw new Error('a peer needs at least one URL');
  }

  pick(): string {
    return this.urls[this.index % this.urls.length]!;
  }

  update(urls: string[]): void {
    if (urls.length === 0) return;
    if (urls.join(',') !== this.urls.join(',')) this.index = 0;
    this.urls = urls;
  }

  all(): string[] {
    return this.urls;
  }

  /** `url` failed: move on, unless another sender already did. */
  unreachable(url: string): void {
    if (url === this.pick()) this.index++;
  }
}
