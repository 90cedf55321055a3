// The DetectImageScore formula (local/imm/score.ts) on real pixels: detailed synthetic images and
// degraded copies made with sharp. No network.
import sharp, { type Sharp } from 'sharp';
import { ImageDecodeError, scoreImage } from '../../local/imm/score';
import { sceneJpeg } from '../helpers/images';

/** A text-like page: rows of dark glyph-sized blocks and fine strokes over mid-grey paper with grain. */
async function documentPhoto(width = 900, height = 700): Promise<Buffer> {
  let x = 12345;
  const rand = () => {
    x = (x * 16807) % 2147483647;
    return x / 2147483647;
  };
  const glyphs: string[] = [];
  for (let row = 40; row < height - 40; row += 28) {
    for (let col = 40; col < width - 60; col += 9 + Math.floor(rand() * 8)) {
      if (rand() < 0.15) continue;
      glyphs.push(`<rect x="${col}" y="${row}" width="${4 + Math.floor(rand() * 4)}" height="${10 + Math.floor(rand() * 8)}" fill="#${rand() < 0.5 ? '222' : '333'}"/>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#b8b0a0"/>${glyphs.join('')}
    <path d="M 20 20 L ${width - 20} 20 L ${width - 20} ${height - 20} L 20 ${height - 20} Z" fill="none" stroke="#552" stroke-width="3"/>
  </svg>`;
  const grain = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 6 } } }).png().toBuffer();
  return sharp(Buffer.from(svg)).composite([{ input: grain, blend: 'soft-light' }]).jpeg({ quality: 90 }).toBuffer();
}

const reencode = (image: Sharp) => image.jpeg({ quality: 92 }).toBuffer();

describe('scoreImage', () => {
  const originals: { name: string; make: () => Promise<Buffer> }[] = [
    { name: 'a photo-like scene', make: () => sceneJpeg(800, 600, 1) },
    { name: 'a small scene', make: () => sceneJpeg(320, 240, 2) },
    { name: 'a text-like document', make: () => documentPhoto() },
  ];

  describe.each(originals)('on $name', ({ make }) => {
    let original: Buffer;
    let score: number;

    beforeAll(async () => {
      original = await make();
      score = (await scoreImage(original)).overall;
    });

    it('gives a score in [0, 1] with 3 decimals, the same every time', async () => {
      // Act
      const again = await scoreImage(Buffer.from(original));

      // Assess
      expect(score).toBeGreaterThan(0);
      expect(score).toBeLessThanOrEqual(1);
      expect(Math.round(score * 1000) / 1000).toBe(score);
      expect(again.overall).toBe(score);
    });

    it.each([
      { degradation: 'a blurred copy (sigma 3)', apply: (img: Sharp) => img.blur(3) },
      { degradation: 'an over-exposed copy (linear ×2.5)', apply: (img: Sharp) => img.linear(2.5, 0) },
      { degradation: 'an under-exposed copy (linear ×0.3)', apply: (img: Sharp) => img.linear(0.3, 0) },
    ])('scores $degradation strictly lower', async ({ apply }) => {
      // Prepare
      const degraded = await reencode(apply(sharp(original)));

      // Act
      const result = await scoreImage(degraded);

      // Assess
      expect(result.overall).toBeLessThan(score);
    });
  });

  it('explains a blur through sharpness, over-exposure through clipping and under-exposure through the mean', async () => {
    // Prepare
    const original = await sceneJpeg(800, 600, 1);

    // Act
    const [base, blur, over, under] = await Promise.all([
      scoreImage(original),
      scoreImage(await reencode(sharp(original).blur(3))),
      scoreImage(await reencode(sharp(original).linear(2.5, 0))),
      scoreImage(await reencode(sharp(original).linear(0.3, 0))),
    ]);

    // Assess
    expect(blur.sharpness).toBeLessThan(base.sharpness / 2);
    expect(over.measures.clippedHigh).toBeGreaterThan(0.3);
    expect(over.exposure).toBeLessThan(0.5);
    expect(under.measures.meanLuminance).toBeLessThan(0.25);
    expect(under.exposure).toBeLessThan(base.exposure);
  });

  it('scores added sensor noise lower', async () => {
    // Prepare
    const original = await sceneJpeg(800, 600, 3);
    const noise = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
    const noisy = await reencode(sharp(original).composite([{ input: noise, blend: 'overlay' }]));

    // Act
    const [base, result] = await Promise.all([scoreImage(original), scoreImage(noisy)]);

    // Assess
    expect(result.measures.noiseSigma).toBeGreaterThan(base.measures.noiseSigma * 3);
    expect(result.overall).toBeLessThan(base.overall);
  });

  it('handles transparency and tiny images', async () => {
    // Prepare
    const transparent = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const tiny = await sharp({ create: { width: 2, height: 1, channels: 3, background: '#808080' } }).png().toBuffer();

    // Act
    const results = await Promise.all([scoreImage(transparent), scoreImage(tiny)]);

    // Assess
    for (const result of results) {
      expect(result.overall).toBeGreaterThanOrEqual(0);
      expect(result.overall).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    { name: 'text', bytes: Buffer.from('hello, not an image') },
    { name: 'an empty buffer', bytes: Buffer.alloc(0) },
  ])('refuses $name as not a decodable image', async ({ bytes }) => {
    // Act
    const result = scoreImage(bytes);

    // Assess
    await expect(result).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(result).rejects.toThrow(/^the object is not a decodable image: /);
  });

  it('refuses a truncated JPEG', async () => {
    // Prepare
    const jpeg = await sceneJpeg(320, 240, 4);

    // Act
    const result = scoreImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)));

    // Assess
    await expect(result).rejects.toBeInstanceOf(ImageDecodeError);
  });
});
