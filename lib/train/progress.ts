/**
 * A progress line on stderr: epoch, step, loss (and other logs), elapsed time and ETA.
 * On a TTY it redraws one line per step; otherwise it prints one line per epoch. It stays
 * silent under vitest unless COURSE_PROGRESS=1.
 */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(4)}`)
    .join('  ');
}

export class Progress {
  private readonly start = Date.now();
  private stepsDone = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  readonly enabled: boolean;

  constructor(
    private readonly label: string,
    private readonly epochs: number,
    private readonly stepsPerEpoch: number,
    opts: { quiet?: boolean; firstEpoch?: number } = {},
  ) {
    const underTest = Boolean(process.env.VITEST) && process.env.COURSE_PROGRESS !== '1';
    this.enabled = !opts.quiet && !underTest;
    this.totalSteps = (epochs - (opts.firstEpoch ?? 0)) * stepsPerEpoch;
  }
  private readonly totalSteps: number;

  private eta(): string {
    const elapsed = (Date.now() - this.start) / 1000;
    const perStep = elapsed / Math.max(1, this.stepsDone);
    return `${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(perStep * (this.totalSteps - this.stepsDone))}`;
  }

  step(epoch: number, step: number, logs: Record<string, number>): void {
    this.stepsDone++;
    if (!this.enabled || !this.tty) return;
    const line = `[${this.label}] epoch ${epoch + 1}/${this.epochs} step ${step + 1}/${this.stepsPerEpoch}  ${formatLogs(logs)}  (${this.eta()})`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 120) - 1).padEnd(Math.min(process.stderr.columns ?? 120, 200) - 1)}`);
  }

  epoch(epoch: number, logs: Record<string, number>, extra = ''): void {
    if (!this.enabled) return;
    const line = `[${this.label}] epoch ${epoch + 1}/${this.epochs}  ${formatLogs(logs)}  (${this.eta()})${extra ? `\n${extra}` : ''}`;
    process.stderr.write(this.tty ? `\r${line}\n` : `${line}\n`);
  }

  note(message: string): void {
    if (this.enabled) process.stderr.write(`${this.tty ? '\r' : ''}[${this.label}] ${message}\n`);
  }
}
