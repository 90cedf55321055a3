// Object and bucket tags: reading them from a request (the `x-oss-tagging` header, the `<Tagging>` body), checking
// them against OSS's limits, and turning them into condition keys (`oss:ExistingObjectTag/<k>` and friends).
// Limits and EC codes are from OSS's error-center pages (0010-00000209, -217, -218, -219, -207, -002); the error code
// `InvalidTag` is the S3-family name, UNVERIFIED for OSS (see errors.ts).
import type { ConditionContext } from '../../shared/policy';
import { ossErrors } from './errors';
import type { Tags } from './store';
import { parseXml } from './xml';

/** Tags as the request listed them, duplicates included, so that validation can refuse them. */
export type TagList = readonly (readonly [string, string])[];

const MAX_OBJECT_TAGS = 10;
const MAX_BUCKET_TAGS = 20;
/** Letters, digits, space and `+ - = . _ : /` (OSS 0010-00000217). */
const OBJECT_TAG_TEXT = /^[A-Za-z0-9 +\-=._:/]*$/;
const RESERVED_BUCKET_TAG_PREFIX = /^(https?:\/\/|aliyun|acs)/i;

/**
 * `x-oss-tagging: k1=v1&k2=v2`, each part URL-encoded; `k` alone is an empty value. `+` is read as a space, as in any
 * URL query (encode a literal `+` as `%2B`). More than one `=` in a pair is OSS 0010-00000219.
 */
export function parseTaggingHeader(value: string): TagList {
  if (value.trim() === '') return [];
  return value.split('&').map((pair): [string, string] => {
    const parts = pair.split('=');
    if (parts.length > 2 || parts[0] === '') {
      throw ossErrors.invalidTag(`The x-oss-tagging header must read \`key1=value1&key2=value2\`; \`${pair}\` does not.`, '0010-00000219');
    }
    return [decodeTagPart(parts[0]), decodeTagPart(parts[1] ?? '')];
  });
}

function decodeTagPart(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    throw ossErrors.invalidTag(`The x-oss-tagging header holds a malformed escape: \`${text}\`.`, '0010-00000219');
  }
}

/** `<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`, as PutObjectTagging and PutBucketTags send it. */
export function parseTaggingXml(text: string): TagList {
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(text, ['Tagging.TagSet.Tag']);
  } catch (error) {
    throw ossErrors.malformedXml(String((error as Error).message ?? error));
  }
  const root = doc.Tagging;
  if (root === undefined || typeof root !== 'object' || root === null) throw ossErrors.malformedXml('the root element must be <Tagging>');
  const set = (root as { TagSet?: unknown }).TagSet;
  if (set === undefined) throw ossErrors.malformedXml('<Tagging> must hold a <TagSet>');
  if (typeof set !== 'object' || set === null) return []; // <TagSet/>: no tags
  const tags = (set as { Tag?: unknown }).Tag ?? [];
  return (tags as unknown[]).map((tag): [string, string] => {
    const { Key: key, Value: value } = (tag ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string' || (value !== undefined && typeof value !== 'string')) {
      throw ossErrors.malformedXml('every <Tag> must hold a text <Key> and, optionally, a text <Value>');
    }
    return [key, value ?? ''];
  });
}

/** At most 10 tags, unique keys of 1–128 characters, values of up to 256, all in OSS's character set. */
export function validateObjectTags(tags: TagList): Tags {
  if (tags.length > MAX_OBJECT_TAGS) throw ossErrors.invalidTag(`An object can have at most ${MAX_OBJECT_TAGS} tags; the request sets ${tags.length}.`, '0010-00000218');
  for (const [key, value] of tags) {
    if (key === '') throw ossErrors.invalidTag('A tag key can not be empty.', '0010-00000217');
    if ([...key].length > 128) throw ossErrors.invalidTag(`The tag key \`${key}\` is longer than 128 characters.`, '0010-00000209');
    if ([...value].length > 256) throw ossErrors.invalidTag(`The value of tag \`${key}\` is longer than 256 characters.`, '0010-00000217');
    if (!OBJECT_TAG_TEXT.test(key) || !OBJECT_TAG_TEXT.test(value)) {
      throw ossErrors.invalidTag(`The tag \`${key}\` holds characters other than letters, digits, spaces and \`+ - = . _ : /\`.`, '0010-00000217');
    }
  }
  return unique(tags, '0010-00000217');
}

/** At most 20 tags, unique keys of 1–64 bytes not starting with http://, https://, Aliyun or acs, values of up to 128 bytes. */
export function validateBucketTags(tags: TagList): Tags {
  if (tags.length > MAX_BUCKET_TAGS) throw ossErrors.invalidTag(`A bucket can have at most ${MAX_BUCKET_TAGS} tags; the request sets ${tags.length}.`);
  for (const [key, value] of tags) {
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes === 0 || bytes > 64) throw ossErrors.invalidTag(`The bucket tag key \`${key}\` must be 1 to 64 bytes long.`, '0010-00000219');
    if (RESERVED_BUCKET_TAG_PREFIX.test(key)) {
      throw ossErrors.invalidTag(`The bucket tag key \`${key}\` can not start with http://, https://, Aliyun or acs.`, /^acs/i.test(key) ? '0010-00000002' : '0010-00000207');
    }
    if (Buffer.byteLength(value, 'utf8') > 128) throw ossErrors.invalidTag(`The value of bucket tag \`${key}\` is longer than 128 bytes.`, '0010-00000219');
  }
  return unique(tags);
}

function unique(tags: TagList, ec?: string): Tags {
  const seen = new Set<string>();
  for (const [key] of tags) {
    if (seen.has(key)) throw ossErrors.invalidTag(`The tag key \`${key}\` appears more than once.`, ec);
    seen.add(key);
  }
  return Object.fromEntries(tags);
}

/** One condition key per tag, e.g. `oss:BucketTag/team`. With duplicate keys (refused later) the last one counts. */
export function tagContext(prefix: string, tags: Tags | TagList | undefined): ConditionContext {
  if (!tags) return {};
  const entries = Array.isArray(tags) ? (tags as TagList) : Object.entries(tags as Tags);
  return Object.fromEntries(entries.map(([key, value]) => [`${prefix}${key}`, value]));
}

/** Tags for an XML `<TagSet>`: `{Tag: [{Key, Value}…]}`. */
export function tagSetXml(tags: Tags | undefined): Record<string, unknown> {
  return { Tag: Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
}
