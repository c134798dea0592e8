import { FAILURE_TYPES, type FailureType } from '../../activities/failures';

/**
 * What helm's error output says failed, read from its own messages (helm v3). Order matters: an
 * unreachable API server also reads "context deadline exceeded", so it is tested first.
 */
const RULES: ReadonlyArray<{ type: FailureType; pattern: RegExp }> = [
  {
    type: FAILURE_TYPES.clusterUnreachable,
    pattern:
      /Kubernetes cluster unreachable|connection refused|connection reset by peer|no such host|i\/o timeout|TLS handshake timeout|the server is currently unable to handle the request|etcdserver: request timed out|http2: client connection lost|the server has received too many requests/i,
  },
  { type: FAILURE_TYPES.releaseLocked, pattern: /another operation \(install\/upgrade\/rollback\) is in progress/i },
  // `--wait` ran out of time: the release's pods never became ready.
  { type: FAILURE_TYPES.notReady, pattern: /timed out waiting for the condition|context deadline exceeded/i },
  {
    type: FAILURE_TYPES.chartInvalid,
    pattern:
      /\btemplate: |parse error|YAML parse error|error converting YAML to JSON|values don't meet the specifications of the schema|unable to build kubernetes objects from release manifest|chart requires kubeVersion|Chart\.yaml file is missing|found in Chart\.yaml, but missing in charts\/ directory|path ".*" not found|failed to load chart/i,
  },
];

/** The failure type of a helm error (its stderr); DeployFailed when helm's words match none. */
export function helmFailureType(stderr: string): FailureType {
  return RULES.find((rule) => rule.pattern.test(stderr))?.type ?? FAILURE_TYPES.deploy;
}
