import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { convertDocument, OfficeConversionError, sniffSourceType, sofficeAvailable, textToPdf } from '../../local/imm/office';

/** A two-page A4 PDF with known text on each page. */
async function twoPagePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of ['imm-bridge page one', 'page two']) {
    const page = doc.addPage([595.28, 841.89]);
    page.drawText(text, { x: 72, y: 720, size: 28, font });
  }
  return Buffer.from(await doc.save());
}

async function expectError(promise: Promise<unknown>, code: OfficeConversionError['code'], message?: RegExp): Promise<OfficeConversionError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OfficeConversionError);
  const typed = err as OfficeConversionError;
  expect(typed.code).toBe(code);
  if (message) expect(typed.message).toMatch(message);
  return typed;
}

/** True when some pixel is far from white (the page has ink on it). */
async function hasInk(image: Buffer): Promise<boolean> {
  const stats = await sharp(image).stats();
  return stats.channels.slice(0, 3).some((c) => c.min < 128);
}

describe('convertDocument, PDF sources', () => {
  let pdf: Buffer;
  beforeAll(async () => {
    pdf = await twoPagePdf();
  });

  it('renders every page to PNG at 96 dpi by default', async () => {
    // Prepare: the two-page PDF

    // Act
    const files = await convertDocument(pdf, { sourceType: 'pdf', targetType: 'png' });

    // Assess
    expect(files.map((f) => [f.name, f.contentType])).toEqual([
      ['1.png', 'image/png'],
      ['2.png', 'image/png'],
    ]);
    for (const file of files) {
      const meta = await sharp(file.data).metadata();
      expect(meta.format).toBe('png');
      expect(Math.abs((meta.width ?? 0) - 794)).toBeLessThanOrEqual(2);
      expect(Math.abs((meta.height ?? 0) - 1123)).toBeLessThanOrEqual(2);
      expect(await hasInk(file.data)).toBe(true);
    }
  });

  it('renders only the pages asked for, as JPEG at the asked dpi', async () => {
    // Prepare
    const options = { sourceType: 'pdf', targetType: 'jpg' as const, pages: [2], imageDpi: 144 };

    // Act
    const files = await convertDocument(pdf, options);

    // Assess
    expect(files.map((f) => [f.name, f.contentType])).toEqual([['2.jpg', 'image/jpeg']]);
    const meta = await sharp(files[0].data).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.abs((meta.width ?? 0) - 1191)).toBeLessThanOrEqual(2);
    expect(await hasInk(files[0].data)).toBe(true);
  });

  it('renders page 1 alone (the thumbnail) as one PNG', async () => {
    // Prepare: the two-page PDF

    // Act
    const files = await convertDocument(pdf, { targetType: 'png', pages: [1] });

    // Assess: the type is sniffed from the bytes
    expect(files.map((f) => f.name)).toEqual(['1.png']);
    expect(await hasInk(files[0].data)).toBe(true);
  });

  it('extracts the text of every page', async () => {
    // Prepare: the two-page PDF

    // Act
    const [file] = await convertDocument(pdf, { sourceType: 'pdf', targetType: 'txt' });

    // Assess
    expect(file.name).toBe('output.txt');
    expect(file.contentType).toBe('text/plain; charset=utf-8');
    const text = file.data.toString('utf8');
    expect(text).toContain('imm-bridge page one');
    expect(text).toContain('page two');
    expect(text.indexOf('imm-bridge page one')).toBeLessThan(text.indexOf('page two'));
  });

  it('returns a PDF as is, or only the pages asked for', async () => {
    // Prepare: the two-page PDF

    // Act
    const [same] = await convertDocument(pdf, { sourceType: 'pdf', targetType: 'pdf' });
    const [second] = await convertDocument(pdf, { sourceType: 'pdf', targetType: 'pdf', pages: [2] });

    // Assess
    expect(same.data.equals(pdf)).toBe(true);
    const selected = await PDFDocument.load(second.data);
    expect(selected.getPageCount()).toBe(1);
    const [text] = await convertDocument(second.data, { sourceType: 'pdf', targetType: 'txt' });
    expect(text.data.toString('utf8')).toContain('page two');
    expect(text.data.toString('utf8')).not.toContain('imm-bridge page one');
  });

  it('refuses garbage bytes as InvalidFile, with or without a PDF header', async () => {
    // Prepare
    const garbage = Buffer.from('this is not a pdf at all, just bytes \x00\x01\x02', 'latin1');
    const headerOnly = Buffer.from('%PDF-1.7\nnothing else of a PDF here\n', 'latin1');

    // Act
    const act = (input: Buffer) => convertDocument(input, { sourceType: 'pdf', targetType: 'png' });

    // Assess
    await expectError(act(garbage), 'InvalidFile');
    await expectError(act(headerOnly), 'InvalidFile');
  });

  it('refuses a page out of range as InvalidArgument naming the page count', async () => {
    // Prepare: the two-page PDF

    // Act
    const promise = convertDocument(pdf, { sourceType: 'pdf', targetType: 'png', pages: [9] });

    // Assess
    await expectError(promise, 'InvalidArgument', /page 9 .*2 pages/);
  });
});

