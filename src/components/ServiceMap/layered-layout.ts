import elkApi, { type ELK, type ELKConstructorArguments } from 'elkjs/lib/elk-api.js';
import elkWorkerSource from 'elkjs/lib/elk-worker.min.js?raw';

// The layered (Sugiyama) layout of the Eclipse Layout Kernel, run in a Web Worker so a graph of a
// thousand nodes never blocks the page. The worker's code is bundled as text and started from a
// Blob URL: it needs no URL of its own under the plugin's public path (a CDN, a sub-path).

type ElkClass = new (args?: ELKConstructorArguments) => ELK;
// elk-api.js is CommonJS: the bundler hands over its exports object, whose `default` is the class.
const api = elkApi as unknown as ElkClass & { default?: ElkClass };
const ElkLayout: ElkClass = api.default ?? api;

let elk: ELK | undefined;

function layoutEngine(): ELK {
  if (!elk) {
    const url = URL.createObjectURL(new Blob([elkWorkerSource], { type: 'text/javascript' }));
    elk = new ElkLayout({ workerFactory: () => new Worker(url) });
  }
  return elk;
}

export interface LayoutInput {
  nodes: Array<{ id: string; width: number; height: number }>;
  edges: Array<{ id: string; source: string; target: string }>;
}

/** Top-left positions by node id, left to right in the direction of the edges. */
export async function layeredPositions(graph: LayoutInput): Promise<Map<string, { x: number; y: number }>> {
  const result = await layoutEngine().layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '30',
      'elk.layered.crossingMinimization.strategy': 'LAYER_SWEEP',
      // Cycles are common in call graphs (a → b → a): ELK breaks them itself.
      'elk.layered.cycleBreaking.strategy': 'GREEDY',
      'elk.separateConnectedComponents': 'true',
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: graph.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  const out = new Map<string, { x: number; y: number }>();
  for (const c of result.children ?? []) {
    out.set(c.id, { x: (c.x ?? 0) + (c.width ?? 0) / 2, y: (c.y ?? 0) + (c.height ?? 0) / 2 });
  }
  return out;
}
