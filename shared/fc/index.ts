export * from './types';
export { parseOssEvent, type UploadedObject, type ParsedOssEvent } from './ossEvent';
export { parseHttpEvent, jsonResponse, errorResponse, type HttpRequest } from './httpEvent';
export { parseTimerEvent, type TimerEvent } from './timerEvent';
