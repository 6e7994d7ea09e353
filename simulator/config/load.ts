// Reading a scenario: YAML text → validated SimulatorConfig.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import { checkConfig } from './check.ts';
import { parseConfig } from './parse.ts';
import type { SimulatorConfig } from './types.ts';

export function configFromYaml(text: string): SimulatorConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError('config', `not valid YAML: ${(err as Error).message}`);
  }
  return configFromObject(raw);
}

/** Validates an already-parsed object (what `startSimulator` receives from tests). */
export function configFromObject(raw: unknown): SimulatorConfig {
  const config = parseConfig(raw);
  checkConfig(config);
  return config;
}

export async function loadConfigFile(path: string): Promise<SimulatorConfig> {
  return configFromYaml(await readFile(path, 'utf8'));
}
