// Document conversion end to end on the local stack: an uploaded PDF gets a `submitted` sidecar, a
// first-page PNG thumbnail under converted/<key>/, and then (through IMM's notification, pushed by MNS to the api)
// a `succeeded` sidecar; /documents/convert over HTTP; an Office file without
// LibreOffice fails its task with a clear code.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { libreOfficeAvailable, wordDocument } from '../helpers/office';
import { callApi, partnerClient, readSidecar, startTestStack, waitForTask, type TestStack } from '../helpers/stack';

async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const text of ['imm-bridge document page one', 'page two']) doc.addPage([595.28, 841.89]).drawText(text, { x: 50, y: 780, size: 24, font });
  return Buffer.from(await doc.save());
}

describe('document conversion (local stack)', () => {
  let stack: TestStack;
  let pdf: Buffer;

  beforeAll(async () => {
    stack = await startTestStack();
    pdf = await samplePdf();
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('an uploaded PDF gets a first-page PNG thumbnail of plausible size', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    // Act
    await partner.put('incoming/docs/report.pdf', pdf);
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/docs/report.pdf');
    const task = await waitForTask(stack.info, 'OfficeConversion', sidecar.taskId, 30000);
    const thumbnail = (await partner.get('converted/incoming/docs/report.pdf/1.png')).content as Buffer;
    const meta = await sharp(thumbnail).metadata();
    const listing = await partner.list({ prefix: 'converted/incoming/docs/report.pdf/', 'max-keys': 10 }, {});
    // Assess
    expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'OfficeConversion', target: `oss://${stack.info.bucket}/converted/incoming/docs/report.pdf/` });
    expect(sidecar.submittedAt).toEqual(expect.any(String));
    expect(task.status).toBe('Succeeded');
    expect(meta.format).toBe('png');
    expect(Math.abs((meta.width ?? 0) - 794)).toBeLessThanOrEqual(2);
    expect(Math.abs((meta.height ?? 0) - 1123)).toBeLessThanOrEqual(2);
    // Only the first page: a thumbnail, not the whole document.
    expect(listing.objects.map((o) => o.name)).toEqual(['converted/incoming/docs/report.pdf/1.png']);
  });

  it('an uploaded text file gets an A4 first-page thumbnail', async () => {
    // Prepare
    const partner = partnerClient(stack.info, true);
    // Act
    await partner.put('incoming/docs/notes.txt', Buffer.from('Meeting notes\n\nimm-bridge turns text into a PDF page first.\n'));
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/docs/notes.txt');
    const meta = await sharp((await partner.get('converted/incoming/docs/notes.txt/1.png')).content as Buffer).metadata();
    // Assess
    expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'OfficeConversion' });
    expect(meta.format).toBe('png');
    expect(Math.abs((meta.width ?? 0) - 794)).toBeLessThanOrEqual(2);
    expect(Math.abs((meta.height ?? 0) - 1123)).toBeLessThanOrEqual(2);
  });

  it('an uploaded Word document gets a thumbnail through LibreOffice, or a failed sidecar that says how to enable it', async () => {
    // Prepare: with LibreOffice (CI installs it), a real .docx made by LibreOffice itself; without, any bytes.
    const partner = partnerClient(stack.info, true);
    const available = await libreOfficeAvailable();
    const docx = available ? await wordDocument('Quarterly report\nimm-bridge renders Office files with LibreOffice.') : Buffer.from('PK\u0003\u0004 not a docx');
    // Act
    await partner.put('incoming/docs/report.docx', docx);
    await stack.quiescent();
    const sidecar = await readSidecar(partner, 'incoming/docs/report.docx');
    // Assess
    if (available) {
      const meta = await sharp((await partner.get('converted/incoming/docs/report.docx/1.png')).content as Buffer).metadata();
      expect(sidecar).toMatchObject({ status: 'succeeded', taskType: 'OfficeConversion' });
      expect(meta.format).toBe('png');
      // A page of A4 or US Letter at 96 dpi, portrait.
      expect(meta.width).toBeGreaterThanOrEqual(790);
      expect(meta.width).toBeLessThanOrEqual(820);
      expect(meta.height).toBeGreaterThan(meta.width ?? 0);
    } else {
      expect(sidecar).toMatchObject({ status: 'failed', error: { code: 'UnsupportedInLocalStack', hint: expect.stringContaining('libreoffice') } });
    }
  });

  it('POST /documents/convert to txt extracts the text of every page', async () => {
    // Prepare
    await partnerClient(stack.info).put('incoming/docs/text.pdf', pdf);
    // Act
    const submitted = await callApi(stack.info, 'POST', '/documents/convert', { uri: `oss://${stack.info.bucket}/incoming/docs/text.pdf`, targetType: 'txt' });
    const task = await waitForTask(stack.info, 'OfficeConversion', submitted.body.taskId, 30000);
    const text = ((await partnerClient(stack.info).get('converted/incoming/docs/text.pdf/output.txt')).content as Buffer).toString('utf8');
    // Assess
    expect(submitted.status).toBe(202);
    expect(task.status).toBe('Succeeded');
    expect(text).toContain('imm-bridge document page one');
    expect(text).toContain('page two');
  });

  it('an Office file fails its task with UnsupportedInLocalStack when LibreOffice is absent', async () => {
    // Prepare
    const available = await libreOfficeAvailable();
    await partnerClient(stack.info).put('incoming/docs/memo.docx', Buffer.from('PK\u0003\u0004 not really a docx'));
    // Act
    const submitted = await callApi(stack.info, 'POST', '/documents/convert', { uri: `oss://${stack.info.bucket}/incoming/docs/memo.docx`, targetType: 'pdf' });
    const task = await waitForTask(stack.info, 'OfficeConversion', submitted.body.taskId, 30000);
    await stack.quiescent();
    const uploadSidecar = await readSidecar(partnerClient(stack.info), 'incoming/docs/memo.docx');
    // Assess
    expect(task.status).toBe('Failed');
    if (available) expect(task.code).toBe('InvalidFile');
    else expect(task).toMatchObject({ code: 'UnsupportedInLocalStack', message: expect.stringContaining('soffice') });
    // The upload itself got the same failure in its sidecar, with what to do about it.
    expect(uploadSidecar).toMatchObject({ status: 'failed', taskType: 'OfficeConversion', error: { code: task.code } });
    expect(uploadSidecar.error.hint).toEqual(expect.any(String));
  });
});
