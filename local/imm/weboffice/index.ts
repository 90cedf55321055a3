// WebOffice document preview in the offline IMM: sessions and tokens (tokens.ts), GenerateWebofficeToken's
// parameters (params.ts), and the viewer the WebofficeURL opens (viewer.ts, with pages.ts, content.ts,
// assets.ts and the browser files in static/). The two RPC actions live with the others in ../actions.
export { createViewer, isViewerRequest, viewerUrl, type ViewerOptions } from './viewer';
export { WebofficeTokenStore, type WebofficeTokenStoreOptions, type WebofficeSession, type IssuedTokens } from './tokens';
