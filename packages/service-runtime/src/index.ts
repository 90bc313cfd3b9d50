export * from './env';
export * from './jwt-secret';
export * from './data-lock';
export * from './probe';
export * from './feed-auth';
export * from './logger';
export * from './version';
export * from './operator-access';
