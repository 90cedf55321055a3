// Office documents for tests, made by LibreOffice itself (call only when `soffice` is on PATH), and whether the
// real LibreOffice path must run: CI installs LibreOffice and sets REQUIRE_SOFFICE=1, so a broken install fails
// there instead of quietly testing the UnsupportedInLocalStack path.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sofficeAvailable } from '../../local/imm/office';

/** Whether LibreOffice converts here; throws when REQUIRE_SOFFICE=1 and it does not. */
export async function libreOfficeAvailable(): Promise<boolean> {
  const available = await sofficeAvailable();
  if (!available && process.env.REQUIRE_SOFFICE === '1') {
    throw new Error('REQUIRE_SOFFICE=1 but `soffice --version` fails: install LibreOffice (see docs/local-stack.md, Tests)');
  }
  return available;
}

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
