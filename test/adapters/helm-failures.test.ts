/*
 * What helm's own error output means for a retry (src/targets/kubernetes/helm-failures.ts): the
 * messages are helm v3's, as its users meet them.
 */
import { FAILURE_TYPES, isRetryable } from '../../src/activities/failures';
import { helmFailureType } from '../../src/targets/kubernetes/helm-failures';

describe('helmFailureType', () => {
  test.each([
    ['Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress', FAILURE_TYPES.releaseLocked],
    ['Error: Kubernetes cluster unreachable: Get "https://10.0.0.1:6443/version": dial tcp 10.0.0.1:6443: connect: connection refused', FAILURE_TYPES.clusterUnreachable],
    ['Error: Kubernetes cluster unreachable: Get "https://api:6443/version": context deadline exceeded', FAILURE_TYPES.clusterUnreachable],
    ['Error: UPGRADE FAILED: Get "https://api:6443/apis/apps/v1/namespaces/shop/deployments/web": net/http: TLS handshake timeout', FAILURE_TYPES.clusterUnreachable],
    ['Error: UPGRADE FAILED: the server is currently unable to handle the request (get deployments.apps web)', FAILURE_TYPES.clusterUnreachable],
    ['Error: UPGRADE FAILED: etcdserver: request timed out', FAILURE_TYPES.clusterUnreachable],
    ['Error: UPGRADE FAILED: dial tcp: lookup api.cluster.local: no such host', FAILURE_TYPES.clusterUnreachable],
    ['Error: UPGRADE FAILED: timed out waiting for the condition', FAILURE_TYPES.notReady],
    ['Error: UPGRADE FAILED: context deadline exceeded', FAILURE_TYPES.notReady],
    ['Error: UPGRADE FAILED: template: web/templates/deployment.yaml:20:18: executing "web/templates/deployment.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag', FAILURE_TYPES.chartInvalid],
    ['Error: INSTALLATION FAILED: YAML parse error on web/templates/service.yaml: error converting YAML to JSON: yaml: line 7: did not find expected key', FAILURE_TYPES.chartInvalid],
    ["Error: values don't meet the specifications of the schema(s) in the following chart(s):\nweb:\n- replicaCount: Invalid type. Expected: integer, given: string", FAILURE_TYPES.chartInvalid],
    ['Error: UPGRADE FAILED: unable to build kubernetes objects from release manifest: error validating "": error validating data: unknown field "replica"', FAILURE_TYPES.chartInvalid],
    ['Error: path "charts/web" not found', FAILURE_TYPES.chartInvalid],
    ['Error: chart requires kubeVersion: >=1.30.0 which is incompatible with Kubernetes v1.29.4', FAILURE_TYPES.chartInvalid],
    ['Error: UPGRADE FAILED: "web" has no deployed releases', FAILURE_TYPES.deploy],
    ['Error: UPGRADE FAILED: admission webhook "validate.kyverno.svc" denied the request', FAILURE_TYPES.deploy],
    ['', FAILURE_TYPES.deploy],
  ])('%s → %s', (stderr, type) => {
    expect(helmFailureType(stderr)).toBe(type);
  });

  test('only a lock and an unreachable cluster are worth another attempt', () => {
    expect(Object.values(FAILURE_TYPES).filter(isRetryable)).toEqual([FAILURE_TYPES.releaseLocked, FAILURE_TYPES.clusterUnreachable]);
  });
});
