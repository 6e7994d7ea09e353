// Small readers for untyped input (YAML or admin JSON). Each names the field path in its error,
// so "customers[0].applications[1].redirectUris[2]: must be a string" points at the mistake.
import { ConfigError } from '../errors.ts';

export type Fields = Record<string, unknown>;

export function fields(value: unknown, path: string, allowed: readonly string[]): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(path, 'must be a mapping');
  }
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    // Typos in a scenario file would otherwise silently fall back to defaults.
    throw new ConfigError(`${path}.${unknown[0]}`, `unknown field; allowed: ${allowed.join(', ')}`);
  }
  return value as Fields;
}

export function str(o: Fields, key: string, path: string): string {
  const v = o[key];
  if (typeof v === 'number') return String(v); // YAML reads customer id 100 as a number
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

export function optStr(o: Fields, key: string, path: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, path);
}

export function strOr(o: Fields, key: string, path: string, fallback: string): string {
  return optStr(o, key, path) ?? fallback;
}

export function bool(o: Fields, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${path}.${key}`, 'must be true or false');
  return v;
}

export function num(o: Fields, key: string, path: string, fallback: number, min = 0): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ConfigError(`${path}.${key}`, `must be a number ≥ ${min}`);
  }
  return v;
}

export function optNum(o: Fields, key: string, path: string, min = 0): number | undefined {
  return o[key] === undefined ? undefined : num(o, key, path, 0, min);
}

export function list<T>(o: Fields, key: string, path: string, read: (item: unknown, path: string) => T): T[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${path}.${key}`, 'must be a list');
  return v.map((item, i) => read(item, `${path}.${key}[${i}]`));
}

export function stringItem(item: unknown, path: string): string {
  if (typeof item === 'number') return String(item);
  if (typeof item !== 'string' || item === '') throw new ConfigError(path, 'must be a non-empty string');
  return item;
}

export function oneOf<T extends string>(value: string, allowed: readonly T[], path: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(path, `must be one of ${allowed.join(', ')} (got '${value}')`);
  }
  return value as T;
}

export function stringMap(o: Fields, key: string, path: string): Record<string, string> | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const keys = typeof v === 'object' && v !== null ? Object.keys(v) : [];
  const map = fields(v, `${path}.${key}`, keys);
  return Object.fromEntries(Object.keys(map).map((k) => [k, str(map, k, `${path}.${key}`)]));
}
