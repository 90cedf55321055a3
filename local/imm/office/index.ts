// Document conversion of the offline IMM emulator: what CreateOfficeConversionTask does for real, done locally.
//
//   pdf               → png | jpg  each requested page rendered by MuPDF at imageDpi (jpg re-encoded by sharp)
//   pdf               → txt        MuPDF structured text of the requested pages, pages separated by a form feed (\f)
//   pdf               → pdf        as is (checked by MuPDF); with `pages`, only those pages in that order
//   txt (UTF-8)       → pdf        laid out by pdf-lib: Helvetica 11 pt, A4, 20 mm margins, word-wrapped, paginated;
//                                  a form feed starts a new page. Helvetica is a standard PDF font with WinAnsi encoding:
//                                  every character it cannot encode (CJK, emoji, most non-Latin scripts, control
//                                  characters) is written as `?`. Tabs become spaces to the next multiple of 4.
//   txt               → png | jpg  txt → pdf → render;   txt → txt: as is (`pages` does not apply)
//   doc docx ppt pptx xls xlsx odt ods odp rtf
//                     → *          LibreOffice (`soffice --headless --convert-to pdf`, 120 s) when it is on PATH, then as
//                                  pdf; without it UnsupportedInLocalStack with the install hint.
//
// The module's edges are files: convertDocumentFile takes the input as a file and writes every output as a file
// in a folder the caller owns, so that IMM streams documents in and out and holds only what pdf-lib must (a text
// being laid out, counted in the caller's MemoryBudget). convertDocument is the same with Buffers, for callers
// that have the bytes anyway: its temporary files live in one directory under os.tmpdir() per call and are
// removed before the call settles.
//
// MuPDF.js is ESM-only WASM: it runs in ./mupdfWorker.mjs, a separate Node process (about 0.1 s to start), so that
// CommonJS callers (the handlers, jest) never load it and a hostile PDF cannot exhaust the stack's own heap.
// Page 1 (the product's thumbnail) costs one worker start plus one page render: the worker loads only the pages
// asked for.

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PDFDocument, StandardFonts, type PDFFont } from 'pdf-lib';
import type { MemoryBudget } from '../MemoryBudget';
import { trackChild } from '../processes';
import sharp from 'sharp';

export type OfficeTarget = 'pdf' | 'png' | 'jpg' | 'txt';

export interface ConvertOptions {
  /** File extension without dot, e.g. 'pdf', 'txt', 'docx'. Without it the type is sniffed from the bytes. */
  sourceType?: string;
  targetType: OfficeTarget;
  /** 1-based page numbers, in output order (duplicates dropped); default all pages, at most MAX_PAGES. */
  pages?: number[];
  /** 96–600, default 96. A page whose image would exceed 20000 px a side or 40 Mpx is rendered at a lower dpi. */
  imageDpi?: number;
}

export interface ConvertedFile {
  /** '1.png', '2.jpg', 'output.pdf', 'output.txt' */
  name: string;
  contentType: string;
  data: Buffer;
}

/** An output written by convertDocumentFile. */
export interface ConvertedFileOnDisk {
  name: string;
  contentType: string;
  path: string;
}

export interface FileConvertOptions extends ConvertOptions {
  /** A folder the caller owns (and removes): outputs are written in a new folder inside it. */
  workDir: string;
  /** Counts the bytes a conversion holds in memory (a text laid out by pdf-lib); without it nothing is counted. */
  memory?: MemoryBudget;
}

export type OfficeErrorCode = 'UnsupportedInLocalStack' | 'InvalidFile' | 'ConversionFailed' | 'InvalidArgument';

export class OfficeConversionError extends Error {
  constructor(
    readonly code: OfficeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OfficeConversionError';
  }
}

