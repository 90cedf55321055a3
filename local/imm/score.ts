// DetectImageScore's OverallQualityScore, computed from the real pixels. Pure and deterministic: the
// same bytes always give the same score (sharp/libvips resize and greyscale are deterministic; the rest
// is integer-exact JavaScript arithmetic in a fixed order).
//
// Formula
//   1. Decode (EXIF orientation applied, alpha flattened onto white), downscale to fit 512×512 keeping the
//      aspect ratio (never enlarged), as 8-bit sRGB; luma Y = (299·R + 587·G + 114·B)/1000 (Rec. 601,
//      integer). All measures are taken on this working image, so they do not depend on the upload's size.
//   2. sharpness S = v / (v + 200), v = variance of the 4-neighbour Laplacian
//      (Y[x-1,y] + Y[x+1,y] + Y[x,y-1] + Y[x,y+1] − 4·Y[x,y]) over interior pixels. v below ~100 is blurry,
//      a crisp photo gives several hundred to thousands. (Computed in JavaScript rather than with
//      sharp.convolve, whose 8-bit output would clamp the negative half of the Laplacian.)
//   3. exposure E = (1 − m²) · (1 − c), with μ = mean(Y)/255,
//      m = clamp((|μ − 0.5| − 0.15) / 0.35, 0, 1)   (no penalty for a mean within 0.35–0.65),
//      c = 0.9 · clamp((h + l − 0.05) / 0.45, 0, 1), where h is the fraction of pixels with a channel ≥ 250
//      (blown highlights; per channel, as over-exposure clips saturated colours long before their luma is
//      white) and l the fraction with every channel ≤ 5 (crushed shadows). 5% clipping is free; half the
//      image clipped costs 90%.
//   4. noise N = 1 / (1 + (σ / 6)²), σ = Immerkær's estimate √(π/2) · mean|Y ∗ K| / 6 with
//      K = [1 −2 1; −2 4 −2; 1 −2 1], averaged over the flat half of the image only (unclipped pixels whose
//      Sobel gradient |Gx| + |Gy| is at most the median), so edges do not count as noise.
//   5. resolution R = min(1, √(megapixels / 2)), from the decoded (not the working) size: 2 MP or more is full marks.
//   6. OverallQualityScore = S^0.40 · E^0.30 · N^0.15 · R^0.15, a weighted geometric mean (one bad aspect
//      drags the whole score down, as a viewer would judge), rounded to 3 decimals.
// Blur lowers S; over-exposure clips (c) and brightens (m); under-exposure darkens (m) and flattens the
// Laplacian (S); sensor noise raises σ. JPEG blocking and colour casts are not measured.
import sharp from 'sharp';

export const WORKING_SIZE = 512;
export const WEIGHTS = { sharpness: 0.4, exposure: 0.3, noise: 0.15, resolution: 0.15 } as const;

export interface ImageQuality {
  /** OverallQualityScore in [0, 1], 3 decimals. */
  overall: number;
  sharpness: number;
  exposure: number;
  noise: number;
  resolution: number;
  /** Raw measures, for debugging and the README. */
  measures: { laplacianVariance: number; meanLuminance: number; clippedHigh: number; clippedLow: number; noiseSigma: number; width: number; height: number };
}

/**
 * IMM's limits on input images. DetectImageScore's page (D-SCORE) sends its reader to IMM's "Limits" page for the
 * images it takes; IMM's image operations state them as: at most 20 MB, at most 30,000 px a side, at most 250
 * million pixels (https://www.alibabacloud.com/help/en/imm/user-guide/image-label-detection "Limits";
 * https://www.alibabacloud.com/help/en/imm/developer-reference/api-imm-2020-09-30-createimagemoderationtask).
 * 20 MB is read as MiB, like the 200 MB WebOffice limit.
 */
export const IMAGE_LIMITS = { maxBytes: 20 * 1024 * 1024, maxSide: 30_000, maxPixels: 250_000_000 } as const;
/** The working image scoreImage allocates on top of its input: WORKING_SIZE² pixels of up to 4 channels, twice. */
export const WORKING_BYTES = WORKING_SIZE * WORKING_SIZE * 4 * 2;

/** An image over IMM's pixel limits: refused from its header, before it is decoded. */
export class ImageTooLargeError extends Error {
  constructor(readonly width: number, readonly height: number) {
    super(
      `the image is ${width}×${height} px: IMM takes images of at most ${IMAGE_LIMITS.maxSide.toLocaleString('en-US')} px a side ` +
        `and ${IMAGE_LIMITS.maxPixels.toLocaleString('en-US')} pixels`,
    );
    this.name = 'ImageTooLargeError';
  }
}

