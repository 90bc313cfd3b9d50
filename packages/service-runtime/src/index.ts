export * from './env';
export * from './jwt-secret';
