// Checks of the Markdown documentation against the repository: what docs/deploy.md tells a user to run or open must
// exist, and every JSON it shows must be what `policy generate` writes. Pure functions of the text plus the
// repository and a generator output directory, so that a test can feed them a broken copy and see them fail.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run as runCli, type Io } from '../../cli/index';

export interface CodeBlock {
  lang: string;
  body: string;
  /** The paragraph just above the fence: the text that says what the block is. */
  before: string;
}

/** Fenced blocks, also indented ones inside list items, with the paragraph that introduces each. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(Math.min(indent, lines[j].search(/\S|$/))));
    const paragraph: string[] = [];
    for (let k = i - 1; k >= 0 && lines[k].trim() !== '' && !/^\s*```/.test(lines[k]); k--) paragraph.unshift(lines[k]);
    blocks.push({ lang: open[2], body: body.join('\n'), before: paragraph.join('\n') });
    i = j;
  }
  return blocks;
}

/** The commands of a shell block: continuation lines joined, comments dropped, split at `&&`, `;` and `|`. */
export function shellCommands(body: string): string[] {
  return body
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split(/\s*(?:&&|;|\|)\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/))
    .map((c) => c.trim())
    .filter(Boolean);
}

export interface Generated {
  /** File names under the output directory, e.g. `media-account/operator-role-trust.json`. */
  files: string[];
  /** Parsed content of each JSON file. */
  content: Map<string, unknown>;
}

/** Runs `policy generate` in-process (cli/index.ts `run`) for `deployJson`, into a temporary directory. */
export function generate(deployJson: string): Generated | { error: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-doc-'));
  try {
    let stdout = '';
    let stderr = '';
    const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir, stdin: () => deployJson };
    const code = runCli(['policy', 'generate', '--config', '-', '--out', 'out'], io);
    if (code !== 0) return { error: `policy generate exited ${code}: ${stderr.trim()}` };
    const files = (JSON.parse(stdout) as { files: string[] }).files;
    const content = new Map<string, unknown>();
    for (const file of files.filter((f) => f.endsWith('.json'))) content.set(file, JSON.parse(readFileSync(path.join(dir, 'out', file), 'utf8')));
    return { files, content };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BUILTIN_NPM = new Set(['ci', 'i', 'install', 'start', 'test']);
/** Extensions of files a document may name; other backticked words (`index.handler`, keys) are not files. */
const FILE_EXT = /\.(json|ya?ml|ts|mjs|js|md|txt|example)$/;
const OUT_DIR = 'policies/';

export interface DeployDocContext {
  root: string;
  scripts: Record<string, string>;
}

/**
 * Every problem of the deploy guide: unknown npm scripts or cli commands, files that exist neither in the
 * repository nor among what the guide itself writes, generated file names `policy generate` does not write, and
 * JSON blocks that do not parse or differ from the generated file they name. Empty when the guide holds.
 */
export function checkDeployDoc(markdown: string, ctx: DeployDocContext): string[] {
  const problems: string[] = [];
  const blocks = codeBlocks(markdown);
  const shell = blocks.filter((b) => b.lang === 'bash');
  const commands = shell.flatMap((b) => shellCommands(b.body));

  // The files the guide creates itself (`… > deploy.json`, `toFile('photo.jpg')`) may be named without existing.
  const created = new Set<string>([OUT_DIR]);
  for (const c of commands) {
    for (const m of c.matchAll(/>\s*([\w./-]+)/g)) created.add(m[1]);
    for (const m of c.matchAll(/toFile\('([^']+)'\)/g)) created.add(m[1]);
    for (const m of c.matchAll(/^mv \S+ (\S+)$/g)) created.add(m[1]);
  }

  // The deploy.json it shows, and what the generator writes for it.
  const deployBlocks = blocks.filter((b) => b.lang === 'json' && lastFileNamed(b.before) === 'deploy.json');
  if (deployBlocks.length !== 1) problems.push(`expected one json block introduced by \`deploy.json\`, found ${deployBlocks.length}`);
  const deployJson = deployBlocks[0]?.body ?? '{}';
  const generated = generate(deployJson);
  if ('error' in generated) problems.push(`the deploy.json shown does not generate: ${generated.error}`);
  const names = new Set('error' in generated ? [] : generated.files);

  // The shown deploy.json must be what the guide's own command writes from cli/examples/deploy.json.
  problems.push(...checkDeployJsonCommand(shell, deployJson, ctx.root));

  for (const command of [...commands, ...[...markdown.matchAll(/`(npm [^`]+)`/g)].map((m) => m[1])]) problems.push(...checkNpm(command, ctx));
  for (const command of commands) {
    for (const m of command.matchAll(/(?:^|[\s"'(=])((?:\.\/)?[\w.-]+(?:\/[\w.-]+)*\/?)/g)) {
      const token = m[1].replace(/^\.\//, '');
      if (token.startsWith(OUT_DIR) || token.includes('/') || FILE_EXT.test(token)) problems.push(...checkFile(token, ctx.root, created, names, `\`${command}\``, { strictBare: false }));
    }
  }

  for (const m of markdown.matchAll(/`([^`\s]+)`/g)) problems.push(...checkFile(m[1], ctx.root, created, names, 'the text', { strictBare: true }));

  for (const block of blocks.filter((b) => b.lang === 'json' && b !== deployBlocks[0])) {
    const file = lastFileNamed(block.before);
    const where = `the json block after "${block.before.split('\n').pop()?.trim()}"`;
    if (!file?.startsWith(OUT_DIR)) {
      problems.push(`${where} names no generated file (\`${OUT_DIR}…json\`) just above it`);
      continue;
    }
    let shown: unknown;
    try {
      shown = JSON.parse(block.body);
    } catch (error) {
      problems.push(`${where} is not json: ${(error as Error).message}`);
      continue;
    }
    const written = 'error' in generated ? undefined : generated.content.get(file.slice(OUT_DIR.length));
    if (written === undefined) problems.push(`${where}: \`policy generate\` writes no \`${file}\``);
    else if (!sameJson(shown, written)) problems.push(`${where} differs from the \`${file}\` that \`policy generate\` writes: ${JSON.stringify(written)}`);
  }
  return problems;
}

