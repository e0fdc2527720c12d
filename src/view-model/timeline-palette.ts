// How the timeline encodes meaning: Okabe–Ito colours (told apart with the common colour-vision
// deficiencies) and, for every legend entry, a shape or fill pattern of its own, so colour is never
// the only cue. Framework-free: the chart resolves `neutral` and the pattern ink from the theme.

import type { WaitingOn } from '../review-model/code-review-api.ts';

/** Okabe & Ito (2008), "Color Universal Design": the palette's hues used here. */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** A palette colour, or `neutral` (the theme's secondary text colour: greys read on light and dark). */
export type PaletteColor = (typeof OKABE_ITO)[keyof typeof OKABE_ITO] | 'neutral';

/** A fill's texture: drawn over the colour in the theme's background colour. */
export type FillPattern = 'solid' | 'hatch' | 'dots' | 'stripes' | 'crosshatch' | 'hollow';

export type BarTone =
  | 'change'
  | 'patchset'
  | 'review-voted'
  | 'review-commented'
  | 'review-pending'
  | 'review-ended'
  | 'ci-success'
  | 'ci-failure'
  | 'ci-running'
  | 'error';

export type MarkerShape =
  | 'triangle-up'
  | 'triangle-down'
  | 'circle'
  | 'ring'
  | 'square'
  | 'plus'
  | 'diamond'
  | 'diamond-open'
  | 'check'
  | 'cross'
  | 'tick';

/** What a marker is, for its look: the event kinds plus a CI run's result on a collapsed patch set. */
export type MarkerStyleKey =
  | 'vote-positive'
  | 'vote-negative'
  | 'vote-zero'
  | 'comment'
  | 'reviewer'
  | 'submit'
  | 'abandon'
  | 'ci-passed'
  | 'ci-failed'
  | 'ci-running'
  | 'other';

export interface FillStyle {
  color: PaletteColor;
  pattern: FillPattern;
}

export const BAR_STYLE: Record<BarTone, FillStyle> = {
  change: { color: OKABE_ITO.blue, pattern: 'solid' },
  patchset: { color: OKABE_ITO.skyBlue, pattern: 'solid' },
  'review-pending': { color: OKABE_ITO.orange, pattern: 'hatch' },
  'ci-running': { color: OKABE_ITO.orange, pattern: 'hatch' },
  'review-voted': { color: OKABE_ITO.bluishGreen, pattern: 'dots' },
  'ci-success': { color: OKABE_ITO.bluishGreen, pattern: 'dots' },
  'review-commented': { color: OKABE_ITO.reddishPurple, pattern: 'stripes' },
  'review-ended': { color: 'neutral', pattern: 'hollow' },
  'ci-failure': { color: OKABE_ITO.vermillion, pattern: 'crosshatch' },
  error: { color: OKABE_ITO.vermillion, pattern: 'crosshatch' },
};

export const MARKER_STYLE: Record<MarkerStyleKey, { shape: MarkerShape; color: PaletteColor }> = {
  'vote-positive': { shape: 'triangle-up', color: OKABE_ITO.bluishGreen },
  'vote-negative': { shape: 'triangle-down', color: OKABE_ITO.vermillion },
  'vote-zero': { shape: 'circle', color: 'neutral' },
  comment: { shape: 'square', color: OKABE_ITO.skyBlue },
  reviewer: { shape: 'plus', color: 'neutral' },
  submit: { shape: 'diamond', color: OKABE_ITO.bluishGreen },
  abandon: { shape: 'diamond-open', color: OKABE_ITO.vermillion },
  'ci-passed': { shape: 'check', color: OKABE_ITO.bluishGreen },
  'ci-failed': { shape: 'cross', color: OKABE_ITO.vermillion },
  'ci-running': { shape: 'ring', color: OKABE_ITO.orange },
  other: { shape: 'tick', color: 'neutral' },
};

export const WAITING_STYLE: Record<WaitingOn, FillStyle> = {
  author: { color: OKABE_ITO.blue, pattern: 'solid' },
  reviewers: { color: OKABE_ITO.orange, pattern: 'hatch' },
  ci: { color: OKABE_ITO.yellow, pattern: 'dots' },
};

/** The legend: one entry per look (tones that share a look share an entry). */
export const LEGEND = {
  waiting: [
    { on: 'author', label: 'Waiting on author' },
    { on: 'reviewers', label: 'Waiting on reviewers' },
    { on: 'ci', label: 'Waiting on CI' },
  ] satisfies Array<{ on: WaitingOn; label: string }>,
  bars: [
    { tone: 'change', label: 'Change' },
    { tone: 'patchset', label: 'Patch set' },
    { tone: 'review-pending', label: 'Review waiting / CI running' },
    { tone: 'review-voted', label: 'Review voted / CI passed' },
    { tone: 'review-commented', label: 'Review: commented' },
    { tone: 'review-ended', label: 'Review: superseded / removed' },
    { tone: 'ci-failure', label: 'CI failed / error' },
  ] satisfies Array<{ tone: BarTone; label: string }>,
  markers: [
    { style: 'vote-positive', label: 'Vote +' },
    { style: 'vote-negative', label: 'Vote −' },
    { style: 'vote-zero', label: 'Vote 0' },
    { style: 'comment', label: 'Comment' },
    { style: 'reviewer', label: 'Reviewer added / removed' },
    { style: 'submit', label: 'Submit' },
    { style: 'abandon', label: 'Abandon / delete' },
    { style: 'ci-passed', label: 'CI passed' },
    { style: 'ci-failed', label: 'CI failed' },
    { style: 'ci-running', label: 'CI running' },
    { style: 'other', label: 'Other event' },
  ] satisfies Array<{ style: MarkerStyleKey; label: string }>,
  openBar: 'Dashed outline: still open (drawn to now)',
  cluster: 'Several events close together (hover lists them, click zooms in)',
};
