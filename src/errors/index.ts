/** Errors: the catalogue of codes, the AppError type and the per-family renderers. */
export { AppError, isAppError } from './app-error.ts';
export { errorCatalog, type ErrorCode } from './catalog.ts';
export { renderError, renderJsonError, renderXmlError, renderOAuthError, contentTypeForErrors, type ApiFamily } from './render.ts';
