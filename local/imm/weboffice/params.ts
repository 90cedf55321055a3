// GenerateWebofficeToken's own parameters (reference §2): checked here so that a bad request is a 400 that
// names the parameter, before IMM reads anything. Documented parameters the emulator has no use for
// (Hidecmb, ExternalUploaded, CachePreview, Referer, NotifyTopicName, Password) are type-checked and ignored.
import { parseNotification } from '../actions/taskParams';
import { immErrors, type ImmError } from '../errors';
import { OFFICE_SOURCE_TYPES } from '../office';
import { optionalString, parseJsonParam, parseOssUri, requireString, type OssUri, type Params } from '../params';
import type { WebofficePermission, WebofficeUser } from './tokens';

/** IMM: "file ≤200 MB, ≤5,000 pages". */
export const MAX_PREVIEW_BYTES = 200 * 1024 * 1024;
export const MAX_PREVIEW_PAGES = 5000;

/** How the viewer shows a file: pdf.js for PDFs (and what converts to PDF), `<img>` for images. */
export type DocumentKind = 'pdf' | 'text' | 'office' | 'image';

export const IMAGE_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** The extension decides, as in IMM (which is why Filename must have one). Undefined: nothing the emulator can show. */
export function documentKind(filename: string): DocumentKind | undefined {
  const ext = extension(filename);
  if (ext === 'pdf') return 'pdf';
  if (ext === 'txt') return 'text';
  if (Object.prototype.hasOwnProperty.call(OFFICE_SOURCE_TYPES, ext)) return 'office';
  if (Object.prototype.hasOwnProperty.call(IMAGE_TYPES, ext)) return 'image';
  return undefined;
}

export function extension(filename: string): string {
  return /\.([A-Za-z0-9]+)$/.exec(filename)?.[1].toLowerCase() ?? '';
}

const SUPPORTED = ['pdf', 'txt', ...Object.keys(OFFICE_SOURCE_TYPES), ...Object.keys(IMAGE_TYPES)].join(', ');

export interface GenerateInput {
  source: OssUri;
  filename: string;
  kind: DocumentKind;
  permission: WebofficePermission;
  user?: WebofficeUser;
  previewPages?: number;
}

export function parseGenerateParams(params: Params): GenerateInput {
  const source = parseOssUri('SourceURI', requireString(params, 'SourceURI'));
  const filename = parseFilename(optionalString(params, 'Filename') ?? source.key.slice(source.key.lastIndexOf('/') + 1));
  const kind = documentKind(filename);
  if (!kind) throw immErrors.invalidArgument(`The parameter Filename \`${filename}\` is not valid: the local WebOffice shows ${SUPPORTED} files.`);
  const permission = parsePermission(parseJsonParam(params, 'Permission'));
  // Reference §2: "PDF must be Readonly=true". Left out, it is read-only anyway; an explicit false is a contradiction.
  if (kind === 'pdf' && permission.Readonly === false) throw immErrors.invalidArgument('The parameter Permission is not valid: a PDF can only be previewed, so Readonly must be true.');
  const user = parseUser(parseJsonParam(params, 'User'));
  parseWatermark(parseJsonParam(params, 'Watermark'));
  parseNotification(parseJsonParam(params, 'Notification'));
  for (const name of ['Hidecmb', 'ExternalUploaded', 'CachePreview']) parseBoolean(params, name);
  const userData = optionalString(params, 'UserData');
  if (userData !== undefined && Buffer.byteLength(userData) > 2048) throw immErrors.invalidArgument('The parameter UserData is not valid: it must be at most 2048 bytes.');
  for (const name of ['Password', 'Referer', 'NotifyTopicName']) {
    const value = optionalString(params, name);
    if (value !== undefined && value.length > 1024) throw immErrors.invalidArgument(`The parameter ${name} is not valid: it must be at most 1024 characters.`);
  }
  return { source, filename, kind, permission, user, previewPages: parsePreviewPages(optionalString(params, 'PreviewPages')) };
}

/** A file name with an extension; no path separators or control characters (it ends up in the viewer's title). */
export function parseFilename(name: string): string {
  const bad = (why: string) => immErrors.invalidArgument(`The parameter Filename \`${name.slice(0, 100)}\` is not valid: ${why}.`);
  if (Buffer.byteLength(name) > 255) throw bad('it must be at most 255 bytes');
  // eslint-disable-next-line no-control-regex
  if (/[/\\\u0000-\u001f\u007f]/.test(name)) throw bad('it must not contain `/`, `\\` or control characters');
  if (!/.\.[A-Za-z0-9]+$/.test(name)) throw bad('it must have an extension, e.g. `report.pdf`');
  return name;
}

