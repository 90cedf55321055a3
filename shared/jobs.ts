// Decides which IMM operation an uploaded object gets, from its extension and the routing table in config
// (UPLOAD_ROUTES): images are scored, videos and audio converted, documents get a first-page thumbnail.
import type { Config, UploadRoutes } from './config';
import { accountOfRoleArn, IMM_OPERATIONS, immGrantStatements } from './policy/immGrants';

export type Job =
  | { operation: 'DetectImageScore' }
  | { operation: 'CreateMediaConvertTask'; container: string }
  | { operation: 'CreateOfficeConversionTask'; targetType: 'pdf' | 'png' | 'jpg' | 'txt'; pages?: string }
  | { operation: 'none'; reason: string };

export type MediaKind = 'image' | 'video' | 'audio' | 'document';

const KINDS: Record<MediaKind, readonly string[]> = {
  image: ['jpg', 'jpeg', 'png', 'bmp', 'gif', 'webp', 'tif', 'tiff', 'heic', 'avif'],
  video: ['mp4', 'mov', 'mkv', 'avi', 'flv', 'ts', 'webm', 'm4v', 'wmv', 'mpg', 'mpeg', '3gp'],
  audio: ['mp3', 'wav', 'aac', 'flac', 'ogg', 'oga', 'opus', 'm4a', 'wma', 'amr'],
  document: ['pdf', 'doc', 'docx', 'ppt', 'pptx', 'xls', 'xlsx', 'txt', 'odt', 'ods', 'odp', 'rtf', 'csv', 'wps'],
};

export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function kindOf(key: string): MediaKind | undefined {
  const ext = extensionOf(key);
  return (Object.keys(KINDS) as MediaKind[]).find((kind) => KINDS[kind].includes(ext));
}

export function jobFor(key: string, routes: UploadRoutes): Job {
  const ext = extensionOf(key);
  const kind = kindOf(key);
  if (!kind) return { operation: 'none', reason: ext ? `no IMM operation is configured for \`.${ext}\` files` : 'the object has no file extension, so its type is unknown' };
  const route = routes[kind];
  if (route === 'off') return { operation: 'none', reason: `UPLOAD_ROUTES turns ${kind} processing off` };
  if (kind === 'image') return { operation: 'DetectImageScore' };
  if (kind === 'document') return { operation: 'CreateOfficeConversionTask', targetType: route as 'pdf' | 'png' | 'jpg' | 'txt', ...(route === 'png' || route === 'jpg' ? { pages: '1' } : {}) };
  return { operation: 'CreateMediaConvertTask', container: route };
}

/**
 * Session policy for AssumeRole: the statements `policy generate` writes into the operator role's policy
 * (shared/policy/immGrants.ts), for IMM_PROJECT in the media account that owns IMM_ROLE_ARN. Even if the operator role
 * allows more (other projects, other actions, other roles to pass), these credentials can only do this. Undefined
 * without IMM_ROLE_ARN: the function then calls IMM with its own credentials and assumes nothing.
 */
export function immSessionPolicy(config: Pick<Config, 'immRoleArn' | 'region' | 'immProject' | 'immServiceRole'>): string | undefined {
  const mediaAccountId = config.immRoleArn ? accountOfRoleArn(config.immRoleArn) : undefined;
  if (!mediaAccountId) return undefined;
  const Statement = immGrantStatements({
    region: config.region,
    mediaAccountId,
    immProject: config.immProject,
    operations: IMM_OPERATIONS,
    immServiceRoleName: config.immServiceRole,
  });
  return JSON.stringify({ Version: '1', Statement });
}