export const OFFICE_TARGETS: readonly OfficeTarget[] = ['pdf', 'png', 'jpg', 'txt'];
/** Source types LibreOffice converts, and the LibreOffice component each one needs. */
export const OFFICE_SOURCE_TYPES: Readonly<Record<string, 'writer' | 'calc' | 'impress'>> = {
  doc: 'writer',
  docx: 'writer',
  odt: 'writer',
  rtf: 'writer',
  xls: 'calc',
  xlsx: 'calc',
  ods: 'calc',
  ppt: 'impress',
  pptx: 'impress',
  odp: 'impress',
};
export const SOURCE_TYPES: readonly string[] = ['pdf', 'txt', ...Object.keys(OFFICE_SOURCE_TYPES)];
export const MAX_PAGES = 5000;
export const MIN_DPI = 96;
export const MAX_DPI = 600;
export const DEFAULT_DPI = 96;
export const SOFFICE_TIMEOUT_MS = 120_000;

const WORKER = path.join(__dirname, 'mupdfWorker.mjs');
const CONTENT_TYPES: Record<OfficeTarget, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  txt: 'text/plain; charset=utf-8',
};

// ---------------------------------------------------------------------------------------------- entry point

export async function convertDocument(input: Buffer, options: ConvertOptions): Promise<ConvertedFile[]> {
  if (!Buffer.isBuffer(input)) throw new OfficeConversionError('InvalidArgument', 'the input must be a Buffer');
  checkTarget(options.targetType);
  checkPages(options.pages);
  checkDpi(options.imageDpi);
  // The whole input is at hand: sniff all of it, as convertDocumentFile cannot.
  const sourceType = options.sourceType === undefined ? sniffSourceType(input) : checkSourceType(options.sourceType);
  return withTempDir(async (dir) => {
    const file = path.join(dir, 'input');
    await writeFile(file, input);
    const outputs = await convertDocumentFile(file, { ...options, sourceType, workDir: dir });
    const files: ConvertedFile[] = [];
    for (const output of outputs) files.push({ name: output.name, contentType: output.contentType, data: await readFile(output.path) });
    return files;
  });
}

/**
 * Converts the document in the file `input`; outputs are files under `options.workDir` (one may be `input` itself,
 * when it is already the answer). Without a sourceType, the type is sniffed from the file's first MiB and last 256 KiB.
 */
export async function convertDocumentFile(input: string, options: FileConvertOptions): Promise<ConvertedFileOnDisk[]> {
  const target = checkTarget(options.targetType);
  const pages = checkPages(options.pages);
  const dpi = checkDpi(options.imageDpi);
  const sourceType = options.sourceType === undefined ? sniffSourceType(...(await sample(input))) : checkSourceType(options.sourceType);
  const dir = await mkdtemp(path.join(options.workDir, 'convert-'));

  if (sourceType === 'txt') {
    if (target === 'txt') return [{ name: 'output.txt', contentType: CONTENT_TYPES.txt, path: input }];
    const pdf = path.join(dir, 'text.pdf');
    await textFileToPdf(input, pdf, options.memory);
    return fromPdf(pdf, dir, { target, pages, dpi, trusted: true });
  }
  if (sourceType === 'pdf') {
    if (!looksLikePdf((await sample(input))[0])) throw new OfficeConversionError('InvalidFile', 'not a valid PDF: the `%PDF-` header is missing');
    return fromPdf(input, dir, { target, pages, dpi, trusted: false });
  }
  const pdf = await officeToPdf(input, sourceType, dir);
  return fromPdf(pdf, dir, { target, pages, dpi, trusted: true });
}

const SNIFF_HEAD = 1024 * 1024;
const SNIFF_TAIL = 256 * 1024;

/** The first MiB of a file and, when there is more, its last 256 KiB (where zip and OLE directories often are). */
async function sample(file: string): Promise<[Buffer, boolean]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, SNIFF_HEAD));
    await handle.read(head, 0, head.length, 0);
    if (size <= SNIFF_HEAD) return [head, false];
    const end = Buffer.alloc(Math.min(size - SNIFF_HEAD, SNIFF_TAIL));
    await handle.read(end, 0, end.length, size - end.length);
    return [Buffer.concat([head, end]), true];
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------- options

function checkTarget(target: unknown): OfficeTarget {
  if (typeof target === 'string' && (OFFICE_TARGETS as readonly string[]).includes(target)) return target as OfficeTarget;
  throw new OfficeConversionError('InvalidArgument', `unsupported target type \`${String(target)}\`: expected one of ${OFFICE_TARGETS.join(', ')}`);
}

