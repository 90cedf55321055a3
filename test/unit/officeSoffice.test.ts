import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { convertDocument, OfficeConversionError, sofficeAvailable } from '../../local/imm/office';

// A stand-in `soffice` on PATH (its own test file: the module probes soffice once per module instance). It answers
// --version, records its arguments, and "converts" by copying a prepared PDF to <outdir>/<source name>.pdf, or fails
// the way LibreOffice does when FAKE_SOFFICE_FAIL is set.
describe('convertDocument with soffice on PATH', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'imm-office-test-'));
  const argsFile = path.join(dir, 'args.txt');
  const pdfFile = path.join(dir, 'converted.pdf');
  const originalPath = process.env.PATH;

  beforeAll(async () => {
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(StandardFonts.Helvetica);
    doc.addPage([595.28, 841.89]).drawText('converted by soffice', { x: 72, y: 720, size: 24, font });
    writeFileSync(pdfFile, await doc.save());
    const script = [
      '#!/bin/sh',
      'if [ "$1" = "--version" ]; then echo "LibreOffice 0.0 fake"; exit 0; fi',
      `printf '%s\\n' "$@" > '${argsFile}'`,
      'if [ -n "$FAKE_SOFFICE_FAIL" ]; then echo "Error: source file could not be loaded" >&2; exit 0; fi',
      'out=""; prev=""; src=""',
      'for a in "$@"; do if [ "$prev" = "--outdir" ]; then out="$a"; fi; prev="$a"; src="$a"; done',
      'name=$(basename "$src"); mkdir -p "$out"',
      `cp '${pdfFile}' "$out/\${name%.*}.pdf"`,
    ].join('\n');
    writeFileSync(path.join(dir, 'soffice'), `${script}\n`);
    chmodSync(path.join(dir, 'soffice'), 0o755);
    process.env.PATH = `${dir}${path.delimiter}${originalPath ?? ''}`;
  });

  afterAll(() => {
    process.env.PATH = originalPath;
    delete process.env.FAKE_SOFFICE_FAIL;
    rmSync(dir, { recursive: true, force: true });
  });

  it('converts a docx to PDF with soffice and continues as PDF', async () => {
    // Prepare
    const docx = Buffer.from('PK\x03\x04 word/document.xml', 'latin1');

    // Act
    const available = await sofficeAvailable();
    const [text] = await convertDocument(docx, { sourceType: 'docx', targetType: 'txt' });
    const [pdf] = await convertDocument(docx, { sourceType: 'DOCX', targetType: 'pdf' });

    // Assess
    expect(available).toBe(true);
    expect(text.data.toString('utf8')).toContain('converted by soffice');
    expect(pdf.data.equals(readFileSync(pdfFile))).toBe(true);
    const args = readFileSync(argsFile, 'utf8').trim().split('\n');
    expect(args[0]).toMatch(/^-env:UserInstallation=file:\/\//);
    expect(args).toEqual(expect.arrayContaining(['--headless', '--convert-to', 'pdf', '--outdir']));
    expect(args[args.length - 1]).toMatch(/input\.docx$/);
  });

  it('reports a file soffice cannot load as InvalidFile', async () => {
    // Prepare
    process.env.FAKE_SOFFICE_FAIL = '1';

    // Act
    const err = await convertDocument(Buffer.from('not a spreadsheet'), { sourceType: 'xlsx', targetType: 'png' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    delete process.env.FAKE_SOFFICE_FAIL;

    // Assess
    expect(err).toBeInstanceOf(OfficeConversionError);
    expect((err as OfficeConversionError).code).toBe('InvalidFile');
    expect((err as OfficeConversionError).message).toMatch(/`\.xlsx`.*could not be loaded/);
  });
});
