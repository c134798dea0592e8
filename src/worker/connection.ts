import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: Record<string, unknown> & { address?: string };
}

/**
 * Connection settings in Temporal's conventions: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, and the TOML profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE).
 */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars });
  const address = connectionOptions.address ?? 'localhost:7233';
  return { address, namespace: namespace ?? 'default', connectionOptions: { ...connectionOptions, address } };
}
