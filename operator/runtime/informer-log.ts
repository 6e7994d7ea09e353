// How an informer's failures are logged. A watch that fails with a retryable answer while the API
// server (re)starts (429 "storage is (re)initializing", 503, connection refused) recovers within
// its backoff: that is info. Only a watch still broken after the same 30 s after which /readyz
// turns unready is a warn, so a healthy run logs no warn, and an outage that lasts does.

import type { InformerFailure } from './kube/informer.ts';
import { API_UNREACHABLE_UNREADY_MS } from './health.ts';
import type { Logger } from './log.ts';

/** A watch broken this long is logged at warn; shorter breaks at info. */
export const WATCH_BROKEN_WARN_AFTER_MS = API_UNREACHABLE_UNREADY_MS;

export function logInformerFailure(logger: Logger, resource: string, error: unknown, failure: InformerFailure): void {
  if (failure.source === 'handler') {
    logger.warn({ err: error, resource }, 'an event handler failed; the event was skipped');
    return;
  }
  const brokenForSeconds = Math.round(failure.brokenForMs / 1000);
  if (failure.brokenForMs >= WATCH_BROKEN_WARN_AFTER_MS) {
    logger.warn({ err: error, resource, brokenForSeconds }, 'watch still failing; restarting with backoff');
  } else {
    logger.info({ err: error, resource, brokenForSeconds }, 'watch failed; restarting with backoff');
  }
}
