export * from './credentials';
export * from './deployment-outputs';
export * from './errors';
export * from './function-url';
export * from './function-url-client';
export * from './sigv4';
