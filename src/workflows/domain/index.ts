export * from './analysis';
export * from './duration';
export * from './phases';
export * from './queries';
export * from './weights';
