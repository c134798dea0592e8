import { loadClientConnectConfig } from '@temporalio/envconfig';

export interface TemporalSettings {
  address: string;
  namespace: string;
  connectionOptions: Record<string, unknown> & { address?: string };
}

/** Set means "1" or "true", as @temporalio/envconfig reads booleans. */
const isTrue = (value: string | undefined) => value === '1' || value === 'true';

/**
 * Connection settings in Temporal's conventions: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY (turns TLS on), TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA,
 * TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA, TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA,
 * TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*, and the TOML profile (TEMPORAL_CONFIG_FILE /
 * TEMPORAL_PROFILE). Throws, naming the variable, on settings that could only fail later with a
 * TLS handshake error.
 */
export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  const hasCert = !!(env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const hasKey = !!(env.TEMPORAL_TLS_CLIENT_KEY_PATH || env.TEMPORAL_TLS_CLIENT_KEY_DATA);
  // envconfig silently drops a certificate without its key (or the reverse): the server would then refuse the handshake.
  if (hasCert !== hasKey) {
    throw new Error(
      `${hasCert ? 'TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) is set but TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) is not' : 'TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) is set but TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) is not'}: mTLS needs the client certificate and its key; set both or neither`,
    );
  }
  // The TypeScript SDK has no switch for it; envconfig would ignore it without a word.
  if (isTrue(env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)) {
    throw new Error('TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by this worker (Temporal TypeScript SDK): set TEMPORAL_TLS_SERVER_NAME to the name in the server\'s certificate instead');
  }
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars });
  } catch (error) {
    throw new Error(`cannot read the Temporal connection settings (TEMPORAL_TLS_*_PATH files, TEMPORAL_CONFIG_FILE): ${(error as Error).message}`);
  }
  const { connectionOptions, namespace } = loaded;
  const address = connectionOptions.address ?? 'localhost:7233';
  return { address, namespace: namespace ?? 'default', connectionOptions: { ...connectionOptions, address } };
}
