import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { listEnvBindings, parseEnvValue } from './config-env.ts';
import { type Config, ConfigSchema } from './config-schema.ts';
import { bruteForceProblems } from './config-sections-brute-force.ts';

/** Thrown when configuration is invalid; carries every problem found, not just the first. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Leaves whose refused value may be quoted in an error. Secrets never are, and neither are unknown
 * keys (a misspelt `pasword:` would otherwise print the password).
 */
const PUBLIC_LEAF_PATHS = new Set(
  listEnvBindings(ConfigSchema)
    .filter((b) => b.schema.secret !== true)
    .map((b) => `/${b.path.join('/')}`),
);
type Layer = Record<string, unknown>;

/**
 * Layers defaults -> YAML file (GATEHOUSE_CONFIG) -> sorted conf.d/*.yml beside it -> GATEHOUSE_*
 * variables -> explicit overrides, validates once and deep-freezes the result (wazo-auth reads
 * its config lazily and fails late; we fail at start with every error listed).
 */
export function loadConfig(env: Env = process.env, overrides: Layer = {}): Readonly<Config> {
  const problems: string[] = [];
  const layers = [...readYamlLayers(env.GATEHOUSE_CONFIG, problems), readEnvLayer(env), overrides].map(
    withoutProtoKeys,
  );
  const merged = layers.reduce<Layer>((acc, layer) => deepMerge(acc, layer), {});
  const withDefaults = Value.Default(ConfigSchema, structuredClone(merged));
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const shown = PUBLIC_LEAF_PATHS.has(error.path) ? describeValue(error.value) : '';
    problems.push(`${error.path || '/'}: ${error.message}${shown}`);
  }
  if (problems.length === 0) problems.push(...bruteForceProblems((withDefaults as Config).brute_force));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(withDefaults as Config);
}

function readYamlLayers(file: string | undefined, problems: string[]): Layer[] {
  if (!file) return [];
  if (!existsSync(file)) {
    problems.push(`GATEHOUSE_CONFIG: file not found: ${file}`);
    return [];
  }
  const confDir = join(dirname(file), 'conf.d');
  const extras = existsSync(confDir)
    ? readdirSync(confDir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(confDir, f))
    : [];
  return [file, ...extras].map((path) => readYaml(path, problems));
}

function readYaml(path: string, problems: string[]): Layer {
  try {
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${path}: the document must be a mapping`);
      return {};
    }
    return parsed as Layer;
  } catch (error) {
    // The parser's message quotes the offending line, which may hold a secret: give the position only.
    const position = (error as { linePos?: Array<{ line: number; col: number }> }).linePos?.[0];
    problems.push(
      `${path}: invalid YAML${position ? ` at line ${position.line}, column ${position.col}` : ''}`,
    );
    return {};
  }
}

function readEnvLayer(env: Env): Layer {
  const layer: Layer = {};
  for (const binding of listEnvBindings(ConfigSchema)) {
    const raw = env[binding.envName];
    if (raw !== undefined) setPath(layer, binding.path, parseEnvValue(raw, binding.schema));
  }
  // wazo-auth takes the stack UUID from XIVO_UUID; keep honouring it for drop-in deployments.
  if (env.XIVO_UUID && env.GATEHOUSE_XIVO_UUID === undefined) layer.xivo_uuid = env.XIVO_UUID;
  return layer;
}

function setPath(target: Layer, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] = (node[key] as Layer | undefined) ?? {};
    node = node[key] as Layer;
  }
  node[path[path.length - 1] as string] = value;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Copies a layer without the keys that could reach an object's prototype, at every depth. */
function withoutProtoKeys(value: Layer): Layer {
  const out: Layer = {};
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    out[key] = isPlainObject(child) ? withoutProtoKeys(child) : child;
  }
  return out;
}

function deepMerge(base: Layer, extra: Layer): Layer {
  const out: Layer = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Layer {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  return value === undefined ? '' : ` (got ${JSON.stringify(value)?.slice(0, 60)})`;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
