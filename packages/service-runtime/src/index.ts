export * from './env';
export * from './jwt-secret';
export * from './feed-auth';
