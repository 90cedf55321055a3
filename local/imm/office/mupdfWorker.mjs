// MuPDF worker of the local stack's document conversion (local/imm/office/index.ts runs it).
// MuPDF.js is ESM-only WASM, so it lives in this separate Node process: jest/ts-jest (CommonJS) never load it,
// and a crash or a runaway document cannot take the stack down with it.
//
// Usage: node mupdfWorker.mjs '<request JSON>'
//   request: { op: 'render' | 'text' | 'select' | 'info', input: <pdf path>, outDir: <dir>, dpi?: number, pages?: number[] | null, maxPages: number }
//   - render: writes <outDir>/<page>.png for each requested page (1-based); default all pages up to maxPages.
//   - text:   writes <outDir>/output.txt, the structured text of the requested pages, pages separated by a form feed.
//   - select: writes <outDir>/output.pdf with only the requested pages, in the requested order.
//   - info:   only opens the document, counts its pages and checks the requested ones.
// Answers one JSON line on stdout:
//   { ok: true, pageCount, files: [{ page, path, width, height, dpi }] }
//   { ok: false, code: 'InvalidFile' | 'PageOutOfRange' | 'ConversionFailed', message, pageCount?, page? }
// MuPDF's own warnings go to stderr.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as mupdf from 'mupdf';

// A page is rendered at the requested dpi unless that makes a huge pixmap (a poster-sized page at 600 dpi):
// then the scale is lowered until the image fits both limits.
const MAX_SIDE = 20000;
const MAX_PIXELS = 40_000_000;

function answer(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function fail(code, message, extra = {}) {
  answer({ ok: false, code, message, ...extra });
}

function main() {
  const request = JSON.parse(process.argv[2] ?? '{}');
  const { op, input, outDir } = request;
  const maxPages = request.maxPages ?? 5000;

  mupdf.setLog({
    error: (message) => process.stderr.write(`mupdf error: ${message}\n`),
    warning: (message) => process.stderr.write(`mupdf warning: ${message}\n`),
  });

  let doc;
  try {
    doc = mupdf.Document.openDocument(input, 'application/pdf');
  } catch (err) {
    return fail('InvalidFile', `not a valid PDF: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    if (doc.needsPassword()) return fail('InvalidFile', 'the PDF is encrypted and needs a password');
    let pageCount;
    try {
      pageCount = doc.countPages();
    } catch (err) {
      return fail('InvalidFile', `not a valid PDF: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (pageCount < 1) return fail('InvalidFile', 'not a valid PDF: it has no pages', { pageCount });

    let pages;
    if (Array.isArray(request.pages) && request.pages.length > 0) {
      for (const page of request.pages) {
        if (page > pageCount) return fail('PageOutOfRange', `page ${page} is out of range`, { pageCount, page });
      }
      pages = request.pages;
    } else {
      pages = Array.from({ length: Math.min(pageCount, maxPages) }, (_, i) => i + 1);
    }

    if (op === 'info') return answer({ ok: true, pageCount, files: [] });

    if (op === 'text') {
      const texts = [];
      for (const number of pages) {
        const page = doc.loadPage(number - 1);
        const stext = page.toStructuredText('preserve-whitespace');
        texts.push(stext.asText());
        stext.destroy();
        page.destroy();
      }
      const file = path.join(outDir, 'output.txt');
      writeFileSync(file, texts.join('\f'), 'utf8');
      return answer({ ok: true, pageCount, files: [{ page: 0, path: file, width: 0, height: 0, dpi: 0 }] });
    }

    if (op === 'select') {
      const pdf = doc.asPDF();
      if (!pdf) return fail('InvalidFile', 'not a valid PDF');
      pdf.rearrangePages(pages.map((number) => number - 1));
      const file = path.join(outDir, 'output.pdf');
      const buffer = pdf.saveToBuffer('garbage=compact');
      writeFileSync(file, buffer.asUint8Array());
      buffer.destroy();
      return answer({ ok: true, pageCount, files: [{ page: 0, path: file, width: 0, height: 0, dpi: 0 }] });
    }

    if (op === 'render') {
      const dpi = request.dpi ?? 96;
      const files = [];
      for (const number of pages) {
        const page = doc.loadPage(number - 1);
        const [x0, y0, x1, y1] = page.getBounds();
        const widthPt = Math.max(1, x1 - x0);
        const heightPt = Math.max(1, y1 - y0);
        let scale = dpi / 72;
        scale = Math.min(scale, MAX_SIDE / widthPt, MAX_SIDE / heightPt, Math.sqrt(MAX_PIXELS / (widthPt * heightPt)));
        const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false, true);
        const effectiveDpi = Math.round(scale * 72);
        pixmap.setResolution(effectiveDpi, effectiveDpi);
        const file = path.join(outDir, `${number}.png`);
        writeFileSync(file, pixmap.asPNG());
        files.push({ page: number, path: file, width: pixmap.getWidth(), height: pixmap.getHeight(), dpi: effectiveDpi });
        pixmap.destroy();
        page.destroy();
      }
      return answer({ ok: true, pageCount, files });
    }

    return fail('ConversionFailed', `unknown worker op \`${String(op)}\``);
  } finally {
    doc.destroy();
  }
}

try {
  main();
} catch (err) {
  fail('ConversionFailed', `MuPDF failed: ${err instanceof Error ? err.message : String(err)}`);
}
