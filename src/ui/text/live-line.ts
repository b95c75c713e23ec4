/**
 * One line of live status on a terminal (rewritten in place), and nothing at all when the stream is not
 * a TTY, so that piped output stays clean.
 */
export class LiveLine {
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(text: string): void {
    if (!this.enabled) return;
    const width = this.stream.columns ?? 120;
    this.stream.write(`\r\x1b[2K${text.length > width - 1 ? text.slice(0, width - 1) : text}`);
    this.shown = true;
  }

  /** Removes the line (before printing anything else). */
  clear(): void {
    if (!this.shown) return;
    this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** A text progress bar: `[#####-----]  50%  500/1000`. */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${done}/${total}`;
}
