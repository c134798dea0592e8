export * from './analysis';
export * from './blue-green';
export * from './direct';
export * from './duration';
export * from './phases';
export * from './queries';
export * from './webhooks';
export * from './weights';
