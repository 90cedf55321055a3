// Test images made on the fly with sharp: a detailed scene (edges, text, texture) as a real JPEG, and
// degraded copies of it.
import sharp from 'sharp';

export async function sceneJpeg(width = 800, height = 600, seed = 1): Promise<Buffer> {
  const shapes: string[] = [];
  let x = seed * 7919;
  const rand = () => {
    x = (x * 16807) % 2147483647;
    return x / 2147483647;
  };
  for (let i = 0; i < 40; i++) {
    const hue = Math.floor(rand() * 360);
    shapes.push(`<circle cx="${rand() * width}" cy="${rand() * height}" r="${10 + rand() * 60}" fill="hsl(${hue},70%,${35 + rand() * 30}%)" stroke="#111" stroke-width="2"/>`);
  }
  for (let i = 0; i < 30; i++) shapes.push(`<line x1="${i * 27}" y1="0" x2="${i * 27 + 120}" y2="${height}" stroke="#223" stroke-width="1.5"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#6a8caf"/><stop offset="1" stop-color="#d9c7a3"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}
    <text x="40" y="${height / 2}" font-size="64" font-family="sans-serif" fill="#000">imm-bridge test ${seed}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

export const blurred = (jpeg: Buffer, sigma = 6) => sharp(jpeg).blur(sigma).jpeg({ quality: 92 }).toBuffer();
