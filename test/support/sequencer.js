'use strict';
/**
 * Jest's own order (slow and previously failed files first), except that test/zz-suite runs last:
 * its checks look at what the whole suite left on the dev server (every recorded history).
 */
const Sequencer = require('@jest/test-sequencer').default;

const LAST = `${require('node:path').sep}zz-suite${require('node:path').sep}`;

class SuiteLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const ordered = Array.isArray(sorted) ? sorted : null;
    if (!ordered) return Promise.resolve(sorted).then((list) => this.lastAtEnd(list));
    return this.lastAtEnd(ordered);
  }

  lastAtEnd(tests) {
    return [...tests.filter((test) => !test.path.includes(LAST)), ...tests.filter((test) => test.path.includes(LAST))];
  }
}

module.exports = SuiteLastSequencer;
