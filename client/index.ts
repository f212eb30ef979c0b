export * from './credentials';
export * from './deployment-outputs';
export * from './errors';
export * from './function-url';
export * from './function-url-client';
export { bufferedResponse } from './responses';
export type { InvokeResponse, StreamingResponse } from './responses';
export * from './sigv4';
export * from './vended-credentials';
