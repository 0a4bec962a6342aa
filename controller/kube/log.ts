// Structured JSON logs (pino) for the controller; one line per event, machine-readable.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export function createLogger(level: LevelWithSilent = 'info', base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { component: 'orgplane-controller', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
