// DESIGN §2: what may import what. local/ verifies what the real SDKs send, so it must not borrow
// shared's clients or signing code; shared/ never depends on local/, cli/ or test/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    return statSync(path.join(root, rel)).isDirectory() ? sourceFiles(rel) : rel.endsWith('.ts') ? [rel] : [];
  });
}

/** Relative imports of a file, resolved to repo paths, with whether they are type-only. */
function imports(file: string): { target: string; typeOnly: boolean }[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const found: { target: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) {
    found.push({ target: path.normalize(path.join(path.dirname(file), m[3])), typeOnly: Boolean(m[2]) });
  }
  for (const m of text.matchAll(/(?:require|import)\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    found.push({ target: path.normalize(path.join(path.dirname(file), m[1])), typeOnly: false });
  }
  return found;
}

const top = (p: string) => p.split(path.sep)[0];

describe('dependency arrows', () => {
  it('shared never imports local, cli, functions or test', () => {
    // Act
    const bad = sourceFiles('shared').flatMap((f) => imports(f).filter((i) => ['local', 'cli', 'functions', 'test'].includes(top(i.target))).map((i) => `${f} → ${i.target}`));
    // Assess
    expect(bad).toEqual([]);
  });

  it('shared/policy has no imports outside itself', () => {
    // Act
    const bad = sourceFiles(path.join('shared', 'policy')).flatMap((f) => imports(f).filter((i) => !i.target.startsWith(path.join('shared', 'policy'))).map((i) => `${f} → ${i.target}`));
    // Assess
    expect(bad).toEqual([]);
  });

  it('local imports only shared/policy, plus types from shared/fc', () => {
    // Act
    const bad = sourceFiles('local').flatMap((f) =>
      imports(f)
        .filter((i) => top(i.target) !== 'local')
        .filter((i) => !i.target.startsWith(path.join('shared', 'policy')))
        .filter((i) => !(i.typeOnly && i.target.startsWith(path.join('shared', 'fc'))))
        .map((i) => `${f} → ${i.target}${i.typeOnly ? ' (type)' : ''}`),
    );
    // Assess
    expect(bad).toEqual([]);
  });

  it('functions import only shared and their own folder', () => {
    // Act
    const bad = sourceFiles('functions').flatMap((f) => imports(f).filter((i) => !['shared', 'functions'].includes(top(i.target))).map((i) => `${f} → ${i.target}`));
    // Assess
    expect(bad).toEqual([]);
  });
});