function checkSourceType(sourceType: string): string {
  const type = String(sourceType).trim().toLowerCase().replace(/^\./, '');
  if (SOURCE_TYPES.includes(type)) return type;
  throw new OfficeConversionError('InvalidArgument', `unsupported source type \`${String(sourceType)}\`: expected one of ${SOURCE_TYPES.join(', ')}`);
}

/** Integer page numbers ≥ 1, duplicates dropped (first occurrence kept); undefined means all pages. */
function checkPages(pages: number[] | undefined): number[] | undefined {
  if (pages === undefined) return undefined;
  if (!Array.isArray(pages) || pages.length === 0) throw new OfficeConversionError('InvalidArgument', 'pages must be a non-empty list of page numbers');
  const unique = [...new Set(pages)];
  if (unique.length > MAX_PAGES) throw new OfficeConversionError('InvalidArgument', `at most ${MAX_PAGES} pages can be converted at once, ${unique.length} were asked for`);
  for (const page of unique) {
    if (typeof page !== 'number' || !Number.isInteger(page) || page < 1) {
      throw new OfficeConversionError('InvalidArgument', `invalid page number \`${String(page)}\`: pages are integers from 1`);
    }
  }
  return unique;
}

function checkDpi(dpi: number | undefined): number {
  if (dpi === undefined) return DEFAULT_DPI;
  if (typeof dpi !== 'number' || !Number.isFinite(dpi) || dpi < MIN_DPI || dpi > MAX_DPI) {
    throw new OfficeConversionError('InvalidArgument', `invalid imageDpi \`${String(dpi)}\`: expected ${MIN_DPI} to ${MAX_DPI}`);
  }
  return dpi;
}

// ---------------------------------------------------------------------------------------------- sniffing

function looksLikePdf(input: Buffer): boolean {
  // Readers accept the header anywhere in the first KiB (some producers put junk before it).
  return input.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1') !== -1;
}

/**
 * The source type of bytes that came without one; InvalidArgument when it cannot be told. `partial`: the bytes
 * are a sample of a larger file (its head, then its tail), so a text check stops at the end of the head.
 */
export function sniffSourceType(input: Buffer, partial = false): string {
  if (looksLikePdf(input)) return 'pdf';
  const head = input.subarray(0, 8);
  if (input.subarray(0, 5).toString('latin1') === '{\\rtf') return 'rtf';
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    // OOXML and ODF are zip files: their member names tell them apart.
    const zipKinds: [string, string][] = [
      ['word/document', 'docx'],
      ['xl/workbook', 'xlsx'],
      ['ppt/presentation', 'pptx'],
      ['application/vnd.oasis.opendocument.text', 'odt'],
      ['application/vnd.oasis.opendocument.spreadsheet', 'ods'],
      ['application/vnd.oasis.opendocument.presentation', 'odp'],
    ];
    for (const [marker, type] of zipKinds) if (input.indexOf(marker, 0, 'latin1') !== -1) return type;
  } else if (head.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))) {
    // Legacy Office files are OLE compound files: their stream names (UTF-16LE) tell them apart.
    const oleKinds: [string, string][] = [
      ['WordDocument', 'doc'],
      ['Workbook', 'xls'],
      ['PowerPoint Document', 'ppt'],
    ];
    for (const [marker, type] of oleKinds) if (input.indexOf(Buffer.from(marker, 'utf16le')) !== -1) return type;
  } else if (!input.subarray(0, 8192).includes(0) && isUtf8(partial ? input.subarray(0, SNIFF_HEAD) : input, partial)) {
    return 'txt';
  }
  throw new OfficeConversionError('InvalidArgument', 'cannot tell the type of the source document from its bytes: pass sourceType (the file extension)');
}

/** `truncated`: the bytes may end inside a character, which is not an error. */
function isUtf8(input: Buffer, truncated = false): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(input, { stream: truncated });
    return true;
  } catch {
    return false;
  }
}

function decodeUtf8(input: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(input);
  } catch {
    throw new OfficeConversionError('InvalidFile', 'the text file is not valid UTF-8');
  }
}

// ---------------------------------------------------------------------------------------------- text → PDF

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56.69; // 20 mm
const FONT_SIZE = 11;
const LEADING = 14;
const TAB_WIDTH = 4;

