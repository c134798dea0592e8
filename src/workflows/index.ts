export { release } from './release';
export { rollbackDrill } from './drill';