const PERMISSION_FIELDS = ['Readonly', 'Rename', 'History', 'Copy', 'Export', 'Print'] as const;

export function parsePermission(value: unknown): WebofficePermission {
  if (value === undefined) return {};
  const object = jsonObject('Permission', value);
  const permission: WebofficePermission = {};
  for (const [field, v] of Object.entries(object)) {
    if (!(PERMISSION_FIELDS as readonly string[]).includes(field)) throw immErrors.invalidArgument(`The parameter Permission is not valid: unknown field \`${field}\`, use ${PERMISSION_FIELDS.join(', ')}.`);
    if (typeof v !== 'boolean') throw immErrors.invalidArgument(`The parameter Permission is not valid: ${field} must be true or false.`);
    permission[field as (typeof PERMISSION_FIELDS)[number]] = v;
  }
  return permission;
}

export function parseUser(value: unknown): WebofficeUser | undefined {
  if (value === undefined) return undefined;
  const object = jsonObject('User', value);
  const bad = (why: string) => immErrors.invalidArgument(`The parameter User is not valid: ${why}.`);
  for (const field of Object.keys(object)) if (!['Id', 'Name', 'Avatar'].includes(field)) throw bad(`unknown field \`${field}\`, use Id, Name, Avatar`);
  const { Id, Name, Avatar } = object;
  if (Id !== undefined && (typeof Id !== 'string' || !/^[A-Za-z0-9]{1,15}$/.test(Id))) throw bad('Id must be 1 to 15 letters or digits');
  if (Name !== undefined && (typeof Name !== 'string' || [...Name].length > 32)) throw bad('Name must be a string of at most 32 characters');
  if (Avatar !== undefined && (typeof Avatar !== 'string' || Avatar.length > 1024 || !/^https?:\/\//.test(Avatar))) throw bad('Avatar must be an http(s) URL');
  return { Id: Id as string | undefined, Name: Name as string | undefined, Avatar: Avatar as string | undefined };
}

/** Watermark `{Type 0|1, Value, FillStyle, Font, Rotate, Horizontal, Vertical}`: checked, not drawn by the emulator. */
export function parseWatermark(value: unknown): void {
  if (value === undefined) return;
  const object = jsonObject('Watermark', value);
  const bad = (why: string) => immErrors.invalidArgument(`The parameter Watermark is not valid: ${why}.`);
  const types: Record<string, 'string' | 'number'> = { Type: 'number', Value: 'string', FillStyle: 'string', Font: 'string', Rotate: 'number', Horizontal: 'number', Vertical: 'number' };
  for (const [field, v] of Object.entries(object)) {
    if (!types[field]) throw bad(`unknown field \`${field}\``);
    if (typeof v !== types[field]) throw bad(`${field} must be a ${types[field]}`);
  }
  if (object.Type !== undefined && object.Type !== 0 && object.Type !== 1) throw bad('Type must be 0 (none) or 1 (text)');
}

export function parsePreviewPages(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const pages = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(pages >= 0 && pages <= MAX_PREVIEW_PAGES)) throw immErrors.invalidArgument(`The parameter PreviewPages \`${value.slice(0, 20)}\` is not valid: it must be a whole number from 0 to ${MAX_PREVIEW_PAGES}.`);
  // 0 means no limit.
  return pages === 0 ? undefined : pages;
}

/** IMM's documented 200 MB limit, checked on the object's size before IMM reads its bytes. */
export function assertPreviewSize(byteLength: number, source: OssUri): void {
  if (byteLength > MAX_PREVIEW_BYTES) throw previewTooLarge(byteLength, source);
}

export function previewTooLarge(byteLength: number, source: OssUri): ImmError {
  return immErrors.invalidArgument(`The file \`${source.uri}\` is too large to preview: ${byteLength} bytes, WebOffice previews files up to 200 MB (${MAX_PREVIEW_BYTES} bytes).`);
}

function parseBoolean(params: Params, name: string): boolean | undefined {
  const value = optionalString(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw immErrors.invalidArgument(`The parameter ${name} \`${value.slice(0, 20)}\` is not valid: it must be true or false.`);
  return value === 'true';
}

function jsonObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw immErrors.invalidArgument(`The parameter ${name} is not valid: it must be a JSON object.`);
  return value as Record<string, unknown>;
}