/**
 * Lays UTF-8 text out on A4 pages with Helvetica (see the file header): characters Helvetica's WinAnsi encoding
 * lacks are written as `?`.
 */
export async function textToPdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.setProducer('imm-bridge local stack');
  doc.setCreator('imm-bridge local stack');
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const measure = glyphMeasurer(font);
  const maxWidth = A4[0] - 2 * MARGIN;
  const linesPerPage = Math.floor((A4[1] - 2 * MARGIN) / LEADING);

  // Pages of lines: a form feed forces a new page, long lines wrap at spaces (or anywhere for a very long word).
  const pages: string[][] = [[]];
  const pushLine = (line: string) => {
    let page = pages[pages.length - 1];
    if (page.length >= linesPerPage) {
      page = [];
      pages.push(page);
    }
    page.push(line);
  };
  const sections = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\f');
  sections.forEach((section, index) => {
    if (index > 0) pages.push([]);
    if (index > 0 && section === '') return;
    for (const rawLine of section.split('\n')) {
      for (const line of wrapLine(sanitizeLine(rawLine, measure), measure, maxWidth)) pushLine(line);
    }
  });
  if (pages.length > MAX_PAGES) {
    throw new OfficeConversionError('InvalidArgument', `the text makes ${pages.length} pages, more than the ${MAX_PAGES} the local stack converts`);
  }

  for (const lines of pages) {
    const page = doc.addPage(A4);
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      page.drawText(line, { x: MARGIN, y: A4[1] - MARGIN - FONT_SIZE - i * LEADING, size: FONT_SIZE, font });
    });
  }
  return Buffer.from(await doc.save());
}

/**
 * pdf-lib lays text out in memory: the bytes, the decoded string (up to twice as large) and the PDF it makes
 * (about as large again) are held at once, counted as four times the file.
 */
async function textFileToPdf(input: string, output: string, memory: MemoryBudget | undefined): Promise<void> {
  const { size } = await stat(input);
  const release = memory ? await memory.reserve(4 * size, `laying out a ${size}-byte text`) : undefined;
  try {
    await writeFile(output, await textToPdf(decodeUtf8(await readFile(input))));
  } finally {
    release?.();
  }
}

/** Width of one character at FONT_SIZE, or undefined when the font cannot encode it. Cached per character. */
function glyphMeasurer(font: PDFFont): (char: string) => number | undefined {
  const widths = new Map<string, number | undefined>();
  return (char) => {
    if (widths.has(char)) return widths.get(char);
    let width: number | undefined;
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code < 0xa0)) {
      try {
        width = font.widthOfTextAtSize(char, FONT_SIZE);
      } catch {
        width = undefined;
      }
    }
    widths.set(char, width);
    return width;
  };
}

function sanitizeLine(line: string, measure: (char: string) => number | undefined): string {
  let out = '';
  for (const char of line) {
    if (char === '\t') out += ' '.repeat(TAB_WIDTH - (out.length % TAB_WIDTH));
    else out += measure(char) === undefined ? '?' : char;
  }
  return out;
}

/** Greedy word wrap; a word wider than the line is cut between characters. Spaces at a wrap point are dropped. */
function wrapLine(line: string, measure: (char: string) => number | undefined, maxWidth: number): string[] {
  const width = (s: string) => {
    let w = 0;
    for (const char of s) w += measure(char) ?? 0;
    return w;
  };
  if (width(line) <= maxWidth) return [line.trimEnd()];
  const lines: string[] = [];
  let current = '';
  let currentWidth = 0;
  for (const token of line.match(/ +|[^ ]+/g) ?? []) {
    const tokenWidth = width(token);
    if (currentWidth + tokenWidth <= maxWidth) {
      current += token;
      currentWidth += tokenWidth;
      continue;
    }
    if (token.startsWith(' ')) {
      // A wrap point: end the line here, drop the spaces.
      lines.push(current.trimEnd());
      current = '';
      currentWidth = 0;
      continue;
    }
    if (current.trim() !== '') {
      lines.push(current.trimEnd());
      current = '';
      currentWidth = 0;
    }
    for (const char of token) {
      const w = measure(char) ?? 0;
      if (currentWidth + w > maxWidth && current !== '') {
        lines.push(current);
        current = '';
        currentWidth = 0;
      }
      current += char;
      currentWidth += w;
    }
  }
  if (current.trim() !== '' || lines.length === 0) lines.push(current.trimEnd());
  return lines;
}

