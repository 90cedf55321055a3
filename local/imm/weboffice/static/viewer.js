// The local WebOffice viewer's browser side. A plain script (no build step, no inline code: the page's CSP
// allows only its own origin). The server puts everything it needs on <body> as data- attributes.
//
// PDFs (and text or Office files the server converted to PDF) are rendered by pdf.js: page 1 at once,
// canvas and text layer (the page's text as selectable spans in .textLayer), then the other pages as they
// scroll into view, up to data-max-pages. Images are an <img>. When page 1 (or the image) is on screen,
// body[data-state] becomes "rendered"; on failure it becomes "error" and #status says why. Tests and
// scripts wait on that attribute.
(function () {
  'use strict';

  var body = document.body;
  var status = document.getElementById('status');
  var data = body.dataset;

  function setState(state, message) {
    body.dataset.state = state;
    if (message !== undefined) status.textContent = message;
    status.className = state === 'error' ? 'error' : '';
  }

  function explain(error) {
    var name = error && error.name;
    if (name === 'UnexpectedResponseException' && error.status === 401) {
      return 'The access token is invalid or expired: get a new pair with POST /documents/preview/refresh, then open the page again with the new access token.';
    }
    if (name === 'UnexpectedResponseException' || name === 'MissingPDFException') {
      return 'The document could not be loaded (HTTP ' + (error.status || 404) + '): open the content link for the details.';
    }
    if (name === 'PasswordException') return 'The document is protected by a password, which the local viewer does not ask for.';
    if (name === 'InvalidPDFException') return 'The document is not a valid PDF.';
    return 'The document could not be shown: ' + String((error && error.message) || error);
  }

  if (data.kind === 'image') {
    var image = document.getElementById('image');
    var done = function () {
      if (image.naturalWidth > 0) setState('rendered', '');
      else setState('error', 'The image could not be loaded: the access token may have expired, or the file is not an image.');
    };
    if (image.complete) done();
    else {
      image.addEventListener('load', done);
      image.addEventListener('error', done);
    }
    return;
  }

  var pdfjsLib = globalThis.pdfjsLib;
  if (!pdfjsLib) {
    setState('error', 'pdf.js did not load.');
    return;
  }
  pdfjsLib.GlobalWorkerOptions.workerSrc = data.workerSrc;

  // CSS pixels per PDF point; the canvas gets devicePixelRatio times as many pixels so that text stays sharp.
  var SCALE = 1.25;
  var container = document.getElementById('pages');

  function pageElement(number, viewport) {
    var page = document.createElement('div');
    page.className = 'page';
    page.dataset.pageNumber = String(number);
    // pdf.js sizes the text layer from this variable (it must equal viewport.scale).
    page.style.setProperty('--scale-factor', String(viewport.scale));
    page.style.width = viewport.width + 'px';
    page.style.height = viewport.height + 'px';
    container.appendChild(page);
    return page;
  }

  function renderPage(doc, number, page) {
    return doc.getPage(number).then(function (pdfPage) {
      var viewport = pdfPage.getViewport({ scale: SCALE });
      // Pages may differ in size from page 1, whose size the placeholder had.
      page.style.width = viewport.width + 'px';
      page.style.height = viewport.height + 'px';
      var ratio = window.devicePixelRatio || 1;
      var canvas = document.createElement('canvas');
      canvas.width = Math.floor(viewport.width * ratio);
      canvas.height = Math.floor(viewport.height * ratio);
      canvas.style.width = viewport.width + 'px';
      canvas.style.height = viewport.height + 'px';
      var textLayer = document.createElement('div');
      textLayer.className = 'textLayer';
      page.replaceChildren(canvas, textLayer);
      var drawing = pdfPage.render({
        canvasContext: canvas.getContext('2d'),
        viewport: viewport,
        transform: ratio === 1 ? null : [ratio, 0, 0, ratio, 0, 0],
      }).promise;
      var text = pdfjsLib.renderTextLayer({
        textContentSource: pdfPage.streamTextContent(),
        container: textLayer,
        viewport: viewport,
      }).promise;
      return Promise.all([drawing, text]).then(function () {
        page.dataset.rendered = 'true';
      });
    });
  }

  var loading = pdfjsLib.getDocument({
    url: data.contentUrl,
    // The CSP forbids eval; pdf.js then interprets fonts instead of compiling them.
    isEvalSupported: false,
    cMapUrl: data.cmapUrl,
    cMapPacked: true,
    standardFontDataUrl: data.standardFontUrl,
  });

  loading.promise
    .then(function (doc) {
      var count = Math.min(doc.numPages, Number(data.maxPages) || doc.numPages);
      body.dataset.pages = String(doc.numPages);
      return doc.getPage(1).then(function (first) {
        var viewport = first.getViewport({ scale: SCALE });
        // Placeholders of page 1's size keep the scrollbar honest until each page is drawn.
        var pages = [];
        for (var n = 1; n <= count; n++) pages.push(pageElement(n, viewport));
        return renderPage(doc, 1, pages[0]).then(function () {
          setState('rendered', count < doc.numPages ? 'Showing ' + count + ' of ' + doc.numPages + ' pages.' : '');
          lazy(doc, pages.slice(1));
        });
      });
    })
    .catch(function (error) {
      setState('error', explain(error));
    });

  /** Draws the other pages when they come near the viewport. */
  function lazy(doc, pages) {
    if (pages.length === 0) return;
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          observer.unobserve(entry.target);
          renderPage(doc, Number(entry.target.dataset.pageNumber), entry.target).catch(function (error) {
            entry.target.dataset.error = explain(error);
          });
        });
      },
      { rootMargin: '800px 0px' },
    );
    pages.forEach(function (page) {
      observer.observe(page);
    });
  }
})();
