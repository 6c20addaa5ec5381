import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_ENTRY = 'dist/src/main.js';

// Everything `nest build` reads: a change to any of them makes dist/ stale.
const BUILD_INPUTS = [
  'src',
  'migrations',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];

/**
 * Builds the service unless dist/ is newer than every build input, so repeated
 * runs (and the smoke test) skip the few seconds a build costs.
 * @returns whether it built.
 */
export function ensureBuilt(root) {
  const entry = join(root, SERVICE_ENTRY);
  if (existsSync(entry) && newestChange(root) < statSync(entry).mtimeMs) {
    return false;
  }
  const nest = join(root, 'node_modules/@nestjs/cli/bin/nest.js');
  const build = spawnSync(process.execPath, [nest, 'build'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) throw new Error('nest build failed');
  return true;
}

function newestChange(root) {
  let newest = 0;
  for (const input of BUILD_INPUTS) {
    const path = join(root, input);
    const files = statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true }).map((file) => join(path, file))
      : [path];
    for (const file of files) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}
