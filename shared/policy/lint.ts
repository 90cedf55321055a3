// `policy lint`: everything parse rejects (errors), plus the mistakes that parse accepts but that break or
// over-grant the cross-account flow. Modelled on Access Analyzer's validate-policy and Parliament.
import { canonicalAction, CATALOGUED_SERVICES, catalogueActions, ossResourceLevel } from './catalogue';
import { parsePolicy } from './index';
import type { ParsedStatement, PolicyKind } from './types';
import { matchWildcard } from './wildcard';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  path: string;
}

/** RAM custom policies: 6,144 characters. Bucket policies: under 16 KB. */
export const SIZE_LIMITS: Record<PolicyKind, number> = { identity: 6144, trust: 6144, bucket: 16 * 1024 };

const ARN = /^acs:([a-z0-9-]+|\*):([a-z0-9-]*|\*):([0-9]*|\*):(.+)$/;

export function lintPolicy(doc: unknown, kind: PolicyKind): Finding[] {
  const findings: Finding[] = [];
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const size = kind === 'bucket' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > SIZE_LIMITS[kind]) {
    findings.push({
      severity: 'error',
      code: 'PolicyTooLarge',
      message: `the policy is ${size} ${kind === 'bucket' ? 'bytes' : 'characters'}, over the ${SIZE_LIMITS[kind]} allowed for a ${kind} policy`,
      path: '',
    });
  }
  const parsed = parsePolicy(doc, kind);
  for (const p of parsed.problems) findings.push({ severity: 'error', code: p.code, message: p.message, path: p.path });
  if (!parsed.ok) return findings;
  // Paths follow the document's own shape: `Statement` when it is one object, `Statement[i]` when a list.
  const source = typeof doc === 'string' ? (JSON.parse(doc) as unknown) : doc;
  const single = !Array.isArray((source as { Statement?: unknown } | null)?.Statement);
  for (const statement of parsed.policy.statements) {
    const at = single ? 'Statement' : `Statement[${statement.index}]`;
    findings.push(...lintActions(statement, at), ...lintResources(statement, at), ...lintPrincipal(statement, at, kind));
  }
  return findings;
}

function lintActions(s: ParsedStatement, at: string): Finding[] {
  const findings: Finding[] = [];
  const key = s.actions ? 'Action' : 'NotAction';
  const actions = s.actions ?? s.notActions ?? [];
  if (s.notActions && s.effect === 'Allow') {
    findings.push({ severity: 'warning', code: 'AllowWithNotAction', message: 'Allow with NotAction grants every action not listed, including ones added later', path: `${at}.NotAction` });
  }
  actions.forEach((action, i) => {
    const path = `${at}.${key}[${i}]`;
    if (action === '*' || action === '*:*') {
      if (s.effect === 'Allow' && s.actions) findings.push({ severity: 'warning', code: 'OverBroadAction', message: 'Action `*` allows every action of every service', path });
      return;
    }
    const service = action.split(':')[0].toLowerCase();
    if (!(CATALOGUED_SERVICES as readonly string[]).includes(service)) {
      findings.push({ severity: 'warning', code: 'UnknownService', message: `\`${service}\` is not a service imm-bridge knows (oss, imm, sts, ram, fc)`, path });
      return;
    }
    if (action.includes('*') || action.includes('?')) {
      if (!catalogueActions().some((known) => matchWildcard(action, known, true))) {
        findings.push({ severity: 'warning', code: 'UnknownAction', message: `\`${action}\` matches no known ${service} action`, path });
      }
      return;
    }
    const canonical = canonicalAction(action);
    if (!canonical) findings.push({ severity: 'warning', code: 'UnknownAction', message: `\`${action}\` is not a known ${service} action`, path });
    else if (canonical !== action) findings.push({ severity: 'warning', code: 'NonCanonicalAction', message: `write \`${canonical}\`: actions match case-insensitively, but the canonical spelling avoids surprises`, path });
  });
  return findings;
}

function lintResources(s: ParsedStatement, at: string): Finding[] {
  const findings: Finding[] = [];
  const resources = s.resources ?? [];
  const allowsAllOss = s.effect === 'Allow' && (s.actions ?? []).some((a) => a === '*' || a.toLowerCase() === 'oss:*');
  resources.forEach((resource, i) => {
    const path = `${at}.Resource[${i}]`;
    if (resource === '*') {
      if (allowsAllOss) findings.push({ severity: 'warning', code: 'OverBroadResource', message: '`oss:*` on Resource `*` grants every bucket and object of the account', path });
      return;
    }
    const match = ARN.exec(resource);
    if (!match) {
      findings.push({ severity: 'error', code: 'MalformedArn', message: `\`${resource}\` is not \`*\` or an ARN \`acs:<service>:<region>:<account-id>:<relative-id>\``, path });
      return;
    }
    const [, service, region, , relative] = match;
    if (service !== 'oss') return;
    if (region !== '*') {
      findings.push({ severity: 'error', code: 'OssRegionNotWildcard', message: `the region field of an OSS ARN can only be \`*\`, got \`${region}\``, path });
    }
    const slash = relative.indexOf('/');
    const bucketPart = slash < 0 ? relative : relative.slice(0, slash);
    if (s.effect === 'Allow' && bucketPart.length > 1 && bucketPart.endsWith('*')) {
      findings.push({ severity: 'warning', code: 'OverBroadBucketPattern', message: `\`${bucketPart}\` also matches every other bucket whose name starts with \`${bucketPart.slice(0, -1)}\` (and their objects)`, path });
    }
    const isObjectArn = slash >= 0;
    for (const action of s.actions ?? []) {
      const level = ossResourceLevel(action);
      if (level === 'bucket' && isObjectArn) {
        findings.push({ severity: 'warning', code: 'BucketActionOnObjectArn', message: `\`${action}\` is a bucket-level action: on \`${resource}\` it never matches; use \`acs:oss:*:*:${bucketPart}\``, path });
      } else if (level === 'object' && !isObjectArn && relative !== '*') {
        findings.push({ severity: 'warning', code: 'ObjectActionOnBucketArn', message: `\`${action}\` is an object-level action: on \`${resource}\` it never matches; use \`${resource}/*\``, path });
      }
    }
  });
  // `acs:SourceIp` without `acs:SourceVpc` in a bucket policy is rejected by parse (OSS error 0030-00000008).
  return findings;
}

function lintPrincipal(s: ParsedStatement, at: string, kind: PolicyKind): Finding[] {
  if (kind !== 'bucket' || s.effect !== 'Allow' || s.conditions.length > 0) return [];
  if (!(s.bucketPrincipals ?? []).includes('*')) return [];
  return [{ severity: 'warning', code: 'PublicPrincipal', message: 'Principal `*` without a Condition makes this statement public (anyone, including anonymous callers)', path: `${at}.Principal` }];
}