describe('convertDocument, text sources', () => {
  it('round-trips text through PDF', async () => {
    // Prepare
    const text = 'imm-bridge text file\nsecond line with words\n\nlast paragraph';

    // Act
    const [pdf] = await convertDocument(Buffer.from(text), { sourceType: 'txt', targetType: 'pdf' });
    const [back] = await convertDocument(pdf.data, { sourceType: 'pdf', targetType: 'txt' });

    // Assess
    expect(pdf.name).toBe('output.pdf');
    expect(pdf.contentType).toBe('application/pdf');
    const extracted = back.data.toString('utf8');
    for (const line of ['imm-bridge text file', 'second line with words', 'last paragraph']) expect(extracted).toContain(line);
  });

  it('renders text to PNG', async () => {
    // Prepare
    const text = Buffer.from('imm-bridge thumbnail of a text file');

    // Act
    const files = await convertDocument(text, { sourceType: 'txt', targetType: 'png' });

    // Assess
    expect(files.map((f) => f.name)).toEqual(['1.png']);
    const meta = await sharp(files[0].data).metadata();
    expect(Math.abs((meta.width ?? 0) - 794)).toBeLessThanOrEqual(2);
    expect(await hasInk(files[0].data)).toBe(true);
  });

  it('returns text as is for a txt target', async () => {
    // Prepare
    const text = Buffer.from('as is ✓');

    // Act
    const [file] = await convertDocument(text, { sourceType: 'txt', targetType: 'txt' });

    // Assess
    expect(file.data.equals(text)).toBe(true);
  });

  it('wraps, paginates and writes unencodable characters as ?', async () => {
    // Prepare: a long line, enough lines for three pages, a CJK word and an emoji
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const lines = Array.from({ length: 110 }, (_, i) => `line ${i}`).join('\n');
    const text = `${long}\n中文 and 🙂 café\n${lines}\fafter form feed`;

    // Act
    const pdf = await textToPdf(text);

    // Assess
    const doc = await PDFDocument.load(pdf);
    expect(doc.getPageCount()).toBe(4);
    const [file] = await convertDocument(pdf, { sourceType: 'pdf', targetType: 'txt' });
    const extracted = file.data.toString('utf8');
    expect(extracted).toContain('word0');
    expect(extracted).toContain('word59');
    expect(extracted).toContain('?? and ? café');
    expect(extracted).toContain('line 109');
    expect(extracted.split('\f').pop()).toContain('after form feed');
  });

  it('refuses text that is not UTF-8 as InvalidFile', async () => {
    // Prepare
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);

    // Act
    const promise = convertDocument(latin1, { sourceType: 'txt', targetType: 'pdf' });

    // Assess
    await expectError(promise, 'InvalidFile', /UTF-8/);
  });
});

describe('convertDocument, Office sources', () => {
  it('converts docx with LibreOffice, or says how to install it', async () => {
    // Prepare: not a real docx; without soffice the bytes are never read
    const docx = Buffer.from('PK\x03\x04 word/document.xml', 'latin1');
    const available = await sofficeAvailable();

    // Act
    const promise = convertDocument(docx, { sourceType: 'docx', targetType: 'png' });

    // Assess
    if (available) {
      // LibreOffice is installed: it tries, and cannot make a document of these bytes
      const err = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OfficeConversionError);
      expect(['InvalidFile', 'ConversionFailed']).toContain((err as OfficeConversionError).code);
    } else {
      await expectError(promise, 'UnsupportedInLocalStack', /`\.docx` needs LibreOffice.*apt-get install -y libreoffice-core libreoffice-writer.*`soffice` is on PATH; real IMM converts it/);
    }
  });
});

describe('convertDocument, arguments', () => {
  it.each([
    ['an unknown source type', { sourceType: 'exe', targetType: 'png' }],
    ['an unknown target type', { sourceType: 'pdf', targetType: 'gif' }],
    ['a page 0', { sourceType: 'pdf', targetType: 'png', pages: [0] }],
    ['a fractional page', { sourceType: 'pdf', targetType: 'png', pages: [1.5] }],
    ['no pages', { sourceType: 'pdf', targetType: 'png', pages: [] }],
    ['a dpi under 96', { sourceType: 'pdf', targetType: 'png', imageDpi: 72 }],
    ['a dpi over 600', { sourceType: 'pdf', targetType: 'png', imageDpi: 1200 }],
  ])('refuses %s as InvalidArgument', async (_name, options) => {
    // Prepare
    const input = Buffer.from('%PDF-1.7\n');

    // Act
    const promise = convertDocument(input, options as never);

    // Assess
    await expectError(promise, 'InvalidArgument');
  });

  it('sniffs the source type from the bytes', () => {
    // Prepare
    const samples: [Buffer, string][] = [
      [Buffer.from('%PDF-1.4\n'), 'pdf'],
      [Buffer.from('{\\rtf1\\ansi hello}'), 'rtf'],
      [Buffer.from('PK\x03\x04....word/document.xml', 'latin1'), 'docx'],
      [Buffer.from('PK\x03\x04....xl/workbook.xml', 'latin1'), 'xlsx'],
      [Buffer.from('plain text ✓\n'), 'txt'],
    ];

    // Act
    const types = samples.map(([bytes]) => sniffSourceType(bytes));

    // Assess
    expect(types).toEqual(samples.map(([, type]) => type));
    expect(() => sniffSourceType(Buffer.from([0, 1, 2, 0xff, 0xfe]))).toThrow(OfficeConversionError);
  });
});
