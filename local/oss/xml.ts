// XML encoding of OSS responses with fast-xml-parser. ali-oss reads them with xml2js
// (explicitRoot: false, explicitArray: false), so element names and nesting are all that matter.
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { OssError } from './errors';

const builder = new XMLBuilder({ format: false, suppressEmptyNode: false, processEntities: true });

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Builds `<root>…</root>`: object values nest, arrays repeat the element, undefined values are left out. */
export function toXml(root: string, body: Record<string, unknown>): string {
  return DECLARATION + builder.build({ [root]: body });
}

/** `<Error><Code/><Message/><RequestId/><HostId/>…details…<EC/></Error>` (reference §3.1). */
export function errorXml(error: OssError, requestId: string, hostId: string): string {
  return toXml('Error', {
    Code: error.code,
    Message: error.message,
    RequestId: requestId,
    HostId: hostId,
    ...error.details,
    EC: error.ec,
  });
}

/**
 * Parses a request body; throws on malformed XML. Values are not trimmed (keys may end in spaces) and
 * character references are decoded (ali-oss escapes keys with `&#39;` and friends). `arrays` lists the
 * element paths that always parse as arrays, such as `Delete.Object`.
 */
export function parseXml(text: string, arrays: readonly string[] = []): Record<string, unknown> {
  const parser = new XMLParser({
    parseTagValue: false,
    trimValues: false,
    ignoreAttributes: true,
    htmlEntities: true,
    isArray: (_name, jpath) => arrays.includes(String(jpath)),
  });
  return parser.parse(text, true) as Record<string, unknown>;
}
