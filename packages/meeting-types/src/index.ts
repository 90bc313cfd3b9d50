export * from './common';
export * from './states';
export * from './errors';
export * from './envelope';
export * from './requests';
export * from './responses';
export * from './token';
export * from './media-protocol';
