// The manifest.yaml of an on-premise iManage application package, as seed 002 documents it
// (Legatics, "Step 1A: Generate a YAML file"): id, name, api_key (unique, 32 characters),
// api_secret, publisher, organization, version and redirect_url.

import { randomBytes } from 'node:crypto';
import { dump } from 'js-yaml';
import type { Profile } from '../api/schemas/profiles.ts';

export interface AppManifest {
  readonly id: string;
  readonly name: string;
  readonly api_key: string;
  readonly api_secret: string;
  readonly publisher: string;
  readonly organization: string;
  readonly version: string;
  /** One redirect URI as the seed shows; a list when the connection has several environments. */
  readonly redirect_url: string | readonly string[];
}

export type ApplicationFields = Pick<AppManifest, 'id' | 'name' | 'publisher' | 'organization' | 'version'>;

/** What a product's own guide says to write; other profiles take them from flags. */
export const APPLICATION_DEFAULTS: Partial<Record<Profile, ApplicationFields>> = {
  Legatics: {
    id: 'legaticsapp',
    name: 'Legatics 2',
    publisher: 'info@legatics.com',
    organization: 'Legatics Limited',
    version: '2',
  },
};

export const MANIFEST_FIELDS = [
  'id',
  'name',
  'api_key',
  'api_secret',
  'publisher',
  'organization',
  'version',
  'redirect_url',
] as const;

/** A fresh key pair: 32 hexadecimal characters (seed 002) and a 256-bit secret. */
export function generateCredentials(random: (n: number) => Buffer = randomBytes): {
  apiKey: string;
  apiSecret: string;
} {
  return { apiKey: random(16).toString('hex'), apiSecret: random(32).toString('base64url') };
}

const API_KEY = /^[A-Za-z0-9]{32}$/;

/** What is wrong with a manifest, field by field; empty when it has the documented fields and shapes. */
export function manifestProblems(manifest: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const field of MANIFEST_FIELDS) {
    const value = manifest[field];
    const ok =
      typeof value === 'string' ? value !== '' : field === 'redirect_url' && Array.isArray(value) && value.length > 0;
    if (!ok) problems.push(`${field}: is required, a non-empty string`);
  }
  for (const field of Object.keys(manifest)) {
    if (!(MANIFEST_FIELDS as readonly string[]).includes(field)) problems.push(`${field}: is not a documented field`);
  }
  if (typeof manifest['api_key'] === 'string' && !API_KEY.test(manifest['api_key'])) {
    problems.push('api_key: must be 32 letters or digits');
  }
  const uris = [manifest['redirect_url']].flat();
  if (uris.some((u) => typeof u !== 'string' || !u.startsWith('https://')))
    problems.push('redirect_url: must be https:// URIs');
  return problems;
}

/** The YAML text; version stays a string ('2'), as the seed writes it. */
export function manifestYaml(manifest: AppManifest): string {
  return dump(manifest, { lineWidth: -1 });
}

/** The manifest as it may be shown: the secret replaced by its length. */
export function maskedManifest(manifest: AppManifest): AppManifest {
  return { ...manifest, api_secret: `******** (${manifest.api_secret.length} characters, not shown)` };
}
