// Progress of a build on the terminal: one live status line on a TTY, plain lines otherwise.
import type { ProgressEvent } from './schemas.ts';

export interface Reporter {
  log(line: string): void;
  cellStarted(label: string, index: number, total: number): void;
  progress(event: ProgressEvent): void;
  cellFinished(): void;
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** Fraction of a cell's work done, from the repeat / epoch / step counters of its last event. A
 * training runner reports once per epoch, after it (spec rule 9): an event without a step closes its epoch. */
export function fractionDone(event: ProgressEvent): number | null {
  const withinEpoch = event.step === undefined ? (event.epoch === undefined ? null : 1) : event.steps ? event.step / event.steps : null;
  if (withinEpoch === null) return null;
  const repeats = event.repeats ?? 1;
  const epochs = event.epochs ?? 1;
  const withinRepeat = ((event.epoch ?? 1) - 1 + withinEpoch) / epochs;
  return ((event.repeat ?? 1) - 1 + withinRepeat) / repeats;
}

export function describe(event: ProgressEvent): string {
  const parts = [event.phase];
  if (event.repeat !== undefined) parts.push(`repeat ${event.repeat}/${event.repeats ?? '?'}`);
  if (event.epoch !== undefined) parts.push(`epoch ${event.epoch}/${event.epochs ?? '?'}`);
  if (event.step !== undefined) parts.push(`step ${event.step}/${event.steps ?? '?'}`);
  if (event.loss !== undefined) parts.push(`loss ${event.loss.toFixed(4)}`);
  return parts.join(' ');
}

export function createReporter(stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): Reporter {
  const live = stream.isTTY === true;
  let label = '';
  let started = 0;
  let lastPhase = '';
  let lastPlain = 0;
  const clear = () => live && stream.write('\r\x1b[2K');
  return {
    log(line) {
      clear();
      stream.write(`${line}\n`);
    },
    cellStarted(cellLabel, index, total) {
      label = `[${index}/${total}] ${cellLabel}`;
      started = now();
      lastPhase = '';
      clear();
      stream.write(live ? label : `${label}: started\n`);
    },
    progress(event) {
      const elapsed = (now() - started) / 1000;
      const fraction = fractionDone(event);
      const eta = fraction && fraction > 0.02 ? ` eta ${formatSeconds((elapsed * (1 - fraction)) / fraction)}` : '';
      const line = `${label}: ${describe(event)} | ${formatSeconds(elapsed)}${eta}`;
      if (live) {
        clear();
        stream.write(line.slice(0, (stream.columns ?? 120) - 1));
      } else if (event.phase !== lastPhase || now() - lastPlain > 10_000) {
        stream.write(`${line}\n`);
        lastPhase = event.phase;
        lastPlain = now();
      }
    },
    cellFinished() {
      clear();
    },
  };
}
