// The README's troubleshooting section is rendered from shared/errorHints.ts (`npm run docs:troubleshooting`), the
// table the functions take their hints from: this fails until README.md shows exactly the rendered section.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HEADING, renderTroubleshooting } from '../../scripts/troubleshooting';
import { KNOWN_ERRORS, OUR_ERRORS, type HintContext, type OwnError } from '../../shared/errorHints';

const readme = () => readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The README's section: from its heading to the line before the next `## ` heading, trailing blank lines dropped. */
function readmeSection(text: string): string | undefined {
  const lines = text.split('\n');
  const start = lines.indexOf(HEADING);
  if (start < 0) return undefined;
  const next = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start, next < 0 ? lines.length : next).join('\n').trimEnd();
}

const hints = () => [
  ...KNOWN_ERRORS.map((e) => ({ code: e.ours.code, cause: e.cause, hint: e.hint })),
  ...Object.entries(OUR_ERRORS as Record<string, OwnError>).map(([code, e]) => ({ code, cause: e.cause, hint: e.hint })),
];

describe('the troubleshooting section', () => {
  it('in README.md is the one rendered from shared/errorHints.ts (`npm run docs:troubleshooting`)', () => {
    // Prepare
    const rendered = renderTroubleshooting();
    // Act
    const section = readmeSection(readme());
    // Assess
    expect(section).toBeDefined();
    expect(section).toBe(rendered);
  });

  it('names every code of the table, with its cause and the hint rendered without context', () => {
    // Act
    const rendered = renderTroubleshooting();
    // Assess
    for (const { code, cause, hint } of hints()) {
      expect(rendered).toContain(`\`${code}\``);
      expect(rendered).toContain(cause.replace(/\|/g, '\\|'));
      expect(rendered).toContain(hint({}).replace(/</g, '&lt;').split('`')[0].replace(/\|/g, '\\|'));
    }
  });
});

describe('the hints', () => {
  it('give every entry a short cause and a short hint (at most two sentences)', () => {
    // Act / Assess
    for (const { cause, hint } of hints()) {
      expect(cause.length).toBeGreaterThan(0);
      expect(cause.length).toBeLessThanOrEqual(220);
      const text = hint({});
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(420);
      expect(text.split(/[.!?](?:\s|$)/).filter((s) => s.trim()).length).toBeLessThanOrEqual(2);
    }
  });

  it('name the values the caller knows instead of placeholders', () => {
    // Prepare: everything a function knows when it raises one of these errors.
    const context: HintContext = {
      roleArn: 'acs:ram::2000000000000002:role/imm-bridge-operator',
      withExternalId: true,
      dataAccountId: '1000000000000001',
      bucket: 'acme-media-in',
      key: 'incoming/a.jpg',
      operation: 'GetObject',
      action: 'DetectImageScore',
      projectName: 'acme-media',
      operatorRoleArn: 'acs:ram::2000000000000002:role/imm-bridge-operator',
      serviceRoleName: 'AliyunIMMDefaultRole',
      prefix: 'incoming/',
      prefixes: ['incoming/'],
      prefixSetting: 'API_PREFIXES',
    };
    // The shape a user must fill in: the ARN that was malformed, the URI that was not one, the token we never see.
    const shapes = new Set(['AssumeRoleFailed', 'InvalidUri', 'Unauthorized']);
    // Act
    const withPlaceholders = hints()
      .filter(({ code }) => !shapes.has(code))
      .map(({ code, hint }) => ({ code, hint: hint(context) }))
      .filter(({ hint }) => /<[a-z-]+>|IMM_ROLE_ARN`|`IMM_PROJECT`/i.test(hint));
    // Assess
    expect(withPlaceholders).toEqual([]);
  });

  it('name the bucket, the media account and the prefix in the bucket-policy grant IMM needs', () => {
    // Prepare
    const entry = KNOWN_ERRORS.find((e) => e.ours.code === 'BucketDeniedImm')!;
    // Act
    const hint = entry.hint({ bucket: 'acme-media-in', operation: 'PutObject', prefix: 'converted/', operatorRoleArn: 'acs:ram::2000000000000002:role/op' });
    // Assess
    expect(hint).toContain('bucket policy of `acme-media-in`');
    expect(hint).toContain('`arn:sts::2000000000000002:assumed-role/AliyunIMMDefaultRole/*`');
    expect(hint).toContain('`oss:PutObject` on `acs:oss:*:*:acme-media-in/converted/*`');
  });

  it('name the data account in the trust policy AssumeRole needs', () => {
    // Prepare
    const entry = KNOWN_ERRORS.find((e) => e.ours.code === 'AssumeRoleDenied' && !e.message)!;
    // Act
    const hint = entry.hint({ roleArn: 'acs:ram::2000000000000002:role/op', dataAccountId: '1000000000000001', withExternalId: true });
    // Assess
    expect(hint).toContain('`acs:ram::1000000000000001:root`');
    expect(hint).toContain('trust policy of `acs:ram::2000000000000002:role/op`');
  });
});
