// Office documents for tests, made by LibreOffice itself (call only when `soffice` is on PATH).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** A real .docx holding `text`: LibreOffice converts a text file, with a throwaway profile. */
export async function wordDocument(text: string): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-docx-'));
  try {
    writeFileSync(path.join(dir, 'document.txt'), text);
    await promisify(execFile)('soffice', [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'docx', '--outdir', dir, path.join(dir, 'document.txt')], { timeout: 120_000 });
    return readFileSync(path.join(dir, 'document.docx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
