// Faults switched on per host or per path, from the configuration or the admin API. Each can be
// limited to a number of hits (`times`) so a test can say "fail twice, then answer".
import { CERTIFICATE_FAULTS, type FaultConfig } from '../config/types.ts';
import { pathMatches } from '../http/request-log.ts';

export interface ActiveFault extends FaultConfig {
  readonly id: string;
  /** Hits left before the fault switches itself off; undefined = forever. */
  remaining: number | undefined;
}

export class FaultSet {
  readonly #faults: ActiveFault[] = [];
  #seq = 0;

  constructor(initial: readonly FaultConfig[] = []) {
    initial.forEach((f) => this.add(f));
  }

  add(config: FaultConfig): ActiveFault {
    const fault: ActiveFault = { ...config, id: `fault-${++this.#seq}`, remaining: config.times };
    this.#faults.push(fault);
    return fault;
  }

  remove(id: string): boolean {
    const i = this.#faults.findIndex((f) => f.id === id);
    if (i >= 0) this.#faults.splice(i, 1);
    return i >= 0;
  }

  clear(): void {
    this.#faults.length = 0;
  }

  list(): ActiveFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** The first request-level fault for this request, counting one hit against it. */
  takeRequestFault(host: string, method: string, path: string): ActiveFault | undefined {
    return this.#take(
      (f) =>
        !CERTIFICATE_FAULTS.includes(f.kind) &&
        (f.host === undefined || f.host === host) &&
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || pathMatches(f.path, path)),
    );
  }

  /** The first certificate fault for a TLS handshake naming this host. */
  takeCertificateFault(host: string): ActiveFault | undefined {
    return this.#take((f) => CERTIFICATE_FAULTS.includes(f.kind) && (f.host === undefined || f.host === host));
  }

  #take(matches: (f: ActiveFault) => boolean): ActiveFault | undefined {
    const fault = this.#faults.find(matches);
    if (!fault) return undefined;
    if (fault.remaining !== undefined && --fault.remaining <= 0) this.remove(fault.id);
    return { ...fault };
  }
}
