export { release } from './release';
export { rollbackDrill } from './drill';
export { migration } from './migration';
export { revert } from './revert';
export { train } from './train';