export class ImageDecodeError extends Error {
  constructor(readonly reason: string) {
    super(`the object is not a decodable image: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

export async function scoreImage(input: Buffer): Promise<ImageQuality> {
  let rgb: { data: Buffer; width: number; height: number; channels: number };
  let width: number;
  let height: number;
  try {
    // limitInputPixels backs up the check below for formats whose header sharp reads lazily.
    const image = sharp(input, { failOn: 'error', limitInputPixels: IMAGE_LIMITS.maxPixels }).rotate();
    const meta = await image.metadata();
    width = meta.width ?? 0;
    height = meta.height ?? 0;
    if (!width || !height) throw new Error('it has no pixel dimensions');
    if (width > IMAGE_LIMITS.maxSide || height > IMAGE_LIMITS.maxSide || width * height > IMAGE_LIMITS.maxPixels) throw new ImageTooLargeError(width, height);
    const { data, info } = await image
      .flatten({ background: '#ffffff' })
      .resize({ width: WORKING_SIZE, height: WORKING_SIZE, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    rgb = { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    if (error instanceof ImageTooLargeError) throw error;
    throw new ImageDecodeError(String((error as Error)?.message ?? error).toLowerCase().replace(/\.$/, ''));
  }
  const w = rgb.width;
  const h = rgb.height;
  const { y, clippedHigh, clippedLow } = luminance(rgb.data, rgb.channels);
  const mean = meanOf(y);

  const laplacianVariance = laplacianVarianceOf(y, w, h);
  const noiseSigma = noiseSigmaOf(y, w, h);

  const sharpness = laplacianVariance / (laplacianVariance + 200);
  const m = clamp((Math.abs(mean - 0.5) - 0.15) / 0.35);
  const c = clamp((clippedHigh + clippedLow - 0.05) / 0.45) * 0.9;
  const exposure = (1 - m * m) * (1 - c);
  const noise = 1 / (1 + (noiseSigma / 6) ** 2);
  const resolution = Math.min(1, Math.sqrt((width * height) / 1e6 / 2));
  const overall =
    sharpness ** WEIGHTS.sharpness * exposure ** WEIGHTS.exposure * noise ** WEIGHTS.noise * resolution ** WEIGHTS.resolution;

  return {
    overall: round3(overall),
    sharpness: round3(sharpness),
    exposure: round3(exposure),
    noise: round3(noise),
    resolution: round3(resolution),
    measures: {
      laplacianVariance: round3(laplacianVariance),
      meanLuminance: round3(mean),
      clippedHigh: round3(clippedHigh),
      clippedLow: round3(clippedLow),
      noiseSigma: round3(noiseSigma),
      width,
      height,
    },
  };
}

// The per-pixel loops below use ternaries and `| 0` instead of Math.abs/min/max/floor: under Jest's VM
// context Math calls in hot loops ran about 20 times slower (450 ms instead of 20 ms per image).

/**
 * Integer Rec. 601 luma per pixel, plus the fractions of pixels with a clipped channel: a channel ≥ 250
 * (blown highlight) or every channel ≤ 5 (crushed shadow). Per channel, because over-exposure clips
 * saturated colours long before their luma reaches white.
 */
function luminance(data: Buffer, channels: number): { y: Uint8Array; clippedHigh: number; clippedLow: number } {
  const n = data.length / channels;
  const y = new Uint8Array(n);
  let high = 0;
  let low = 0;
  for (let p = 0, i = 0; p < n; p++, i += channels) {
    const r = data[i];
    const g = channels >= 3 ? data[i + 1] : r;
    const b = channels >= 3 ? data[i + 2] : r;
    y[p] = ((299 * r + 587 * g + 114 * b + 500) / 1000) | 0;
    const max = r > g ? (r > b ? r : b) : g > b ? g : b;
    if (max >= 250) high++;
    else if (max <= 5) low++;
  }
  return { y, clippedHigh: high / n, clippedLow: low / n };
}

function meanOf(y: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i];
  return sum / y.length / 255;
}

/** Variance of the 4-neighbour Laplacian over interior pixels; integer sums keep it exact. */
function laplacianVarianceOf(y: Uint8Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let row = 1; row < h - 1; row++) {
    for (let col = 1; col < w - 1; col++) {
      const i = row * w + col;
      const lap = y[i - 1] + y[i + 1] + y[i - w] + y[i + w] - 4 * y[i];
      sum += lap;
      sumSq += lap * lap;
    }
  }
  const n = (w - 2) * (h - 2);
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** Immerkær (1996) fast noise variance estimation, restricted to the flatter half of the unclipped pixels. */
function noiseSigmaOf(y: Uint8Array, w: number, h: number): number {
  if (w < 3 || h < 3) return 0;
  const n = (w - 2) * (h - 2);
  const gradient = new Uint16Array(n);
  const residual = new Uint16Array(n);
  const usable = new Uint8Array(n);
  const histogram = new Uint32Array(4096);
  let usableCount = 0;
  let k = 0;
  for (let row = 1; row < h - 1; row++) {
    for (let col = 1; col < w - 1; col++, k++) {
      const i = row * w + col;
      const a = y[i - w - 1], b = y[i - w], c = y[i - w + 1];
      const d = y[i - 1], e = y[i], f = y[i + 1];
      const g = y[i + w - 1], hh = y[i + w], ii = y[i + w + 1];
      const r = a - 2 * b + c - 2 * d + 4 * e - 2 * f + g - 2 * hh + ii;
      residual[k] = r < 0 ? -r : r;
      const gx = c + 2 * f + ii - a - 2 * d - g;
      const gy = g + 2 * hh + ii - a - 2 * b - c;
      const magnitude = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
      gradient[k] = magnitude > 4095 ? 4095 : magnitude;
      if (e > 5 && e < 250) {
        usable[k] = 1;
        usableCount++;
        histogram[gradient[k]]++;
      }
    }
  }
  if (usableCount === 0) return 0;
  // The median gradient of the usable pixels: at most it counts as flat.
  let seen = 0;
  let median = 0;
  while (median < 4095 && seen + histogram[median] < usableCount / 2) seen += histogram[median++];
  let total = 0;
  let count = 0;
  for (let j = 0; j < n; j++) {
    if (usable[j] && gradient[j] <= median) {
      total += residual[j];
      count++;
    }
  }
  return count === 0 ? 0 : (Math.sqrt(Math.PI / 2) * (total / count)) / 6;
}

const clamp = (v: number): number => Math.min(1, Math.max(0, v));
const round3 = (v: number): number => Math.round(v * 1000) / 1000;
