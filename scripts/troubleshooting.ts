// `npm run docs:troubleshooting`: the README's "Troubleshooting: errors and their fixes" section, rendered from the
// table the functions take their hints from (shared/errorHints.ts), so the two cannot drift apart. Each hint is
// rendered without context: where the functions name the bucket, prefix, role or account id, the README names the
// setting or a `<placeholder>`. test/unit/troubleshooting.test.ts fails while README.md's section differs.
//
//   npm run docs:troubleshooting                  the section on stdout
//   npm run docs:troubleshooting -- --out FILE    the section written to FILE
import { writeFileSync } from 'node:fs';
import { KNOWN_ERRORS, OUR_ERRORS, SYMPTOMS, type KnownError, type OwnError } from '../shared/errorHints';

export const HEADING = '## Troubleshooting: errors and their fixes';

const INTRO = [
  "A sidecar's `error` and the api's error body carry our `code` and a `hint`. Hints are keyed on the documented",
  "codes and texts of STS, OSS and IMM, not on the local stack's wording. At run time a hint names your bucket,",
  'prefixes, roles and account ids where this table names the setting or a `<placeholder>`.',
  '',
  'This table is generated from `shared/errorHints.ts` (each entry with its source) by `npm run docs:troubleshooting`.',
];

const SERVICE = { sts: 'STS', oss: 'OSS', imm: 'IMM' } as const;

interface Row {
  codes: string[];
  said: string[];
  cause: string;
  fix: string;
}

/** A table cell: `|` would end the cell, and `<…>` outside a code span would be read as HTML. */
function cell(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('`')
    .replace(/\|/g, '\\|');
}

function upstreamSaid(entries: readonly KnownError[]): string {
  if (entries.length === 1) {
    const [e] = entries;
    const code = e.code === '*' ? '' : ` \`${e.code}\``;
    return `${SERVICE[e.service]}${code}: "${e.documented.message}"`;
  }
  // Several documented errors with one cause and fix: name their codes, service by service.
  const byService = new Map<string, string[]>();
  for (const e of entries) byService.set(SERVICE[e.service], [...(byService.get(SERVICE[e.service]) ?? []), `\`${e.code}\``]);
  return [...byService].map(([service, codes]) => `${service} ${[...new Set(codes)].join(', ')}`).join('; ');
}

/** Entries with the same cause and fix share one row, in the table's order. */
function group<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

function rows(): Row[] {
  const upstream = group(KNOWN_ERRORS, (e) => `${e.cause}\n${e.hint({})}`).map((entries) => ({
    codes: [...new Set(entries.map((e) => `\`${e.ours.code}\`, ${e.ours.status}`))],
    said: [upstreamSaid(entries)],
    cause: entries[0].cause,
    fix: entries[0].hint({}),
  }));
  const own = group(Object.entries(OUR_ERRORS) as [string, OwnError][], ([, e]) => `${e.cause}\n${e.hint({})}\n${e.where}`).map((entries) => {
    const [, first] = entries[0];
    const codes = entries.map(([code, e]) => `\`${code}\`${e.status === undefined ? '' : `, ${e.status}`}`);
    codes[codes.length - 1] += ` (${first.where})`;
    return { codes, said: [first.observed ?? '—'], cause: first.cause, fix: first.hint({}) };
  });
  const symptoms = SYMPTOMS.map((s) => ({ codes: [s.symptom], said: ['—'], cause: s.cause, fix: s.fix }));
  return [...upstream, ...own, ...symptoms];
}

/** The whole section, from its heading to the line before the next `## ` heading, without trailing blank lines. */
export function renderTroubleshooting(): string {
  const table = [
    '| error (`code`, HTTP) | what the cloud said | cause | fix |',
    '|---|---|---|---|',
    ...rows().map((r) => `| ${[r.codes.join(' / '), r.said.join('; '), r.cause, r.fix].map(cell).join(' | ')} |`),
  ];
  return [HEADING, '', ...INTRO, '', ...table].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args[0] === '--out' ? args[1] : undefined;
  if (args.length > 0 && !(args.length === 2 && out)) {
    console.error('usage: npm run docs:troubleshooting [-- --out FILE]');
    process.exit(2);
  }
  const section = `${renderTroubleshooting()}\n`;
  if (out) writeFileSync(out, section);
  else process.stdout.write(section);
}
