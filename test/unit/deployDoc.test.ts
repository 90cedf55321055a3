// docs/deploy.md cannot run in CI (it needs two real accounts), so it is checked against the repository instead:
// every npm script, cli command and file it names exists, every generated file it names is one `policy generate`
// writes, and every JSON it shows is what `policy generate` writes for the deploy.json it shows (generator run
// in-process through cli/index.ts). Broken copies of the guide show that each check can fail. The README and
// docs/ are held to working relative links and diagrams of at most 100 columns.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brokenLinks, checkDeployDoc, codeBlocks, generate, markdownFiles, wideDiagramLines, type DeployDocContext } from '../helpers/docCheck';

const root = path.join(__dirname, '..', '..');
const guide = readFileSync(path.join(root, 'docs', 'deploy.md'), 'utf8');
const ctx: DeployDocContext = { root, scripts: (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts };

describe('docs/deploy.md', () => {
  it('names only commands and files that exist, and shows exactly what `policy generate` writes', () => {
    // Act
    const problems = checkDeployDoc(guide, ctx);
    // Assess
    expect(problems).toEqual([]);
  });

  it('shows every file `policy generate` writes for its deploy.json, each parsed and compared', () => {
    // Prepare
    const deployJson = codeBlocks(guide).find((b) => b.lang === 'json' && /`deploy\.json`:\s*$/.test(b.before))!.body;
    // Act
    const generated = generate(deployJson);
    const shown = codeBlocks(guide)
      .filter((b) => b.lang === 'json')
      .map((b) => [...b.before.matchAll(/`policies\/([^`\s]+\.json)`/g)].map((m) => m[1]).pop())
      .filter((f): f is string => f !== undefined);
    // Assess
    if ('error' in generated) throw new Error(generated.error);
    expect(shown.sort()).toEqual(generated.files.filter((f) => f.endsWith('.json')).sort());
  });

  it('uses the alias s.yaml deploys with for the data account', () => {
    // Prepare
    const access = /^access:\s*(\S+)/m.exec(readFileSync(path.join(root, 's.yaml'), 'utf8'))?.[1];
    // Act
    const aliases = [...guide.matchAll(/s config add -a (\S+)/g)].map((m) => m[1]);
    // Assess
    expect(access).toBe('default');
    expect(aliases).toEqual(['default', 'media']);
    expect(guide).toMatch(/--AccountID <data-uid>[^\n]*\n[^\n]*-a media --AccountID <media-uid>/);
  });

  describe('fails when the guide is wrong', () => {
    const broken = (from: string | RegExp, to: string): string => {
      const text = guide.replace(from, to);
      if (text === guide) throw new Error(`the guide no longer contains ${String(from)}`);
      return text;
    };

    it.each([
      ['a changed grant in a JSON block', broken('"Action":["oss:GetObject"],"Resource":["acs:oss:*:1081234567890123:acme-media-in/incoming/*"]},\n     {"Sid":"ImmWritesOutputs"', '"Action":["oss:GetObject","oss:ListObjects"],"Resource":["acs:oss:*:1081234567890123:acme-media-in/incoming/*"]},\n     {"Sid":"ImmWritesOutputs"'), /bucket-policy\.json` that `policy generate` writes/],
      ['a JSON block that does not parse', broken('{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["fc.aliyuncs.com"]}}]}', '{"Version":"1","Statement":[{"Effect":"Allow",}]}'), /is not json/],
      ['a generated file the generator does not write', broken('`policies/media-account/operator-role-trust.json`:', '`policies/media-account/operator-trust.json`:'), /does not write|writes no/],
      ['a deploy.json its own command would not write', broken('"immProject": "acme-media",', '"immProject": "acme-media-2",'), /differs from what its `node -e` step writes/],
      ['an npm script package.json lacks', broken('npm run build && npm run check:s-yaml', 'npm run build && npm run check:syaml'), /no npm script `check:syaml`/],
      ['a cli command that does not exist', broken('npm run -s cli -- policy generate --config deploy.json --out policies/\n   ```\n   With', 'npm run -s cli -- policy make --config deploy.json --out policies/\n   ```\n   With'), /the cli has no command `policy make`/],
      ['a repository file that does not exist', broken('`cli/examples/deploy.json`', '`cli/examples/deploy-demo.json`'), /`cli\/examples\/deploy-demo\.json`, which is not in the repository/],
      ['a JSON block that names no generated file', broken('Before the URL was set, the file read (`policies/media-account/mns-http-subscription.json`):', 'Before the URL was set, the file read:'), /names no generated file/],
    ])('%s', (_name, text, expected) => {
      // Act
      const problems = checkDeployDoc(text, ctx);
      // Assess
      expect(problems.join('\n')).toMatch(expected);
    });
  });
});

describe('README.md and docs/', () => {
  it.each(markdownFiles(root).map((f) => [path.relative(root, f), f]))('%s: every relative link and anchor resolves', (_name, file) => {
    // Act / Assess
    expect(brokenLinks(file)).toEqual([]);
  });

  it.each(markdownFiles(root).map((f) => [path.relative(root, f), f]))('%s: diagrams fit in 100 columns', (_name, file) => {
    // Act / Assess
    expect(wideDiagramLines(readFileSync(file, 'utf8'), 100)).toEqual([]);
  });

  it('finds a broken anchor and a wide diagram', () => {
    // Prepare
    const wide = '```text\n' + '─'.repeat(101) + '\n```\n';
    // Act / Assess
    expect(wideDiagramLines(wide, 100)).toHaveLength(1);
    expect(brokenLinks(path.join(root, 'docs', 'any.md'), '[a](deploy.md#no-such-step) [b](nope.md) [c](../README.md#a-60-second-local-tour)')).toEqual([
      'any.md: link `deploy.md#no-such-step`: no heading #no-such-step',
      'any.md: link `nope.md`: no file nope.md',
    ]);
  });
});
