// Ctrl-C (or SIGTERM) during `orgplane apply`: the first one stops the run the safe way — no
// new operation starts, the ones in flight finish, account workflows stop at a saved step —
// and the command exits non-zero saying what ran and what did not; a second one quits at once.
import { constants } from 'node:os';
import { StopRequested } from '../aws/abort.js';
import type { OpResult } from '../apply/executor.js';
import { ReconcileAborted } from '../engine.js';

export interface Interrupt {
  signal: AbortSignal;
  /** The signal received first, once there was one. */
  received(): NodeJS.Signals | undefined;
  /** Removes the handlers: Ctrl-C goes back to ending the process at once. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** The shell's convention for a process ended by a signal: 128 + its number (Ctrl-C: 130). */
export const exitCodeFor = (sig: NodeJS.Signals): number => 128 + (constants.signals[sig] ?? 2);

export function interruptOnSignals(say: (line: string) => void): Interrupt {
  const ac = new AbortController();
  let first: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (first) {
      say(`${sig} again: quitting now. Operations in flight may or may not have happened; the next plan shows where things stand.`);
      process.exit(exitCodeFor(sig));
    }
    first = sig;
    say(`\n${sig}: stopping. No new operation starts; the ones in flight finish first (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to quit at once).`);
    ac.abort(new StopRequested(sig));
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  return {
    signal: ac.signal,
    received: () => first,
    dispose: () => {
      for (const s of SIGNALS) process.off(s, onSignal);
    },
  };
}

/** What an interrupted apply tells the user: what ran, what did not, and where the workflows are. */
export function interruptedSummary(err: unknown, stateFile: string): string {
  if (!(err instanceof ReconcileAborted)) return 'Apply interrupted before any change was made.';
  const count = (p: (r: OpResult) => boolean) => err.applied.filter(p).length;
  const ok = count((r) => r.status === 'succeeded');
  const failed = count((r) => r.status === 'failed');
  const notStarted = count((r) => r.reason === 'Aborted');
  const interrupted = count((r) => r.reason === 'Interrupted');
  const lines = [
    `Apply interrupted: ${ok} succeeded, ${failed} failed, ${notStarted} not started${interrupted ? `, ${interrupted} account workflow(s) stopped at a saved step` : ''}.`,
  ];
  if (interrupted) lines.push(`Their state is saved in ${stateFile}; the next apply resumes them.`);
  lines.push('Run orgplane plan to see what is left, and orgplane apply to finish.');
  return lines.join('\n');
}
