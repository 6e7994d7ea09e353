import { describe, expect, it } from 'vitest';
import { logInformerFailure, WATCH_BROKEN_WARN_AFTER_MS } from './informer-log.ts';
import { createLogger } from './log.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => lines.push(JSON.parse(s)) } });
  return { logger, lines };
}

describe('logInformerFailure', () => {
  it.each([
    ['a watch that just failed', { source: 'watch', brokenForMs: 0 } as const, 'info'],
    ['a watch broken for less than the threshold', { source: 'watch', brokenForMs: WATCH_BROKEN_WARN_AFTER_MS - 1 } as const, 'info'],
    ['a watch still broken at the threshold', { source: 'watch', brokenForMs: WATCH_BROKEN_WARN_AFTER_MS } as const, 'warn'],
    ['a handler that threw', { source: 'handler' } as const, 'warn'],
  ])('logs %s at %s', (_what, failure, level) => {
    const { logger, lines } = capture();
    logInformerFailure(logger, 'imanageconnections', new Error('storage is (re)initializing'), failure);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(level);
    expect(lines[0]!.resource).toBe('imanageconnections');
  });
});