// ---------------------------------------------------------------------------------------------- PDF → *

interface PdfJob {
  target: OfficeTarget;
  pages: number[] | undefined;
  dpi: number;
  /** Made by this module (text layout, LibreOffice): no need to check it before returning it as is. */
  trusted: boolean;
}

/** `pdf` is a file; outputs go to `dir`. */
async function fromPdf(pdf: string, dir: string, job: PdfJob): Promise<ConvertedFileOnDisk[]> {
  if (job.target === 'pdf' && job.pages === undefined && job.trusted) {
    return [{ name: 'output.pdf', contentType: CONTENT_TYPES.pdf, path: pdf }];
  }
  if (job.target === 'pdf') {
    if (job.pages === undefined) {
      await runWorker({ op: 'info', input: pdf, outDir: dir, pages: null });
      return [{ name: 'output.pdf', contentType: CONTENT_TYPES.pdf, path: pdf }];
    }
    const [file] = await runWorker({ op: 'select', input: pdf, outDir: dir, pages: job.pages });
    return [{ name: 'output.pdf', contentType: CONTENT_TYPES.pdf, path: file.path }];
  }
  if (job.target === 'txt') {
    const [file] = await runWorker({ op: 'text', input: pdf, outDir: dir, pages: job.pages ?? null });
    return [{ name: 'output.txt', contentType: CONTENT_TYPES.txt, path: file.path }];
  }
  const files = await runWorker({ op: 'render', input: pdf, outDir: dir, pages: job.pages ?? null, dpi: job.dpi });
  const out: ConvertedFileOnDisk[] = [];
  for (const file of files) {
    if (job.target === 'png') {
      out.push({ name: `${file.page}.png`, contentType: CONTENT_TYPES.png, path: file.path });
    } else {
      // sharp streams the file through libvips: nothing is held in this heap.
      const jpg = path.join(dir, `${file.page}.jpg`);
      await sharp(file.path).jpeg({ quality: 90 }).withMetadata({ density: file.dpi }).toFile(jpg);
      out.push({ name: `${file.page}.jpg`, contentType: CONTENT_TYPES.jpg, path: jpg });
    }
  }
  return out;
}

interface WorkerRequest {
  op: 'render' | 'text' | 'select' | 'info';
  input: string;
  outDir: string;
  pages: number[] | null;
  dpi?: number;
}

interface WorkerFile {
  page: number;
  path: string;
  width: number;
  height: number;
  dpi: number;
}

type WorkerAnswer =
  | { ok: true; pageCount: number; files: WorkerFile[] }
  | { ok: false; code: 'InvalidFile' | 'PageOutOfRange' | 'ConversionFailed'; message: string; pageCount?: number; page?: number };

async function runWorker(request: WorkerRequest): Promise<WorkerFile[]> {
  const pageBudget = request.pages?.length ?? MAX_PAGES;
  // 60 s to start and open, then a second a page (a 600 dpi render of a busy page), at most 30 min.
  const timeout = Math.min(60_000 + 1_000 * (request.op === 'info' ? 0 : pageBudget), 30 * 60_000);
  // Its own process group, like ffmpeg's: Ctrl-C on `npm start` must not fail a running conversion. (execFile
  // hands `detached` to spawn; its option type just does not list it.)
  const execOptions = { timeout, killSignal: 'SIGKILL' as const, maxBuffer: 4 * 1024 * 1024, windowsHide: true, detached: true };
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: (Error & { killed?: boolean; signal?: string }) | null }>(
    (resolve) => {
      trackChild(
        execFile(
          process.execPath,
          [WORKER, JSON.stringify({ ...request, maxPages: MAX_PAGES })],
          execOptions,
          (err, out, errOut) => resolve({ stdout: String(out), stderr: String(errOut), error: err }),
        ),
      );
    },
  );
  const answer = parseAnswer(stdout);
  if (!answer) {
    const why = error?.killed || error?.signal === 'SIGKILL' ? `timed out after ${timeout / 1000} s` : (error?.message ?? 'no answer');
    throw new OfficeConversionError('ConversionFailed', `the MuPDF worker failed: ${why}${tail(stderr)}`);
  }
  if (answer.ok) return answer.files;
  if (answer.code === 'PageOutOfRange') {
    const count = answer.pageCount ?? 0;
    throw new OfficeConversionError('InvalidArgument', `page ${answer.page} is out of range: the document has ${count} page${count === 1 ? '' : 's'}`);
  }
  throw new OfficeConversionError(answer.code, answer.message);
}

