// Events on transitions only, aggregated: a repeat of the same reason on the same object
// updates the existing Event's series instead of creating a new one (events.k8s.io/v1).
// Notes are condition messages, which never carry a secret (decide never sees one).

import type { Clock } from './clock.ts';
import type { KubeClient } from './kube/client.ts';
import { type EventV1, events as eventsResource, type KubeObject } from './kube/resources.ts';
import type { Logger } from './log.ts';
import { truncateUtf8 } from './truncate.ts';

export interface EventTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export interface RecordedEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly action: string;
  readonly note: string;
}

interface Series {
  readonly name: string;
  count: number;
}

/** Notes longer than this are cut: the API server refuses notes over 1,024 bytes (of UTF-8). */
export const MAX_NOTE_BYTES = 1024;
/** The API server's limit on reason, action and reportingInstance (bytes). */
export const MAX_FIELD_BYTES = 128;
/** metadata.name is a DNS subdomain: at most 253 characters. */
const MAX_NAME_LENGTH = 253;
/** Series remembered for aggregation; the oldest are forgotten first (Map keeps insertion order). */
const MAX_SERIES = 10_000;

export class EventRecorder {
  readonly #client: Pick<KubeClient, 'create' | 'patch'>;
  readonly #clock: Clock;
  readonly #controller: string;
  readonly #instance: string;
  readonly #logger: Logger | undefined;
  readonly #series = new Map<string, Series>();
  #sequence = 0;

  constructor(options: {
    client: Pick<KubeClient, 'create' | 'patch'>;
    clock: Clock;
    controller: string;
    instance: string;
    logger?: Logger;
  }) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#controller = options.controller;
    this.#instance = truncateUtf8(options.instance, MAX_FIELD_BYTES);
    this.#logger = options.logger;
  }

  /** Never throws: an Event that cannot be written is logged and dropped. */
  async record(target: EventTarget, event: RecordedEvent): Promise<void> {
    const key = `${target.namespace}/${target.name}/${target.uid ?? ''}/${event.type}/${event.reason}`;
    const sendable = withinLimits(event);
    try {
      const series = this.#series.get(key);
      if (series)
        await this.#repeat(target, series).catch(async (error: unknown) => {
          // The Event expired (the API server keeps them an hour): start a new one.
          if ((error as { status?: unknown }).status !== 404) throw error;
          await this.#create(key, target, sendable);
        });
      else await this.#create(key, target, sendable);
    } catch (error) {
      this.#series.delete(key);
      const targetName = `${target.kind}/${target.namespace}/${target.name}`;
      this.#logger?.warn({ err: error, target: targetName, reason: event.reason }, 'could not record event');
    }
  }

  async #create(key: string, target: EventTarget, event: RecordedEvent): Promise<void> {
    const now = microTime(this.#clock.now());
    const created = await this.#client.create(eventsResource, {
      metadata: { name: this.#eventName(target.name), namespace: target.namespace },
      eventTime: now,
      reportingController: this.#controller,
      reportingInstance: this.#instance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note,
      regarding: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        namespace: target.namespace,
        name: target.name,
        ...(target.uid ? { uid: target.uid } : {}),
      },
    } satisfies EventV1 as EventV1);
    this.#series.delete(key);
    this.#series.set(key, { name: created.metadata.name!, count: 1 });
    if (this.#series.size > MAX_SERIES) this.#series.delete(this.#series.keys().next().value!);
  }

  /**
   * client-go's naming: the object's name and a hex timestamp (generateName may not end in '.'),
   * the name shortened so that the whole stays a valid object name (a DNS label ends alphanumeric).
   */
  #eventName(objectName: string): string {
    const stamp = (this.#clock.now().getTime() * 1000 + (this.#sequence++ % 1000)).toString(16);
    const prefix = objectName.slice(0, MAX_NAME_LENGTH - stamp.length - 1).replace(/[^a-z0-9]+$/, '');
    return `${prefix}.${stamp}`;
  }

  async #repeat(target: EventTarget, series: Series): Promise<void> {
    series.count++;
    await this.#client.patch(
      eventsResource,
      { namespace: target.namespace, name: series.name },
      {
        series: { count: series.count, lastObservedTime: microTime(this.#clock.now()) },
      },
    );
  }
}

/** The event with every text field cut to what the API server accepts. */
function withinLimits(event: RecordedEvent): RecordedEvent {
  return {
    type: event.type,
    reason: truncateUtf8(event.reason, MAX_FIELD_BYTES),
    action: truncateUtf8(event.action, MAX_FIELD_BYTES),
    note: truncateUtf8(event.note, MAX_NOTE_BYTES),
  };
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The regarding reference of a custom object. */
export function targetOf(object: KubeObject & { apiVersion?: string; kind?: string }): EventTarget {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name ?? '',
    ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
  };
}
