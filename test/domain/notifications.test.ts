import { enabledNotifiers, eventType } from '../../src/workflows/domain/notifications';

describe('enabledNotifiers: the notifiers a release may use', () => {
  const on = { enabled: true };
  const off = { enabled: false };
  test.each([
    ['all on by default', { slack: on, teams: on, discord: on, webhook: on }, ['slack', 'teams', 'discord', 'webhook']],
    ['Slack off leaves the others', { slack: off, teams: on, discord: on, webhook: on }, ['teams', 'discord', 'webhook']],
    ['all off: nobody is told', { slack: off, teams: off, discord: off, webhook: off }, []],
    ['a config recorded before Teams, Discord and the JSON webhook existed: they are on, as their defaults', { slack: on }, ['slack', 'teams', 'discord', 'webhook']],
    ['Slack with a channel', { slack: { enabled: true, channel: '#deploys' }, teams: off, discord: off, webhook: off }, ['slack']],
  ])('%s', (_, alerts, expected) => {
    expect(enabledNotifiers(alerts)).toEqual(expected);
  });
});

describe("eventType: Flagger's Normal or Warning for an event webhook", () => {
  test.each([
    ['Phase Progressing', 'Normal'],
    ['Weights: web 50%, web-canary 50%', 'Normal'],
    ['Release promoted: all 2 analysis rounds passed', 'Normal'],
    ['Rolling back: failed checks reached the threshold (2 of 2)', 'Warning'],
    ['Release rolledBack: aborted by ops', 'Warning'],
    ['Phase RollingBack', 'Warning'],
    ['abort from ops ignored: refused after the point of no return', 'Warning'],
    ['Analysis 3: success rate no data', 'Warning'],
    ['Release FAILED and needs a person', 'Warning'],
    ['confirm-promotion gate open: approve approved', 'Normal'],
  ])('%s → %s', (message, expected) => {
    expect(eventType(message)).toBe(expected);
  });
});
