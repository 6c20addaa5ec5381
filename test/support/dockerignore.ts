import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Rule {
  readonly pattern: RegExp;
  /** A `!pattern`: puts back what an earlier rule left out. */
  readonly keep: boolean;
}

/**
 * The build context Docker sends for a directory, following its
 * `.dockerignore` the way Docker does: patterns are paths relative to the
 * context with `*`, `?` and `**`; a pattern that matches a directory covers
 * everything in it; the last matching line wins.
 */
export class BuildContext {
  private readonly rules: readonly Rule[];

  constructor(
    readonly dir: string,
    dockerignore = readIfExists(join(dir, '.dockerignore')),
  ) {
    this.rules = dockerignore
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const keep = line.startsWith('!');
        const path = (keep ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
        return { keep, pattern: globToRegExp(path) };
      });
  }

  /** Whether a path (relative to the context, `/`-separated) is sent. */
  includes(path: string): boolean {
    const prefixes = path
      .split('/')
      .map((_, index, parts) => parts.slice(0, index + 1).join('/'));
    let included = true;
    for (const rule of this.rules) {
      if (prefixes.some((prefix) => rule.pattern.test(prefix))) {
        included = rule.keep;
      }
    }
    return included;
  }

  /** Every regular file Docker would send, relative to the context. */
  files(subdir = ''): string[] {
    return readdirSync(join(this.dir, subdir), { withFileTypes: true }).flatMap(
      (entry) => {
        const path = subdir === '' ? entry.name : `${subdir}/${entry.name}`;
        // Symbolic links are not followed: Docker sends them as links.
        if (entry.isDirectory()) return this.files(path);
        return entry.isFile() && this.includes(path) ? [path] : [];
      },
    );
  }

  /** Copies what Docker would send into `target`; returns the files copied. */
  copyTo(target: string): string[] {
    const files = this.files();
    for (const file of files) {
      mkdirSync(dirname(join(target, file)), { recursive: true });
      copyFileSync(join(this.dir, file), join(target, file));
    }
    return files;
  }
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i];
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
