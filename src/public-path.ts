// Lazy chunks load from the folder module.js came from (Grafana's public/plugins/<id>/, a sub-path
// or a CDN), which the AMD loader tells through its `module` meta module. Same as the
// grafana-public-path module @grafana/create-plugin injects. Imported first by module.tsx.

import amdModule from 'amd-module';
import { PLUGIN_ID } from './view-model/api-query.ts';

const uri = amdModule?.uri;
__webpack_public_path__ = uri ? uri.slice(0, uri.lastIndexOf('/') + 1) : `public/plugins/${PLUGIN_ID}/`;
