import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/dockerfile.js';
import { linkProblems, linkTargets } from './support/markdown-links.js';

/** The documentation users read: README.md and every page under docs/ and deploy/. */
function documentation(root: string): string[] {
  const pages = ['docs', 'deploy'].flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir), { recursive: true }).map(
          (path) => `${dir}/${String(path)}`,
        )
      : [],
  );
  return ['README.md', ...pages.filter((path) => path.endsWith('.md'))];
}

/** Files git tracks, or would track once added: not the ignored ones. */
function repositoryFiles(): string[] {
  return execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  )
    .split('\0')
    .filter((path) => path !== '' && existsSync(join(REPO_ROOT, path)))
    .filter((path) => statSync(join(REPO_ROOT, path)).isFile());
}

describe('the repository stands alone', () => {
  it('documents the API and the cache in docs/, linked from the README', () => {
    expect(documentation(REPO_ROOT)).toEqual(
      expect.arrayContaining(['docs/API.md', 'docs/cache-design.md']),
    );
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    expect(linkTargets(readme)).toEqual(
      expect.arrayContaining([
        'docs/API.md',
        'docs/cache-design.md',
        'docs/openapi.json',
      ]),
    );
  });

  it.each(documentation(REPO_ROOT))(
    '%s links only to files and headings in the repository',
    (file) => {
      expect(linkProblems(REPO_ROOT, file)).toEqual([]);
    },
  );

  it('has no file that refers to the folder beside the repository', () => {
    const outside = /\.\.\/shared\b/;
    const referring = repositoryFiles().filter((path) =>
      outside.test(readFileSync(join(REPO_ROOT, path), 'utf8')),
    );
    expect(referring).toEqual([]);
  });
});

describe('the link check', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'users-api-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'page.md'), '# A heading\n');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const problemsOf = (markdown: string) => {
    writeFileSync(join(root, 'README.md'), markdown);
    return linkProblems(root, 'README.md').sort();
  };

  it('accepts files, folders and headings of the repository, and the local service', () => {
    const markdown = [
      '# Title',
      '## Second part: `code`, (and) punctuation',
      '[a file](docs/page.md), [a folder](docs/), [from the root](/docs/page.md)',
      '[a heading](#second-part-code-and-punctuation), [another file’s](docs/page.md#a-heading)',
      '[the service](http://localhost:3000/docs), http://127.0.0.1:8080 too',
      'Code is no link: `https://example.com/in-a-span`',
      '```sh',
      'curl https://example.com/in-a-block',
      '```',
    ].join('\n');
    expect(problemsOf(markdown)).toEqual([]);
  });

  it('names every link that leaves the repository or points to nothing', () => {
    const markdown = [
      '# Title',
      '[above the root](../outside.md) and [deeper](docs/../../outside.md)',
      '[a site](https://example.com/inline) <https://example.com/auto>',
      'bare: https://example.com/bare and www.example.com',
      '<a href="https://example.com/html">html</a> [mail](mailto:a@example.com)',
      '[missing](docs/missing.md) ![missing image](/docs/missing.png)',
      '[no heading](#nowhere) [no heading there](docs/page.md#nowhere)',
      '',
      '[reference]: https://example.com/reference',
    ].join('\n');
    expect(problemsOf(markdown)).toEqual(
      [
        '../outside.md: leaves the repository',
        'docs/../../outside.md: leaves the repository',
        'https://example.com/inline: leaves the repository',
        'https://example.com/auto: leaves the repository',
        'https://example.com/bare: leaves the repository',
        'www.example.com: leaves the repository',
        'https://example.com/html: leaves the repository',
        'mailto:a@example.com: leaves the repository',
        'docs/missing.md: points to nothing',
        '/docs/missing.png: points to nothing',
        '#nowhere: no such heading',
        'docs/page.md#nowhere: no such heading',
        'https://example.com/reference: leaves the repository',
      ]
        .map((problem) => `README.md: ${problem}`)
        .sort(),
    );
  });
});