function parseAnswer(stdout: string): WorkerAnswer | undefined {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as WorkerAnswer;
  } catch {
    return undefined;
  }
}

function tail(text: string, max = 600): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  return `: ${trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed}`;
}

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imm-office-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- Office → PDF

let sofficeProbe: Promise<boolean> | undefined;

/**
 * Whether `soffice --version` runs (LibreOffice on PATH). A yes is remembered for the process; a no is not (a miss
 * is instant), so that installing LibreOffice needs no restart of the stack. The child gets `process.env` explicitly:
 * the PATH in force now, as the caller (or a jest sandbox) sees it.
 */
export function sofficeAvailable(): Promise<boolean> {
  const probe = (sofficeProbe ??= new Promise<boolean>((resolve) => {
    execFile('soffice', ['--version'], { env: process.env, timeout: 30_000, killSignal: 'SIGKILL', windowsHide: true }, (err) => resolve(!err));
  }));
  void probe.then((yes) => {
    if (!yes && sofficeProbe === probe) sofficeProbe = undefined;
  });
  return probe;
}

function libreOfficeHint(sourceType: string): string {
  const component = OFFICE_SOURCE_TYPES[sourceType] ?? 'writer';
  return (
    `converting \`.${sourceType}\` needs LibreOffice in the local stack: install it ` +
    `(\`apt-get install -y libreoffice-core libreoffice-${component}\`, or the \`libreoffice\` package for every format) ` +
    `so that \`soffice\` is on PATH; real IMM converts it`
  );
}

/** `input` is a file; the PDF is written in `dir`, whose path is returned. */
async function officeToPdf(input: string, sourceType: string, dir: string): Promise<string> {
  if (!(await sofficeAvailable())) throw new OfficeConversionError('UnsupportedInLocalStack', libreOfficeHint(sourceType));
  // LibreOffice names its output after the input and picks a filter by extension: the input gets a fixed name.
  const source = path.join(dir, `input.${sourceType}`);
  const outDir = path.join(dir, 'out');
  await copyFile(input, source);
  // A profile of its own: LibreOffice refuses a second instance on a profile in use.
  const profile = pathToFileURL(path.join(dir, 'profile')).href;
  const args = [`-env:UserInstallation=${profile}`, '--headless', '--norestore', '--nolockcheck', '--convert-to', 'pdf', '--outdir', outDir, source];
  const result = await runProcess('soffice', args, SOFFICE_TIMEOUT_MS);
  const output = path.join(outDir, 'input.pdf');
  if (result.timedOut) throw new OfficeConversionError('ConversionFailed', `LibreOffice did not convert \`.${sourceType}\` within ${SOFFICE_TIMEOUT_MS / 1000} s`);
  if (!existsSync(output)) {
    const said = `${result.stdout}\n${result.stderr}`;
    if (/could not be loaded|general input\/output error/i.test(said)) {
      throw new OfficeConversionError('InvalidFile', `LibreOffice could not read the \`.${sourceType}\` file${tail(said)}`);
    }
    throw new OfficeConversionError('ConversionFailed', `LibreOffice produced no PDF (exit ${String(result.code)})${tail(said)}`);
  }
  return output;
}

/** Runs a command in a process group of its own so that a timeout kills soffice.bin too, not only its launcher. */
function runProcess(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = trackChild(spawn(command, args, { env: process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true }));
    let stdout = '';
    let stderr = '';
    const keep = (acc: string, chunk: Buffer) => (acc + chunk.toString('utf8')).slice(-64 * 1024);
    child.stdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}\n${err.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
