// Decides which IMM operation an uploaded object gets. Images are scored; everything else is skipped
// for now, with a sidecar that says so.

export type Job = { operation: 'DetectImageScore' } | { operation: 'none'; reason: string };

const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'png', 'bmp', 'gif', 'webp', 'tif', 'tiff', 'heic', 'avif']);

export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function jobFor(key: string): Job {
  const ext = extensionOf(key);
  if (IMAGE_EXTENSIONS.has(ext)) return { operation: 'DetectImageScore' };
  return { operation: 'none', reason: ext ? `no IMM operation is configured for \`.${ext}\` files` : 'the object has no file extension, so its type is unknown' };
}

/** The IMM actions this build calls; the AssumeRole session policy allows exactly these. */
export const IMM_ACTIONS_IN_USE = ['imm:DetectImageScore'] as const;

/** Session policy for AssumeRole: even if the operator role allows more, these credentials can only do this. */
export function immSessionPolicy(): string {
  return JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: [...IMM_ACTIONS_IN_USE], Resource: '*' }] });
}
