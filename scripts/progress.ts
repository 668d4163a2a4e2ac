/** A one-line progress bar for terminals (written to stderr, so stdout stays parseable). */
export class Progress {
  private last = 0;
  private readonly start = Date.now();
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(done: number, total: number, label = 'images'): void {
    const now = Date.now();
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const rate = done / Math.max((now - this.start) / 1000, 1e-3);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}  ${rate.toFixed(0)}/s `);
  }

  done(): void {
    this.out.write('\r\x1b[K');
  }
}