/** `npm run <script>` must be a script of package.json; `npm run cli -- a b` a command the cli knows. */
function checkNpm(command: string, ctx: DeployDocContext): string[] {
  const words = command.split(/\s+/);
  if (words[0] !== 'npm') return [];
  const rest = words.slice(1).filter((w) => w !== '-s');
  if (rest[0] !== 'run') return BUILTIN_NPM.has(rest[0]) ? [] : [`\`${command}\`: unknown npm command \`${rest[0]}\``];
  const script = rest[1];
  if (!script || !Object.hasOwn(ctx.scripts, script)) return [`\`${command}\`: no npm script \`${script}\` in package.json`];
  const dashes = rest.indexOf('--');
  if (script !== 'cli' || dashes < 0) return [];
  const args = rest.slice(dashes + 1).filter((w) => !w.startsWith('-')).slice(0, 2);
  const io: Io = { stdout: () => undefined, stderr: () => undefined, cwd: ctx.root };
  return runCli([...args, '--help'], io) === 0 ? [] : [`\`${command}\`: the cli has no command \`${args.join(' ')}\``];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Key order does not matter in JSON objects; array order does. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  return value;
}

/** The last backticked `.json` file a paragraph names: what the block below it shows. */
function lastFileNamed(paragraph: string): string | undefined {
  return [...paragraph.matchAll(/`([^`\s]+\.json)`/g)].map((m) => m[1]).pop();
}

const isRepoPathLike = (root: string, token: string): boolean => {
  const first = token.split('/')[0];
  return token.includes('/') && first !== '' && existsSync(path.join(root, first));
};

function checkFile(raw: string, root: string, created: Set<string>, generatedNames: Set<string>, where: string, opts: { strictBare: boolean }): string[] {
  const token = raw.replace(/^\.\//, '');
  // Placeholders, variables, globs, URLs, home paths and options are not files of the repository.
  if (/[<>$*…:~{}()=,'"\\]/.test(token) || token.startsWith('/') || token.startsWith('-')) return [];
  if (token.startsWith(OUT_DIR)) {
    const name = token.slice(OUT_DIR.length);
    if (name === '' || generatedNames.has(name)) return [];
    return [`${where} names \`${token}\`, which \`policy generate\` does not write (it writes ${[...generatedNames].join(', ')})`];
  }
  if (created.has(token)) return [];
  if (isRepoPathLike(root, token)) return existsSync(path.join(root, token)) ? [] : [`${where} names \`${token}\`, which is not in the repository`];
  // A bare file name (`s.yaml`, `deploy.json`) must be a file of the repository's root or one the guide writes.
  if (!token.includes('/') && FILE_EXT.test(token) && (opts.strictBare || /^[\w.-]+$/.test(token))) {
    return existsSync(path.join(root, token)) ? [] : [`${where} names \`${token}\`, which is neither in the repository's root nor written by a step`];
  }
  return [];
}

/** The `node -e "…" > deploy.json` step, run with the values of the `export NAME=value` block, must print the deploy.json shown. */
function checkDeployJsonCommand(shell: CodeBlock[], shownDeployJson: string, root: string): string[] {
  const step = shell.map((b) => /node -e "([^"]+)" > deploy\.json/.exec(b.body)).find(Boolean);
  if (!step) return ['no `node -e "…" > deploy.json` step writes deploy.json'];
  const env: Record<string, string> = {};
  for (const b of shell) for (const m of b.body.matchAll(/^export ([A-Z_]+)=([^\s$]+)/gm)) env[m[1]] = m[2];
  const printed = execFileSync(process.execPath, ['-e', step[1]], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  let shown: unknown;
  try {
    shown = JSON.parse(shownDeployJson);
  } catch (error) {
    return [`the deploy.json shown is not json: ${(error as Error).message}`];
  }
  return sameJson(JSON.parse(printed), shown) ? [] : [`the deploy.json shown differs from what its \`node -e\` step writes with the exported values: ${printed.trim()}`];
}

/** GitHub's heading anchors: lower case, punctuation dropped except `-` and `_`, spaces to `-`, repeats numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const base = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative links of a Markdown file whose file or anchor does not exist. */
export function brokenLinks(file: string, markdown = readFileSync(file, 'utf8')): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  const problems: string[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target)) continue;
    const [rel, anchor] = target.split('#');
    const resolved = rel ? path.resolve(path.dirname(file), rel) : file;
    if (!existsSync(resolved)) problems.push(`${path.basename(file)}: link \`${target}\`: no file ${rel}`);
    else if (anchor !== undefined && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${path.basename(file)}: link \`${target}\`: no heading #${anchor}`);
  }
  return problems;
}

/** Lines wider than `max` columns in the diagrams (```text blocks) of a Markdown text. */
export function wideDiagramLines(markdown: string, max: number): string[] {
  return codeBlocks(markdown)
    .filter((b) => b.lang === 'text')
    .flatMap((b) => b.body.split('\n'))
    .filter((line) => [...line].length > max);
}

export const markdownFiles = (root: string): string[] => [path.join(root, 'README.md'), ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(root, 'docs', f))];
