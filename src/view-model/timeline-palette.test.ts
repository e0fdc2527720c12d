import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BAR_STYLE, LEGEND, MARKER_STYLE, OKABE_ITO, WAITING_STYLE } from './timeline-palette.ts';

const palette = new Set<string>([...Object.values(OKABE_ITO), 'neutral']);

describe('timeline palette', () => {
  it('uses only Okabe–Ito colours (and the theme’s neutral grey)', () => {
    for (const style of [
      ...Object.values(BAR_STYLE),
      ...Object.values(MARKER_STYLE),
      ...Object.values(WAITING_STYLE),
    ]) {
      assert.ok(palette.has(style.color), style.color);
    }
  });

  it('gives every marker legend entry a shape of its own, so colour is not the only cue', () => {
    const shapes = LEGEND.markers.map((m) => MARKER_STYLE[m.style].shape);
    assert.equal(new Set(shapes).size, shapes.length, shapes.join(', '));
    assert.equal(LEGEND.markers.length, Object.keys(MARKER_STYLE).length, 'every marker look is in the legend');
  });

  it('gives every bar legend entry its own pattern, or a different height (the change lane’s thin bar)', () => {
    const looks = LEGEND.bars.map((b) => `${BAR_STYLE[b.tone].pattern}${b.tone === 'change' ? '/thin' : ''}`);
    assert.equal(new Set(looks).size, looks.length, looks.join(', '));
    const shown = new Set(LEGEND.bars.map((b) => JSON.stringify(BAR_STYLE[b.tone])));
    for (const style of Object.values(BAR_STYLE)) {
      assert.ok(shown.has(JSON.stringify(style)), `a bar look missing from the legend: ${JSON.stringify(style)}`);
    }
  });

  it('gives each waiting shade its own pattern and colour', () => {
    const styles = LEGEND.waiting.map((w) => WAITING_STYLE[w.on]);
    assert.equal(new Set(styles.map((s) => s.pattern)).size, styles.length);
    assert.equal(new Set(styles.map((s) => s.color)).size, styles.length);
  });
});
