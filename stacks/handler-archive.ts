// The demo's handler is zipped by the same code as the constructs' own handlers.
export { type HandlerPackage, handlerPackage } from '../constructs/handler-package';
