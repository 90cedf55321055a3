// The bytes behind a viewer page, read at view time as IMM's data identity (the project's service role, or
// the session's CredentialConfig), so that a bucket-policy grant withdrawn after the token was issued takes
// effect at once, as in the cloud. PDFs are served as they are; text and Office files are converted to PDF
// by the local document converter (../office: pdf-lib for text, LibreOffice for Office formats); images
// are served for an <img>. Throws ImmError (read) or OfficeConversionError (conversion).
import type { DataAccess } from '../DataAccess';
import { convertDocument } from '../office';
import { assertPreviewSize, documentKind, extension, IMAGE_TYPES } from './params';
import type { WebofficeSession } from './tokens';

export interface DocumentContent {
  contentType: string;
  body: Buffer;
}

export async function documentContent(session: WebofficeSession, data: DataAccess): Promise<DocumentContent> {
  const bytes = await data.read(session.project, session.source, session.credentialConfig);
  // The object may have been replaced by a larger one since the token was issued.
  assertPreviewSize(bytes.length, session.source);
  const ext = extension(session.filename);
  switch (documentKind(session.filename)) {
    case 'image':
      return { contentType: IMAGE_TYPES[ext], body: bytes };
    case 'pdf':
      return { contentType: 'application/pdf', body: bytes };
    case 'text':
    case 'office': {
      const [pdf] = await convertDocument(bytes, { sourceType: ext, targetType: 'pdf' });
      return { contentType: 'application/pdf', body: pdf.data };
    }
    default:
      // GenerateWebofficeToken only issues sessions for kinds it knows.
      throw new Error(`no viewer for \`${session.filename}\``);
  }
}
