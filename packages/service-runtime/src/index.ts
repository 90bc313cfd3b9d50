export * from './env';
export * from './jwt-secret';
export * from './logger';
export * from './version';
