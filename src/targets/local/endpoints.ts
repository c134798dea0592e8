/**
 * Where each release of the local stack listens: the meeting point of the LocalProcessDeployer
 * (which starts processes on free ports) and the TraefikFileRouter (which points Traefik at them).
 * The local stack's equivalent of a Kubernetes Service's endpoints.
 */

/** One change: `url` is the release's new base URL (`http://127.0.0.1:<port>`), or null once it stopped serving. */
export interface EndpointChange {
  namespace: string;
  release: string;
  url: string | null;
}

/**
 * Called on every change, awaited before `set` returns: the deployer stops an old process only once
 * every listener has resolved (the router resolves when Traefik serves the new address). A listener
 * that throws makes `set` throw, so the deployer keeps the old process serving.
 */
export type EndpointListener = (change: EndpointChange) => Promise<void>;

/** In-process registry of the base URL each `namespace/release` serves on. */
export class LocalEndpoints {
  private readonly urls = new Map<string, string>();
  private readonly listeners = new Set<EndpointListener>();

  private static key(namespace: string, release: string): string {
    return `${namespace}/${release}`;
  }

  /** The release's base URL, or undefined when no process of it serves. */
  get(namespace: string, release: string): string | undefined {
    return this.urls.get(LocalEndpoints.key(namespace, release));
  }

  /** Every registered endpoint, for diagnostics. */
  list(): EndpointChange[] {
    return [...this.urls].map(([key, url]) => {
      const slash = key.indexOf('/');
      return { namespace: key.slice(0, slash), release: key.slice(slash + 1), url };
    });
  }

  /** Records the release's URL (null: removed) and waits for every listener, in parallel. */
  async set(namespace: string, release: string, url: string | null): Promise<void> {
    const key = LocalEndpoints.key(namespace, release);
    if (url === null) this.urls.delete(key);
    else this.urls.set(key, url);
    await Promise.all([...this.listeners].map((listener) => listener({ namespace, release, url })));
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EndpointListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
