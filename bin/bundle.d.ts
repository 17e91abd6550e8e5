// Types for bundle.js, which is plain JavaScript because it runs before any TypeScript loader.
export function loadCli(cache?: string): Promise<typeof import('../src/cli/cli-main.ts')>;
export function bundledCli(cache?: string): Promise<string>;
