// Reading a scenario: YAML text → validated SimulatorConfig.
import { readFile } from 'node:fs/promises';
import { loadAll, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors.ts';
import { checkConfig } from './check.ts';
import { parseConfig } from './parse.ts';
import type { SimulatorConfig } from './types.ts';

export function configFromYaml(text: string): SimulatorConfig {
  return configFromObject(scenarioFromYaml(text));
}

/**
 * The one document of a scenario file, not yet checked; null for a file with none (comments
 * only), which the simulator's command serves as an empty scenario.
 */
export function scenarioFromYaml(text: string): unknown {
  let documents: unknown[];
  try {
    documents = loadAll(text).filter((document) => document !== null);
  } catch (err) {
    throw new ConfigError('config', `not valid YAML${whereInText(err)}: ${yamlReason(err)}`);
  }
  if (documents.length > 1) {
    throw new ConfigError('config', `holds ${documents.length} YAML documents; put the scenario in one`);
  }
  return documents[0] ?? null;
}

/** js-yaml's message repeats the place and adds a snippet over several lines; ours is one line. */
function yamlReason(err: unknown): string {
  if (err instanceof YAMLException) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

function whereInText(err: unknown): string {
  const mark = err instanceof YAMLException ? err.mark : undefined;
  return mark === undefined ? '' : ` at line ${mark.line + 1}, column ${mark.column + 1}`;
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
