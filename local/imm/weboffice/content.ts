// The bytes behind a viewer page, read at view time as IMM's data identity (the project's service role, or
// the session's CredentialConfig), so that a bucket-policy grant withdrawn after the token was issued takes
// effect at once, as in the cloud. PDFs and images are streamed from OSS to the browser as they arrive; text
// and Office files are streamed into a temporary folder, converted to PDF there by the local document
// converter (../office: pdf-lib for text, LibreOffice for Office formats), and the PDF is streamed from disk.
// Nothing holds a whole document in memory except pdf-lib laying out a text (within the MemoryBudget).
// Throws ImmError (read) or OfficeConversionError (conversion).
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { DataAccess } from '../DataAccess';
import { convertDocumentFile } from '../office';
import { assertPreviewSize, documentKind, extension, IMAGE_TYPES, MAX_PREVIEW_BYTES, previewTooLarge } from './params';
import type { WebofficeSession } from './tokens';

export interface DocumentContent {
  contentType: string;
  size: number;
  /** The caller consumes or destroys it, then calls `dispose`. */
  stream: Readable;
  /** Removes whatever the content left on disk; safe to call more than once. */
  dispose: () => Promise<void>;
}

const nothing = async (): Promise<void> => undefined;

export async function documentContent(session: WebofficeSession, data: DataAccess): Promise<DocumentContent> {
  const ext = extension(session.filename);
  const kind = documentKind(session.filename);
  if (kind === 'image' || kind === 'pdf') {
    const body = await data.open(session.project, session.source, session.credentialConfig);
    try {
      // The object may have been replaced by a larger one since the token was issued.
      assertPreviewSize(body.size, session.source);
    } catch (error) {
      body.stream.destroy();
      throw error;
    }
    return { contentType: kind === 'image' ? IMAGE_TYPES[ext] : 'application/pdf', size: body.size, stream: body.stream, dispose: nothing };
  }
  if (kind !== 'text' && kind !== 'office') {
    // GenerateWebofficeToken only issues sessions for kinds it knows.
    throw new Error(`no viewer for \`${session.filename}\``);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'imm-preview-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const source = path.join(dir, 'source');
    const tooLarge = { maxBytes: MAX_PREVIEW_BYTES, refuse: (size: number) => previewTooLarge(size, session.source) };
    await data.readToFile(session.project, session.source, source, session.credentialConfig, tooLarge);
    const [pdf] = await convertDocumentFile(source, { sourceType: ext, targetType: 'pdf', workDir: dir, memory: data.memory });
    const { size } = await stat(pdf.path);
    return { contentType: 'application/pdf', size, stream: createReadStream(pdf.path), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
