import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';

/** The running service, which links and examples may point to. */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);
const SCHEME = /^[a-z][a-z\d+.-]*:/i;

/** The text outside fenced code blocks (their lines left empty). */
function withoutCodeBlocks(markdown: string): string {
  let fence: string | undefined;
  const lines = markdown.split('\n').map((line) => {
    const marker = /^[ \t]*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    }
    return line;
  });
  return lines.join('\n');
}

/** The text outside code blocks and code spans: where links can be. */
function prose(markdown: string): string {
  return withoutCodeBlocks(markdown).replace(/(`+)[^`]*?\1/g, '');
}

/**
 * Every link target in a Markdown text: inline links and images, reference
 * definitions, autolinks, bare URLs (GitHub links them too) and HTML
 * `href`/`src`. Code blocks and spans hold no links.
 */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const patterns = [
    /\]\(\s*<([^>]*)>/g,
    /\]\(\s*([^)\s<][^)\s]*)/g,
    /^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)/gm,
    /<([a-z][a-z\d+.-]*:[^\s>]+)>/gi,
    /(?<![(<"])\b((?:https?:\/\/|www\.)[^\s<>()\]]+)/gi,
    /\b(?:href|src)\s*=\s*"([^"]*)"/gi,
  ];
  const targets = patterns.flatMap((pattern) =>
    [...text.matchAll(pattern)].map((match) => match[1]),
  );
  return [...new Set(targets)];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a Markdown text defines: its headings (numbered when repeated) and HTML ids. */
export function anchors(markdown: string): Set<string> {
  const text = withoutCodeBlocks(markdown);
  const found = new Set<string>();
  for (const [, heading] of text.matchAll(
    /^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$/gm,
  )) {
    const base = slug(heading);
    let anchor = base;
    for (let n = 1; found.has(anchor); n += 1) anchor = `${base}-${n}`;
    found.add(anchor);
  }
  for (const [, id] of text.matchAll(/\b(?:id|name)\s*=\s*"([^"]+)"/g)) {
    found.add(id);
  }
  return found;
}

function isLocalService(target: string): boolean {
  try {
    const url = new URL(target);
    return /^https?:$/.test(url.protocol) && LOCAL_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/**
 * What is wrong with the links of one Markdown file in the repository at
 * `root`: a link that leaves it (a URL other than the local service, a path
 * above the root), a path to nothing, or an anchor no heading defines.
 */
export function linkProblems(root: string, file: string): string[] {
  const markdown = readFileSync(join(root, file), 'utf8');
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    const problem = targetProblem(root, file, markdown, target);
    if (problem !== undefined) problems.push(`${file}: ${target}: ${problem}`);
  }
  return problems;
}

function targetProblem(
  root: string,
  file: string,
  markdown: string,
  target: string,
): string | undefined {
  if (SCHEME.test(target) || /^(\/\/|www\.)/i.test(target)) {
    return isLocalService(target) ? undefined : 'leaves the repository';
  }
  const [rawPath, anchor] = target.split('#', 2);
  const path = decodeURIComponent(rawPath);
  const resolved =
    path === ''
      ? join(root, file)
      : join(path.startsWith('/') ? root : dirname(join(root, file)), path);
  const inRepository = relative(root, resolved);
  if (inRepository.startsWith('..') || isAbsolute(inRepository)) {
    return 'leaves the repository';
  }
  if (!existsSync(resolved)) return 'points to nothing';
  if (anchor === undefined || anchor === '') return undefined;
  const headings =
    path === ''
      ? markdown
      : statSync(resolved).isFile() && resolved.endsWith('.md')
        ? readFileSync(resolved, 'utf8')
        : undefined;
  if (headings === undefined) return 'an anchor into a file without headings';
  return anchors(headings).has(decodeURIComponent(anchor))
    ? undefined
    : 'no such heading';
}
