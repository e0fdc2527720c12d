// The app's settings as Grafana stores them (plugin.json's proxy route reads the same keys).

/** jsonData of the app. */
export interface AppSettings {
  /** Where Grafana's server reaches the sidecar (the proxy route's target). */
  sidecarUrl?: string;
  /** The Tempo data source "Open trace in Explore" uses. */
  tempoDatasourceUid?: string;
}

/** secureJsonData of the app (write-only: Grafana only says whether it is set, in secureJsonFields). */
export interface AppSecureSettings {
  apiToken?: string;
}

export const DEFAULT_SIDECAR_URL = 'http://localhost:8686';
