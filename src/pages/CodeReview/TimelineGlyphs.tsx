import type { GrafanaTheme2 } from '@grafana/data';
import {
  type FillPattern,
  type FillStyle,
  type MarkerShape,
  type PaletteColor,
} from '../../view-model/timeline-palette.ts';

// The timeline's drawing vocabulary: fill patterns, filled rectangles and marker glyphs, in the
// palette of timeline-palette.ts resolved against the theme.

const PATTERN_ID: Record<Exclude<FillPattern, 'solid' | 'hollow'>, string> = {
  hatch: 'reviewtrace-fill-hatch',
  dots: 'reviewtrace-fill-dots',
  stripes: 'reviewtrace-fill-stripes',
  crosshatch: 'reviewtrace-fill-crosshatch',
};

export function paletteColor(theme: GrafanaTheme2, color: PaletteColor): string {
  return color === 'neutral' ? theme.colors.text.secondary : color;
}

/** The patterns' definitions, once per page (any SVG may refer to them). Ink: the theme's background. */
export function PatternDefs({ theme }: { theme: GrafanaTheme2 }) {
  const ink = theme.colors.background.primary;
  return (
    <svg width={0} height={0} aria-hidden style={{ position: 'absolute' }}>
      <defs>
        <pattern id={PATTERN_ID.hatch} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <line x1={0} y1={0} x2={0} y2={6} stroke={ink} strokeWidth={2} strokeOpacity={0.7} />
        </pattern>
        <pattern id={PATTERN_ID.dots} width={5} height={5} patternUnits="userSpaceOnUse">
          <circle cx={2.5} cy={2.5} r={1.1} fill={ink} fillOpacity={0.8} />
        </pattern>
        <pattern id={PATTERN_ID.stripes} width={5} height={5} patternUnits="userSpaceOnUse">
          <line x1={1} y1={0} x2={1} y2={5} stroke={ink} strokeWidth={1.5} strokeOpacity={0.75} />
        </pattern>
        <pattern
          id={PATTERN_ID.crosshatch}
          width={6}
          height={6}
          patternUnits="userSpaceOnUse"
          patternTransform="rotate(45)"
        >
          <line x1={0} y1={0} x2={0} y2={6} stroke={ink} strokeWidth={1.5} strokeOpacity={0.75} />
          <line x1={0} y1={0} x2={6} y2={0} stroke={ink} strokeWidth={1.5} strokeOpacity={0.75} />
        </pattern>
      </defs>
    </svg>
  );
}

interface RectProps {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: FillStyle;
  theme: GrafanaTheme2;
  /** Still open: faded, with a dashed outline. */
  open?: boolean;
  opacity?: number;
}

/** A rectangle in a palette colour with its pattern over it (hollow: an outline only). */
export function FilledRect({ x, y, width, height, fill, theme, open = false, opacity = 0.9 }: RectProps) {
  const color = paletteColor(theme, fill.color);
  const hollow = fill.pattern === 'hollow';
  const overlay = fill.pattern === 'solid' || fill.pattern === 'hollow' ? undefined : PATTERN_ID[fill.pattern];
  return (
    <>
      <rect
        x={x}
        y={y}
        width={width}
        height={height}
        rx={2}
        fill={hollow ? 'none' : color}
        fillOpacity={open ? opacity * 0.6 : opacity}
        stroke={open || hollow ? color : 'none'}
        strokeWidth={hollow ? 1.5 : 1}
        strokeDasharray={open ? '4 3' : undefined}
      />
      {overlay && <rect x={x} y={y} width={width} height={height} rx={2} fill={`url(#${overlay})`} />}
    </>
  );
}

/** A marker's glyph centred on (x, y); stroked shapes are drawn 2 px wide. */
export function MarkerGlyph({
  shape,
  color,
  x,
  y,
  size = 5,
}: {
  shape: MarkerShape;
  color: string;
  x: number;
  y: number;
  size?: number;
}) {
  const s = size;
  switch (shape) {
    case 'triangle-up':
      return <polygon points={`${x},${y - s - 1} ${x + s + 1},${y + s} ${x - s - 1},${y + s}`} fill={color} />;
    case 'triangle-down':
      return <polygon points={`${x},${y + s + 1} ${x + s + 1},${y - s} ${x - s - 1},${y - s}`} fill={color} />;
    case 'circle':
      return <circle cx={x} cy={y} r={s} fill={color} />;
    case 'ring':
      return <circle cx={x} cy={y} r={s - 1} fill="none" stroke={color} strokeWidth={2} />;
    case 'square':
      return <rect x={x - s} y={y - s} width={2 * s} height={2 * s} rx={1} fill={color} />;
    case 'plus':
      return <path d={`M${x - s},${y}H${x + s}M${x},${y - s}V${y + s}`} stroke={color} strokeWidth={2.5} />;
    case 'diamond':
      return (
        <polygon points={`${x},${y - s - 2} ${x + s + 2},${y} ${x},${y + s + 2} ${x - s - 2},${y}`} fill={color} />
      );
    case 'diamond-open':
      return (
        <polygon
          points={`${x},${y - s - 1} ${x + s + 1},${y} ${x},${y + s + 1} ${x - s - 1},${y}`}
          fill="none"
          stroke={color}
          strokeWidth={2}
        />
      );
    case 'check':
      return (
        <path
          d={`M${x - s},${y}L${x - 1},${y + s - 1}L${x + s},${y - s}`}
          fill="none"
          stroke={color}
          strokeWidth={2.5}
        />
      );
    case 'cross':
      return (
        <path
          d={`M${x - s},${y - s}L${x + s},${y + s}M${x + s},${y - s}L${x - s},${y + s}`}
          stroke={color}
          strokeWidth={2.5}
        />
      );
    default:
      return <rect x={x - 1} y={y - s - 2} width={2} height={2 * s + 4} fill={color} />;
  }
}
