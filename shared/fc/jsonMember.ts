// Finds one top-level string member of a JSON object in its raw bytes, without decoding or parsing the rest.
// The api uses it to set aside the HTTP event's `body` (up to FC's 32 MB) until the caller is authenticated: the
// rest of the event is a few KiB. UTF-8 never uses the bytes of `"` or `\` inside a multi-byte character, so a
// byte scan finds string boundaries exactly (RFC 8259 §7-8).

export interface ByteSpan {
  /** Offset of the opening quote. */
  start: number;
  /** Offset just after the closing quote. */
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Longer keys are not the member looked for, and are never decoded. */
const MAX_KEY_BYTES = 256;

/** The end (after the closing quote) of the string literal opening at `start`, or -1 when it is not closed. */
function stringEnd(json: Buffer, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = json.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    // A quote preceded by an odd run of backslashes is escaped.
    let slashes = 0;
    while (json[quote - 1 - slashes] === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

function decodeKey(json: Buffer, span: ByteSpan): string | undefined {
  if (span.end - span.start > MAX_KEY_BYTES) return undefined;
  try {
    return JSON.parse(json.toString('utf8', span.start, span.end)) as string;
  } catch {
    return undefined;
  }
}

/**
 * The span of the literal (quotes included) of the last top-level member `name` whose value is a string, as
 * JSON.parse would keep the last of duplicate members. Undefined when there is none, or when the bytes are no
 * well-nested JSON object; the caller then parses the whole text, which reports the error.
 */
export function topLevelStringMember(json: Buffer, name: string): ByteSpan | undefined {
  let depth = 0;
  let expectKey = false;
  let key: string | undefined;
  let afterColon = false;
  let found: ByteSpan | undefined;
  for (let i = 0; i < json.length; i++) {
    const byte = json[i];
    if (byte === QUOTE) {
      const end = stringEnd(json, i);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey) {
        key = decodeKey(json, { start: i, end });
        expectKey = false;
      } else if (depth === 1 && afterColon) {
        if (key === name) found = { start: i, end };
      }
      afterColon = false;
      i = end - 1;
      continue;
    }
    switch (byte) {
      case 0x7b: // {
        depth++;
        if (depth === 1) expectKey = true;
        afterColon = false;
        break;
      case 0x5b: // [
        if (depth === 0) return undefined;
        depth++;
        afterColon = false;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        if (depth < 0) return undefined;
        afterColon = false;
        break;
      case 0x2c: // ,
        if (depth === 1) expectKey = true;
        afterColon = false;
        break;
      case 0x3a: // :
        if (depth === 1) afterColon = true;
        break;
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        break;
      default:
        // A number, true, false or null: a value, and not a string one.
        afterColon = false;
    }
  }
  return depth === 0 ? found : undefined;
}
