// Types for what the test host's browser bundle uses without shipped declarations.

/** SystemJS 6 (systemjs/dist/system.js + extras/amd.js), as much of it as the host uses. */
interface HostSystemJS {
  import(id: string, parentUrl?: string): Promise<Record<string, unknown>>;
  resolve(id: string, parentUrl?: string): string;
  set(id: string, module: object): void;
  has(id: string): boolean;
  addImportMap(map: { imports?: Record<string, string> }): void;
  constructor: { prototype: { resolve: (this: HostSystemJS, id: string, parentUrl?: string) => string } };
}

interface Window {
  System: HostSystemJS;
  grafanaBootData: unknown;
  __grafana_public_path__?: string;
}

declare module 'systemjs/dist/system.js';
declare module 'systemjs/dist/extras/amd.js';

/** react-router-dom v5 (what Grafana shares as `react-router-dom`); the host only renders its Router. */
declare module 'react-router-dom' {
  import type { ComponentType, ReactNode } from 'react';
  export const Router: ComponentType<{ history: unknown; children?: ReactNode }>;
}
